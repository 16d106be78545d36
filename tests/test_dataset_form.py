"""The partner's dataset form (issue 12): sections, themes as checkboxes, the area picker's
territories, errors next to their field (a folded section opened), odd inputs.

HTTP level, as a partner's editor (an organisation with a convention in force) who uses
the form before the validation workflow: what the form posts is what a browser without
JavaScript posts (tests/test_browser_form.py drives the map and the picker).
"""
from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud import dataset_form, vocabularies
from ckanext.datasud.logic import validators
from tests import factories


MARSEILLE = '{"type":"Polygon","coordinates":[[[5.23,43.17],[5.53,43.17],[5.53,43.39],[5.23,43.39],[5.23,43.17]]]}'


@pytest.fixture(scope="module")
def partner(clean_module_db):
    """A partner (convention in force) and one of its editors, with an API token, in a
    database cleaned once for the module: each test names its datasets apart."""
    org = factories.Organization(name="ville-test", title="Ville de Test")
    editor = ckan_factories.User(name="editrice-ville-test")
    helpers.call_action("organization_member_create", id=org["id"], username=editor["name"], role="editor")
    token = ckan_factories.APIToken(user=editor["name"])["token"]
    return {"org": org, "user": editor, "headers": {"Authorization": token}}


@pytest.fixture(scope="module")
def app(partner):
    """One web app for the module (CKAN's ``app`` fixture makes one per test)."""
    return helpers._get_test_app()


def form(partner, name, **extra):
    """What the form posts, the boxes of two themes ticked (the same key twice)."""
    data = {"name": name, "title": "Jeu du formulaire", "notes": "Saisi dans le formulaire.",
            "owner_org": partner["org"]["id"], "private": "True", "themes": ["mobilite-transports", "economie"],
            "tag_string": "", "publication_mode": "download", "url": "", "license_id": "etalab-2.0",
            "granularity": "indefinie", "spatial_level": "", "spatial_code": "", "spatial_text": "", "spatial": "",
            "save": "continue"}
    data.update(extra)
    return data


def post(app, partner, name, **extra):
    return app.post("/dataset/new", data=form(partner, name, **extra), headers=partner["headers"],
                    follow_redirects=False, status=None)


def soup(body: str) -> BeautifulSoup:
    return BeautifulSoup(body, "html.parser")


def section(page: BeautifulSoup, section_id: str):
    return page.find(id=f"form-section-{section_id}")


def field_names(node) -> list[str]:
    names = []
    for el in node.find_all(["input", "select", "textarea"]):
        name = el.get("name")
        if name and name not in names and el.get("type") != "hidden":
            names.append(name)
    return names


def test_the_form_is_in_french_in_four_sections(app, partner):
    page = soup(app.get("/dataset/new", headers=partner["headers"]).body)
    titles = [h.get_text(strip=True) for h in page.select("#dataset-edit .datasud-form-section-title")]
    assert titles == ["L'essentiel", "Contact et mise à jour", "Couverture géographique", "Détails INSPIRE"]

    essentials = field_names(section(page, "essentials"))
    assert essentials[:5] == ["title", "name", "notes", "themes", "tag_string"]
    order = [essentials.index(name) for name in ("owner_org", "license_id", "publication_mode", "url")]
    assert order == sorted(order)  # the producer, the licence, then the publication mode
    assert "spatial" not in essentials and "inspire_theme" not in essentials
    assert field_names(section(page, "contact"))[:2] == ["contact_name", "contact_email"]
    assert {"frequency", "temporal_start", "temporal_end", "issued", "modified", "version"} <= \
        set(field_names(section(page, "contact")))
    assert {"spatial_level", "spatial_code", "spatial_text", "spatial", "granularity"} <= \
        set(field_names(section(page, "geography")))
    assert set(field_names(section(page, "inspire"))) == \
        {"inspire_theme", "provenance", "spatial_resolution_in_meters", "inspire_conformity"}

    # the geographic and INSPIRE details are folded; the basics are not
    for folded in ("geography", "inspire"):
        node = section(page, folded)
        assert node.name == "details" and not node.has_attr("open")
    assert section(page, "essentials").name == "section"
    # the raw GeoJSON is folded once more, for experts; map and picker wait for JavaScript
    geojson = page.find("textarea", id="field-spatial").find_parent("details")
    assert geojson is not None and not geojson.has_attr("open")
    assert page.select_one(".datasud-territory-picker").has_attr("hidden")
    assert page.select_one(".datasud-extent").has_attr("hidden")
    territories_url = section(page, "geography")["data-module-territories"]
    assert territories_url.endswith("/datasud/territoires.json")
    messages = json.loads(section(page, "geography")["data-module-messages"])
    assert messages["draw"]["rectangle"] == "Dessiner un rectangle"


