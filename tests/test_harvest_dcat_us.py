"""Harvesting ArcGIS Hub, Socrata and DKAN catalogues: DCAT-US ``data.json`` read as
DCAT, and ArcGIS Hub's DCAT-AP JSON-LD with its slips.

Fixtures in tests/fixtures/dcat/dcat-us, in the shapes these publishers serve:

- ``arcgis-hub-dcat-us-1.1.json``: an ArcGIS Hub site's ``/api/feed/dcat-us/1.1.json``
  (remote Project Open Data context; bounding boxes as ``"w,s,e,n"``; ``None`` in a
  temporal interval; ISO 8601 frequencies; identifiers that are not URIs; e-mail
  addresses with and without ``mailto:``; a ``null`` one; keywords as one string; an
  empty licence; datasets without distributions; a record without title);
- ``dkan-dcat-us-1.0.json``: DCAT-US 1.0 as older DKAN and Socrata sites serve it, a bare
  list of datasets;
- ``arcgis-hub-dcat-ap-2.json``: ArcGIS Hub's ``/api/feed/dcat-ap/2.0.1.json`` (Koop's
  output): ``dcat:accessUrl``, publishers as bare names, a relative ``@type``, ``null``
  values.

Each catalogue is served by a real HTTP server on 127.0.0.1 with the media type these
servers send, and harvested once for the module; the tests read what the harvests left.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib

from ckan.tests import factories as ckan_factories

from ckanext.datasud.harvesting import dcat, dcat_us, reports, values
from tests import factories
from tests.harvesting import CatalogueServer, Page, allowed_hosts, create_source, gather_errors, run, \
    source_datasets, has_warning, resources_by_name

FIXTURES = Path(__file__).parent / "fixtures" / "dcat" / "dcat-us"
HUB = "https://data-cd04.opendata.arcgis.example"
ROUTES = "Routes départementales des Alpes-de-Haute-Provence"
COLLEGES = "Collèges publics"
COVOITURAGE = "Carte des aires de covoiturage"
SENTIERS = "Sentiers de randonnée inscrits au PDIPR"
REFUGES = "Refuges et gîtes d'étape"
VELOS = "Stationnements vélos"
BORNES = "Bornes de recharge électrique"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def harvested(clean_module_db):
    """The three catalogues, each harvested by its own source (reference mode, published
    by convention) of one partner."""
    partner = factories.Organization()
    sysadmin = ckan_factories.Sysadmin()
    catalogues = {
        "hub_us": ("/api/feed/dcat-us/1.1.json", "arcgis-hub-dcat-us-1.1.json", "application/json; charset=utf-8"),
        "dkan": ("/data.json", "dkan-dcat-us-1.0.json", "application/json"),
        "hub_ap": ("/api/feed/dcat-ap/2.0.1.json", "arcgis-hub-dcat-ap-2.json", "application/json"),
    }
    jobs, datasets, sources = {}, {}, {}
    with CatalogueServer() as server, allowed_hosts(server.host):
        for name, (path, file, media_type) in catalogues.items():
            server.pages[path] = Page(fixture(file), media_type)
            sources[name] = create_source(sysadmin, partner, server.url(path), validation="convention",
                                          publication_mode="reference")
            jobs[name] = run(sources[name])["job"]
            datasets[name] = {d["title"]: d for d in source_datasets(sources[name])}
        again = run(sources["hub_us"])["job"]  # the same feed, unchanged
    job_reports = {name: reports.job_report(job["id"]) for name, job in jobs.items()}
    return {"jobs": jobs, "datasets": datasets, "reports": job_reports, "again": again}


def warnings_of(harvested, catalogue: str, title: str) -> list[str]:
    return [w["message"] for w in harvested["reports"][catalogue]["warnings"] if f"« {title} »" in w["message"]]




# --- DCAT-US 1.1, ArcGIS Hub -----------------------------------------------------------

def test_an_arcgis_hub_dcat_us_feed_is_harvested_whole_but_the_untitled_record(harvested):
    assert gather_errors(harvested["jobs"]["hub_us"]) == []
    assert set(harvested["datasets"]["hub_us"]) == {ROUTES, COLLEGES, COVOITURAGE}
    assert harvested["jobs"]["hub_us"]["stats"]["added"] == 3
    refused = harvested["reports"]["hub_us"]["record_errors"]
    assert [e["message"] for e in refused] == ["Enregistrement sans titre : il n'est pas importé."]
    assert all(not d["private"] for d in harvested["datasets"]["hub_us"].values())


def test_a_hub_dataset_keeps_its_resources_licence_contact_extent_and_dates(harvested):
    dataset = harvested["datasets"]["hub_us"][ROUTES]
    assert dataset["license_id"] == "etalab-2.0"
    assert dataset["url"] == f"{HUB}/datasets/4f1c0a9e2b7d4c6e8a1b3c5d7e9f0a12_0"
    assert (dataset["contact_name"], dataset["contact_email"]) == ("Service SIG du Département", "sig@cd04.example")
    assert dataset["publisher_name"] == "Département des Alpes-de-Haute-Provence"
    assert sorted(t["name"] for t in dataset["tags"]) == ["Alpes-de-Haute-Provence", "mobilité", "routes", "voirie"]
    assert (dataset["issued"], dataset["modified"]) == ("2019-06-14T08:12:45+00:00", "2024-02-01T10:03:11+00:00")
    assert dataset["notes"] == "Réseau routier départemental : tronçons, numéros de route et catégories."
    assert has_warning(warnings_of(harvested, "hub_us", ROUTES), "champ description", "<div style=",
                       "description en HTML réécrite en texte")
    extent = json.loads(dataset["spatial"])
    assert extent["type"] == "Polygon"
    assert extent["coordinates"][0][0] == [5.4979, 43.6686] and extent["coordinates"][0][2] == [6.9644, 44.6606]
    resources = resources_by_name(dataset)
    assert set(resources) == {"ArcGIS Hub Dataset", "ArcGIS GeoService", "CSV", "GeoJSON", "Shapefile"}
    assert resources["CSV"]["url"].endswith("/csv?layers=0")
    assert (resources["CSV"]["format"], resources["CSV"]["mimetype"]) == ("CSV", "text/csv")
    assert resources["GeoJSON"]["format"] == "GeoJSON"
    assert resources["ArcGIS GeoService"]["url"].endswith("/FeatureServer/0")


def test_a_record_without_uri_is_kept_by_its_identifier_with_its_odd_values_absorbed(harvested):
    dataset = harvested["datasets"]["hub_us"][COLLEGES]
    extras = {e["key"]: e["value"] for e in dataset.get("extras", [])}
    assert extras["identifier"] == "{A767674A-957E-409A-B485-B941B46A2A7E}"
    assert dataset["license_id"] == "etalab-2.0"  # « Licence Ouverte / Open Licence version 2.0 »
    assert dataset["contact_email"] == "education@cd04.example"  # without mailto:
    assert dataset["frequency"] == "http://publications.europa.eu/resource/authority/frequency/ANNUAL"  # R/P1Y
    assert dataset.get("temporal_end") == "2020-03-18"  # "None/2020-03-18T00:00:00"
    assert not dataset.get("temporal_start")
    extent = json.loads(dataset["spatial"])  # "5.9, 43.9, 6.3, 44.2", with spaces
    assert extent["coordinates"][0][0] == [5.9, 43.9]
    assert [r["url"] for r in dataset["resources"]] == [
        "https://data-cd04.opendata.arcgis.example/api/download/v1/items/a767674a/csv?layers=0"]


def test_a_record_without_distribution_nor_licence_is_kept(harvested):
    dataset = harvested["datasets"]["hub_us"][COVOITURAGE]
    assert dataset["resources"] == []
    assert sorted(t["name"] for t in dataset["tags"]) == ["aires", "covoiturage", "mobilité"]
    assert dataset["spatial_text"] == "Digne-les-Bains"
    assert not dataset.get("spatial")
    assert dataset["frequency"] == "http://publications.europa.eu/resource/authority/frequency/IRREG"
    assert (dataset["temporal_start"], dataset["temporal_end"]) == ("2021-01-01", "2021-12-31")
    assert not dataset.get("contact_email")  # "hasEmail": null
    assert dataset["license_id"] == "notspecified"  # "license": "" (never Licence Ouverte by default)
    assert dataset["notes"] == COVOITURAGE  # "description": ""


def test_harvesting_the_hub_feed_again_changes_nothing(harvested):
    second = harvested["again"]
    assert gather_errors(second) == []
    assert second["stats"].get("added", 0) == 0 and second["stats"].get("updated", 0) == 0
    assert second["stats"]["not modified"] == 3


# --- DCAT-US 1.0, a bare list (DKAN, Socrata) ------------------------------------------

def test_a_dcat_us_1_0_list_of_datasets_is_harvested(harvested):
    assert gather_errors(harvested["jobs"]["dkan"]) == []
    datasets = harvested["datasets"]["dkan"]
    assert set(datasets) == {VELOS, BORNES}
    velos = datasets[VELOS]
    assert velos["frequency"] == "http://publications.europa.eu/resource/authority/frequency/MONTHLY"  # R/P1M
    assert velos["contact_email"] == "opendata@manosque.example"
    [csv] = velos["resources"]
    assert (csv["url"], csv["format"]) == (
        "https://opendata.manosque.example/sites/default/files/stationnements-velos.csv", "CSV")
    [page] = datasets[BORNES]["resources"]
    assert page["url"] == "https://opendata.manosque.example/dataset/bornes-recharge"


# --- ArcGIS Hub's DCAT-AP JSON-LD --------------------------------------------------------

def test_arcgis_hub_dcat_ap_distributions_keep_their_misspelled_access_urls(harvested):
    assert gather_errors(harvested["jobs"]["hub_ap"]) == []
    datasets = harvested["datasets"]["hub_ap"]
    assert set(datasets) == {SENTIERS, REFUGES}
    sentiers = resources_by_name(datasets[SENTIERS])
    assert sentiers["GeoJSON"]["url"] == f"{HUB}/api/download/v1/items/1a2b3c4d5e6f47081928374655647382/geojson?layers=0"
    assert sentiers["GeoJSON"]["format"] == "GeoJSON"
    assert sentiers["ArcGIS Hub Dataset"]["url"] == f"{HUB}/datasets/1a2b3c4d5e6f47081928374655647382_0"
    [csv] = datasets[REFUGES]["resources"]
    assert csv["url"].endswith("/csv?layers=0") and csv["format"] == "CSV"


def test_arcgis_hub_dcat_ap_publisher_given_as_a_bare_name_is_kept(harvested):
    dataset = harvested["datasets"]["hub_ap"][SENTIERS]
    assert dataset["publisher_name"] == "Département des Alpes-de-Haute-Provence"
    assert dataset["contact_name"] == "sig_cd04"


# --- reading, without the database ------------------------------------------------------

@pytest.mark.parametrize("document, expected", [
    ({"@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld", "dataset": []}, True),
    ({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [{"title": "A"}]}, True),
    ({"dataset": [{"title": "A", "identifier": "a", "accessLevel": "public"}]}, True),
    ([{"title": "A", "identifier": "a", "distribution": []}], True),
    # JSON-LD with its own context, CKAN's API, a list of something else: not DCAT-US
    ({"@context": {"dcat": "http://www.w3.org/ns/dcat#"}, "dataset": [{"title": "A", "identifier": "a"}]}, False),
    ({"@context": "https://example.org/context.jsonld", "@graph": []}, False),
    ({"success": True, "result": []}, False),
    ([{"name": "a"}], False),
    ([], False),
    ("dataset", False),
])
def test_what_is_read_as_dcat_us(document, expected):
    assert dcat_us.is_catalogue(document) is expected


def test_a_remote_json_ld_context_other_than_dcat_us_is_still_refused():
    text = json.dumps({"@context": "https://example.org/context.jsonld", "@id": "x", "dataset": []})
    with pytest.raises(Exception, match="Contexte JSON-LD distant refusé"):
        dcat.read_graph(text.encode(), text, "application/json", "https://example.org/catalog.json")


@pytest.mark.parametrize("text", ["[" * 100000, "{\"dataset\": " + "[" * 5000, "\ufeff", "<html></html>"])
def test_broken_documents_are_not_taken_for_dcat_us(text):
    assert dcat_us.parse(text) is None


def test_dcat_us_values_are_written_as_dcat():
    document = {"dataset": [{
        "title": "T", "identifier": "https://example.org/d/1", "accessLevel": "public",
        "spatial": "6.9644, 44.6606, 5.4979 ,43.6686", "temporal": "R/2020-01-01/P1Y",
        "contactPoint": {"fn": "X", "hasEmail": "x@example.org"},
        "distribution": [{"downloadURL": "ftp://example.org/file.csv", "mediaType": "text/csv"}]}]}
    g = dcat_us.graph(document, "https://example.org/data.json")
    dataset = rdflib.URIRef("https://example.org/d/1")
    assert (rdflib.URIRef("https://example.org/data.json"), dcat.DCAT.dataset, dataset) in g
    place = g.value(dataset, rdflib.DCTERMS.spatial)
    assert str(g.value(place, dcat.DCAT.bbox)).startswith("POLYGON((6.9644 44.6606, 5.4979 44.6606")
    period = g.value(dataset, rdflib.DCTERMS.temporal)
    assert str(g.value(period, dcat.DCAT.startDate)) == "2020-01-01"
    assert g.value(period, dcat.DCAT.endDate) is None
    contact = g.value(dataset, dcat.DCAT.contactPoint)
    assert g.value(contact, dcat_us.VCARD.hasEmail) == rdflib.URIRef("mailto:x@example.org")
    distribution = g.value(dataset, dcat.DCAT.distribution)
    assert g.value(distribution, dcat.DCAT.downloadURL) == rdflib.Literal("ftp://example.org/file.csv")


def test_a_lone_distribution_object_counts_as_a_list_of_one():
    document = [{"title": "T", "identifier": "t", "distribution": {"downloadURL": "https://example.org/t.csv"}}]
    g = dcat_us.graph(document, "https://example.org/data.json")
    [distribution] = g.objects(None, dcat.DCAT.distribution)
    assert g.value(distribution, dcat.DCAT.downloadURL) == rdflib.URIRef("https://example.org/t.csv")


@pytest.mark.parametrize("value, code", [
    ("R/P1D", "DAILY"), ("R/P1W", "WEEKLY"), ("r/p1m", "MONTHLY"), ("R/P3M", "QUARTERLY"),
    ("R/P6M", "ANNUAL_2"), ("R/P1Y", "ANNUAL"), ("R/P2Y", "BIENNIAL"), ("R/PT1H", "CONT"), ("irregular", "IRREG"),
])
def test_iso_8601_frequencies(value, code):
    assert values.frequency(value) == f"http://publications.europa.eu/resource/authority/frequency/{code}"


def test_an_unknown_iso_8601_frequency_is_not_guessed():
    assert values.frequency("R/P5Y") is None
