"""Harvesting a GeoNetwork catalogue through its CSW answering in DCAT (« CSW-DCAT »: a
GetRecords request with ``outputSchema=http://www.w3.org/ns/dcat#``), the way data.gouv.fr
harvests many French geographic catalogues, given as a DCAT source's address.

The fixtures (tests/fixtures/dcat/csw-dcat) are two pages of a GeoNetwork 4 answer: one
``rdf:RDF`` document per record inside ``csw:SearchResults``, paged by ``startPosition`` /
``nextRecord``, with GeoNetwork's own shapes: descriptions in ``dct:abstract``, dataset
URIs on an unconfigured ``http://localhost:8080`` base, catalogue records whose
``foaf:primaryTopic`` does not match the dataset, themes as URIs of its thesaurus registry
with labels, topic categories as https URIs, the extent as a geometry node, formats
written as ISO 19139 protocols. Harvested once for the module from a real HTTP server.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ckan.tests import factories as ckan_factories

from ckanext.datasud.harvesting import csw_dcat
from tests import factories
from tests.harvesting import CatalogueServer, Page, allowed_hosts, create_source, gather_errors, harvest_twice, run, \
    resources_by_name, source_datasets, warnings_naming

FIXTURES = Path(__file__).parent / "fixtures" / "dcat" / "csw-dcat"
CSW = ("/geonetwork/srv/fre/csw?service=CSW&version=2.0.2&request=GetRecords&typeNames=csw:Record"
       "&resultType=results&elementSetName=full&outputSchema=http://www.w3.org/ns/dcat%23")
PAGE_1 = CSW + "&startPosition=1&maxRecords=2"
PAGE_2 = CSW + "&maxRecords=2&startPosition=3"  # as DataSud writes the next page's address
CYCLING = "Aménagements cyclables de la Métropole Toulon Provence Méditerranée"
FLOODS = "Zones inondables des PPRI de la métropole"
TREES = "Arbres d'alignement de la ville de Toulon"
GEONETWORK = "https://sig.metropole-tpm.example.fr/geonetwork"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def harvested(clean_module_db):
    return harvest_twice({PAGE_1: Page(fixture("geonetwork4-page-1.xml"), "application/xml;charset=UTF-8"),
                          PAGE_2: Page(fixture("geonetwork4-page-2.xml"), "application/xml;charset=UTF-8")}, PAGE_1,
                         publication_mode="reference")


warnings_of = warnings_naming


def test_every_page_of_the_answer_is_harvested(harvested):
    assert gather_errors(harvested["job"]) == []
    assert harvested["report"]["record_errors"] == []
    assert set(harvested["datasets"]) == {CYCLING, FLOODS, TREES}
    assert harvested["job"]["stats"]["added"] == 3
    assert harvested["requests"][:2] == [PAGE_1, PAGE_2]  # startPosition at nextRecord
    assert all(not d["private"] for d in harvested["datasets"].values())


def test_geonetwork_s_dcat_is_read_as_meant(harvested):
    cycling = harvested["datasets"][CYCLING]
    assert cycling["notes"].startswith("Pistes et bandes cyclables")  # dct:abstract
    assert cycling["themes"] == ["mobilite-transports"]  # INSPIRE theme by its French label
    assert harvested["datasets"][TREES]["themes"] == ["environnement-climat"]  # https topic category URI
    assert json.loads(cycling["spatial"]) == {"type": "Polygon", "coordinates": [
        [[5.75, 43.03], [5.75, 43.25], [6.32, 43.25], [6.32, 43.03], [5.75, 43.03]]]}  # geometry node
    assert cycling["publisher_name"] == "Métropole Toulon Provence Méditerranée"
    # no dcat:contactPoint: the publisher's member's address (GeoNetwork's point of contact)
    assert (cycling["contact_name"], cycling["contact_email"]) == (
        "Métropole Toulon Provence Méditerranée", "sig@metropole-tpm.example.fr")
    assert "contact_email" not in harvested["datasets"][TREES]  # nobody to write to: nothing made up
    assert {t["name"] for t in cycling["tags"]} == {"vélo", "mobilité douce"}


def test_iso_protocols_become_formats(harvested):
    cycling = resources_by_name(harvested["datasets"][CYCLING])
    assert cycling["amenagements_cyclables"]["format"] == "WMS"  # OGC:WMS
    assert cycling["Aménagements cyclables (Shapefile zippé)"]["format"] == "ZIP"  # WWW:DOWNLOAD, .zip
    assert resources_by_name(harvested["datasets"][FLOODS])["ppri_zonage"]["format"] == "WFS"
    assert resources_by_name(harvested["datasets"][TREES])["Arbres d'alignement (CSV)"]["format"] == "CSV"


def test_landing_pages_are_public_pages_never_localhost(harvested):
    # the record's HTML view, named by its catalogue record (matched by identifier)
    assert harvested["datasets"][CYCLING]["url"] == (
        GEONETWORK + "/srv/api/records/6f1d2c3b-0a4e-4c8f-9b7a-tpm-pistes-cyclables")
    assert warnings_of(harvested, CYCLING) == []
    floods = harvested["datasets"][FLOODS]
    assert "localhost" not in floods["url"]
    uri = "http://localhost:8080/geonetwork/srv/resources/datasets/0c9e8d7f-tpm-zones-inondables-ppri"
    assert warnings_of(harvested, FLOODS) == [
        f"Avertissement : fiche « {FLOODS} » ({uri}), champ page de la donnée = « {uri} » : adresse locale du "
        "serveur du partenaire (localhost), pas une page publique : elle n'est pas reprise."]


def test_an_unchanged_answer_is_not_rewritten(harvested):
    assert harvested["again"]["stats"]["not modified"] == 3
    assert harvested["again"]["stats"]["updated"] == 0


CAPABILITIES = """<?xml version="1.0" encoding="UTF-8"?>
<csw:Capabilities xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:ows="http://www.opengis.net/ows"
                  version="2.0.2"><ows:ServiceIdentification><ows:Title>Catalogue de la métropole</ows:Title>