def test_themes_are_a_grid_of_checkboxes_with_french_labels(app, partner):
    page = soup(app.get("/dataset/new", headers=partner["headers"]).body)
    assert page.find("select", attrs={"name": "themes"}) is None
    boxes = page.select('#field-themes input[type="checkbox"][name="themes"]')
    assert [b["value"] for b in boxes] == [t.slug for t in vocabularies.THEMES]
    for box, theme in zip(boxes, vocabularies.THEMES):
        label = page.find("label", attrs={"for": box["id"]})
        assert label.get_text(strip=True) == theme.fr
    assert page.select_one("#field-themes legend").get_text(" ", strip=True) == "* Thèmes"


def test_no_english_left_and_the_metadata_notice_names_the_licence_ouverte(app, partner):
    body = app.get("/dataset/new", headers=partner["headers"]).body
    page = soup(body)
    for english in ("You can use", "Markdown formatting", "Bold text", "Full markdown syntax", "opendatacommons.org"):
        assert english not in body
    actions = page.select_one("#dataset-edit .form-actions").get_text()
    assert "Open Database License" not in actions and "ODbL" not in actions  # only a licence to choose
    assert page.select_one("#field-notes ~ .datasud-markdown-hint, .datasud-markdown-hint summary") is not None
    assert "Vous pouvez mettre ce texte en forme avec Markdown" in body
    notice = page.select_one(".datasud-form-notice")
    text = " ".join(notice.get_text().split())
    assert "La licence choisie ci-dessus s'applique aux données" in text
    assert "Licence Ouverte / Open Licence version 2.0 (Etalab)" in text
    assert notice.find("a")["href"] == "/licence"


def test_a_dataset_from_the_form_gets_the_same_themes_as_from_the_api(app, partner):
    response = post(app, partner, "jeu-du-formulaire")
    assert response.status_code == 302, response.body
    from_form = helpers.call_action("package_show", id="jeu-du-formulaire")
    from_api = helpers.call_action(
        "package_create", {"user": partner["user"]["name"]}, name="jeu-de-l-api", title="Jeu de l'API",
        notes="Par l'API.", owner_org=partner["org"]["id"], private=True, themes=["mobilite-transports", "economie"])
    assert from_form["themes"] == from_api["themes"] == ["economie", "mobilite-transports"]
    assert from_form["private"] is True  # a draft, before the validation workflow
    assert helpers.call_action("datasud_workflow_show", {"user": partner["user"]["name"]},
                               id=from_form["id"])["state"] == "draft"

    # one box ticked posts one value, stored as a list of one theme
    assert post(app, partner, "un-seul-theme", themes="economie").status_code == 302
    assert helpers.call_action("package_show", id="un-seul-theme")["themes"] == ["economie"]

    # the edit form shows the stored themes ticked, the others not
    page = soup(app.get("/dataset/edit/jeu-du-formulaire", headers=partner["headers"]).body)
    ticked = [b["value"] for b in page.select('#field-themes input[name="themes"]') if b.has_attr("checked")]
    assert ticked == ["economie", "mobilite-transports"]


