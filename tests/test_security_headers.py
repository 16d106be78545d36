"""Security headers on every answer of the portal (issue 10, item 8; security/headers.py):
pages, the API, static files, errors, redirects; HSTS in production only."""
from __future__ import annotations

import configparser

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories

from tests import factories
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()}


def answers(app) -> dict[str, object]:
    dataset = factories.Dataset(title="Lycées publics")
    user = ckan_factories.User()
    token = {"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}
    client = app.test_client()
    return {
        "home": app.get("/"),
        "english home": app.get("/en/"),
        "search": app.get("/dataset/"),
        "dataset page": app.get(f"/dataset/{dataset['name']}"),
        "trailing slash": app.get(f"/dataset/{dataset['name']}/", status=None),
        "API read": app.get("/api/3/action/package_search?q=lycées"),
        "API refusal": app.post("/api/3/action/datasud_convention_create", json={}, headers=token, status=None),
        "static file": app.get("/base/images/ckan.ico"),
        "not found": app.get("/pas-de-page-ici", status=None),
        "redirect": app.get("/dashboard/datasets", follow_redirects=False, status=None),
        "HEAD": client.head("/dataset/"),
        "DCAT": app.get("/catalog.ttl"),
    }


def test_every_answer_carries_the_security_headers(app):
    for name, response in answers(app).items():
        for header, value in EXPECTED.items():
            assert response.headers.get(header) == value, (name, header, response.status_code)
        assert directives(response)["frame-ancestors"] == "frame-ancestors 'self'", name
        assert "Strict-Transport-Security" not in response.headers, name  # development: plain HTTP


def test_page_policy_forbids_plugins_and_base_hijack_but_keeps_ckan_pages(app):
    response = app.get("/dataset/")
    policy = directives(response)
    assert policy["object-src"] == "object-src 'none'" and policy["base-uri"] == "base-uri 'self'"
    assert "sandbox" not in policy  # pages keep their scripts (user files are sandboxed)
    assert "<script" in response.get_data(as_text=True)


def test_hsts_only_when_configured_as_in_production(app, monkeypatch):
    assert tk.config.get("ckanext.datasud.security.hsts_max_age") in (0, "0")
    assert "Strict-Transport-Security" not in app.get("/").headers
    monkeypatch.setitem(tk.config, "ckanext.datasud.security.hsts_max_age", 31536000)
    assert app.get("/").headers["Strict-Transport-Security"] == "max-age=31536000"
    assert app.get("/api/3/action/status_show").headers["Strict-Transport-Security"] == "max-age=31536000"
    monkeypatch.setitem(tk.config, "ckanext.datasud.security.hsts_include_subdomains", True)
    assert app.get("/").headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_production_configuration_turns_hsts_on_and_development_does_not():
    def option(name: str) -> str | None:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.read(ROOT / "config" / name)
        return parser.get("app:main", "ckanext.datasud.security.hsts_max_age", fallback=None)

    assert int(option("production.ini")) >= 31536000
    assert option("development.ini") in (None, "0") and option("test.ini") in (None, "0")


def test_the_policy_is_a_setting(app, monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.datasud.security.content_security_policy",
                        "frame-ancestors 'none'; object-src 'none'")
    assert app.get("/").headers["Content-Security-Policy"] == "frame-ancestors 'none'; object-src 'none'"