</ows:ServiceIdentification></csw:Capabilities>"""


def test_a_csw_address_alone_is_asked_for_its_records_in_dcat(harvested):
    """A partner gives its GeoNetwork's CSW address alone (…/srv/fre/csw) as its DCAT
    catalogue: it answers with its capabilities, so the GetRecords request in DCAT is made."""
    base = "/geonetwork/srv/fre/csw"
    first = csw_dcat.records_url(base)
    harvest = harvest_twice({base: Page(CAPABILITIES, "application/xml"),
                             first: Page(fixture("geonetwork4-page-1.xml"), "application/xml"),
                             csw_dcat.next_page(first, 3): Page(fixture("geonetwork4-page-2.xml"), "application/xml")},
                            base)
    assert gather_errors(harvest["job"]) == []
    assert set(harvest["datasets"]) == {CYCLING, FLOODS, TREES}
    assert first.startswith(base + "?service=CSW&version=2.0.2&request=GetRecords&")
    assert "outputSchema=http://www.w3.org/ns/dcat%23" in first


def test_a_page_that_fails_keeps_what_was_read_and_withdraws_nothing(harvested):
    partner, sysadmin = factories.Organization(), ckan_factories.Sysadmin()
    with CatalogueServer() as server, allowed_hosts(server.host):
        server.pages[PAGE_1] = Page(fixture("geonetwork4-page-1.xml"), "application/xml")
        source = create_source(sysadmin, partner, server.url(PAGE_1), validation="convention")
        job = run(source)["job"]
    [error] = gather_errors(job)
    assert error.startswith(f"Page 2 du catalogue illisible ({server.url(PAGE_2)})")
    assert "1 fiche(s) sur les 3 annoncées par le catalogue (hydra:totalItems) n'ont pas été lues." in error
    assert {d["title"] for d in source_datasets(source)} == {CYCLING, FLOODS}


def test_services_give_the_datasets_they_serve_their_endpoint(harvested):
    """GeoDCAT-AP: a service record serving a dataset of the catalogue is that dataset's
    distribution; the dataset it names by URI only is no record; a service serving
    nothing the catalogue lists is skipped with a warning."""
    path = CSW.replace("http://www.w3.org/ns/dcat%23", "http://data.europa.eu/930/")
    harvest = harvest_twice({path: Page(fixture("geonetwork4-geodcatap-services.xml"), "application/xml")}, path)
    job, again = harvest["job"], harvest["again"]
    assert harvest["report"]["record_errors"] == []  # the service's bare reference is not a record without title
    [dataset] = harvest["datasets"].values()
    assert dataset["title"] == "Zonage des PLU de la métropole"
    assert [(r["name"], r["format"], r["url"]) for r in dataset["resources"]] == [
        ("Service WMS de l'urbanisme de la métropole", "WMS",
         "https://sig.metropole-tpm.example.fr/geoserver/urbanisme/ows?SERVICE=WMS&REQUEST=GetCapabilities")]
    assert gather_errors(job) == [
        "Avertissement : fiche « Service WFS des réseaux » (https://sig.metropole-tpm.example.fr/geonetwork/srv/"
        "resources/services/tpm-wfs-reseaux), champ rdf:type = « dcat:DataService » : un service de données n'est "
        "pas un jeu de données : il n'est pas importé."]
    assert again["stats"]["not modified"] == 1  # the distribution is the same at every harvest


def test_geodcatap_record_in_french_with_iso_language_codes(harvested):
    """GeoNetwork 4.2's GeoDCAT-AP: ``xml:lang="fre"`` is French (chosen over "eng"), a
    record named by a bare identifier keeps it as a URN (never a made-up web page), a
    distribution that is only a WFS access gets the WFS format."""
    path = CSW.replace("http://www.w3.org/ns/dcat%23", "http://data.europa.eu/930/")
    harvest = harvest_twice({path: Page(fixture("geonetwork42-geodcatap-bilingual.xml"), "application/xml")}, path)
    again = harvest["again"]
    assert gather_errors(harvest["job"]) == [] and harvest["report"]["record_errors"] == []
    [dataset] = harvest["datasets"].values()
    assert dataset["title"] == "Zones d'aménagement concerté de Toulon"
    assert dataset["notes"] == "Périmètres des zones d'aménagement concerté (ZAC) créées par la ville."
    assert {t["name"] for t in dataset["tags"]} == {"URBANISME"}
    # the statement's text, not its blank node's identifier (a new one at each reading)
    assert dataset["provenance"] == ("Numérisation des dossiers de création des ZAC, contrôlée par le service "
                                     "urbanisme.")
    extras = {e["key"]: e["value"] for e in dataset["extras"]}
    assert extras["guid"] == "urn:x-csw-record:fr-213800000/2024/limite/zac"
    assert dataset["url"] == harvest["url"]  # no page of its own: the partner's catalogue
    assert (dataset["contact_name"], dataset["contact_email"]) == ("Ville de Toulon – Service SIG",
                                                                  "sig@ville-toulon.example.fr")
    assert dataset["themes"] == ["amenagement-urbanisme"]  # REGI
    assert json.loads(dataset["spatial"])["coordinates"][0][0] == [5.87, 43.09]
    # the distribution, then the documentation (foaf:page) as documents, the thumbnail left out
    assert [(r["name"], r["format"], r["resource_type"], r.get("document_kind")) for r in dataset["resources"]] == [
        ("urbanisme:zac", "WFS", "data", None),
        ("Délibération de création de la ZAC du Mont Faron", "", "document", "deliberation"),
        ("Notice de présentation des ZAC", "PDF", "document", "rapport")]
    assert again["stats"]["not modified"] == 1


def test_language_codes_of_three_letters():
    from ckanext.datasud import dcat as dcat_profile
    from rdflib import Literal
    assert [dcat_profile.language_code(t) for t in ("fre", "fra", "FR-fr", "eng", "ger", None, "x-local")] == [
        "fr", "fr", "fr", "en", "de", "", "x"]
    assert dcat_profile.pick_literal([Literal("Planning", lang="eng"), Literal("Urbanisme", lang="fre")]) == \
        Literal("Urbanisme", lang="fre")


# --- Unit tests (no database) --------------------------------------------------------------

def answer(records: str, matched: int = 1, returned: int = 1, following: int = 0) -> bytes:
    return (f'<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">'
            f'<csw:SearchResults numberOfRecordsMatched="{matched}" numberOfRecordsReturned="{returned}" '
            f'nextRecord="{following}">{records}</csw:SearchResults></csw:GetRecordsResponse>').encode()


DATASET = ('<dcat:Dataset xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/" '
           'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" rdf:about="https://x.example/d/1">'
           '<dct:title>Un jeu</dct:title></dcat:Dataset>')


def next_of(graph) -> list[str]:
    return [str(o) for o in graph.objects(None, csw_dcat.HYDRA.nextPage)]


def test_next_page_address():
    assert csw_dcat.next_page("https://x.example/csw?request=GetRecords&STARTPOSITION=1&outputSchema=http://www.w3."
                              "org/ns/dcat%23", 51) == ("https://x.example/csw?request=GetRecords&outputSchema=http://"
                                                        "www.w3.org/ns/dcat%23&startPosition=51")


def test_paging_stops_where_the_server_says():
    url = "https://x.example/csw?request=GetRecords&startPosition=1"
    assert next_of(csw_dcat.graph(answer(DATASET, matched=3, following=2), url)) == [
        "https://x.example/csw?request=GetRecords&startPosition=2"]
    assert next_of(csw_dcat.graph(answer(DATASET, matched=1, following=0), url)) == []
    assert next_of(csw_dcat.graph(answer(DATASET, matched=1, following=2), url)) == []  # beyond what matched
    assert next_of(csw_dcat.graph(answer("", matched=3, returned=0, following=2), url)) == []  # an empty page
    assert next_of(csw_dcat.graph(answer(DATASET, matched=9, following=1), url)) == []  # never backwards


def test_a_bare_dcat_element_is_read_as_a_record():
    graph = csw_dcat.graph(answer(DATASET), "https://x.example/csw")
    assert [str(o) for o in graph.objects(None, csw_dcat.DCT.title)] == ["Un jeu"]


@pytest.mark.parametrize("records,found", [
    ('<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"/>', "ISO 19139 (gmd:MD_Metadata)"),
    ('<csw:Record xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"/>', "Dublin Core (csw:Record)"),
])
def test_an_answer_that_is_not_dcat_says_what_to_ask(records, found):
    with pytest.raises(csw_dcat.NotDCAT) as error:
        csw_dcat.graph(answer(records), "https://x.example/csw")
    assert str(error.value).startswith(f"une réponse CSW dont les fiches sont en {found}, pas en DCAT")
    assert "outputSchema=http://www.w3.org/ns/dcat#" in str(error.value)