def test_a_dataset_with_an_area_picked(app, partner):
    """What the picker fills for Marseille: level, INSEE code, name, its bounding box."""
    response = post(app, partner, "jeu-marseille", spatial_level="commune", spatial_code="13055", spatial_text="Marseille",
                    spatial=MARSEILLE)
    assert response.status_code == 302, response.body
    dataset = helpers.call_action("package_show", id="jeu-marseille")
    assert (dataset["spatial_level"], dataset["spatial_code"], dataset["spatial_text"]) == \
        ("commune", "13055", "Marseille")
    assert json.loads(dataset["spatial"]) == json.loads(MARSEILLE)
    # the edit form keeps the geographic section folded (no error) with the values in it
    page = soup(app.get("/dataset/edit/jeu-marseille", headers=partner["headers"]).body)
    assert not section(page, "geography").has_attr("open")
    assert page.find("input", id="field-spatial_code")["value"] == "13055"
    assert json.loads(page.find("textarea", id="field-spatial").get_text()) == json.loads(MARSEILLE)


def test_the_territories_of_the_picker(app, partner):
    response = app.get("/datasud/territoires.json")
    assert response.status_code == 200
    data = json.loads(response.body)
    assert data == dataset_form.territories()
    region = data["region"]["bbox"]
    assert [d["code"] for d in data["departements"]] == ["04", "05", "06", "13", "83", "84"]
    for d in data["departements"]:
        west, south, east, north = d["bbox"]
        assert region[0] <= west < east <= region[2] and region[1] <= south < north <= region[3]
    commune_code = validators.SPATIAL_CODES["commune"][0]
    assert len(data["communes"]) == 946 and len({c[0] for c in data["communes"]}) == 946
    epci_codes = {e["code"] for e in data["epci"]}
    for code, name, epci in data["communes"]:
        assert commune_code.match(code) and code[:2] in {"04", "05", "06", "13", "83", "84"} and name
        assert epci in epci_codes or epci == ""
    assert all(validators.siren_ok(code) for code in epci_codes)

    assert dataset_form.territory("commune", "13055") == {
        "code": "13055", "name": "Marseille", "bbox": [5.23, 43.17, 5.53, 43.39]}
    assert dataset_form.territory("departement", "83")["name"] == "Var"
    assert dataset_form.territory("epci", "200054807")["name"] == "Métropole d'Aix-Marseille-Provence"
    assert dataset_form.territory("region", "93")["name"] == "Provence-Alpes-Côte d'Azur"
    for level, code in (("commune", "75056"), ("departement", "75"), ("region", "11"), ("epci", "nope"),
                        ("commune", ""), ("canton", "13055")):
        assert dataset_form.territory(level, code) is None


def test_no_theme_ticked_is_a_french_error_next_to_the_themes(app, partner):
    data = form(partner, "jeu-sans-theme")
    del data["themes"]  # no box ticked: the browser sends nothing
    response = app.post("/dataset/new", data=data, headers=partner["headers"], status=None)
    assert response.status_code == 200
    page = soup(response.body)
    error = page.select_one("#field-themes .error-block")
    assert error.get_text(strip=True) == "Choisissez au moins une valeur."
    assert page.select_one("#field-themes")["aria-describedby"] == error["id"]
    assert page.find("input", id="field-title")["value"] == "Jeu du formulaire"  # nothing typed is lost
    assert helpers.call_action("package_search", q="name:jeu-sans-theme", include_drafts=True,
                               include_private=True)["count"] == 0


def test_a_theme_that_does_not_exist(app, partner):
    response = post(app, partner, "jeu-theme-inconnu", themes=["economie", "pas-un-theme", "<script>alert(1)</script>"])
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.body
    page = soup(response.body)
    error = page.select_one("#field-themes .error-block").get_text(strip=True)
    assert error.startswith("Valeur inconnue : « pas-un-theme, <script>alert(1)</script> »")
    # the real theme stays ticked for the next try
    ticked = [b["value"] for b in page.select('#field-themes input[name="themes"]') if b.has_attr("checked")]
    assert ticked == ["economie"]
    assert helpers.call_action("package_search", q="name:jeu-theme-inconnu", include_drafts=True,
                               include_private=True)["count"] == 0


