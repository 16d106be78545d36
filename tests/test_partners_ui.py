"""The web UI of partner conventions: the Partenaires page, the Conventions tab of an
organisation with its forms, and the key figures of the home page."""
from __future__ import annotations

import datetime as dt
import io
import os
import re

import pytest
from bs4 import BeautifulSoup

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories

from ckanext.datasud.model import Convention
from tests import factories

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


# --- Fixtures and tools ------------------------------------------------------------------

def headers_of(user) -> dict:
    return {"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}


@pytest.fixture
def sysadmin():
    user = ckan_factories.Sysadmin()
    user["headers"] = headers_of(user)
    return user


@pytest.fixture
def org_admin():
    user = ckan_factories.User()
    user["headers"] = headers_of(user)
    return user


@pytest.fixture
def partner(org_admin):
    """A partner with a convention in force since 15/01/2020 (CONV-ville-test), and its admin."""
    return factories.Organization(name="ville-test", title="Ville de Test", partner_type="commune",
                                  users=[{"name": org_admin["name"], "capacity": "admin"}])


def add_convention(org, reference, status="in_force", starts_on=dt.date(2021, 3, 1), ends_on=None,
                   kind="partnership"):
    model.Session.add(Convention(organization_id=org["id"], reference=reference, kind=kind, status=status,
                                 starts_on=starts_on, ends_on=ends_on, created_by="test"))
    model.Session.commit()


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.body, "html.parser")


def text(element) -> str:
    """The text of an element, with its white space (and the French thousands separator) as single spaces."""
    return re.sub(r"[\s\u202f\xa0]+", " ", element.get_text(" ")).strip()


def conventions_of(org) -> list[Convention]:
    model.Session.expire_all()
    return model.Session.query(Convention).filter_by(organization_id=org["id"]).order_by(Convention.reference).all()


FORM = {"reference": "CONV-2024-042", "kind": "harvesting", "status": "in_force", "signed_on": "2024-01-10",
        "starts_on": "2024-02-01", "ends_on": "2029-01-31",
        "signatories": "Le Président de Région ; la Maire de Test",
        "document_url": "", "scope_notes": "Moissonnage du catalogue CSW de la ville."}


# --- The Partenaires page ----------------------------------------------------------------

def test_partners_page_lists_the_partners_in_force_only(app, partner):
    factories.Dataset(owner_org=partner["id"])
    factories.Dataset(owner_org=partner["id"])
    factories.Dataset(owner_org=partner["id"], private=True)  # not counted: private
    model.Group.get(partner["id"]).image_url = ""  # no logo: the placeholder
    model.Session.commit()
    crige = factories.Organization(name="crige-test", title="CRIGE de test", partner_type="association",
                                   convention=False)
    add_convention(crige, "CONV-CRIGE", starts_on=dt.date(2012, 9, 1))
    ckan_factories.Organization(name="sans-convention", title="Association sans convention")
    suspended = ckan_factories.Organization(name="suspendue", title="Commune suspendue")
    add_convention(suspended, "CONV-SUSP", status="suspended")
    expired = ckan_factories.Organization(name="expiree", title="Syndicat expiré")
    add_convention(expired, "CONV-EXP", starts_on=dt.date(2015, 1, 1), ends_on=dt.date(2020, 12, 31))
    draft = ckan_factories.Organization(name="brouillon", title="Agence en projet")
    add_convention(draft, "CONV-DRAFT", status="draft")

    response = app.get("/partenaires")
    assert response.status_code == 200
    page = soup(response)
    assert '<html lang="fr"' in response.body
    assert "Les partenaires de DataSud" in text(page.find("h1"))
    assert "signant une convention avec la Région" in response.body

    cards = page.select(".datasud-partner")
    assert [text(card.select_one(".datasud-partner-name")) for card in cards] == ["CRIGE de test", "Ville de Test"]
    for absent in ("Association sans convention", "Commune suspendue", "Syndicat expiré", "Agence en projet"):
        assert absent not in response.body

    ville = page.select_one('.datasud-partner[data-partner="ville-test"]')
    assert ville.select_one(".datasud-partner-name")["href"] == "/organization/ville-test"
    assert text(ville.select_one(".datasud-partner-type")) == "Commune"
    assert text(ville.select_one(".datasud-partner-since")) == "Partenaire depuis le 15/01/2020"
    datasets = ville.select_one(".datasud-partner-datasets a")
    assert text(datasets) == "2 jeux de données publics" and datasets["href"] == "/organization/ville-test"
    assert "placeholder-organization" in ville.select_one("img.datasud-partner-logo")["src"]

    crige_card = page.select_one('.datasud-partner[data-partner="crige-test"]')
    assert text(crige_card.select_one(".datasud-partner-since")) == "Partenaire depuis le 01/09/2012"
    assert text(crige_card.select_one(".datasud-partner-datasets")) == "0 jeu de données public"
    assert text(crige_card.select_one(".datasud-partner-type")) == "Association"


