"""Harvesting catalogues as real partners publish them (issue 11, items 3, 8, 15, 16, 19).

Fixtures in tests/fixtures/dcat/real (each says whose shape it imitates). Every catalogue
is served by one real HTTP server on 127.0.0.1 and harvested once, in the module-scoped
``world`` (harvests are the slow part); the tests then read what the harvests left. Pure
functions (syntax detection, digest, messages) have unit tests without the database.
"""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud.harvesting import dcat, records, safety
from ckanext.datasud.harvesting.safety import HarvestFetchError
from tests import factories
from tests.harvesting import CatalogueServer, Page, allowed_hosts, create_source, gather_errors, object_errors, \
    run_in_batches, source_datasets
from tests.harvesting import run as run_one_at_a_time

REAL = Path(__file__).parent / "fixtures" / "dcat" / "real"
WARNING = "Avertissement : "
GEONETWORK = "https://geo.partenaire-a.example/geonetwork/srv/resources/datasets/8f3c2a10-5b2e-4f7a-9d1e-0a1b2c3d4e0"
SERIES = "https://data.region-exemple.eu/series/budget-primitif"
REMOTE_NEW = "33333333-3333-4333-8333-333333333333"


def fixture(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8")


def errors_only(job) -> list[str]:
    """A job's record errors, warnings left out (what was absorbed is not an error)."""
    return [e for e in object_errors(job) if not e.startswith(WARNING)]


def by_title(source) -> dict[str, dict]:
    return {d["title"]: d for d in source_datasets(source)}


def extras(dataset) -> dict[str, str]:
    return {e["key"]: e["value"] for e in dataset.get("extras", [])}


def _ckan_search(datasets: dict) -> str:
    results = [dict(d, id=i, type="dataset") for i, d in datasets.items()]
    return json.dumps({"success": True, "result": {"count": len(results), "results": results}})


def _remote(title: str, theme: str = "TRAN") -> dict:
    return {"name": title.lower().replace(" ", "-"), "title": title, "notes": f"{title}.", "license_id": "lov2",
            "tags": [], "metadata_modified": "2026-10-01T10:00:00", "organization": {"name": "metropole"},
            "extras": [{"key": "theme", "value": json.dumps(
                [f"http://publications.europa.eu/resource/authority/data-theme/{theme}"])}],
            "resources": [{"name": "CSV", "url": f"https://data.metropole.example/files/{title[:5]}.csv",
                           "format": "CSV"}]}


@pytest.fixture(scope="module", params=["one at a time", "in batches"])
def world(request, clean_module_db_each):
    """Every catalogue harvested once (some twice), on a database cleaned for this module:
    each record imported on its own (ckanext-harvest's stages), then again with the
    records imported as DataSud's fetch consumers do, a batch at a time in one transaction
    (harvesting/batches.py, reading at once what is known of the batch's records)."""
    clean_module_db_each()
    run = run_one_at_a_time if request.param == "one at a time" else run_in_batches

    with CatalogueServer() as server, allowed_hosts(server.host):
        sysadmin = ckan_factories.Sysadmin()
        a, b, c = factories.Organization(), factories.Organization(), factories.Organization()
        geonetwork = fixture("geonetwork-rdf.xml")
        pages = {
            "/geonetwork/srv/fre/rdf.search": Page(geonetwork, "application/xml"),
            "/ids/srv/fre/rdf.search": Page(geonetwork.replace("geo.partenaire-a.example", "geo.partenaire-b.example"),
                                            "text/xml; charset=utf-8"),
            "/udata/catalog.jsonld?page=1&page_size=3": Page(fixture("udata-page-1.jsonld"), "application/json"),
            "/udata/catalog.jsonld?page=2&page_size=3": Page("Service Unavailable", "text/plain", status=503),
            "/govdata/katalog.ttl": Page(fixture("govdata-de.ttl"), "text/plain"),
            "/commune/donnees.rdf": Page(fixture("relative-about.xml"), "text/xml"),
            "/budget/catalogue.ttl": Page(fixture("dcat-ap-3-series.ttl"), "text/turtle"),
            "/dataportal/dcat.ttl": Page(fixture("dataportal-se-blank-nodes.ttl"), "text/turtle"),
            "/geonetwork/srv/eng/csw": Page(fixture("geonetwork-csw-answer.xml"), "application/xml"),
            "/accueil": Page("<!DOCTYPE html>\n<html lang=\"fr\"><body>Portail</body></html>", "text/html"),
            "/metropole-a/catalog.ttl": Page(fixture("takeover-partner-a.ttl"), "text/turtle"),
            "/departement-b/catalogue.ttl": Page(fixture("takeover-partner-b.ttl"), "text/turtle"),
        }
        server.pages.update(pages)

        def source(org, path, **settings):
            return create_source(sysadmin, org, server.url(path), validation="convention", **settings)

        sources = SimpleNamespace(
            geonetwork_xml=source(a, "/geonetwork/srv/fre/rdf.search"),
            geonetwork_text=source(c, "/ids/srv/fre/rdf.search"),
            udata=source(c, "/udata/catalog.jsonld?page=1&page_size=3", default_themes=["social-sante-sports"]),
            govdata=source(c, "/govdata/katalog.ttl"),
            relative=source(c, "/commune/donnees.rdf"),
            series=source(c, "/budget/catalogue.ttl"),
            blank=source(c, "/dataportal/dcat.ttl"),
            csw=source(c, "/geonetwork/srv/eng/csw"),
            html=source(c, "/accueil"),
            partner_a=source(a, "/metropole-a/catalog.ttl"),
            partner_b=source(b, "/departement-b/catalogue.ttl"),
        )
        jobs = {name: run(getattr(sources, name))["job"] for name in vars(sources)
                if name not in ("partner_a", "partner_b")}

        # takeover: A first, then B repeating A's guids, then both again
        jobs["partner_a"] = run(sources.partner_a)["job"]
        a_before = {d["id"]: d for d in source_datasets(sources.partner_a)}
        jobs["partner_b"] = run(sources.partner_b)["job"]
        a_after_b = {d: helpers.call_action("package_show", {"ignore_auth": True}, id=d)
                     for d in a_before}
        jobs["partner_a_again"] = run(sources.partner_a)["job"]
        jobs["partner_b_again"] = run(sources.partner_b)["job"]
        b_datasets = {d["title"]: d for d in source_datasets(sources.partner_b)}
        # B drops its copy of A's tramway record: B's copy is withdrawn, A's stays
        tramway_b = [d["id"] for d in b_datasets.values() if "tramway" in d["title"]]
        b_file = fixture("takeover-partner-b.ttl")
        b_file = b_file[:b_file.index("<https://data.metropole-a.example/dataset/lignes-tramway> a dcat:Dataset")] + \
            b_file[b_file.index("<https://opendata.departement-b.example/dataset/routes-departementales> a"):]
        server.pages["/departement-b/catalogue.ttl"] = Page(b_file, "text/turtle")
        jobs["partner_b_drops"] = run(sources.partner_b)["job"]

        # unchanged records full of blank nodes, harvested a second time
        blank_before = {d["id"]: d["metadata_modified"] for d in source_datasets(sources.blank)}
        jobs["blank_again"] = run(sources.blank)["job"]
        jobs["geonetwork_xml_again"] = run(sources.geonetwork_xml)["job"]

        # a CKAN portal whose remote id is already a dataset entered on DataSud
        local = factories.Dataset(owner_org=a["id"], title="Jeu saisi sur DataSud")
        remote = {local["id"]: _remote("Pistes cyclables"), REMOTE_NEW: _remote("Aires de covoiturage")}
        for path in ("/ckan/api/3/action/package_search", "/ckan/api/action/package_search"):
            server.pages[path] = Page(lambda: _ckan_search(remote), "application/json")
        sources.ckan = create_source(sysadmin, c, server.url("/ckan"), source_type="datasud_ckan",
                                     validation="convention")
        jobs["ckan"] = run(sources.ckan)["job"]
        jobs["ckan_again"] = run(sources.ckan)["job"]

        yield SimpleNamespace(server=server, sources=sources, jobs=jobs, orgs=SimpleNamespace(a=a, b=b, c=c),
                              a_before=a_before, a_after_b=a_after_b, blank_before=blank_before, local=local,
                              b_datasets=b_datasets, tramway_b=tramway_b)


# --- Item 3: the syntax of a catalogue, whatever its media type -----------------------

def test_geonetwork_rdf_xml_served_as_application_xml(world):
    job = world.jobs["geonetwork_xml"]
    assert gather_errors(job) == [] and errors_only(job) == []
    assert job["stats"]["added"] == 3
    datasets = by_title(world.sources.geonetwork_xml)
    assert set(datasets) == {"Zones inondables du Var", "Plan local d'urbanisme de Toulon", "Réseau hydrographique"}
    zones = datasets["Zones inondables du Var"]
    assert extras(zones)["guid"] == GEONETWORK + "1"
    assert zones["themes"] == ["environnement-climat"]  # INSPIRE nz
    assert zones["license_id"] == "etalab-2.0"
    assert {r["url"] for r in zones["resources"]} == {
        "https://geo.partenaire-a.example/donnees/zones_inondables_var.zip",
        "https://geo.partenaire-a.example/geoserver/ows?SERVICE=WMS&REQUEST=GetCapabilities"}
    assert datasets["Plan local d'urbanisme de Toulon"]["themes"] == ["amenagement-urbanisme"]  # INSPIRE lu


def test_rdf_xml_served_as_text_xml_with_charset(world):
    job = world.jobs["geonetwork_text"]
    assert gather_errors(job) == [] and errors_only(job) == []
    assert job["stats"]["added"] == 3
    guids = {extras(d)["guid"] for d in source_datasets(world.sources.geonetwork_text)}
    assert guids == {GEONETWORK.replace("partenaire-a", "partenaire-b") + n for n in "123"}


def test_jsonld_served_as_application_json(world):
    job = world.jobs["udata"]
    assert errors_only(job) == []
    datasets = by_title(world.sources.udata)
    assert set(datasets) == {"Horaires des piscines municipales", "Arbres d'alignement", "Stationnements vélos"}
    piscines = datasets["Horaires des piscines municipales"]
    assert piscines["themes"] == ["social-sante-sports"]  # the source's default: udata gives no dcat:theme
    assert piscines["url"] == "https://www.data.udata-portail.example/datasets/horaires-des-piscines/"
    assert piscines["resources"][0]["url"] == \
        "https://static.data.udata-portail.example/resources/horaires-piscines.csv"


def test_turtle_served_as_text_plain(world):
    job = world.jobs["govdata"]
    assert gather_errors(job) == [] and errors_only(job) == []
    assert job["stats"]["added"] == 2
    datasets = source_datasets(world.sources.govdata)
    assert {extras(d)["guid"] for d in datasets} == {"https://www.govdata.example/dataset/partnerstaedte-2024",
                                                     "https://www.govdata.example/dataset/austausch-schueler"}
    assert {t for d in datasets for t in d["themes"]} == {"administration", "formation-emploi"}  # GOVE, EDUC


@pytest.mark.parametrize("name,found", [
    ("csw", "une réponse CSW dont les fiches sont en ISO 19139 (gmd:MD_Metadata), pas en DCAT (pour la moissonner "
            "en DCAT, ajoutez outputSchema=http://www.w3.org/ns/dcat# à l'adresse de la requête GetRecords)"),
    ("html", "une page HTML"),
])
def test_a_document_that_is_not_rdf_is_a_clear_gather_error(world, name, found):
    source = getattr(world.sources, name)
    [error] = gather_errors(world.jobs[name])
    assert error.startswith(f"Le catalogue {source['url']} n'est pas un document RDF (DCAT) : {found}.")
    assert source_datasets(source) == []


# --- Item 15: relative rdf:about, and one partner cannot take another's datasets ------

def test_relative_rdf_about_resolved_against_the_catalogue_url(world):
    job = world.jobs["relative"]
    assert gather_errors(job) == [] and errors_only(job) == []
    base = world.server.url("/commune/")
    datasets = by_title(world.sources.relative)
    marches, toilettes = datasets["Marchés forains"], datasets["Toilettes publiques"]
    assert (extras(marches)["guid"], extras(marches)["uri"]) == (base + "dataset/42", base + "dataset/42")
    assert extras(toilettes)["guid"] == base + "donnees.rdf#ds1"
    assert toilettes["url"] == base + "donnees.rdf#ds1"  # no landing page: the record's URI
    assert "file:" not in json.dumps(datasets)  # never the harvest server's own directory


def test_partner_b_repeating_partner_a_guids_takes_nothing_from_a(world):
    a_datasets = world.a_before
    assert sorted(d["title"] for d in a_datasets.values()) == ["Lignes de tramway", "Parkings relais de la Métropole"]
    for package_id, before in a_datasets.items():
        after = world.a_after_b[package_id]
        assert (after["title"], after["owner_org"], after["metadata_modified"]) == \
            (before["title"], world.orgs.a["id"], before["metadata_modified"])
        assert [r["url"] for r in after["resources"]] == [r["url"] for r in before["resources"]]
    b_datasets = world.b_datasets
    assert set(b_datasets) == {"Parkings relais (copie départementale)", "Lignes de tramway (copie départementale)",
                               "Routes départementales"}
    assert world.jobs["partner_b"]["stats"]["added"] == 3
    assert not set(d["id"] for d in b_datasets.values()) & set(a_datasets)
    assert {d["owner_org"] for d in b_datasets.values()} == {world.orgs.b["id"]}
    # the same guid, each source its own dataset
    assert extras(b_datasets["Lignes de tramway (copie départementale)"])["guid"] == \
        "https://data.metropole-a.example/dataset/lignes-tramway"


def test_the_conflict_is_a_warning_naming_the_other_source(world):
    warnings = [e for e in object_errors(world.jobs["partner_b"]) if e.startswith(WARNING)]
    conflicts = [w for w in warnings if "identifiant déjà utilisé par" in w]
    assert len(conflicts) == 2
    source_a = world.sources.partner_a["title"]
    assert any(w.startswith(f"{WARNING}fiche « Lignes de tramway (copie départementale) » "
                            "(https://data.metropole-a.example/dataset/lignes-tramway), champ identifiant = "
                            "« https://data.metropole-a.example/dataset/lignes-tramway » : identifiant déjà "
                            f"utilisé par la source « {source_a} », organisation « {world.orgs.a['title']} »")
               for w in conflicts), conflicts
    assert all("importée comme un jeu de données distinct" in w for w in conflicts)
    assert errors_only(world.jobs["partner_b"]) == []  # warnings only: every record imported


def test_each_source_keeps_matching_its_own_datasets(world):
    again_a, again_b = world.jobs["partner_a_again"]["stats"], world.jobs["partner_b_again"]["stats"]
    assert (again_a.get("added", 0), again_a.get("not modified")) == (0, 2)
    assert (again_b.get("added", 0), again_b.get("not modified")) == (0, 3)
    assert len(source_datasets(world.sources.partner_a)) == 2  # still listed under A (current harvest objects)
    assert len(world.b_datasets) == 3


def test_a_record_dropped_by_b_withdraws_b_copy_only(world):
    stats = world.jobs["partner_b_drops"]["stats"]
    assert (stats.get("deleted"), stats.get("added", 0)) == (1, 0)
    [tramway_b] = world.tramway_b
    assert helpers.call_action("datasud_workflow_show", {"ignore_auth": True}, id=tramway_b)["state"] == "withdrawn"
    a_datasets = by_title(world.sources.partner_a)
    tramway_a = a_datasets["Lignes de tramway"]
    assert tramway_a["private"] is False and tramway_a["id"] != tramway_b
    assert helpers.call_action("datasud_workflow_show", {"ignore_auth": True},
                               id=tramway_a["id"])["state"] == "published"


def test_ckan_remote_id_of_a_local_dataset_gets_a_new_id(world):
    local = helpers.call_action("package_show", {"ignore_auth": True}, id=world.local["id"])
    assert (local["title"], local["owner_org"]) == ("Jeu saisi sur DataSud", world.orgs.a["id"])
    assert local["metadata_modified"] == world.local["metadata_modified"]
    datasets = by_title(world.sources.ckan)
    assert set(datasets) == {"Pistes cyclables", "Aires de covoiturage"}, \
        (gather_errors(world.jobs["ckan"]), object_errors(world.jobs["ckan"]))
    assert datasets["Aires de covoiturage"]["id"] == REMOTE_NEW  # the remote id, as before
    assert datasets["Pistes cyclables"]["id"] != world.local["id"]
    [conflict] = [w for w in object_errors(world.jobs["ckan"]) if "déjà utilisé" in w]
    assert f"champ id = « {world.local['id']} »" in conflict
    assert "le jeu de données « Jeu saisi sur DataSud »" in conflict and "saisi directement sur DataSud" in conflict
    # the next run finds the dataset it made, under its new id
    assert world.jobs["ckan_again"]["stats"].get("added", 0) == 0
    assert len(source_datasets(world.sources.ckan)) == 2


# --- Item 16: blank nodes do not make unchanged records look changed -------------------

def test_unchanged_blank_node_records_are_not_rewritten(world):
    first = world.jobs["blank"]
    assert gather_errors(first) == [] and errors_only(first) == [] and first["stats"]["added"] == 3
    again = world.jobs["blank_again"]["stats"]
    assert (again.get("not modified"), again.get("updated", 0), again.get("added", 0)) == (3, 0, 0)
    after = {d["id"]: d["metadata_modified"] for d in source_datasets(world.sources.blank)}
    assert after == world.blank_before
    bornes = [d for d in source_datasets(world.sources.blank) if len(d["resources"]) == 3]
    assert len(bornes) == 1  # three blank-node distributions, all kept


def test_geonetwork_blank_node_distributions_not_rewritten(world):
    again = world.jobs["geonetwork_xml_again"]["stats"]
    assert (again.get("not modified"), again.get("updated", 0)) == (3, 0)


# --- Item 8: DCAT-AP 3 series and data services ------------------------------------------

def test_series_imported_with_its_members_linked(world):
    job = world.jobs["series"]
    assert errors_only(job) == [] and job["stats"]["added"] == 3
    datasets = by_title(world.sources.series)
    series = datasets["Budget primitif de la Région"]
    assert extras(series)["guid"] == SERIES
    assert series["url"] == "https://www.region-exemple.eu/budget"
    assert [(r["name"], r["url"]) for r in series["resources"]] == [
        ("Jeu de données de la série : Budget primitif 2023", "https://www.region-exemple.eu/budget/2023"),
        ("Jeu de données de la série : Budget primitif 2024",
         "https://data.region-exemple.eu/dataset/budget-primitif-2024")]
    for year in ("2023", "2024"):
        member = datasets[f"Budget primitif {year}"]
        assert member["notes"].endswith(
            "Fait partie de la série « Budget primitif de la Région » : https://www.region-exemple.eu/budget.")
    assert [r["url"] for r in datasets["Budget primitif 2024"]["resources"]] == [
        "https://data.region-exemple.eu/api/budgets?annee=2024"]


def test_a_data_service_serving_a_dataset_becomes_its_distribution(world):
    job = world.jobs["series"]
    assert gather_errors(job) == [] and errors_only(job) == []
    datasets = by_title(world.sources.series)
    assert "API des budgets" not in datasets  # a service is not a dataset
    assert [(r["name"], r["url"]) for r in datasets["Budget primitif 2023"]["resources"]] == [
        ("CSV", "https://data.region-exemple.eu/files/bp-2023.csv"),
        ("API des budgets", "https://data.region-exemple.eu/api/budgets")]  # its dcat:servesDataset


def test_a_lone_data_service_is_reported_as_skipped():
    ttl = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    <https://data.region-exemple.eu/api/budgets> a dcat:DataService ; dct:title "API des budgets"@fr ;
        dcat:endpointURL <https://data.region-exemple.eu/api/budgets> ;
        dcat:servesDataset <https://data.region-exemple.eu/dataset/ailleurs> .
    <https://data.region-exemple.eu/dataset/ailleurs> a dcat:Dataset ."""
    graph = dcat.read_graph(ttl.encode(), ttl, "text/turtle", "https://data.region-exemple.eu/catalogue.ttl")
    assert not set(graph.subjects(dcat.RDF.type, dcat.DCAT.Dataset))  # a bare reference is no record
    assert dcat.lone_services(graph) == [
        f"{WARNING}fiche « API des budgets » (https://data.region-exemple.eu/api/budgets), champ rdf:type = "
        "« dcat:DataService » : un service de données n'est pas un jeu de données : il n'est pas importé."]


# --- Item 19: a Hydra page that cannot be read ----------------------------------------

def test_hydra_page_2_failing_says_which_page_and_what_was_not_read(world):
    job = world.jobs["udata"]
    assert job["stats"]["added"] == 3  # page 1 imported
    page_2 = world.server.url("/udata/catalog.jsonld?page=2&page_size=3")
    [error] = gather_errors(job)
    assert error.startswith(f"Page 2 du catalogue illisible ({page_2}) : Le serveur a répondu 503")
    assert "4 fiche(s) sur les 7 annoncées par le catalogue (hydra:totalItems) n'ont pas été lues." in error
    assert "aucun jeu de données n'est retiré ce jour" in error
    assert "/udata/catalog.jsonld?page=2&page_size=3" in world.server.requests


# --- Unit tests (no database) -----------------------------------------------------------

RDF_XML = '<?xml version="1.0"?>\n<!-- export -->\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'


@pytest.mark.parametrize("text,media_type,expected", [
    (RDF_XML, "application/xml", ["xml"]),
    (RDF_XML, "text/xml; charset=utf-8", ["xml"]),
    (RDF_XML, "application/octet-stream", ["xml"]),
    (RDF_XML, "", ["xml"]),
    ('<dcat:Catalog xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="x"/>', "text/xml", ["xml"]),
    ('{"@context": {}, "@graph": []}', "application/json", ["json-ld"]),
    ('[{"@id": "http://a.example/"}]', None, ["json-ld"]),
    ("# export\n@prefix dcat: <http://www.w3.org/ns/dcat#> .", "text/plain", ["turtle"]),
    ("PREFIX dcat: <http://www.w3.org/ns/dcat#>", "text/plain", ["turtle"]),
    ("<http://a.example/d> <http://purl.org/dc/terms/title> \"x\" .", "application/octet-stream", ["turtle"]),
    ("<dataset/42> a <http://www.w3.org/ns/dcat#Dataset> .", "text/plain", ["turtle"]),
    ("dcat:x", "text/plain", ["turtle", "xml"]),
    ("@prefix dcat: <http://www.w3.org/ns/dcat#> .", "application/rdf+xml", ["xml", "turtle"]),  # mislabelled
    ("anything", "text/turtle", ["turtle", "xml"]),
])
def test_syntax_detection(text, media_type, expected):
    assert dcat.syntaxes(text, media_type) == expected


@pytest.mark.parametrize("text,found", [
    ('<?xml version="1.0"?><csw:GetRecordsResponse xmlns:csw="c"/>', "élément racine est <csw:GetRecordsResponse>"),
    ("<!DOCTYPE html><html><body/></html>", "une page HTML"),
    ('<html lang="fr"><body/></html>', "une page HTML"),
    ('{"success": true, "result": []}', "un document JSON qui n'est pas du JSON-LD"),
    ("   \n", "le document est vide"),
])
def test_what_is_not_rdf(text, found):
    with pytest.raises(dcat.NotRDF) as error:
        dcat.syntaxes(text, "application/xml")
    assert found in str(error.value)


def test_the_sources_rdf_format_is_honoured_alone():
    assert dcat.configured_syntax('{"rdf_format": "turtle"}') == "turtle"
    assert dcat.configured_syntax('{"rdf_format": "application/rdf+xml"}') == "xml"
    assert dcat.configured_syntax('{"rdf_format": ""}') is None and dcat.configured_syntax(None) is None
    assert dcat.syntaxes(RDF_XML, "application/xml", configured="turtle") == ["turtle"]


def test_relative_uris_resolved_in_each_syntax():
    xml = fixture("relative-about.xml")
    graph = dcat.read_graph(xml.encode(), xml, "text/xml", "https://www.commune.example/opendata/dcat.rdf")
    subjects = {str(s) for s in graph.subjects()}
    assert {"https://www.commune.example/opendata/dataset/42",
            "https://www.commune.example/opendata/dcat.rdf#ds1"} <= subjects
    ttl = '<dataset/7> a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> "Sept" .'
    graph = dcat.read_graph(ttl.encode(), ttl, "text/plain", "https://geo.example/cat/page")
    assert {str(s) for s in graph.subjects()} == {"https://geo.example/cat/dataset/7"}


@pytest.mark.parametrize("content_type, content, expected", [
    # Windows-1252 declared as ISO-8859-1 (French exporters: ’ and œ), without charset
    ("application/xml", '<?xml version="1.0" encoding="ISO-8859-1"?><a>L’état œuvre</a>'.encode("cp1252"),
     '<?xml version="1.0" encoding="ISO-8859-1"?><a>L’état œuvre</a>'),
    ("text/turtle; charset=ISO-8859-1", "« Hyères »".encode("latin-1"), "« Hyères »"),
    ("text/turtle", "\ufeff@prefix é".encode("utf-8"), "@prefix é"),  # a byte-order mark
    ("text/turtle; charset=bogus", "é".encode("utf-8"), "é"),  # an unknown charset
    ("application/json; charset=utf-8", "é".encode("latin-1"), "é"),  # a wrong one
    ("text/plain", b"\x81\x92", "\ufffd’"),  # not text in any encoding: read all the same
])
def test_downloaded_text_read_in_its_declared_encoding(content_type, content, expected):
    assert safety.Fetched("https://x.example/", 200, {"content-type": content_type}, content).text() == expected


def test_an_iso_8859_1_rdf_xml_catalogue_keeps_its_accents():
    xml = ('<?xml version="1.0" encoding="ISO-8859-1"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
           ' xmlns:dct="http://purl.org/dc/terms/" xmlns:dcat="http://www.w3.org/ns/dcat#"><dcat:Dataset'
           ' rdf:about="https://x.example/d/1"><dct:title>L’état du réseau à Hyères</dct:title></dcat:Dataset>'
           '</rdf:RDF>').encode("cp1252")
    fetched = safety.Fetched("https://x.example/dcat.rdf", 200, {"content-type": "application/xml"}, xml)
    graph = dcat.read_graph(xml, fetched.text(), "application/xml", fetched.url)
    assert [str(t) for t in graph.objects(None, dcat.DCTERMS.title)] == ["L’état du réseau à Hyères"]


def test_hostile_xml_refused_whatever_the_media_type():
    hostile = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>'
               '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&e;</rdf:RDF>')
    with pytest.raises(HarvestFetchError) as error:
        dcat.read_graph(hostile.encode(), hostile, "text/plain", "https://geo.example/cat")
    assert "il déclare des entités" in str(error.value)


