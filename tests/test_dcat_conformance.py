"""DCAT-AP conformance of the catalogue (issue 13, items 1, 2 and 4).

The catalogue served by the web app (``/catalog.ttl``, ``/dataset/{id}.ttl``) is validated
with pyshacl against SEMIC's SHACL shapes copied in ``tests/fixtures/dcat-ap-shacl``
(mandatory shapes + class ranges + deprecated URIs): zero violations required, in
DCAT-AP 3.0.0 (the default profile) and 2.1.1 (``?profiles=euro_dcat_ap_2`` and the
default), over the demo data plus a generated dataset filling *every* field of the schema
and a geographic (INSPIRE) one. SEMIC publishes no GeoDCAT-AP shapes: the geographic
dataset passes the DCAT-AP 3 shapes and targeted assertions of the GeoDCAT-AP properties.

Also here: the Hydra paging a harvester such as data.gouv.fr's follows
(``modified_since``, then ``hydra:next`` until there is none), only published datasets
through every door (catalogue, its filters, the dataset's RDF), French 400s for bad
requests, DataSud's SKOS concept scheme (``/themes``) and the schema.org JSON-LD of the
dataset page.

The data is made once for the module (real PostgreSQL and Solr).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.datasud import demo
from ckanext.datasud.logic.workflow_action import datasud_workflow_submit, publish_through_the_workflow
from tests import factories

SHACL = Path(__file__).resolve().parent / "fixtures" / "dcat-ap-shacl"
SHAPES = {
    "3.0.0": ["3.0.0/shapes.ttl", "3.0.0/range.ttl", "3.0.0/deprecateduris.ttl"],
    "2.1.1": ["2.1.1/dcat-ap_2.1.1_shacl_shapes.ttl", "2.1.1/dcat-ap_2.1.1_shacl_range.ttl",
              "2.1.1/dcat-ap_2.1.1_shacl_deprecateduris.ttl"],
}
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
FREQ = "http://publications.europa.eu/resource/authority/frequency/"
INSPIRE_REGULATION = URIRef("http://data.europa.eu/eli/reg/2010/1089/oj")
ADMIN = "admin"
AIX = '{"type":"Polygon","coordinates":[[[5.35,43.47],[5.52,43.47],[5.52,43.6],[5.35,43.6],[5.35,43.47]]]}'

# Every field of schemas/dataset.yaml, filled (test_full_dataset_fills_every_field checks
# that none is missing when the schema grows).
FULL_DATASET = {
    "name": "zz-tous-les-champs", "title": "Jeu « complet » : tous les champs",
    "notes": "Un jeu de données qui remplit **chaque** champ du schéma DataSud.",
    "themes": ["mobilite-transports", "environnement-climat"],
    "tag_string": "vélo, pistes cyclables, l'été",  # stored as tags
    "publication_mode": "download", "url": "https://www.exemple.fr/donnees/velo",
    "license_id": "odc-odbl", "contact_name": "Service mobilité", "contact_email": "mobilite@exemple.fr",
    "publisher_name": "Agence régionale de la mobilité", "frequency": FREQ + "MONTHLY",
    "temporal_start": "2022-01-01", "temporal_end": "2024-06-30", "issued": "2022-02-01", "modified": "2024-07-01",
    "granularity": "commune", "spatial_level": "commune", "spatial_code": "13001",
    "spatial_text": "Aix-en-Provence", "spatial": AIX, "inspire_theme": "http://inspire.ec.europa.eu/theme/tn",
    "provenance": "Relevés GPS des services techniques, contrôlés chaque mois.",
    "spatial_resolution_in_meters": "5", "inspire_conformity": "conformant", "version": "2.1",
}
FULL_RESOURCES = [
    {"url": "https://www.exemple.fr/donnees/velo/pistes.geojson", "copy_mode": "link", "name": "Pistes cyclables",
     "description": "Les pistes, en GeoJSON.", "resource_type": "data", "format": "GeoJSON",
     "mimetype": "application/geo+json", "size": "123456",
     "hash": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
     "access_url": "https://www.exemple.fr/donnees/velo", "download_url": "https://www.exemple.fr/donnees/velo/pistes.geojson",
     "license": "etalab-2.0", "source_url": "https://www.exemple.fr/source/pistes.geojson", "copy_status": "failed",
     "copy_error": "Hôte injoignable", "copied_at": "2024-07-01T08:00:00", "source_etag": '"abc123"',
     "source_last_modified": "Mon, 01 Jul 2024 08:00:00 GMT", "document_date": "2024-07-01"},
    {"url": "https://www.exemple.fr/deliberations/2022-15.pdf", "name": "Délibération n° 2022-15",
     "description": "La délibération qui ouvre les données.", "resource_type": "document",
     "document_kind": "deliberation", "document_date": "2022-01-20", "format": "PDF"},
]


@pytest.fixture(scope="module")
def world(clean_module_db):
    # Solr commits once at the end rather than at each of the ~80 writes of the demo data
    # and the workflow (the slowest part of the module); nothing here searches meanwhile.
    committing = tk.config.get("ckan.search.solr_commit")
    tk.config["ckan.search.solr_commit"] = False
    try:
        return make_world()
    finally:
        tk.config["ckan.search.solr_commit"] = committing
        from ckan.lib import search
        search.commit()


def make_world() -> dict:
    demo.ensure_sysadmin(ADMIN, "mot de passe de test", "admin@example.org")
    demo.load(ADMIN)
    org = factories.Organization(name="region-mobilite", title="Agence de la mobilité", siren="231300021",
                                 partner_type="region", website="https://www.exemple.fr")
    full = helpers.call_action("package_create", {"user": ADMIN}, owner_org=org["id"], resources=FULL_RESOURCES,
                               **FULL_DATASET)
    publish_through_the_workflow(ADMIN, full["id"])
    pending = factories.Dataset(name="zz-en-attente", title="Jeu en attente de validation", private=True,
                                owner_org=org["id"])
    datasud_workflow_submit({"user": ADMIN, "ignore_auth": False}, {"id": pending["id"]})
    deleted = factories.Dataset(name="zz-supprime", title="Jeu supprimé", owner_org=org["id"])
    helpers.call_action("package_delete", {"user": ADMIN}, id=deleted["id"])
    published = [d["name"] for d in demo.demo_content()["datasets"]] + [full["name"]]
    return {"full": helpers.call_action("package_show", id=full["id"]), "org": org,
            "pending": pending, "deleted": deleted, "published": set(published)}


@pytest.fixture(scope="module")
def app(world):
    """One web app for the module (the data is module-scoped too)."""
    return helpers._get_test_app()


def graph(app, url: str, **kwargs) -> Graph:
    response = app.get(url, **kwargs)
    assert response.status_code == 200, response.body[:500]
    return Graph().parse(data=response.body, format="turtle")


def violations(data: Graph, version: str) -> str:
    from pyshacl import validate
    shapes = Graph()
    for name in SHAPES[version]:
        shapes.parse(SHACL / name, format="turtle")
    conforms, _, report = validate(data, shacl_graph=shapes, inference="none")
    return "" if conforms else report


def dataset_ref(g: Graph, dataset: dict) -> URIRef:
    [ref] = [s for s in g.subjects(DCTERMS.identifier, Literal(dataset["id"])) if (s, RDF.type, DCAT.Dataset) in g]
    return ref


def titles(g: Graph) -> set[str]:
    return {str(g.value(d, DCTERMS.title)) for d in g.subjects(RDF.type, DCAT.Dataset)}


# --- Conformance -----------------------------------------------------------------------

def test_whole_catalogue_conforms_to_dcat_ap_3_and_2(app, world):
    """The catalogue as harvesters read it: every published dataset on one page, zero
    violations of DCAT-AP 3.0.0 (default) and of 2.1.1 (``?profiles=euro_dcat_ap_2``:
    2.1.1 knows SHA-1 checksums only, so the DCAT-AP 3 output, with SHA-256, is not
    checked against it)."""
    data = graph(app, "/catalog.ttl")
    datasets = list(data.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == len(world["published"]) == len(demo.demo_content()["datasets"]) + 1
    assert violations(data, "3.0.0") == ""
    dcat_ap_2 = graph(app, "/catalog.ttl", query_string={"profiles": "euro_dcat_ap_2"})
    assert len(list(dcat_ap_2.subjects(RDF.type, DCAT.Dataset))) == len(datasets)
    assert violations(dcat_ap_2, "2.1.1") == ""


def test_every_serialisation_holds_the_same_catalogue(app, world):
    expected = titles(graph(app, "/catalog.ttl"))
    for fmt, parser in (("rdf", "xml"), ("xml", "xml"), ("jsonld", "json-ld"), ("n3", "n3")):
        response = app.get(f"/catalog.{fmt}")
        assert response.status_code == 200, fmt
        assert titles(Graph().parse(data=response.body, format=parser)) == expected, fmt


def test_full_dataset_fills_every_field_and_conforms(app, world):
    """The generated dataset fills every field of the schema (a field added to
    schemas/dataset.yaml must be added here), and its RDF conforms in 3.0.0 and 2.1.1."""
    schema = tk.h.scheming_get_dataset_schema("dataset")
    full = world["full"]
    empty = [f["field_name"] for f in schema["dataset_fields"]
             if full.get("tags" if f["field_name"] == "tag_string" else f["field_name"]) in (None, "", [])]
    assert empty == [], f"fields of the schema not covered by FULL_DATASET: {empty}"
    data_resource = full["resources"][0]
    empty = [f["field_name"] for f in schema["resource_fields"]
             if f["field_name"] != "document_kind" and data_resource.get(f["field_name"]) in (None, "")]
    assert empty == [], f"resource fields not covered by FULL_RESOURCES: {empty}"
    assert full["resources"][1]["document_kind"] == "deliberation"

    for url, version in ((f"/dataset/{full['id']}.ttl", "3.0.0"),
                         (f"/dataset/{full['id']}.ttl?profiles=euro_dcat_ap_2", "2.1.1")):
        assert violations(graph(app, url), version) == "", url


def test_full_dataset_carries_datasud_fields(app, world):
    full, org = world["full"], world["org"]
    g = graph(app, f"/dataset/{full['name']}.ttl")
    ref = dataset_ref(g, full)
    assert g.value(ref, DCTERMS.title) == Literal("Jeu « complet » : tous les champs", lang="fr")
    assert Literal("l'été", lang="fr") in set(g.objects(ref, DCAT.keyword))
    # themes: DataSud's concept and the EU theme, the INSPIRE theme
    themes = set(g.objects(ref, DCAT.theme))
    site = tk.config["ckan.site_url"].rstrip("/")
    assert {URIRef(f"{site}/themes/mobilite-transports"), URIRef(f"{site}/themes/environnement-climat"),
            URIRef(EU_THEME + "TRAN"), URIRef(EU_THEME + "ENVI"),
            URIRef("http://inspire.ec.europa.eu/theme/tn")} <= themes
    assert g.value(URIRef(f"{site}/themes/mobilite-transports"), SKOS.inScheme) == URIRef(f"{site}/themes")
    # licence URI on each distribution, landing page (producer's page) and download URLs
    assert g.value(ref, DCAT.landingPage) == URIRef("https://www.exemple.fr/donnees/velo")
    distributions = {str(g.value(d, DCTERMS.title)): d for d in g.objects(ref, DCAT.distribution)}
    data = distributions["Pistes cyclables"]
    assert g.value(data, DCTERMS.license) == URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
    assert g.value(distributions["Délibération n° 2022-15"], DCTERMS.license) == \
        URIRef("http://opendatacommons.org/licenses/odbl/1-0/")
    assert g.value(data, DCAT.downloadURL) == URIRef("https://www.exemple.fr/donnees/velo/pistes.geojson")
    size = g.value(data, DCAT.byteSize)
    assert size.datatype == XSD.decimal and float(size) == 123456
    # administrative document: a page about the dataset
    document = URIRef("https://www.exemple.fr/deliberations/2022-15.pdf")
    assert (ref, FOAF.page, document) in g and (document, RDF.type, FOAF.Document) in g
    assert g.value(document, DCTERMS.issued) == Literal("2022-01-20", datatype=XSD.date)
    # contact point
    contact = g.value(ref, DCAT.contactPoint)
    assert str(g.value(contact, VCARD.fn)) == "Service mobilité"
    assert str(g.value(contact, VCARD.hasEmail)) == "mailto:mobilite@exemple.fr"
    # another publisher named: the partner is the creator, with its SIREN and kind
    publisher = g.value(ref, DCTERMS.publisher)
    assert str(g.value(publisher, FOAF.name)) == "Agence régionale de la mobilité"
    creator = g.value(ref, DCTERMS.creator)
    assert creator == URIRef(f"{site}/organization/{org['id']}")
    assert g.value(creator, DCTERMS.identifier) == Literal("231300021")
    assert g.value(g.value(creator, ADMS.identifier), SKOS.notation) == Literal("231300021")
    assert g.value(creator, DCTERMS.type) == URIRef("http://purl.org/adms/publishertype/RegionalAuthority")
    assert g.value(creator, FOAF.homepage) == URIRef("https://www.exemple.fr")


def test_geographic_dataset_has_geodcat_ap_properties(app, world):
    """No SEMIC GeoDCAT-AP shapes exist: the GeoDCAT-AP properties are asserted here
    (the dataset also passes the DCAT-AP 3 shapes above)."""
    full = world["full"]
    g = graph(app, f"/dataset/{full['id']}.ttl")
    ref = dataset_ref(g, full)
    [place] = list(g.objects(ref, DCTERMS.spatial))
    assert g.value(place, DCTERMS.identifier) == Literal("13001")  # INSEE code of Aix-en-Provence
    [geometry] = list(g.objects(place, LOCN.geometry))
    assert geometry.datatype == GSP.wktLiteral and str(geometry).startswith("POLYGON")
    [bbox] = list(g.objects(place, DCAT.bbox))
    assert bbox.datatype == GSP.wktLiteral
    assert str(bbox) == "POLYGON((5.35 43.47, 5.52 43.47, 5.52 43.6, 5.35 43.6, 5.35 43.47))"
    assert g.value(place, DCAT.centroid) == Literal("POINT(5.435000 43.535000)", datatype=GSP.wktLiteral)
    assert (ref, DCTERMS.conformsTo, INSPIRE_REGULATION) in g
    assert (INSPIRE_REGULATION, RDF.type, DCTERMS.Standard) in g
    assert str(g.value(g.value(ref, DCTERMS.provenance), URIRef("http://www.w3.org/2000/01/rdf-schema#label"))) \
        == FULL_DATASET["provenance"]
    assert float(g.value(ref, DCAT.spatialResolutionInMeters)) == 5.0
    assert g.value(ref, DCTERMS.type) == URIRef("http://inspire.ec.europa.eu/metadata-codelist/ResourceType/dataset")
    assert URIRef("http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/transportation") in \
        set(g.objects(ref, DCTERMS.subject))
    period = g.value(ref, DCTERMS.temporal)
    assert g.value(period, DCAT.startDate) == Literal("2022-01-01", datatype=XSD.date)
    assert g.value(ref, DCTERMS.accrualPeriodicity) == URIRef(FREQ + "MONTHLY")


# --- Hydra paging, as data.gouv.fr's DCAT harvester reads it ----------------------------

def harvest(app, first_url: str) -> tuple[list[str], list[str]]:
    """GET the first page, then follow hydra:next until there is none: the datasets read
    (their dct:identifier) and the pages fetched."""
    identifiers, pages, url = [], [], first_url
    while url:
        pages.append(url)
        parts = urlsplit(url)
        g = graph(app, parts.path + ("?" + parts.query if parts.query else ""))
        identifiers += [str(g.value(d, DCTERMS.identifier)) for d in g.subjects(RDF.type, DCAT.Dataset)]
        nexts = [o for s in g.subjects(RDF.type, HYDRA.PagedCollection) for o in g.objects(s, HYDRA.next)]
        assert len(nexts) <= 1
        url = str(nexts[0]) if nexts else None
        assert len(pages) < 50, "hydra:next never ends"
    return identifiers, pages


@pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", 4)
def test_hydra_paging_with_modified_since(app, world, ckan_config):
    published = helpers.call_action("package_search", {"user": "", "ignore_auth": False}, q="*:*", rows=1000,
                                    fl="id")
    expected = {row["id"] for row in published["results"]}
    assert len(expected) > 8  # more than two pages
    since = (dt.datetime.utcnow() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    identifiers, pages = harvest(app, f"/catalog.ttl?modified_since={since}")
    assert len(pages) == -(-len(expected) // 4)
    assert len(identifiers) == len(set(identifiers)) and set(identifiers) == expected
    assert all(f"modified_since={since}" in page for page in pages[1:])

    # the same with an offset (a "+" encoded by the client), and with a query with spaces
    identifiers, _ = harvest(app, "/catalog.ttl?modified_since=" + since.replace("Z", "%2B00:00"))
    assert set(identifiers) == expected
    demo_ids = {row["id"] for row in helpers.call_action(
        "package_search", {"user": "", "ignore_auth": False}, q="données démonstration", rows=1000, fl="id")["results"]}
    assert len(demo_ids) > 4
    identifiers, pages = harvest(app, "/catalog.ttl?q=donn%C3%A9es%20d%C3%A9monstration")
    assert set(identifiers) == demo_ids and len(pages) > 1
    assert all("q=donn%C3%A9es+d%C3%A9monstration" in page for page in pages[1:])

    # nothing modified since tomorrow: an empty catalogue, no next page
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    identifiers, pages = harvest(app, f"/catalog.ttl?modified_since={tomorrow}")
    assert identifiers == [] and len(pages) == 1


@pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", 4)
def test_hydra_counts_and_last_page(app, world, ckan_config):
    g = graph(app, "/catalog.ttl?page=2")
    [collection] = list(g.subjects(RDF.type, HYDRA.PagedCollection))
    assert int(g.value(collection, HYDRA.totalItems)) == len(world["published"])
    assert int(g.value(collection, HYDRA.itemsPerPage)) == 4
    assert str(g.value(collection, HYDRA.previous)).endswith("/catalog.ttl?page=1")
    last = str(g.value(collection, HYDRA.last))
    last_page = int(re.search(r"page=(\d+)$", last).group(1))
    assert last_page == -(-len(world["published"]) // 4)
    beyond = graph(app, f"/catalog.ttl?page={last_page + 1}")
    assert list(beyond.subjects(RDF.type, DCAT.Dataset)) == []


# --- Only published datasets, whatever the door ------------------------------------------

def test_pending_and_deleted_datasets_never_in_the_catalogue(app, world):
    everything = titles(graph(app, "/catalog.ttl"))
    for params in ({}, {"q": "attente"}, {"fq": "+state:draft"}, {"fq": "+state:deleted"}, {"fq": "capacity:private"},
                   {"fq": "name:zz-en-attente OR name:zz-supprime"}, {"q": "*:*", "fq": "private:true"},
                   {"fq": "+state:(draft OR deleted OR active)"}):
        response = app.get("/catalog.ttl", query_string=params)
        if response.status_code == 400:  # a filter the search refuses: nothing shown
            continue
        assert response.status_code == 200, params
        found = titles(Graph().parse(data=response.body, format="turtle"))
        assert "Jeu en attente de validation" not in found and "Jeu supprimé" not in found, params
        assert found <= everything, params


def test_pending_dataset_rdf_is_not_found_for_anonymous(app, world):
    pending = world["pending"]
    for url in (f"/dataset/{pending['id']}.ttl", f"/dataset/{pending['name']}.rdf", f"/dataset/{pending['name']}.jsonld"):
        assert app.get(url).status_code == 404, url
    assert app.get(f"/dataset/{pending['name']}", headers={"Accept": "text/turtle"}).status_code == 404
    assert app.get(f"/dataset/{world['deleted']['name']}.ttl").status_code == 404


def test_reviewer_sees_the_pending_dataset_but_not_in_the_catalogue(app, world):
    """A reviewer (the sysadmin holds every role) may read the pending dataset's page and
    RDF; the catalogue, even fetched by them, lists published datasets only."""
    headers = {"Authorization": helpers.call_action("api_token_create", {"user": ADMIN}, user=ADMIN,
                                                    name="dcat-test")["token"]}
    pending = world["pending"]
    assert app.get(f"/dataset/{pending['name']}.ttl", headers=headers).status_code == 200
    g = graph(app, "/catalog.ttl", headers=headers)
    assert "Jeu en attente de validation" not in titles(g)


# --- Bad requests: a French 400 --------------------------------------------------------

def test_bad_requests_are_a_french_400(app, world):
    for url, words in (
        ("/catalog.ttl?page=abc", "page"), ("/catalog.ttl?page=0", "page"), ("/catalog.ttl?page=-3", "page"),
        ("/catalog.ttl?page=99999999999999999999", "page"), ("/catalog.ttl?modified_since=hier", "modified_since"),
        ("/catalog.ttl?modified_since=2024-13-45", "modified_since"), ("/catalog.ttl?profiles=schemaorg", "profiles"),
        ("/catalog.ttl?profiles=euro_dcat_ap_2,euro_dcat_ap_3", "profiles"), ("/catalog.exe", "format"),
        ("/catalog.ttl%00", "format"), ("/dataset/zz-tous-les-champs.exe", "format"),
    ):
        response = app.get(url)
        assert response.status_code == 400, (url, response.status_code)
        assert response.headers["Content-Type"].startswith("text/plain"), url
        body = response.get_data(as_text=True)
        assert words in body.lower() and any(w in body for w in ("doit", "inconnu", "accepte")), (url, body)
    api = app.get("/api/3/action/dcat_catalog_show", query_string={"format": "ttl", "page": "x"})
    assert api.status_code == 409 and api.json["success"] is False
    assert "doit" in api.json["error"]["page"][0]
    api = app.get("/api/3/action/dcat_catalog_show", query_string={"format": "ttl"})
    assert api.status_code == 200 and "dcat:Dataset" in api.json["result"]


def test_content_negotiation_on_the_catalogue_and_dataset(app, world):
    turtle = app.get("/", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.headers["Content-Type"].startswith("text/turtle")
    assert len(list(Graph().parse(data=turtle.body, format="turtle").subjects(RDF.type, DCAT.Dataset))) == \
        len(world["published"])
    jsonld = app.get(f"/dataset/{world['full']['name']}", headers={"Accept": "application/ld+json"})
    assert jsonld.status_code == 200 and jsonld.headers["Content-Type"].startswith("application/ld+json")
    html = app.get(f"/dataset/{world['full']['name']}", headers={"Accept": "text/html"})
    assert html.status_code == 200 and "<html" in html.body
    for response in (turtle, jsonld, html):
        assert "Accept" in response.headers["Vary"]


# --- DataSud's themes as a SKOS concept scheme -------------------------------------------

def test_theme_concepts_of_the_catalogue_resolve_on_the_portal(app, world):
    site = tk.config["ckan.site_url"].rstrip("/")
    catalogue = graph(app, "/catalog.ttl")
    concepts = {c for c in catalogue.subjects(SKOS.inScheme, URIRef(f"{site}/themes"))}
    assert URIRef(f"{site}/themes") in set(catalogue.objects(None, DCAT.themeTaxonomy))
    assert len(concepts) >= 5
    for concept in concepts:
        path = urlsplit(str(concept)).path
        g = graph(app, path, headers={"Accept": "text/turtle"})
        assert (concept, RDF.type, SKOS.Concept) in g
        assert {lit.language for lit in g.objects(concept, SKOS.prefLabel)} == {"fr", "en"}
        assert str(g.value(concept, SKOS.broadMatch)).startswith(EU_THEME)
        # a browser goes to the theme's datasets
        browser = app.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
        assert browser.status_code == 303 and "vocab_themes=" in browser.headers["Location"]


def test_the_scheme_in_rdf_and_html(app, world):
    site = tk.config["ckan.site_url"].rstrip("/")
    scheme = URIRef(f"{site}/themes")
    for url, kwargs in (("/themes.ttl", {}), ("/themes", {"headers": {"Accept": "text/turtle"}})):
        g = graph(app, url, **kwargs)
        assert (scheme, RDF.type, SKOS.ConceptScheme) in g
        assert len(list(g.objects(scheme, SKOS.hasTopConcept))) == 16
    jsonld = app.get("/themes.jsonld")
    assert jsonld.status_code == 200
    assert len(list(Graph().parse(data=jsonld.body, format="json-ld").subjects(RDF.type, SKOS.Concept))) == 16
    html = app.get("/themes")
    assert html.status_code == 200 and "Mobilité et transports" in html.body and "/themes.ttl" in html.body
    for bad in ("/themes/inconnu", "/themes/inconnu.ttl", "/themes.exe", "/themes/agriculture.exe",
                "/themes/..%2Fetc%2Fpasswd"):
        assert app.get(bad).status_code == 404, bad


# --- schema.org JSON-LD in the dataset page -----------------------------------------------

def structured_data(body: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    return {node["@id"]: node for node in data["@graph"]}


def test_dataset_page_has_schema_org_dataset(app, world):
    full = world["full"]
    nodes = structured_data(app.get(f"/dataset/{full['name']}").body)
    [dataset] = [n for n in nodes.values() if n.get("@type") == "schema:Dataset"]
    assert dataset["schema:name"] == full["title"]
    assert dataset["schema:description"].startswith("Un jeu de données")
    assert dataset["schema:license"].endswith("://opendatacommons.org/licenses/odbl/1-0/")
    assert dataset["schema:inLanguage"] == "fr"
    assert dataset["schema:temporalCoverage"] == "2022-01-01/2024-06-30"
    assert dataset["schema:dateModified"]
    assert nodes[dataset["schema:publisher"]["@id"]]["schema:name"] == "Agence régionale de la mobilité"
    assert "schema:creator" in dataset
    place = nodes[dataset["schema:spatialCoverage"]["@id"]]
    assert place["schema:identifier"] == "13001" and place["schema:name"] == "Aix-en-Provence"
    assert nodes[place["schema:geo"]["@id"]]["schema:box"] == "43.47 5.35 43.6 5.52"
    distribution = dataset["schema:distribution"]
    [download] = [nodes[d["@id"]] for d in (distribution if isinstance(distribution, list) else [distribution])]
    assert download["@type"] == "schema:DataDownload"
    assert download["schema:contentUrl"] == "https://www.exemple.fr/donnees/velo/pistes.geojson"
    assert "telecharger" not in json.dumps(nodes)
    assert nodes[dataset["schema:subjectOf"]["@id"]]["schema:name"] == "Délibération n° 2022-15"


def test_no_structured_data_of_a_pending_dataset_for_anonymous(app, world):
    response = app.get(f"/dataset/{world['pending']['name']}")
    assert response.status_code == 404
    assert "application/ld+json" not in response.body