def test_partners_page_in_english(app, partner):
    factories.Dataset(owner_org=partner["id"])
    response = app.get("/en/partenaires")
    assert response.status_code == 200 and '<html lang="en"' in response.body
    card = soup(response).select_one('.datasud-partner[data-partner="ville-test"]')
    assert text(card.select_one(".datasud-partner-since")) == "Partner since 15/01/2020"
    assert text(card.select_one(".datasud-partner-datasets")) == "1 public dataset"
    assert text(card.select_one(".datasud-partner-type")) == "Municipality"


def test_partners_page_shows_a_logo(app):
    factories.Organization(name="logo-test", title="Partenaire au logo", image_url="https://example.org/logo.png")
    card = soup(app.get("/partenaires")).select_one('.datasud-partner[data-partner="logo-test"]')
    assert card.select_one("img.datasud-partner-logo")["src"] == "https://example.org/logo.png"


# --- The Conventions tab: who sees it ----------------------------------------------------

def tab_link(response):
    return soup(response).select_one('a[href="/organization/conventions/ville-test"]')


def test_conventions_tab_for_the_programme_team(app, sysadmin, partner):
    assert tab_link(app.get("/organization/ville-test", headers=sysadmin["headers"])) is not None

    response = app.get("/organization/conventions/ville-test", headers=sysadmin["headers"])
    assert response.status_code == 200
    page = soup(response)
    row = page.select_one('tr.datasud-convention[data-reference="CONV-ville-test"]')
    assert text(row.select_one(".datasud-convention-kind")) == "Convention de partenariat"
    assert text(row.select_one(".datasud-convention-status .datasud-in-force")) == "En vigueur"
    assert text(row.select_one(".datasud-convention-period")) == "depuis le 15/01/2020, sans date de fin"
    assert text(row.select_one(".datasud-convention-signed")) == "signée le 10/01/2020"
    assert text(row.select_one(".datasud-convention-document")) == "—"
    assert "Ville de Test a une convention en vigueur" in text(page.select_one(".datasud-convention-state"))
    # the programme team manages them
    new = page.select_one("a.datasud-convention-new")
    assert new["href"] == "/organization/conventions/ville-test/new" and "Enregistrer une convention" in text(new)
    convention = conventions_of(partner)[0]
    assert row.select_one(f'a[href="/organization/conventions/ville-test/{convention.id}/edit"]') is not None
    assert row.select_one(f'a[href="/organization/conventions/ville-test/{convention.id}/delete"]') is not None
    # the tab is the active one
    assert "active" in " ".join(tab_link(response).parent.get("class", []) + tab_link(response).get("class", []))


