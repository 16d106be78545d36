"""DataSud's dataset and partner schemas: defaults, validators (French messages), facets."""
from __future__ import annotations

import json

import pytest

from ckan.tests import factories as ckan_factories

from tests import factories as datasud_factories
from ckan.tests import helpers

from ckanext.datasud import demo, vocabularies

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

REGION = '{"type":"Polygon","coordinates":[[[4.23,42.98],[7.72,42.98],[7.72,45.13],[4.23,45.13],[4.23,42.98]]]}'


@pytest.fixture
def sysadmin_headers():
    user = ckan_factories.Sysadmin()
    token = ckan_factories.APIToken(user=user["name"])["token"]
    return {"Authorization": token}


@pytest.fixture
def org():
    return datasud_factories.Organization(name="region-sud-test")


def create(app, headers, **fields):
    """package_create through the Action API, as a developer would call it."""
    return app.post("/api/3/action/package_create", json=fields, headers=headers, status=None)


def base(org, **extra):
    data = {"name": "jeu-test", "title": "Jeu de test", "notes": "Des données de test.",
            "owner_org": org["id"], "themes": ["culture-tourisme"]}
    data.update(extra)
    return data


def errors_of(response) -> dict:
    assert response.status_code == 409, response.body
    body = response.json
    assert body["success"] is False
    return body["error"]


# --- Licence Ouverte 2.0 by default --------------------------------------------------

def test_api_without_licence_gives_licence_ouverte_2(app, sysadmin_headers, org):
    response = create(app, sysadmin_headers, **base(org))
    assert response.status_code == 200, response.body
    result = response.json["result"]
    assert result["license_id"] == "etalab-2.0"
    assert result["license_title"].startswith("Licence Ouverte")


def test_api_keeps_an_explicit_licence(app, sysadmin_headers, org):
    result = create(app, sysadmin_headers, **base(org, license_id="odc-odbl")).json["result"]
    assert result["license_id"] == "odc-odbl"


def test_api_refuses_an_unknown_licence(app, sysadmin_headers, org):
    errors = errors_of(create(app, sysadmin_headers, **base(org, license_id="cc-by-nc")))
    assert errors["license_id"] == [
        "Licence inconnue : « cc-by-nc ». Licences possibles : etalab-2.0, etalab-1.0, odc-odbl, "
        "cc-by-4.0, cc-by-sa-4.0, cc-zero, notspecified."]


def test_web_form_preselects_licence_ouverte_2(app, sysadmin_headers, org):
    page = app.get("/dataset/new", headers=sysadmin_headers).body
    from bs4 import BeautifulSoup
    select = BeautifulSoup(page, "html.parser").find("select", id="field-license_id")
    selected = select.find("option", selected=True)
    assert selected["value"] == "etalab-2.0"
    # Licence Ouverte 2.0 comes first in the list, in French
    first = select.find("option")
    assert first["value"] == "etalab-2.0" and "Licence Ouverte" in first.text


def test_web_form_is_in_french(app, sysadmin_headers, org):
    page = app.get("/dataset/new", headers=sysadmin_headers).body
    for label in ("Thèmes", "Mode de publication", "Page de la donnée chez le producteur",
                  "Point de contact", "Fréquence de mise à jour", "Granularité", "Emprise géographique (GeoJSON)"):
        assert label in page
    assert "Agriculture, sylviculture et pêche" in page


# --- Field-level validation, French messages -----------------------------------------

GOOD = [
    {"contact_email": "opendata@maregionsud.fr"},
    {"url": "https://www.atmosud.org/donnees", "publication_mode": "reference"},
    {"publication_mode": "download"},
    {"temporal_start": "2022-01-01", "temporal_end": "2022-12-31"},
    {"temporal_start": "2022-01-01", "temporal_end": "2022-01-01"},
    {"themes": ["agriculture", "energies-reseaux"]},
    {"frequency": "http://publications.europa.eu/resource/authority/frequency/ANNUAL"},
    {"spatial": REGION},
    {"spatial": '{"type": "Point", "coordinates": [5.37, 43.29]}'},
    {"spatial_level": "commune", "spatial_code": "13055"},
    {"spatial_level": "commune", "spatial_code": "2A004"},
    {"spatial_level": "departement", "spatial_code": "13"},
    {"spatial_level": "departement", "spatial_code": "974"},
    {"spatial_level": "region", "spatial_code": "93"},
    {"spatial_level": "epci", "spatial_code": "200054807"},
    {"granularity": "iris"},
    {"inspire_theme": "http://inspire.ec.europa.eu/theme/lc", "inspire_conformity": "conformant",
     "spatial_resolution_in_meters": "2.5", "provenance": "Photo-interprétation."},
    {"issued": "2012-07-10", "modified": "2024-03-12T10:00:00"},
]


