"""DCAT-AP output of a dataset (ckanext-dcat + DataSud's profile): /dataset/{id}.ttl.

The datasets are made once for the module (real PostgreSQL and Solr), each with its own
name, and read through one web app."""
from __future__ import annotations

import io

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF
from werkzeug.datastructures import FileStorage

from ckan.tests import factories as ckan_factories

from tests import factories as datasud_factories
from ckan.tests import helpers

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SCHEMA = Namespace("http://schema.org/")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
FREQ = "http://publications.europa.eu/resource/authority/frequency/"
ETALAB_2 = URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
MARSEILLE = '{"type":"Polygon","coordinates":[[[5.23,43.17],[5.53,43.17],[5.53,43.39],[5.23,43.39],[5.23,43.17]]]}'


def make(sysadmin: str, org_id: str, **fields):
    data = {"name": "equipements-sportifs", "title": "Équipements sportifs", "notes": "Stades et gymnases.",
            "owner_org": org_id, "themes": ["social-sante-sports", "equipements-logement"],
            "frequency": FREQ + "ANNUAL", "temporal_start": "2023-01-01", "temporal_end": "2023-12-31",
            "spatial_level": "commune", "spatial_code": "13055", "spatial_text": "Marseille", "spatial": MARSEILLE,
            "contact_name": "Direction des sports", "contact_email": "sports@marseille.fr",
            "inspire_theme": "http://inspire.ec.europa.eu/theme/us"}
    data.update(fields)
    created = helpers.call_action("package_create", {"user": sysadmin}, **data)
    from ckanext.datasud.logic.workflow_action import publish_through_the_workflow
    publish_through_the_workflow(sysadmin, created["id"])
    return helpers.call_action("package_show", id=created["id"])


@pytest.fixture(scope="module")
def made(clean_module_db):
    sysadmin = ckan_factories.Sysadmin()["name"]
    org = datasud_factories.Organization()["id"]
    datasets = {
        "full": make(sysadmin, org),
        "licences": make(sysadmin, org, name="licences", resources=[
            {"url": "https://exemple.fr/a.csv", "name": "A", "format": "CSV"},
            {"url": "https://exemple.fr/b.csv", "name": "B", "format": "CSV", "license": "odc-odbl"}]),
        "reference": make(sysadmin, org, name="reference", publication_mode="reference",
                          url="https://data.marseille.fr/equipements-sportifs",
                          resources=[{"url": "https://data.marseille.fr/equipements-sportifs/export", "name": "Export"}]),
        "download": make(sysadmin, org, name="telechargement", publication_mode="download"),
    }
    upload = FileStorage(stream=io.BytesIO(b"uai;nom\n0130040Y;Lycee Thiers\n"), filename="lycees.csv",
                         content_type="text/csv")
    datasets["upload"] = helpers.call_action("resource_create", {"user": sysadmin}, package_id=datasets["download"]["id"],
                                             name="Lycées", format="CSV", url="lycees.csv", upload=upload)
    datasets["download"] = helpers.call_action("package_show", id=datasets["download"]["id"])
    return datasets


@pytest.fixture(scope="module")
def app(made):
    return helpers._get_test_app()


def turtle(app, dataset) -> tuple[Graph, URIRef]:
    response = app.get(f"/dataset/{dataset['id']}.ttl")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/turtle")
    g = Graph().parse(data=response.body, format="turtle")
    [ref] = list(g.subjects(RDF.type, DCAT.Dataset))
    return g, ref


def test_dataset_carries_themes_frequency_coverage_and_contact(app, made):
    g, ref = turtle(app, made["full"])
    themes = set(g.objects(ref, DCAT.theme))
    assert URIRef(EU_THEME + "HEAL") in themes and URIRef(EU_THEME + "REGI") in themes
    assert URIRef("http://inspire.ec.europa.eu/theme/us") in themes
    assert g.value(ref, DCTERMS.accrualPeriodicity) == URIRef(FREQ + "ANNUAL")

    period = g.value(ref, DCTERMS.temporal)
    starts = {str(o) for p in (DCAT.startDate, SCHEMA.startDate) for o in g.objects(period, p)}
    ends = {str(o) for p in (DCAT.endDate, SCHEMA.endDate) for o in g.objects(period, p)}
    assert "2023-01-01" in starts and "2023-12-31" in ends

    spatial = g.value(ref, DCTERMS.spatial)
    assert "Marseille" in {str(o) for o in g.objects(spatial, None)}
    assert g.value(spatial, DCTERMS.identifier) == Literal("13055")
    geometries = [str(o) for p in (LOCN.geometry, DCAT.bbox, DCAT.centroid) for o in g.objects(spatial, p)]
    assert any("5.23" in geom for geom in geometries)

    contact = g.value(ref, DCAT.contactPoint)
    assert str(g.value(contact, VCARD.fn)) == "Direction des sports"
    assert str(g.value(contact, VCARD.hasEmail)) == "mailto:sports@marseille.fr"
    assert g.value(ref, DCTERMS.language) == URIRef("http://publications.europa.eu/resource/authority/language/FRA")


def test_licence_uri_on_every_distribution(app, made):
    g, ref = turtle(app, made["licences"])
    licences = {str(g.value(d, DCTERMS.title)): g.value(d, DCTERMS.license) for d in g.objects(ref, DCAT.distribution)}
    assert licences["A"] == ETALAB_2  # inherited from the dataset (Licence Ouverte 2.0 by default)
    assert licences["B"] == URIRef("http://opendatacommons.org/licenses/odbl/1-0/")


def test_reference_mode_has_landing_page_and_access_urls_only(app, made):
    g, ref = turtle(app, made["reference"])
    assert g.value(ref, DCAT.landingPage) == URIRef("https://data.marseille.fr/equipements-sportifs")
    [distribution] = list(g.objects(ref, DCAT.distribution))
    assert g.value(distribution, DCAT.accessURL) == URIRef("https://data.marseille.fr/equipements-sportifs/export")
    assert g.value(distribution, DCAT.downloadURL) is None


def test_download_mode_gives_a_download_url_for_hosted_files(app, made):
    resource = made["upload"]
    g, ref = turtle(app, made["download"])
    [distribution] = list(g.objects(ref, DCAT.distribution))
    download = g.value(distribution, DCAT.downloadURL)
    assert download is not None and str(download) == resource["url"]
    assert str(download).endswith("/download/lycees.csv")


def test_catalogue_lists_public_datasets(app, made):
    response = app.get("/catalog.ttl")
    g = Graph().parse(data=response.body, format="turtle")
    titles = {str(g.value(d, DCTERMS.title)) for d in g.subjects(RDF.type, DCAT.Dataset)}
    assert "Équipements sportifs" in titles


# DCAT-AP conformance (SEMIC's SHACL shapes, tests/fixtures/dcat-ap-shacl): tests/test_dcat_conformance.py