def test_conventions_tab_for_the_organisation_admin_read_only(app, org_admin, partner):
    assert tab_link(app.get("/organization/ville-test", headers=org_admin["headers"])) is not None

    response = app.get("/organization/conventions/ville-test", headers=org_admin["headers"])
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one('tr.datasud-convention[data-reference="CONV-ville-test"]') is not None
    assert page.select_one("a.datasud-convention-new") is None
    assert page.select('a[href^="/organization/conventions/ville-test/"]') == []  # no new, edit, delete
    assert "Les conventions sont enregistrées par l'équipe du programme DataSud" in text(page)

    # reading is all an organisation's admin may do
    convention = conventions_of(partner)[0]
    assert app.get("/organization/conventions/ville-test/new", headers=org_admin["headers"],
                   status=None).status_code == 403
    assert app.post("/organization/conventions/ville-test/new", data=FORM, headers=org_admin["headers"],
                    status=None).status_code == 403
    assert app.post(f"/organization/conventions/ville-test/{convention.id}/edit", data=FORM,
                    headers=org_admin["headers"], status=None).status_code == 403
    assert app.post(f"/organization/conventions/ville-test/{convention.id}/delete", data={"delete": ""},
                    headers=org_admin["headers"], status=None).status_code == 403
    assert [c.reference for c in conventions_of(partner)] == ["CONV-ville-test"]
    assert conventions_of(partner)[0].kind == "partnership"


def test_conventions_tab_is_refused_to_others(app, partner):
    editor = ckan_factories.User()
    tk.get_action("organization_member_create")(
        {"ignore_auth": True}, {"id": partner["id"], "username": editor["name"], "role": "editor"})
    stranger = ckan_factories.User()

    for headers in ({}, headers_of(editor), headers_of(stranger)):
        assert tab_link(app.get("/organization/ville-test", headers=headers)) is None
        for url in ("/organization/conventions/ville-test", "/organization/conventions/ville-test/new"):
            assert app.get(url, headers=headers, status=None).status_code == 403, (url, headers)
        assert app.post("/organization/conventions/ville-test/new", data=FORM, headers=headers,
                        status=None).status_code in (400, 403)  # 400: refused on CSRF first
    assert [c.reference for c in conventions_of(partner)] == ["CONV-ville-test"]


def test_unknown_organisation_or_convention_is_404(app, sysadmin, partner):
    assert app.get("/organization/conventions/inconnue", headers=sysadmin["headers"], status=None).status_code == 404
    assert app.get("/organization/conventions/inconnue/new", headers=sysadmin["headers"],
                   status=None).status_code == 404
    assert app.get("/organization/conventions/ville-test/pas-un-id/edit", headers=sysadmin["headers"],
                   status=None).status_code == 404
    # a convention of another organisation is not reachable through this one
    other = factories.Organization(name="autre-partenaire")
    foreign = conventions_of(other)[0]
    assert app.get(f"/organization/conventions/ville-test/{foreign.id}/edit", headers=sysadmin["headers"],
                   status=None).status_code == 404
    assert app.post(f"/organization/conventions/ville-test/{foreign.id}/delete", data={"delete": ""},
                    headers=sysadmin["headers"], status=None).status_code == 404
    assert len(conventions_of(other)) == 1


# --- The forms -----------------------------------------------------------------------------

def test_new_convention_form(app, sysadmin, partner):
    response = app.get("/organization/conventions/ville-test/new", headers=sysadmin["headers"])
    assert response.status_code == 200
    form = soup(response).select_one("form#datasud-convention-form")
    assert form["method"] == "post" and form["enctype"] == "multipart/form-data"
    assert form["action"] == "/organization/conventions/ville-test/new"
    assert form.select_one('input[type="hidden"][name="_csrf_token"], input[type="hidden"][name="csrf_token"]')
    assert [o["value"] for o in form.select("select#field-kind option")] == [
        "partnership", "data_opening_support", "harvesting"]
    assert [text(o) for o in form.select("select#field-kind option")] == [
        "Convention de partenariat", "Accompagnement à l'ouverture des données", "Convention de moissonnage"]
    assert [text(o) for o in form.select("select#field-status option")] == [
        "Brouillon", "En vigueur", "Suspendue", "Expirée", "Résiliée"]
    assert form.select_one('input[type="date"][name="starts_on"]') is not None
    assert form.select_one('input[type="file"][name="document_upload"]') is not None
    assert form.select_one('input[name="document_url"]') is not None


