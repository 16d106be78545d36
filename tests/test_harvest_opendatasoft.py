"""Harvesting an Opendatasoft portal, the platform of many French cities and
metropolises (a fifth of data.gouv.fr's harvested datasets): its catalogue export
``/api/explore/v2.1/catalog/exports/dcat``, RDF/XML served as ``application/xml``.

The fixture (tests/fixtures/dcat/opendatasoft) has what these exports carry: HTML
descriptions escaped in the XML, licences and themes as French labels, a format per
export in lower case, frequencies as French words, e-mail addresses as literals, a
dataset whose only distribution is an attachment (PDF). Harvested once for the module
through a real HTTP server; the tests read what the harvest left.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harvesting import Page, gather_errors, harvest_twice, resources_by_name, warnings_naming

FIXTURE = Path(__file__).parent / "fixtures" / "dcat" / "opendatasoft" / "catalog-exports-dcat.rdf"
PORTAL = "https://data.villedemo.example"
AIR = "Qualité de l'air - stations de mesure"
DELIBERATIONS = "Délibérations du conseil municipal"
PARKINGS = "Parkings relais"


@pytest.fixture(scope="module")
def harvested(clean_module_db):
    path = "/api/explore/v2.1/catalog/exports/dcat"
    return harvest_twice({path: Page(FIXTURE.read_text(encoding="utf-8"), "application/xml; charset=utf-8")}, path,
                         publication_mode="reference")


warnings_of = warnings_naming


def test_every_record_of_the_export_is_published(harvested):
    assert gather_errors(harvested["job"]) == []
    assert harvested["report"]["record_errors"] == []
    assert set(harvested["datasets"]) == {AIR, DELIBERATIONS, PARKINGS}
    assert harvested["job"]["stats"]["added"] == 3
    assert all(not d["private"] for d in harvested["datasets"].values())


def test_labels_become_the_licence_themes_and_frequency(harvested):
    air, deliberations, parkings = (harvested["datasets"][t] for t in (AIR, DELIBERATIONS, PARKINGS))
    assert (air["license_id"], deliberations["license_id"]) == ("etalab-2.0", "odc-odbl")
    assert sorted(air["themes"]) == ["environnement-climat", "social-sante-sports"]
    # Opendatasoft's compound themes, read part by part
    assert sorted(deliberations["themes"]) == ["administration", "citoyennete"]
    assert parkings["themes"] == ["mobilite-transports"]
    frequency = "http://publications.europa.eu/resource/authority/frequency/"
    assert (air["frequency"], deliberations["frequency"], parkings["frequency"]) == (
        frequency + "DAILY", frequency + "MONTHLY", frequency + "CONT")
    assert not any("champ thèmes" in w for w in harvested["report"]["warnings"])


def test_html_descriptions_are_written_out_as_text_with_a_warning(harvested):
    air = harvested["datasets"][AIR]
    assert air["notes"] == ("Mesures horaires des polluants (NO2, PM10, O3) aux stations de la ville.\n\n"
                            "Source : [AtmoSud](https://www.atmosud.example)")
    assert harvested["datasets"][PARKINGS]["notes"] == (
        "Places disponibles dans les parkings relais, mises à jour toutes les 5 minutes.\n\n"
        "- identifiant\n- places libres")
    [warning] = [w for w in warnings_of(harvested, AIR) if "champ description" in w]
    assert "<sub>2</sub>" in warning and "description en HTML réécrite en texte" in warning
    assert not any("champ description" in w for w in warnings_of(harvested, DELIBERATIONS))


def test_each_export_is_a_resource_with_its_format_and_media_type(harvested):
    air = resources_by_name(harvested["datasets"][AIR])
    api = f"{PORTAL}/api/explore/v2.1/catalog/datasets/qualite-de-lair-stations/exports/"
    assert {name: (r["url"], r["format"], r.get("mimetype")) for name, r in air.items()} == {
        "qualite-de-lair-stations.csv": (api + "csv", "CSV", "text/csv"),
        "qualite-de-lair-stations.geojson": (api + "geojson", "GeoJSON", "application/geo+json"),
        "qualite-de-lair-stations.shp": (api + "shp", "SHP", "application/zip"),
    }
    [pdf] = harvested["datasets"][DELIBERATIONS]["resources"]  # an attachment, no export
    assert pdf["format"] == "PDF" and pdf["url"].endswith("/attachments/deliberations_2024_pdf")


def test_contact_publisher_dates_page_and_extent(harvested):
    air = harvested["datasets"][AIR]
    assert (air["contact_name"], air["contact_email"]) == ("Direction de l'environnement",
                                                           "environnement@villedemo.example")
    assert air["publisher_name"] == "Ville de Démo"
    assert air["url"] == f"{PORTAL}/explore/dataset/qualite-de-lair-stations/"
    assert air["issued"] == "2019-09-23T09:59:10+00:00"
    assert json.loads(air["spatial"])["coordinates"][0][0] == [5.3, 43.2]


def test_the_unchanged_export_harvested_again_changes_nothing(harvested):
    assert harvested["again"]["stats"]["not modified"] == 3
    assert harvested["again"]["stats"]["added"] == harvested["again"]["stats"]["updated"] == 0
