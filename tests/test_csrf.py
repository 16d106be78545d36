"""CSRF: every POST of the portal made with the session cookie checks its token (issue 10,
item 4), DataSud's views, ckanext-harvest's and ckanext-dcat's as CKAN's; the Action API
with cookie authentication too. CVE-2026-41255: no exemption primed by earlier anonymous
requests. Each POST without a token is refused (400) and changes nothing; with the
token, the same POST works.

Everything goes through real HTTP requests of CKAN's test client, logged in through the
login form (the session cookie), never through an API token (API tokens are exempt from
CSRF by design: a browser never sends them by itself)."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers
from ckanext.harvest.model import HarvestJob

from ckanext.datasud.model import Convention
from tests import factories
from tests.harvesting import allowed_hosts, create_source

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

PASSWORD = "Correct-Horse-Battery-42"
FIELD = "_csrf_token"


def page_token(response) -> str:
    """The CSRF token a page carries (CKAN's meta tag, read by its JavaScript modules)."""
    meta = BeautifulSoup(response.body, "html.parser").select_one(f"meta[name={FIELD}]")
    assert meta is not None and meta["content"], "the page carries no CSRF token"
    return meta["content"]


class Browser:
    """A test client with its cookie jar, logged in through the login form."""

    def __init__(self, app, user: dict):
        self.client = app.test_client()
        self.user = user
        login_page = self.client.get("/user/login")
        response = self.client.post("/user/login", follow_redirects=False, data={
            "login": user["name"], "password": PASSWORD, FIELD: page_token(login_page)})
        assert response.status_code == 302, "login refused"
        assert self.client.get_cookie("ckan", domain="127.0.0.1") is not None

    def token(self) -> str:
        return page_token(self.client.get("/dashboard/datasets"))

    def post(self, url: str, data: dict | None = None, with_token: bool = False, **kwargs):
        data = dict(data or {})
        if with_token:
            data[FIELD] = self.token()
        return self.client.post(url, data=data, follow_redirects=False, **kwargs)


def user_with_password(**kwargs) -> dict:
    return ckan_factories.User(password=PASSWORD, **kwargs)


def sysadmin_with_password() -> dict:
    return ckan_factories.Sysadmin(password=PASSWORD)


def assert_refused_for_csrf(response):
    assert response.status_code == 400, (response.status_code, response.body[:300])
    assert "CSRF" in response.body


CONVENTION_FORM = {"reference": "CONV-2024-042", "kind": "harvesting", "status": "in_force",
                   "signed_on": "2024-01-10", "starts_on": "2024-02-01", "ends_on": "2029-01-31",
                   "signatories": "Le Président de Région", "document_url": "",
                   "scope_notes": "Moissonnage du catalogue."}


def conventions_of(org_id: str) -> list[Convention]:
    model.Session.expire_all()
    return model.Session.query(Convention).filter_by(organization_id=org_id).order_by(Convention.reference).all()


def workflow_state(dataset_id: str) -> str:
    return helpers.call_action("datasud_workflow_show", id=dataset_id)["state"]


@pytest.fixture
def partner():
    return factories.Organization(name="ville-csrf", title="Ville CSRF")


@pytest.fixture
def harvest_source(partner):
    sysadmin = ckan_factories.Sysadmin()
    with allowed_hosts("127.0.0.1:9"):
        return create_source(sysadmin, partner, "http://127.0.0.1:9/catalogue.ttl")


def jobs_of(source_id: str) -> int:
    model.Session.expire_all()
    return model.Session.query(HarvestJob).filter_by(source_id=source_id).count()


# --- DataSud's views ------------------------------------------------------------------------

def test_workflow_decision_needs_the_token(app, partner):
    editor = user_with_password()
    helpers.call_action("organization_member_create", id=partner["id"], username=editor["name"], role="editor")
    dataset = factories.Dataset(owner_org=partner["id"], private=True)
    browser = Browser(app, editor)
    url = f"/dataset/{dataset['name']}/validation"

    assert_refused_for_csrf(browser.post(url, {"transition": "submit"}))
    assert_refused_for_csrf(browser.post(url, {"transition": "submit", FIELD: "forged"}))
    assert workflow_state(dataset["id"]) == "draft"

    assert browser.post(url, {"transition": "submit"}, with_token=True).status_code == 302
    assert workflow_state(dataset["id"]) == "submitted"


def test_convention_forms_need_the_token(app, partner):
    browser = Browser(app, sysadmin_with_password())
    existing = conventions_of(partner["id"])[0]
    new_url = f"/organization/conventions/{partner['name']}/new"
    edit_url = f"/organization/conventions/{partner['name']}/{existing.id}/edit"
    delete_url = f"/organization/conventions/{partner['name']}/{existing.id}/delete"
    suspended = {"reference": existing.reference, "kind": "partnership", "status": "suspended",
                 "signed_on": "2020-01-10", "starts_on": "2020-01-15", "ends_on": "2026-12-31",
                 "signatories": "Les deux présidents", "document_url": "", "scope_notes": ""}

    assert_refused_for_csrf(browser.post(new_url, CONVENTION_FORM))
    assert_refused_for_csrf(browser.post(edit_url, suspended))
    assert_refused_for_csrf(browser.post(delete_url, {"delete": ""}))
    assert [(c.reference, c.status) for c in conventions_of(partner["id"])] == [(existing.reference, "in_force")]

    assert browser.post(new_url, CONVENTION_FORM, with_token=True).status_code == 302
    assert browser.post(edit_url, suspended, with_token=True).status_code == 302
    assert {(c.reference, c.status) for c in conventions_of(partner["id"])} == {
        ("CONV-2024-042", "in_force"), (existing.reference, "suspended")}
    assert browser.post(delete_url, {"delete": ""}, with_token=True).status_code == 302
    assert [c.reference for c in conventions_of(partner["id"])] == ["CONV-2024-042"]


def test_harvest_now_needs_the_token(app, partner, harvest_source):
    browser = Browser(app, sysadmin_with_password())
    url = f"/organization/moissonnage/{partner['name']}/{harvest_source['id']}/run"

    assert_refused_for_csrf(browser.post(url))
    assert jobs_of(harvest_source["id"]) == 0

    assert browser.post(url, with_token=True).status_code == 302
    assert jobs_of(harvest_source["id"]) == 1


# --- Other plugins' views -------------------------------------------------------------------

@pytest.mark.parametrize("action", ["refresh", "clear", "delete"])
def test_harvest_source_actions_need_the_token(app, harvest_source, action):
    browser = Browser(app, sysadmin_with_password())
    url = f"/harvest/{action}/{harvest_source['id']}"

    assert_refused_for_csrf(browser.post(url))
    # nor through a link: a GET changes nothing either
    assert browser.client.get(url, follow_redirects=False).status_code == 405
    assert jobs_of(harvest_source["id"]) == 0
    model.Session.expire_all()
    assert model.Package.get(harvest_source["id"]).state == "active"
    assert browser.post(url, with_token=True).status_code == 302


def test_refresh_with_the_token_queues_a_job(app, harvest_source):
    browser = Browser(app, sysadmin_with_password())
    assert browser.post(f"/harvest/refresh/{harvest_source['id']}", with_token=True).status_code == 302
    assert jobs_of(harvest_source["id"]) == 1


def test_new_dataset_through_dcat_content_negotiation_needs_the_token(app, partner):
    editor = user_with_password()
    helpers.call_action("organization_member_create", id=partner["id"], username=editor["name"], role="editor")
    browser = Browser(app, editor)
    form = {"name": "jeu-csrf", "title": "Jeu CSRF", "notes": "Un jeu de données.", "owner_org": partner["id"],
            "themes": "culture-tourisme", "private": "True", "save": "continue"}

    # the rule /dataset/new served by ckanext-dcat's blueprint (content negotiation)
    adapter = app.flask_app.url_map.bind("127.0.0.1")
    assert adapter.match("/dataset/new", method="POST")[0] == "dcat.new"

    assert_refused_for_csrf(browser.post("/dataset/new", form))
    assert model.Package.by_name("jeu-csrf") is None

    assert browser.post("/dataset/new", form, with_token=True).status_code == 302
    assert model.Package.by_name("jeu-csrf") is not None


def test_api_with_the_session_cookie_needs_the_token(app, partner):
    editor = user_with_password()
    helpers.call_action("organization_member_create", id=partner["id"], username=editor["name"], role="editor")
    dataset = factories.Dataset(owner_org=partner["id"], private=True, title="Titre d'origine")
    browser = Browser(app, editor)
    patch = {"id": dataset["id"], "title": "Titre modifié"}

    refused = browser.client.post("/api/3/action/package_patch", json=patch)
    assert refused.status_code == 400 and "CSRF" in refused.body
    assert helpers.call_action("package_show", id=dataset["id"])["title"] == "Titre d'origine"

    done = browser.client.post("/api/3/action/package_patch", json=patch, headers={"X-CSRFToken": browser.token()})
    assert done.status_code == 200, done.body
    assert helpers.call_action("package_show", id=dataset["id"])["title"] == "Titre modifié"


# --- CVE-2026-41255: no exemption primed by anonymous requests -------------------------------

def test_anonymous_requests_do_not_prime_a_csrf_exemption(app, partner, harvest_source):
    sysadmin = sysadmin_with_password()
    dataset = factories.Dataset(owner_org=partner["id"], private=True)
    convention = conventions_of(partner["id"])[0]
    posts = [
        (f"/dataset/{dataset['name']}/validation", {"transition": "submit"}),
        (f"/organization/conventions/{partner['name']}/new", CONVENTION_FORM),
        (f"/organization/conventions/{partner['name']}/{convention.id}/edit", dict(CONVENTION_FORM, reference="X")),
        (f"/organization/conventions/{partner['name']}/{convention.id}/delete", {"delete": ""}),
        (f"/organization/moissonnage/{partner['name']}/{harvest_source['id']}/run", {}),
        (f"/harvest/refresh/{harvest_source['id']}", {}),
        (f"/harvest/clear/{harvest_source['id']}", {}),
        ("/dataset/new", {"name": "jeu-amorce", "title": "Amorce", "owner_org": partner["id"],
                          "notes": "x", "themes": "culture-tourisme", "save": "continue"}),
    ]
    # Anonymous visitors first: pages, the same POSTs, API calls (with and without a bogus
    # token header), on one and on several clients, so that any exemption cached by a
    # worker or a blueprint would be primed.
    anonymous = app.test_client()
    for url, data in posts:
        anonymous.get(url)
        anonymous.post(url, data=data)
        app.test_client().post(url, data=data)
    for headers in ({}, {"Authorization": "not-a-token"}):
        anonymous.post("/api/3/action/package_patch", json={"id": dataset["id"], "title": "x"}, headers=headers)
        app.test_client().get("/api/3/action/status_show", headers=headers)

    browser = Browser(app, sysadmin)
    for url, data in posts:
        assert_refused_for_csrf(browser.post(url, data))
        # and an anonymous request in between changes nothing
        app.test_client().post(url, data=data)
    refused = browser.client.post("/api/3/action/package_patch", json={"id": dataset["id"], "title": "Amorcé"})
    assert refused.status_code == 400 and "CSRF" in refused.body

    # nothing changed
    assert workflow_state(dataset["id"]) == "draft"
    assert helpers.call_action("package_show", id=dataset["id"])["title"] != "Amorcé"
    assert [c.reference for c in conventions_of(partner["id"])] == [convention.reference]
    assert jobs_of(harvest_source["id"]) == 0
    assert model.Package.by_name("jeu-amorce") is None


@pytest.mark.parametrize("url, data", [
    ("/user/login", {"login": "victime", "password": PASSWORD}),
    ("/user/register", {"name": "inscrit-force", "fullname": "Inscrit", "email": "inscrit@example.org",
                        "password1": PASSWORD, "password2": PASSWORD}),
    ("/user/reset", {"user": "victime"}),
])
def test_visitors_forms_need_the_token_too(app, url, data):
    """CKAN exempts every request without a session cookie from CSRF checks (it looks for
    an API token there): a login CSRF, a forced registration. DataSud checks them again."""
    ckan_factories.User(name="victime", password=PASSWORD, email="victime@example.org")
    client = app.test_client()
    for headers in ({}, {"X-Requested-With": "XMLHttpRequest"}):
        refused = client.post(url, data=data, headers=headers, follow_redirects=False)
        assert_refused_for_csrf(refused)
    assert "/user/_logout" not in client.get("/").body  # nobody was logged in
    assert model.User.get("inscrit-force") is None
    # the same form, posted with the token its page carries, works
    token = page_token(client.get(url))
    accepted = client.post(url, data=dict(data, **{FIELD: token}), follow_redirects=False)
    assert accepted.status_code in (200, 302) and "CSRF" not in accepted.body


def test_anonymous_api_calls_and_api_tokens_need_no_csrf_token(app):
    """The Action API stays open to scripts: no cookie, no token to steal."""
    assert app.post("/api/3/action/package_search", json={"q": "*:*"}).json["success"] is True
    user = ckan_factories.User()
    token = helpers.call_action("api_token_create", {"user": user["name"]}, user=user["name"],
                                name="script")["token"]
    answer = app.post("/api/3/action/datasud_key_figures", json={}, headers={"Authorization": token})
    assert answer.status_code == 200 and answer.json["success"] is True


def test_the_setting_is_off_in_every_configuration():
    """Extensions' blueprints are not exempted from CSRF in any of our configurations."""
    import configparser
    from tests.conftest import ROOT

    assert tk.asbool(tk.config.get("ckan.csrf_protection.ignore_extensions")) is False
    for name in ("development.ini", "production.ini"):
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.read(ROOT / "config" / name)
        assert parser.get("app:main", "ckan.csrf_protection.ignore_extensions") == "false", name