def test_create_a_convention_through_the_form(app, sysadmin, partner):
    data = dict(FORM, document_upload=(io.BytesIO(b"%PDF-1.4 convention scannee"), "convention-2024-042.pdf"))
    response = app.post("/organization/conventions/ville-test/new", data=data, headers=sysadmin["headers"],
                        follow_redirects=False)
    assert response.status_code == 302, response.body
    assert response.headers["Location"].endswith("/organization/conventions/ville-test")

    stored = {c.reference: c for c in conventions_of(partner)}["CONV-2024-042"]
    assert (stored.kind, stored.status) == ("harvesting", "in_force")
    assert (stored.signed_on, stored.starts_on, stored.ends_on) == (
        dt.date(2024, 1, 10), dt.date(2024, 2, 1), dt.date(2029, 1, 31))
    assert stored.signatories == FORM["signatories"] and stored.scope_notes == FORM["scope_notes"]
    assert stored.created_by == sysadmin["name"]
    assert re.fullmatch(r"http://[^/]+/partenaires/conventions/document/[-0-9.]*convention-2024-042\.pdf",
                        stored.document_url)
    name = stored.document_url.rsplit("/", 1)[1]
    saved = os.path.join(tk.config["ckan.storage_path"], "storage", "uploads", "conventions", name)
    with open(saved, "rb") as f:
        assert f.read() == b"%PDF-1.4 convention scannee"

    listed = app.get("/organization/conventions/ville-test", headers=sysadmin["headers"])
    row = soup(listed).select_one('tr.datasud-convention[data-reference="CONV-2024-042"]')
    assert text(row.select_one(".datasud-convention-kind")) == "Convention de moissonnage"
    assert text(row.select_one(".datasud-in-force")) == "En vigueur"
    assert text(row.select_one(".datasud-convention-dates")) == "du 01/02/2024 au 31/01/2029 signée le 10/01/2024"
    assert text(row.select_one(".datasud-convention-notes")) == FORM["scope_notes"]
    assert row.select_one(f'a[href="{stored.document_url}"]') is not None


def test_create_with_a_document_link(app, sysadmin, partner):
    data = dict(FORM, document_url="https://ged.maregionsud.fr/conventions/2024-042.pdf", status="draft")
    response = app.post("/organization/conventions/ville-test/new", data=data, headers=sysadmin["headers"],
                        follow_redirects=False)
    assert response.status_code == 302, response.body
    stored = {c.reference: c for c in conventions_of(partner)}["CONV-2024-042"]
    assert stored.document_url == "https://ged.maregionsud.fr/conventions/2024-042.pdf"
    assert stored.status == "draft"


def test_bad_form_shows_french_field_errors_and_keeps_the_input(app, sysadmin, partner):
    data = dict(FORM, kind="amitie", starts_on="2024-06-01", ends_on="2024-01-01")
    response = app.post("/organization/conventions/ville-test/new", data=data, headers=sysadmin["headers"])
    assert response.status_code == 200
    page = soup(response)
    form = page.select_one("form#datasud-convention-form")

    def field_error(field_id):
        return text(form.select_one(f"#{field_id}").find_parent(class_="form-group").select_one(".error-block"))

    assert field_error("field-ends-on") == "La date de fin (2024-01-01) est antérieure à la date de début (2024-06-01)."
    assert field_error("field-kind").startswith("Valeur inconnue : « amitie ».")
    assert "Le formulaire contient des entrées invalides" in text(page.select_one(".error-explanation"))
    assert "Date de fin" in text(page.select_one(".error-explanation"))
    # nothing typed is lost
    assert form.select_one("#field-reference")["value"] == "CONV-2024-042"
    assert form.select_one("#field-starts-on")["value"] == "2024-06-01"
    assert form.select_one("#field-ends-on")["value"] == "2024-01-01"
    assert form.select_one("#field-signed-on")["value"] == "2024-01-10"
    assert form.select_one("#field-signatories")["value"] == FORM["signatories"]
    assert form.select_one("#field-scope-notes").get_text() == FORM["scope_notes"]
    assert form.select_one("#field-status option[selected]")["value"] == "in_force"
    assert [c.reference for c in conventions_of(partner)] == ["CONV-ville-test"]