@pytest.mark.parametrize("fields", GOOD, ids=lambda f: ",".join(f))
def test_good_values_are_accepted(app, sysadmin_headers, org, fields):
    response = create(app, sysadmin_headers, **base(org, **fields))
    assert response.status_code == 200, response.body
    result = response.json["result"]
    for key, value in fields.items():
        if key == "themes":
            assert result[key] == value
        elif key == "spatial":
            assert json.loads(result[key]) == json.loads(value)
        elif key in ("issued", "modified", "temporal_start", "temporal_end"):
            assert result[key].startswith(value[:10])
        elif key == "spatial_resolution_in_meters":
            assert float(result[key]) == 2.5
        else:
            assert result[key] == value


BAD = [
    ({"contact_email": "opendata-at-maregionsud.fr"}, "contact_email",
     "Adresse électronique invalide : « opendata-at-maregionsud.fr »."),
    ({"publication_mode": "reference"}, "url",
     "Une fiche en mode référencement doit donner l'adresse de la page des données sur le site du producteur."),
    ({"url": "www.atmosud.org"}, "url",
     "Adresse web invalide : « www.atmosud.org » (elle doit commencer par http:// ou https://)."),
    ({"publication_mode": "copie"}, "publication_mode",
     "Valeur inconnue : « copie ». Valeurs possibles : download, reference."),
    ({"temporal_start": "2022-12-31", "temporal_end": "2022-01-01"}, "temporal_end",
     "La fin de la couverture temporelle (2022-01-01) est antérieure à son début (2022-12-31)."),
    ({"temporal_start": "31/12/2022"}, "temporal_start",
     "Date invalide : « 31/12/2022 » (format attendu : AAAA-MM-JJ)."),
    ({"themes": ["culture-tourisme", "astrologie"]}, "themes", "Valeur inconnue : « astrologie »."),
    ({"themes": []}, "themes", "Choisissez au moins une valeur."),
    ({"frequency": "souvent"}, "frequency", "Valeur inconnue : « souvent »."),
    ({"spatial": "{pas du json"}, "spatial", "GeoJSON invalide : ce n'est pas du JSON"),
    ({"spatial": '{"type": "Feature", "properties": {}}'}, "spatial",
     "GeoJSON invalide : une géométrie est attendue (Point, Polygon, MultiPolygon…)."),
    ({"spatial": '{"type": "Point", "coordinates": [543210, 4321000]}'}, "spatial",
     "GeoJSON invalide : les coordonnées doivent être des longitudes et latitudes en WGS 84."),
    ({"spatial": '{"type":"Polygon","coordinates":[[[5,43],[6,44],[6,43],[5,44],[5,43]]]}'}, "spatial",
     "GeoJSON invalide : géométrie incorrecte"),
    ({"spatial_level": "commune", "spatial_code": "1305"}, "spatial_code",
     "Code INSEE de commune invalide : 5 caractères attendus (ex. 13055 pour Marseille)."),
    ({"spatial_level": "departement", "spatial_code": "99"}, "spatial_code",
     "Code de département invalide : par exemple 13 (Bouches-du-Rhône), 2A, 974."),
    ({"spatial_level": "region", "spatial_code": "PACA"}, "spatial_code",
     "Code de région invalide : 2 chiffres attendus (93 pour Provence-Alpes-Côte d'Azur)."),
    ({"spatial_level": "epci", "spatial_code": "200054808"}, "spatial_code",
     "Numéro SIREN invalide : « 200054808 » (9 chiffres attendus, avec une clé de contrôle valide)."),
    ({"spatial_code": "13055"}, "spatial_code", "Indiquez le niveau de la couverture géographique avec son code."),
    ({"granularity": "quartier"}, "granularity", "Valeur inconnue : « quartier »."),
    ({"inspire_theme": "http://inspire.ec.europa.eu/theme/xx"}, "inspire_theme", "Valeur inconnue"),
    ({"spatial_resolution_in_meters": "-5"}, "spatial_resolution_in_meters", "Un nombre positif est attendu."),
    ({"title": "<script>alert(1)</script>"}, "title", "Les balises HTML ne sont pas autorisées ici."),
]


@pytest.mark.parametrize("fields,field,message", BAD, ids=lambda v: v if isinstance(v, str) else None)
def test_bad_values_get_a_french_field_error(app, sysadmin_headers, org, fields, field, message):
    errors = errors_of(create(app, sysadmin_headers, **base(org, **fields)))
    assert field in errors, errors
    assert any(m.startswith(message) for m in errors[field]), errors[field]
    # nothing was stored
    assert helpers.call_action("package_search", q="name:jeu-test")["count"] == 0


