"""Links are http(s) only (issue 10, item 12): a convention's scanned document, a
dataset's page at its producer, an organisation's website, a resource's link, its access
and download URLs. javascript:, data:, vbscript:, file: and every disguise of them (case,
spaces, control characters, HTML entities, protocol-relative URLs) are refused with a
French error, through the API and the convention form; what is stored is what was checked.
"""
from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from tests import factories

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

HOSTILE_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "java\nscript:alert(1)",
    "java\tscript:alert(1)",
    "javascript&#58;alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript&#x3A;alert(1)",
    "jav&#x09;ascript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://exemple.fr/x.pdf",
    "//evil.example/x.pdf",
    "http:/exemple.fr",
    "https://exemple.fr/x.pdf\njavascript:alert(1)",
    "https://exemple.fr/\x00x.pdf",
    "exemple.fr/convention.pdf",
]
INVALID = "Adresse web invalide"


def _token(user):
    return {"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}


@pytest.fixture
def world():
    sysadmin = ckan_factories.Sysadmin()
    org = factories.Organization()
    return {"sysadmin": sysadmin, "org": org, "headers": _token(sysadmin)}


def _convention(app, world, document_url, **extra):
    return app.post("/api/3/action/datasud_convention_create", headers=world["headers"], status=None, json={
        "organization_id": world["org"]["id"], "reference": f"CONV-{abs(hash(document_url)) % 10**8}-{len(extra)}",
        "kind": "harvesting", "status": "terminated", "starts_on": "2030-01-01", "document_url": document_url,
        **extra})


@pytest.mark.parametrize("url", HOSTILE_URLS, ids=repr)
def test_a_convention_document_is_an_http_link(app, world, url):
    response = _convention(app, world, url)
    assert response.status_code == 409, (url, response.body[:300])
    assert INVALID in response.json["error"]["document_url"][0]


def test_a_convention_update_is_checked_too(app, world):
    created = _convention(app, world, "https://www.exemple.fr/conventions/2030.pdf").json["result"]
    assert created["document_url"] == "https://www.exemple.fr/conventions/2030.pdf"
    response = app.post("/api/3/action/datasud_convention_update", headers=world["headers"], status=None,
                        json={"id": created["id"], "document_url": " JAVASCRIPT:alert(1)"})
    assert response.status_code == 409
    shown = helpers.call_action("datasud_convention_show", {"user": world["sysadmin"]["name"]}, id=created["id"])
    assert shown["document_url"] == "https://www.exemple.fr/conventions/2030.pdf"


def test_good_document_links_are_kept(app, world):
    for url in ("https://www.exemple.fr/conventions/2030.pdf", " HTTP://exemple.fr/c.pdf ",
                "/partenaires/conventions/document/2030-convention.pdf"):
        response = _convention(app, world, url, signatories=url[:5])
        assert response.status_code == 200, (url, response.body[:300])
        assert response.json["result"]["document_url"] == url.strip()


def test_the_convention_form_refuses_a_javascript_link(app, world):
    import re
    url = f"/organization/conventions/{world['org']['name']}/new"
    page = app.get(url, headers=world["headers"]).body
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    response = app.post(url, headers=world["headers"], data={
        **({"_csrf_token": token.group(1)} if token else {}), "reference": "CONV-FORM", "kind": "partnership",
        "status": "draft", "starts_on": "2030-01-01", "document_url": "javascript:alert(1)"}, status=None)
    assert response.status_code == 200
    assert INVALID in response.body
    assert "CONV-FORM" not in [c["reference"] for c in helpers.call_action(
        "datasud_convention_list", {"user": world["sysadmin"]["name"]}, organization_id=world["org"]["id"])]


@pytest.mark.parametrize("url", HOSTILE_URLS[:12] + ["data:text/html,x", "file:///etc/passwd"], ids=repr)
def test_dataset_resource_and_organisation_links_are_http(app, world, url):
    headers, org = world["headers"], world["org"]
    dataset = factories.Dataset(owner_org=org["id"])
    refused = {
        "landing page": app.post("/api/3/action/package_patch", headers=headers, status=None,
                                 json={"id": dataset["id"], "url": url}),
        "resource link": app.post("/api/3/action/resource_create", headers=headers, status=None,
                                  json={"package_id": dataset["id"], "url": url, "name": "Lien"}),
        "access URL": app.post("/api/3/action/resource_create", headers=headers, status=None,
                               json={"package_id": dataset["id"], "url": "https://exemple.fr/x.csv",
                                     "access_url": url}),
        "website": app.post("/api/3/action/organization_patch", headers=headers, status=None,
                            json={"id": org["id"], "website": url}),
    }
    for field, response in refused.items():
        assert response.status_code == 409, (field, url, response.status_code, response.body[:300])
        assert INVALID in str(response.json["error"]), field
    stored = helpers.call_action("package_show", id=dataset["id"])
    assert stored["url"] == dataset["url"] and len(stored["resources"]) == len(dataset["resources"])


def test_uploads_and_http_links_still_work(app, world, create_with_upload):
    dataset = factories.Dataset(owner_org=world["org"]["id"])
    linked = app.post("/api/3/action/resource_create", headers=world["headers"],
                      json={"package_id": dataset["id"], "url": "  https://exemple.fr/données.csv ", "name": "Lien"})
    assert linked.json["result"]["url"] == "https://exemple.fr/données.csv"
    uploaded = create_with_upload("a;b\n1;2\n", "donnees.csv", context={"user": world["sysadmin"]["name"]},
                                  package_id=dataset["id"], name="Fichier")
    assert uploaded["url_type"] == "upload" and uploaded["url"].endswith("/donnees.csv")
    patched = app.post("/api/3/action/resource_patch", headers=world["headers"],
                       json={"id": uploaded["id"], "name": "Fichier renommé"}).json["result"]
    assert patched["url_type"] == "upload"