def form_errors(response) -> dict[str, str]:
    """The error shown under each field of the convention form, by field name."""
    form = soup(response).select_one("form#datasud-convention-form")
    return {block.find_parent(class_="form-group").select_one("input, select, textarea")["name"]: text(block)
            for block in form.select(".error-block")}


def test_missing_start_date(app, sysadmin, partner):
    response = app.post("/organization/conventions/ville-test/new", headers=sysadmin["headers"],
                        data=dict(FORM, starts_on="", reference=""))
    assert response.status_code == 200
    assert form_errors(response) == {"starts_on": "Valeur manquante", "reference": "Valeur manquante"}
    assert [c.reference for c in conventions_of(partner)] == ["CONV-ville-test"]


def test_duplicate_reference(app, sysadmin, partner):
    response = app.post("/organization/conventions/ville-test/new", headers=sysadmin["headers"],
                        data=dict(FORM, reference="CONV-ville-test"))
    assert response.status_code == 200
    assert form_errors(response) == {"reference": "Une convention de référence « CONV-ville-test » existe déjà."}
    assert [c.reference for c in conventions_of(partner)] == ["CONV-ville-test"]


def test_edit_a_convention(app, sysadmin, partner):
    convention = conventions_of(partner)[0]
    url = f"/organization/conventions/ville-test/{convention.id}/edit"
    form = soup(app.get(url, headers=sysadmin["headers"])).select_one("form#datasud-convention-form")
    assert form["action"] == url
    assert form.select_one("#field-reference")["value"] == "CONV-ville-test"
    assert form.select_one("#field-starts-on")["value"] == "2020-01-15"
    assert form.select_one("#field-kind option[selected]")["value"] == "partnership"

    response = app.post(url, headers=sysadmin["headers"], follow_redirects=False, data={
        "reference": "CONV-ville-test", "kind": "partnership", "status": "suspended", "signed_on": "2020-01-10",
        "starts_on": "2020-01-15", "ends_on": "2026-12-31", "signatories": "Les deux présidents",
        "document_url": "", "scope_notes": ""})
    assert response.status_code == 302, response.body
    changed = conventions_of(partner)[0]
    assert (changed.status, changed.ends_on, changed.signatories) == (
        "suspended", dt.date(2026, 12, 31), "Les deux présidents")
    assert changed.modified_by == sysadmin["name"]

    listed = app.get("/organization/conventions/ville-test", headers=sysadmin["headers"])
    row = soup(listed).select_one('tr.datasud-convention[data-reference="CONV-ville-test"]')
    assert text(row.select_one(".datasud-convention-status")) == "Suspendue"
    assert row.select_one(".datasud-in-force") is None
    assert text(row.select_one(".datasud-convention-period")) == "du 15/01/2020 au 31/12/2026"
    assert "Ville de Test n'a aucune convention en vigueur" in text(soup(listed))

    # a bad change is refused and shown, the stored convention untouched
    bad = app.post(url, headers=sysadmin["headers"], data={
        "reference": "CONV-ville-test", "kind": "partnership", "status": "in_force",
        "starts_on": "2020-01-15", "ends_on": "2019-01-01"})
    assert bad.status_code == 200
    assert "La date de fin (2019-01-01) est antérieure à la date de début (2020-01-15)." in bad.body
    assert conventions_of(partner)[0].ends_on == dt.date(2026, 12, 31)


