"""Throttling (issue 10, item 7) and request size limits (CVE-2023-50248): failed logins
per account and per address, API calls per user and per address, each past its limit
answered 429 with Retry-After and a French message; bodies too large refused with a 413
before being read, file uploads still accepted. Real HTTP requests through CKAN's test
client, real Redis counters; the limits are set small for each test."""
from __future__ import annotations

import io
import json

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories as ckan_factories

from tests import factories
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("clean_db", "fresh_counters")

PASSWORD = "Correct-Horse-Battery-42"
FIELD = "_csrf_token"
WINDOW = 600


@pytest.fixture
def fresh_counters():
    """No count left by earlier tests (the suite shares 127.0.0.1 and this site id)."""
    redis = connect_to_redis()
    for key in redis.scan_iter(f"datasud:{tk.config['ckan.site_id']}:throttle:*"):
        redis.delete(key)


def login_form(client, **environ) -> str:
    page = client.get("/user/login", environ_overrides=environ)
    return BeautifulSoup(page.body, "html.parser").select_one(f"meta[name={FIELD}]")["content"]


def try_login(client, login: str, password: str, **environ):
    token = login_form(client, **environ)
    return client.post("/user/login", data={"login": login, "password": password, FIELD: token},
                       environ_overrides=environ, follow_redirects=False)


def assert_throttled_login(response):
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= WINDOW
    assert "Trop de tentatives" in response.body


def assert_refused_login(response):
    assert response.status_code == 200  # the login form again, with CKAN's error
    assert "Trop de tentatives" not in response.body


# --- Logins ---------------------------------------------------------------------------------

@pytest.mark.ckan_config("ckanext.datasud.throttle.login_failures_per_account", 3)
@pytest.mark.ckan_config("ckanext.datasud.throttle.login_failures_per_address", 1000)
@pytest.mark.ckan_config("ckanext.datasud.throttle.login_window", WINDOW)
def test_wrong_passwords_are_throttled_per_account(app):
    user = ckan_factories.User(password=PASSWORD, email="victime@example.org")
    other = ckan_factories.User(password=PASSWORD)
    client = app.test_client()
    for attempt in range(3):
        assert_refused_login(try_login(client, user["name"], f"wrong-{attempt}"))
    # the account is locked for the window, even with the right password (never checked),
    # from another address, and through its e-mail address
    assert_throttled_login(try_login(client, user["name"], PASSWORD))
    assert_throttled_login(try_login(app.test_client(), user["name"], PASSWORD, REMOTE_ADDR="10.9.8.7"))
    assert_throttled_login(try_login(app.test_client(), "victime@example.org", PASSWORD))
    # another account, from the same address, is not
    assert try_login(client, other["name"], PASSWORD).status_code == 302


@pytest.mark.ckan_config("ckanext.datasud.throttle.login_failures_per_account", 0)
@pytest.mark.ckan_config("ckanext.datasud.throttle.login_failures_per_address", 3)
@pytest.mark.ckan_config("ckanext.datasud.throttle.login_window", WINDOW)
def test_wrong_passwords_are_throttled_per_address(app):
    user = ckan_factories.User(password=PASSWORD)
    client = app.test_client()
    for attempt in range(3):  # three different accounts, one address
        assert_refused_login(try_login(client, f"inconnu-{attempt}", "wrong", REMOTE_ADDR="10.1.1.1"))
    assert_throttled_login(try_login(client, user["name"], PASSWORD, REMOTE_ADDR="10.1.1.1"))
    # X-Forwarded-For is nobody's word when no proxy is trusted
    assert_throttled_login(try_login(client, user["name"], PASSWORD, REMOTE_ADDR="10.1.1.1",
                                     HTTP_X_FORWARDED_FOR="192.0.2.77"))
    # another address logs in
    assert try_login(app.test_client(), user["name"], PASSWORD, REMOTE_ADDR="10.2.2.2").status_code == 302