def test_digest_ignores_blank_node_ids_and_order():
    settings = SimpleNamespace(publication_mode="reference", validation="convention", default_themes=(),
                               default_licence="", record_url_template="", excluded_hosts=())
    one = {"title": "T", "resources": [{"url": "a", "distribution_ref": "N36ed69b1eed748c7932bbdd69186fee1"},
                                       {"url": "b", "distribution_ref": "nb44dd4dc18fc42449f547228816ebde9b10"}],
           "provenance_activity": [{"uri": "nb44dd4dc18fc42449f547228816ebde9b1"}], "name": "t"}
    two = {"title": "T", "resources": [{"url": "b", "distribution_ref": "Ne11a9140289343a093b04ac156ab7ac1"},
                                       {"url": "a", "distribution_ref": "N02f027213fd64031a7274f2b37d17d16"}],
           "provenance_activity": [{"uri": "n4427178d91eb450bb6e73a210c289993b7"}], "name": "t-2"}
    assert records.digest(json.dumps(one), settings) == records.digest(json.dumps(two), settings)
    changed = dict(two, resources=[{"url": "c"}, {"url": "a"}])
    assert records.digest(json.dumps(changed), settings) != records.digest(json.dumps(one), settings)
    assert records.canonical("_:dataset-1") == "_:dataset-1"  # a partner's own text is content
    # a changed setting applied to the record (hosts left out of CSW records) is a change too
    excluding = SimpleNamespace(**dict(vars(settings), excluded_hosts=("*.i2",)))
    assert records.digest(json.dumps(one), excluding) != records.digest(json.dumps(one), settings)


@pytest.mark.parametrize("total,expected", [
    (7, "4 fiche(s) sur les 7 annoncées par le catalogue (hydra:totalItems) n'ont pas été lues."),
    (None, "Le nombre de fiches non lues est inconnu (le catalogue n'annonce pas hydra:totalItems)."),
])
def test_incomplete_catalogue_message(total, expected):
    message = dcat.incomplete_message(2, "https://x.example/cat?page=2", "Le serveur a répondu 503.", 3, total)
    assert message.startswith("Page 2 du catalogue illisible (https://x.example/cat?page=2) : Le serveur a répondu "
                              "503. ")
    assert expected in message
