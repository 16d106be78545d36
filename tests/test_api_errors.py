"""The Action API as a developer meets it (issue 13, item 6): consistent JSON errors in
French from DataSud's actions (unknown ids, wrong types, missing parameters), the
frequency accepted as the EU URI, its code or its French label, the messages of
``private=false`` and of a missing ``owner_org``, and CORS for reading from other sites.

Everything goes through the web app's Action API with API tokens, as ckanapi or curl
would; the data is made once for the module (real PostgreSQL and Solr).
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from tests import factories

FREQ = "http://publications.europa.eu/resource/authority/frequency/"
OTHER_SITE = "https://reutilisateur.example"


@pytest.fixture(scope="module")
def world(clean_module_db):
    partner = factories.Organization(name="partenaire-api", title="Partenaire de l'API")
    editor, sysadmin = ckan_factories.User(), ckan_factories.Sysadmin()
    helpers.call_action("organization_member_create", id=partner["id"], username=editor["name"], role="editor")
    draft = factories.Dataset(owner_org=partner["id"], private=True, name="brouillon-api", title="Brouillon de l'API")
    published = factories.Dataset(owner_org=partner["id"], name="publie-api", title="Publié de l'API")
    token = lambda user: {"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}  # noqa: E731
    return SimpleNamespace(partner=partner, editor=editor, sysadmin=sysadmin, draft=draft, published=published,
                           editor_headers=token(editor), admin_headers=token(sysadmin))


@pytest.fixture(scope="module")
def app(world):
    """One web app for the module (CKAN's ``app`` fixture makes one per test)."""
    import ckan.plugins.toolkit as tk
    tk.config.pop("SESSION_REDIS", None)
    return helpers._get_test_app()


def api(app, action, headers=None, **data):
    return app.post(f"/api/3/action/{action}", json=data, headers=headers or {}, status=None)


def error_of(response, status: int) -> dict:
    """CKAN's JSON error envelope, with the expected status."""
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json
    assert body["success"] is False and isinstance(body["error"], dict), body
    return body["error"]


def new_dataset(world, **fields):
    return {"name": "nouveau-jeu-api", "title": "Nouveau jeu", "notes": "Des données.",
            "owner_org": world.partner["id"], "themes": ["economie"], **fields}


# --- Frequency -------------------------------------------------------------------------

@pytest.mark.parametrize("given,code", [
    ("ANNUAL", "ANNUAL"), ("annual", "ANNUAL"), ("Annuelle", "ANNUAL"), ("annuel", "ANNUAL"),
    (FREQ + "ANNUAL", "ANNUAL"), (FREQ.upper() + "annual/", "ANNUAL"), (" MONTHLY ", "MONTHLY"),
    ("Mensuelle", "MONTHLY"), ("hebdomadaire", "WEEKLY"), ("En continu", "CONT"), ("Semestrielle", "ANNUAL_2"),
    ("http://purl.org/cld/freq/quarterly", "QUARTERLY"), ("irrégulière", "IRREG"),
])
def test_frequency_is_stored_as_the_eu_uri(app, world, given, code):
    response = api(app, "package_patch", world.editor_headers, id=world.draft["id"], frequency=given)
    assert response.status_code == 200, response.body
    assert response.json["result"]["frequency"] == FREQ + code
    assert helpers.call_action("package_show", id=world.draft["id"])["frequency"] == FREQ + code


@pytest.mark.parametrize("given", ["souvent", "ANNUALLY_3", "https://evil.example/freq/jamais-vu", 12, ["ANNUAL"],
                                   {"code": "ANNUAL"}, "<script>alert(1)</script>"])
def test_unknown_frequency_gets_a_french_error_listing_what_is_accepted(app, world, given):
    before = helpers.call_action("package_show", id=world.draft["id"])["frequency"]
    error = error_of(api(app, "package_patch", world.editor_headers, id=world.draft["id"], frequency=given), 409)
    assert error["__type"] == "Validation Error"
    [message] = error["frequency"]
    assert message.startswith("Valeur inconnue : « ")
    assert "ANNUAL (Annuelle)" in message and "MONTHLY (Mensuelle)" in message and FREQ in message
    assert helpers.call_action("package_show", id=world.draft["id"])["frequency"] == before  # nothing changed


# --- private=false and owner_org -------------------------------------------------------

def test_private_false_on_create_says_how_to_publish(app, world):
    error = error_of(api(app, "package_create", world.editor_headers, **new_dataset(world, private=False)), 409)
    [message] = error["private"]
    assert "datasud_workflow_submit" in message and "reste privé tant qu'il n'est pas validé" in message
    assert api(app, "package_show", world.admin_headers, id="nouveau-jeu-api").status_code == 404  # nothing made


def test_private_false_on_update_says_how_to_publish(app, world):
    error = error_of(api(app, "package_patch", world.editor_headers, id=world.draft["id"], private="false"), 409)
    assert "datasud_workflow_submit" in error["private"][0]
    assert helpers.call_action("package_show", id=world.draft["id"])["private"] is True


@pytest.mark.parametrize("owner_org", [None, "", "   "])
def test_missing_organisation_is_the_only_error(app, world, owner_org):
    data = new_dataset(world, name="sans-organisation-api")
    if owner_org is None:
        data.pop("owner_org")
    else:
        data["owner_org"] = owner_org
    for headers in (world.editor_headers, world.admin_headers):
        error = error_of(api(app, "package_create", headers, **data), 409)
        fields = set(error) - {"__type", "message"}
        assert fields == {"owner_org"}, error
        assert error["owner_org"] == ["Un jeu de données appartient à une organisation : indiquez owner_org "
                                      "(l'identifiant ou le nom du partenaire qui le publie)."]


def test_a_draft_is_created_without_private(app, world):
    response = api(app, "package_create", world.editor_headers, **new_dataset(world, name="cree-sans-private"))
    assert response.status_code == 200, response.body
    assert response.json["result"]["private"] is True


# --- JSON errors of DataSud's actions --------------------------------------------------

@pytest.mark.parametrize("action,data,status,field_or_message", [
    ("datasud_workflow_show", {"id": "jeu-qui-n-existe-pas"}, 404, "Jeu de données introuvable"),
    ("datasud_workflow_submit", {"id": "jeu-qui-n-existe-pas"}, 404, "Jeu de données introuvable"),
    ("datasud_workflow_submit", {}, 409, "id"),
    ("datasud_workflow_show", {"id": 12}, 404, "Jeu de données introuvable"),
    ("datasud_workflow_show", {"id": ["a", "b"]}, 404, "Jeu de données introuvable"),
    ("datasud_convention_show", {"id": "convention-inconnue"}, 404, "Convention introuvable"),
    ("datasud_convention_show", {}, 409, "id"),
    ("datasud_convention_show", {"id": ["a"]}, 404, "Convention introuvable"),
    ("datasud_convention_update", {"id": {"x": 1}}, 404, "Convention introuvable"),
    ("datasud_convention_delete", {"id": "convention-inconnue"}, 404, "Convention introuvable"),
    ("datasud_workflow_legal_opinion", {"id": "publie-api", "opinion": "peut-être"}, 409, "opinion"),
    ("datasud_convention_create", {"organization_id": "partenaire-api", "reference": "C-1", "starts_on": "demain"},
     409, "starts_on"),
    ("datasud_convention_list", {"organization_id": "organisation-inconnue"}, 404, "Organisation introuvable"),
    ("datasud_publication_override_delete", {"organization_id": "organisation-inconnue"}, 404, None),
])
def test_errors_of_datasud_actions_are_ckans_json_in_french(app, world, action, data, status, field_or_message):
    error = error_of(api(app, action, world.admin_headers, **data), status)
    expected_type = {404: "Not Found Error", 409: "Validation Error", 403: "Authorization Error"}[status]
    assert error["__type"] == expected_type
    if status == 409:
        assert field_or_message in error, error
        text = " ".join(str(m) for m in error[field_or_message])
        assert text and not any(word in text for word in ("Missing value", "Invalid", "Unknown")), text
    elif field_or_message:
        assert field_or_message in error["message"], error


@pytest.mark.parametrize("action,data", [
    ("datasud_convention_list", {}), ("datasud_workflow_queue", {}),
    ("datasud_workflow_show", {"id": "brouillon-api"}), ("datasud_workflow_submit", {"id": "brouillon-api"}),
])
def test_anonymous_callers_get_a_french_403(app, world, action, data):
    error = error_of(api(app, action, None, **data), 403)
    assert error["__type"] == "Authorization Error"
    assert error["message"] and "not authorized" not in error["message"].lower()


def test_a_body_that_is_not_json_is_a_400(app, world):
    response = app.post("/api/3/action/datasud_workflow_show", data="{pas du json",
                        headers={**world.admin_headers, "Content-Type": "application/json"}, status=None)
    assert response.status_code == 400


def test_key_figures_and_partners_are_public(app, world):
    figures = api(app, "datasud_key_figures").json["result"]
    assert figures["datasets"] >= 1 and figures["partners_with_convention"] >= 1
    partners = api(app, "datasud_partner_list").json["result"]
    assert "partenaire-api" in [p["name"] for p in partners]
    assert all("scope_notes" not in p for p in partners)


def test_help_show_documents_datasud_actions(app, world):
    response = app.get("/api/3/action/help_show", query_string={"name": "datasud_workflow_submit"})
    assert response.status_code == 200
    assert ":param id:" in response.json["result"]


# --- CORS --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/3/action/package_search?q=api", "/api/3/action/datasud_key_figures",
                                  "/catalog.csv"])