@pytest.mark.ckan_config("ckanext.datasud.throttle.login_failures_per_account", 0)
@pytest.mark.ckan_config("ckanext.datasud.throttle.login_failures_per_address", 2)
@pytest.mark.ckan_config("ckanext.datasud.throttle.trusted_proxies", 1)
@pytest.mark.ckan_config("ckanext.datasud.throttle.login_window", WINDOW)
def test_behind_a_trusted_proxy_the_client_is_the_address_it_saw(app):
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "172.18.0.5"}
    for attempt in range(2):
        assert_refused_login(try_login(client, "inconnu", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy))
    # the same client, whatever it writes before the proxy's entry
    assert_throttled_login(try_login(client, "inconnu", "wrong",
                                     HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9", **proxy))
    # another client behind the same proxy is not throttled
    assert_refused_login(try_login(client, "inconnu", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.10", **proxy))


@pytest.mark.ckan_config("ckanext.datasud.throttle.login_failures_per_account", 3)
@pytest.mark.ckan_config("ckanext.datasud.throttle.login_failures_per_address", 1000)
def test_a_successful_login_clears_the_accounts_failures(app):
    user = ckan_factories.User(password=PASSWORD)
    client = app.test_client()
    for attempt in range(2):
        assert_refused_login(try_login(client, user["name"], "wrong"))
    assert try_login(client, user["name"], PASSWORD).status_code == 302
    client.get("/user/_logout")
    for attempt in range(2):
        assert_refused_login(try_login(client, user["name"], "wrong"))
    assert try_login(client, user["name"], PASSWORD).status_code == 302


@pytest.mark.ckan_config("ckanext.datasud.throttle.login_failures_per_account", 2)
def test_thirty_wrong_passwords_are_not_all_answered(app):
    """The issue's probe: 30 wrong passwords in a row."""
    user = ckan_factories.User(password=PASSWORD)
    client = app.test_client()
    statuses = [try_login(client, user["name"], f"wrong-{n}").status_code for n in range(30)]
    assert statuses[:2] == [200, 200] and set(statuses[2:]) == {429}


# --- API ------------------------------------------------------------------------------------

def api_get(client, action: str = "status_show", **kwargs):
    return client.get(f"/api/3/action/{action}", **kwargs)


def assert_throttled_api(response):
    assert response.status_code == 429
    assert response.mimetype == "application/json"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    body = json.loads(response.body)
    assert body["success"] is False and body["error"]["__type"] == "Too Many Requests"
    assert "Trop de requêtes" in body["error"]["message"]


@pytest.mark.ckan_config("ckanext.datasud.throttle.api_requests_per_address", 5)
@pytest.mark.ckan_config("ckanext.datasud.throttle.api_window", 60)
def test_api_calls_are_limited_per_address(app):
    client = app.test_client()
    for _ in range(5):
        assert api_get(client).status_code == 200
    assert_throttled_api(api_get(client))
    assert_throttled_api(client.post("/api/3/action/package_search", json={"q": "x"}))
    # random tokens buy no new budget: they are anonymous requests from the same address
    assert_throttled_api(api_get(client, headers={"Authorization": "not-a-real-token"}))
    # the JavaScript translations every page loads are not counted
    assert client.get("/api/i18n/fr").status_code == 200
    # another address has its own budget
    assert api_get(app.test_client(), environ_overrides={"REMOTE_ADDR": "10.3.3.3"}).status_code == 200


@pytest.mark.ckan_config("ckanext.datasud.throttle.api_requests_per_user", 4)
@pytest.mark.ckan_config("ckanext.datasud.throttle.api_requests_per_address", 1000)
@pytest.mark.ckan_config("ckanext.datasud.throttle.api_window", 60)
def test_api_calls_are_limited_per_user_across_tokens(app):
    user, other = ckan_factories.User(), ckan_factories.User()
    first, second = (ckan_factories.APIToken(user=user["name"])["token"] for _ in range(2))
    client = app.test_client()
    for token in (first, second, first, second):
        assert api_get(client, headers={"Authorization": token}).status_code == 200
    assert_throttled_api(api_get(client, headers={"Authorization": first}))
    assert_throttled_api(api_get(client, headers={"Authorization": second}))
    # another user and anonymous calls from the same address go on
    other_token = ckan_factories.APIToken(user=other["name"])["token"]
    assert api_get(client, headers={"Authorization": other_token}).status_code == 200
    assert api_get(client).status_code == 200


def declared_default(key: str):
    import yaml
    declaration = yaml.safe_load((ROOT / "ckanext-datasud/ckanext/datasud/config_declaration.yaml").read_text())
    return next(option["default"] for group in declaration["groups"] for option in group["options"]
                if option["key"] == key)


def test_two_hundred_api_calls_with_the_default_limits(app, ckan_config, monkeypatch):
    """The issue's probe, with the declared defaults (test.ini raises them for the suite)."""
    for name in ("api_requests_per_address", "api_requests_per_user", "api_window"):
        key = f"ckanext.datasud.throttle.{name}"
        monkeypatch.setitem(ckan_config, key, declared_default(key))
    assert (declared_default("ckanext.datasud.throttle.api_requests_per_address"),
            declared_default("ckanext.datasud.throttle.api_window")) == (120, 60)
    client = app.test_client()
    statuses = [api_get(client).status_code for _ in range(200)]
    assert statuses[:120] == [200] * 120 and set(statuses[120:]) == {429}


# --- Request size (CVE-2023-50248) ----------------------------------------------------------

BIG = 5 * 1024 * 1024  # 5 MB


def test_a_huge_json_body_is_refused_before_being_read(app):
    response = app.test_client().post("/api/3/action/package_search", data=json.dumps({"q": "x" * BIG}),
                                      content_type="application/json")
    assert response.status_code == 413
    assert json.loads(response.body)["success"] is False


def test_a_huge_url_encoded_form_field_is_refused(app):
    response = app.test_client().post("/user/login", data={"login": "x" * BIG, "password": "y"})
    assert response.status_code == 413


def test_a_huge_multipart_form_field_is_refused(app):
    sysadmin = ckan_factories.Sysadmin()
    token = ckan_factories.APIToken(user=sysadmin["name"])["token"]
    dataset = factories.Dataset(private=True)
    response = app.test_client().post(
        "/api/3/action/resource_create", headers={"Authorization": token},
        data={"package_id": dataset["id"], "name": "x", "description": "d" * (3 * 1024 * 1024),
              "upload": (io.BytesIO(b"a,b\n1,2\n"), "petit.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 413


def test_file_uploads_larger_than_the_body_limit_still_work(app):
    sysadmin = ckan_factories.Sysadmin()
    token = ckan_factories.APIToken(user=sysadmin["name"])["token"]
    dataset = factories.Dataset(private=True)
    content = b"colonne\n" + b"0123456789\n" * (300 * 1024)  # about 3.3 MB, above max_body_kb
    response = app.test_client().post(
        "/api/3/action/resource_create", headers={"Authorization": token},
        data={"package_id": dataset["id"], "name": "Gros fichier", "upload": (io.BytesIO(content), "gros.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200, response.body[:500]
    assert json.loads(response.body)["result"]["size"] == len(content)


@pytest.mark.ckan_config("ckan.max_resource_size", 1)
def test_an_upload_larger_than_the_resource_limit_is_refused(app):
    sysadmin = ckan_factories.Sysadmin()
    token = ckan_factories.APIToken(user=sysadmin["name"])["token"]
    dataset = factories.Dataset(private=True)
    response = app.test_client().post(
        "/api/3/action/resource_create", headers={"Authorization": token},
        data={"package_id": dataset["id"], "name": "Trop gros",
              "upload": (io.BytesIO(b"0" * (3 * 1024 * 1024)), "trop-gros.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 413