RESOURCE_BAD = [
    ({"mimetype": "csv"}, "mimetype", "Type de média invalide : « csv » (attendu par exemple text/csv)."),
    ({"hash": "sha256:1234"}, "hash", "Somme de contrôle invalide : « sha256:1234 »"),
    ({"size": "gros"}, "size", "Nombre invalide : « gros »."),
    ({"resource_type": "document"}, "document_kind",
     "Un document administratif doit préciser son type (délibération, convention, arrêté, rapport)."),
    ({"resource_type": "video"}, "resource_type", "Valeur inconnue : « video »."),
    ({"license": "wtfpl"}, "license", "Licence inconnue : « wtfpl »."),
    ({"download_url": "ftp://exemple.fr/x.csv"}, "download_url", "Adresse web invalide"),
]


@pytest.mark.parametrize("fields,field,message", RESOURCE_BAD, ids=lambda v: v if isinstance(v, str) else None)
def test_bad_resource_values_get_a_french_field_error(app, sysadmin_headers, org, fields, field, message):
    resource = {"url": "https://exemple.fr/donnees.csv", "name": "Données", **fields}
    errors = errors_of(create(app, sysadmin_headers, **base(org, resources=[resource])))
    resource_errors = errors["resources"][0]
    assert any(m.startswith(message) for m in resource_errors[field]), resource_errors


def test_good_resource_fields_are_kept(app, sysadmin_headers, org):
    checksum = "sha256:" + "ab" * 32
    resource = {"url": "https://exemple.fr/donnees.csv", "name": "Données", "format": "CSV",
                "mimetype": "text/csv", "size": "1234", "hash": checksum.upper().replace("SHA256", "sha256"),
                "access_url": "https://exemple.fr/donnees", "download_url": "https://exemple.fr/donnees.csv",
                "license": "cc-by-4.0"}
    document = {"url": "https://exemple.fr/deliberation.pdf", "name": "Délibération", "resource_type": "document",
                "document_kind": "deliberation", "document_date": "2011-12-16"}
    result = create(app, sysadmin_headers, **base(org, resources=[resource, document])).json["result"]
    data, doc = result["resources"]
    assert data["resource_type"] == "data" and data["hash"] == checksum and data["mimetype"] == "text/csv"
    assert int(data["size"]) == 1234 and data["license"] == "cc-by-4.0"
    assert doc["resource_type"] == "document" and doc["document_kind"] == "deliberation"
    assert doc["document_date"].startswith("2011-12-16")


def test_documents_are_listed_apart_from_data_on_the_page(app, sysadmin_headers, org):
    resources = [{"url": "https://exemple.fr/donnees.csv", "name": "Fichier des cinémas", "format": "CSV"},
                 {"url": "https://exemple.fr/deliberation.pdf", "name": "Délibération du conseil",
                  "resource_type": "document", "document_kind": "deliberation", "document_date": "2011-12-16"}]
    create(app, sysadmin_headers, **base(org, resources=resources))
    from bs4 import BeautifulSoup
    page = BeautifulSoup(app.get("/dataset/jeu-test", headers=sysadmin_headers).body, "html.parser")
    data_list = page.find(id="dataset-resources")
    documents = page.find(id="dataset-documents")
    assert "Fichier des cinémas" in data_list.text and "Délibération du conseil" not in data_list.text
    assert "Documents administratifs" in documents.text
    assert "Délibération du conseil" in documents.text and "Délibération" in documents.text


def test_reference_mode_is_shown_on_the_page(app, sysadmin_headers, org):
    create(app, sysadmin_headers, **base(org, publication_mode="reference", url="https://www.atmosud.org/donnees"))
    page = app.get("/dataset/jeu-test", headers=sysadmin_headers).body
    assert "Données référencées" in page  # the publication mode under the title (test_dataset_page.py)
    assert "Cette fiche décrit des données conservées sur le site du producteur" in page
    assert 'href="https://www.atmosud.org/donnees"' in page


# --- Partners (organisations) ----------------------------------------------------------

def org_create(app, headers, **fields):
    return app.post("/api/3/action/organization_create", json=fields, headers=headers, status=None)


def test_partner_fields_are_kept(app, sysadmin_headers):
    result = org_create(app, sysadmin_headers, name="ville-de-marseille", title="Ville de Marseille",
                        partner_type="commune", siren="211 300 553", website="https://www.marseille.fr").json["result"]
    assert result["partner_type"] == "commune"
    assert result["siren"] == "211300553"
    assert result["website"] == "https://www.marseille.fr"


@pytest.mark.parametrize("siren", ["21130055", "211300554", "ABCDEFGHI"])
def test_partner_siren_is_checked(app, sysadmin_headers, siren):
    response = org_create(app, sysadmin_headers, name="partenaire", title="Partenaire", partner_type="commune",
                          siren=siren)
    errors = errors_of(response)
    assert errors["siren"][0].startswith("Numéro SIREN invalide")