def test_delete_a_convention_after_confirmation(app, sysadmin, partner):
    convention = conventions_of(partner)[0]
    url = f"/organization/conventions/ville-test/{convention.id}/delete"
    page = soup(app.get(url, headers=sysadmin["headers"]))
    form = page.select_one("form#datasud-convention-delete-form")
    assert form["method"] == "post" and form["action"] == url
    assert "Supprimer la convention CONV-ville-test ?" in text(page)

    cancelled = app.post(url, data={"cancel": ""}, headers=sysadmin["headers"], follow_redirects=False)
    assert cancelled.status_code == 302 and len(conventions_of(partner)) == 1

    deleted = app.post(url, data={"delete": ""}, headers=sysadmin["headers"], follow_redirects=False)
    assert deleted.status_code == 302 and deleted.headers["Location"].endswith("/organization/conventions/ville-test")
    assert conventions_of(partner) == []
    listed = app.get("/organization/conventions/ville-test", headers=sysadmin["headers"])
    assert "Aucune convention n'a été enregistrée pour cette organisation." in text(soup(listed))


def test_programme_team_member_manages_conventions(app, partner, ckan_config, monkeypatch):
    member = ckan_factories.User(name="charge-de-mission")
    monkeypatch.setitem(ckan_config, "ckanext.datasud.programme_team", [member["name"]])
    headers = headers_of(member)
    response = app.get("/organization/conventions/ville-test", headers=headers)
    assert soup(response).select_one("a.datasud-convention-new") is not None
    created = app.post("/organization/conventions/ville-test/new", data=FORM, headers=headers, follow_redirects=False)
    assert created.status_code == 302
    assert [c.reference for c in conventions_of(partner)] == ["CONV-2024-042", "CONV-ville-test"]


# --- The key figures of the home page ----------------------------------------------------

def test_home_page_shows_the_key_figures(app, clean_redis, partner, ckan_config, monkeypatch):
    from ckanext.datasud.model import Reuse
    for number, state in enumerate(("published", "published", "pending", "rejected")):  # published ones count
        model.Session.add(Reuse(title=f"Réutilisation {number}", description="Pour les chiffres clés.",
                                url="https://exemple.fr", reuse_type="application", state=state, user_id="test"))
    model.Session.commit()
    from ckan.lib.redis import connect_to_redis
    from ckanext.datasud.services import DOWNLOADS_KEY

    other = factories.Organization(name="autre-partenaire")
    factories.Dataset(owner_org=partner["id"])
    factories.Dataset(owner_org=partner["id"])
    factories.Dataset(owner_org=other["id"])
    factories.Dataset(owner_org=other["id"], private=True)
    no_convention = ckan_factories.Organization(name="sans-convention")
    factories.Dataset(owner_org=no_convention["id"], private=True)
    connect_to_redis().hset(DOWNLOADS_KEY, "total", 12345)

    response = app.get("/")
    assert response.status_code == 200
    block = soup(response).select_one(".datasud-key-figures")
    assert "Chiffres clés" in text(block.find("h2"))
    figures = {li["data-figure"]: (text(li.select_one(".datasud-key-figure-number")),
                                   text(li.select_one(".datasud-key-figure-label")))
               for li in block.select(".datasud-key-figure")}
    assert figures == {
        "partners_with_convention": ("2", "partenaires sous convention"),
        "producer_organisations": ("2", "organisations productrices"),
        "datasets": ("3", "jeux de données"),
        "reuses": ("2", "réutilisations déclarées"),
        "downloads": ("12 345", "téléchargements"),
    }
    partners = block.select_one('[data-figure="partners_with_convention"] a')
    assert partners["href"] == "/partenaires"
    assert len(block.select('a[href="/partenaires"]')) == 2  # the figure, and "see the partners"
    # the rest of CKAN's home page is still there
    assert soup(response).select_one("#field-main-search") is not None