def test_get_from_another_site_is_allowed(app, world, path):
    response = app.get(path, headers={"Origin": OTHER_SITE})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_preflight_is_answered(app, world):
    response = app.options("/api/3/action/package_search", headers={
        "Origin": OTHER_SITE, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization"}, status=None)
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_post_with_cookies_from_another_site_gets_no_credentials(app, world):
    """A browser sends a cross-site request with cookies only if the answer allows
    credentials, which "*" never does: a script elsewhere cannot act as the user."""
    response = app.post("/api/3/action/datasud_workflow_submit", json={"id": "brouillon-api"},
                        headers={"Origin": OTHER_SITE, "Cookie": "ckan=une-session-volee"}, status=None)
    assert response.headers.get("Access-Control-Allow-Origin") in (None, "*")
    assert response.headers.get("Access-Control-Allow-Credentials") != "true"
    assert response.status_code in (400, 403)
    assert helpers.call_action("datasud_workflow_show", {"user": world.sysadmin["name"]},
                               id=world.draft["id"])["state"] == "draft"


def test_the_json_errors_carry_cors_headers_too(app, world):
    response = app.get("/api/3/action/datasud_workflow_show?id=inconnu", headers={"Origin": OTHER_SITE}, status=None)
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(response.body)["success"] is False