def test_partner_type_is_checked(app, sysadmin_headers):
    errors = errors_of(org_create(app, sysadmin_headers, name="partenaire", title="Partenaire", partner_type="club"))
    assert errors["partner_type"][0].startswith("Valeur inconnue : « club »")


# --- Vocabularies ----------------------------------------------------------------------

def test_sixteen_themes_with_slug_iso_topic_and_eu_theme():
    assert len(vocabularies.THEMES) == 16
    assert len({t.slug for t in vocabularies.THEMES}) == 16
    iso_topics = {"farming", "biota", "boundaries", "climatologyMeteorologyAtmosphere", "economy", "elevation",
                  "environment", "geoscientificInformation", "health", "imageryBaseMapsEarthCover",
                  "intelligenceMilitary", "inlandWaters", "location", "oceans", "planningCadastre", "society",
                  "structure", "transportation", "utilitiesCommunication"}
    eu_themes = {"AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "REGI", "SOCI", "TECH",
                 "TRAN", "OP_DATPRO"}
    for theme in vocabularies.THEMES:
        assert theme.iso_topic in iso_topics
        assert theme.eu_theme in eu_themes
        assert theme.eu_theme_uri.startswith("http://publications.europa.eu/resource/authority/data-theme/")
    assert len(vocabularies.INSPIRE_THEMES) == 34


# --- Facets over the demo data ---------------------------------------------------------

def test_theme_and_publication_mode_facets_count_the_demo_data(app):
    demo.ensure_sysadmin("admin", "mot de passe de test", "admin@example.org")
    demo.load("admin")
    datasets = demo.demo_content()["datasets"]
    expected_themes: dict[str, int] = {}
    for d in datasets:
        for t in d["themes"]:
            expected_themes[t] = expected_themes.get(t, 0) + 1
    expected_modes = {"reference": sum(1 for d in datasets if d.get("publication_mode") == "reference")}
    expected_modes["download"] = len(datasets) - expected_modes["reference"]

    result = app.get("/api/3/action/package_search", query_string={
        "rows": 0, "facet.field": json.dumps(["vocab_themes", "publication_mode", "spatial_level"]),
        "facet.limit": -1}).json["result"]
    assert result["count"] == len(datasets)
    assert result["facets"]["vocab_themes"] == expected_themes
    assert result["facets"]["publication_mode"] == expected_modes
    # facet items carry French labels for people
    labels = {i["name"]: i["display_name"] for i in result["search_facets"]["vocab_themes"]["items"]}
    assert labels["culture-tourisme"] == "Culture, patrimoine et tourisme"

    filtered = app.get("/api/3/action/package_search", query_string={
        "fq": "vocab_themes:culture-tourisme AND publication_mode:reference"}).json["result"]
    assert filtered["count"] == sum(1 for d in datasets
                                    if "culture-tourisme" in d["themes"] and d.get("publication_mode") == "reference")


def test_search_page_shows_the_datasud_facets_in_french(app):
    demo.ensure_sysadmin("admin", "mot de passe de test", "admin@example.org")
    demo.load("admin")
    page = app.get("/dataset/").body
    for title in ("Thèmes", "Mode de publication", "Producteurs", "Licences", "Formats", "Niveau géographique"):
        assert title in page
    assert "Culture, patrimoine et tourisme" in page
    assert "Référencé" in page  # the badge on referenced datasets in the results


# --- The web form ---------------------------------------------------------------------

def form_data(org, **extra):
    data = {"name": "jeu-formulaire", "title": "Jeu saisi dans le formulaire", "notes": "Saisi à la main.",
            "owner_org": org["id"], "themes": ["culture-tourisme", "formation-emploi"],
            "publication_mode": "download", "license_id": "etalab-2.0", "save": "continue"}
    data.update(extra)
    return data


def test_web_form_creates_a_dataset(app, sysadmin_headers, org):
    response = app.post("/dataset/new", data=form_data(org), headers=sysadmin_headers, follow_redirects=False)
    assert response.status_code == 302, response.body
    dataset = helpers.call_action("package_show", id="jeu-formulaire")
    assert dataset["license_id"] == "etalab-2.0"
    assert dataset["themes"] == ["formation-emploi", "culture-tourisme"]  # in the order of the 16 themes


def test_web_form_shows_field_errors_in_french_and_keeps_the_input(app, sysadmin_headers, org):
    response = app.post("/dataset/new", headers=sysadmin_headers, data=form_data(
        org, contact_email="pas-une-adresse", publication_mode="reference", url=""))
    assert response.status_code == 200
    page = response.body
    assert "Adresse électronique invalide : « pas-une-adresse »." in page
    assert "Une fiche en mode référencement doit donner l&#39;adresse de la page des données" in page
    assert 'value="Jeu saisi dans le formulaire"' in page  # nothing typed is lost
    assert helpers.call_action("package_search", q="name:jeu-formulaire", include_drafts=True)["count"] == 0