@pytest.mark.parametrize("value, message", [
    ("{type: Polygon", "GeoJSON invalide : ce n'est pas du JSON"),
    ('{"type": "Feature"}', "GeoJSON invalide"),
    ('{"type":"Point","coordinates":[543000, 6250000]}', "GeoJSON invalide"),  # Lambert 93, not WGS 84
])
def test_a_geojson_that_is_not_one_opens_the_folded_sections(app, partner, value, message):
    response = post(app, partner, "jeu-geojson", spatial=value)
    assert response.status_code == 200
    page = soup(response.body)
    geography = section(page, "geography")
    assert geography.has_attr("open") and not section(page, "inspire").has_attr("open")
    textarea = page.find("textarea", id="field-spatial")
    assert textarea.find_parent("details").has_attr("open")  # the expert's box too
    assert textarea.get_text() == value  # kept as typed
    error = textarea.find_parent(class_="form-group").select_one(".error-block").get_text()
    assert error.startswith(message)
    # the summary at the top names the field in French too
    assert "Emprise géographique (GeoJSON)" in page.select_one(".error-explanation").get_text()


def test_an_insee_code_outside_the_region(app, partner):
    """The schema describes any French territory (a partner's data may cover Paris): the
    code is kept as given, and no extent is invented for it."""
    assert dataset_form.territory("commune", "75056") is None
    response = post(app, partner, "jeu-paris", spatial_level="commune", spatial_code="75056", spatial_text="Paris")
    assert response.status_code == 302, response.body
    dataset = helpers.call_action("package_show", id="jeu-paris")
    assert (dataset["spatial_code"], dataset["spatial_text"]) == ("75056", "Paris")
    assert not dataset.get("spatial")


@pytest.mark.parametrize("level, code, message", [
    ("commune", "13 05X", "Code INSEE de commune invalide"),
    ("departement", "99", "Code de département invalide"),
    ("epci", "200054808", "Numéro SIREN invalide"),
    ("", "13055", "Indiquez le niveau de la couverture géographique"),
])
def test_a_bad_code_is_an_error_in_the_opened_section(app, partner, level, code, message):
    response = post(app, partner, "jeu-code", spatial_level=level, spatial_code=code)
    assert response.status_code == 200
    page = soup(response.body)
    assert section(page, "geography").has_attr("open")
    group = page.find("input", id="field-spatial_code").find_parent(class_="form-group")
    assert message in group.select_one(".error-block").get_text()
    assert page.find("input", id="field-spatial_code")["value"].replace(" ", "") == code.replace(" ", "")


def test_an_inspire_error_opens_the_inspire_section_only(app, partner):
    response = post(app, partner, "jeu-inspire", spatial_resolution_in_meters="vingt-cinq")
    assert response.status_code == 200
    page = soup(response.body)
    assert section(page, "inspire").has_attr("open") and not section(page, "geography").has_attr("open")
    group = page.find("input", id="field-spatial_resolution_in_meters").find_parent(class_="form-group")
    assert re.search(r"Nombre invalide", group.select_one(".error-block").get_text())


def test_form_sections_helper_keeps_every_field():
    """A field the schema gives no section joins the one before it; none is lost."""
    fields = [{"field_name": "title", "form_section": "essentials"}, {"field_name": "new_one"},
              {"field_name": "contact_name", "form_section": "contact"}, {"field_name": "hidden", "form_snippet": None},
              {"field_name": "later"}, {"field_name": "x", "form_section": "unknown-section"}]
    sections = dataset_form.datasud_form_sections(fields, {"later": ["bad"]})
    assert [(s["id"], [f["field_name"] for f in s["fields"]], s["has_error"]) for s in sections] == [
        ("essentials", ["title", "new_one"], False), ("contact", ["contact_name", "later", "x"], True)]
    assert dataset_form.datasud_form_selected('["a", "b"]') == ["a", "b"]
    assert dataset_form.datasud_form_selected("a") == ["a"]
    assert dataset_form.datasud_form_selected(["a"]) == ["a"]
    assert dataset_form.datasud_form_selected(None) == []
    assert dataset_form.datasud_form_selected("[not json") == ["[not json"]
