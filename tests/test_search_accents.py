"""Search ignores accents and case, and understands French plurals; facet labels keep
their accents; the running Solr core uses the repository's schema.

Datasets like the demo's are indexed once for the module (real Solr, core ckan_test),
then searched through package_search and through the /dataset page.
"""
from __future__ import annotations

import base64
import importlib.util
import json
import time
import urllib.request
from pathlib import Path

import pytest
from ckan.tests import helpers

from tests import factories

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "solr" / "configsets" / "ckan" / "conf"
SOLR_HOME = ROOT / "var" / "solr"


def _sync_conf():
    """solr/sync_conf.py, the script bin/datasud runs (not a package: loaded by path)."""
    spec = importlib.util.spec_from_file_location("sync_conf", ROOT / "solr" / "sync_conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sync_conf = _sync_conf()


@pytest.fixture(scope="module")
def datasets(clean_module_db):
    """Demo-like datasets, published, with accents in titles, notes and keywords, and one
    written without accents."""
    made = {
        "lycees": factories.Dataset(
            name="lycees-publics", title="Localisation des lycées publics",
            notes="Lycées publics de la région : numéro UAI, commune, coordonnées.",
            tags=[{"name": "éducation"}, {"name": "lycées"}], themes=["formation-emploi", "equipements-logement"]),
        "energie": factories.Dataset(
            name="production-consommation-energie", title="Production et consommation d'énergie",
            notes="Production et consommation d'électricité par département.",
            themes=["energies-reseaux", "economie"]),
        "bornes": factories.Dataset(
            name="bornes-recharge", title="Électricité des bornes de recharge",
            notes="Les bornes du réseau de transport urbain.", themes=["energies-reseaux"]),
        "associations": factories.Dataset(
            name="education-populaire", title="Education populaire : les associations agreees",
            notes="Associations agreees par l'Etat.", themes=["citoyennete"]),
        "cales": factories.Dataset(
            name="cales-mise-a-l-eau", title="Cales de mise à l'eau",
            notes="Cales publiques du littoral.", themes=["mer-littoral-montagne"]),
    }
    return {key: dataset["name"] for key, dataset in made.items()}


def found(q: str) -> set[str]:
    return {d["name"] for d in helpers.call_action("package_search", q=q, rows=50)["results"]}


@pytest.mark.parametrize("q", ["education", "éducation", "EDUCATION", "Éducation", "ÉDUCATION", "l'éducation"])
def test_education_with_or_without_accents_finds_both_spellings(datasets, q):
    """A keyword « éducation » and a title « Education » (no accent) are both found,
    whatever the accents and case of the query, and nothing unrelated is."""
    assert found(q) == {datasets["lycees"], datasets["associations"]}


@pytest.mark.parametrize("q", ["electricite", "électricité", "ELECTRICITE", "Électricité", "d'electricite"])
def test_electricity_with_or_without_accents(datasets, q):
    assert found(q) == {datasets["energie"], datasets["bornes"]}


def test_accented_title_found_by_unaccented_title_query(datasets):
    """« Électricité » in a title: the title field itself folds accents (not only the
    catch-all text field)."""
    assert found("title:electricite") == {datasets["bornes"]}
    assert found("title:ÉLECTRICITÉ") == {datasets["bornes"]}


def test_french_stemming_plural_and_singular(datasets):
    """« transports » finds « transport », « lycee » finds « lycées »."""
    assert found("transports") == {datasets["bornes"]}
    assert found("lycee") == {datasets["lycees"]}


def test_dataset_page_search_without_accents(app, datasets):
    """The /dataset page (French UI) lists what package_search finds."""
    page = app.get("/dataset/", query_string={"q": "electricite"}).get_data(as_text=True)
    assert "/dataset/bornes-recharge" in page and "/dataset/production-consommation-energie" in page
    assert "/dataset/cales-mise-a-l-eau" not in page
    page = app.get("/dataset/", query_string={"q": "EDUCATION"}).get_data(as_text=True)
    assert "/dataset/lycees-publics" in page and "/dataset/education-populaire" in page


def test_theme_facet_labels_keep_their_accents(app, datasets):
    """Facet items and the pill of an active filter use the French labels with accents."""
    result = helpers.call_action("package_search", q="*:*", **{"facet.field": ["vocab_themes"]})
    labels = {item["name"]: item["display_name"] for item in result["search_facets"]["vocab_themes"]["items"]}
    assert labels["economie"] == "Économie et entreprises"
    assert labels["energies-reseaux"] == "Énergies et réseaux"
    assert labels["equipements-logement"] == "Équipements, bâtiments et logement"
    page = app.get("/dataset/", query_string={"vocab_themes": "energies-reseaux"}).get_data(as_text=True)
    assert "Énergies et réseaux" in page and "Energies et réseaux" not in page
    assert "Économie et entreprises" in page and "Economie et" not in page


def test_sort_by_date_and_by_downloads_offered(app, datasets):
    page = app.get("/dataset/").get_data(as_text=True)
    assert 'value="metadata_modified desc"' in page and 'value="downloads desc"' in page
    newest = helpers.call_action("package_search", q="*:*", sort="metadata_modified desc")["results"]
    assert [d["name"] for d in newest][0] == datasets["cales"]


def _solr(path: str) -> dict:
    """A JSON request to the test Solr node, with the configuration's credentials."""
    import ckan.plugins.toolkit as tk

    base = tk.config["solr_url"].rsplit("/", 1)[0]
    request = urllib.request.Request(f"{base}/{path}")
    if tk.config.get("solr_user"):
        token = base64.b64encode(f"{tk.config['solr_user']}:{tk.config['solr_password']}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_running_core_uses_the_repository_schema():
    """The loaded `text` type of ckan_test is the repository's French chain, and the core's
    recorded checksum is the config set's."""
    assert sync_conf.core_digest(SOLR_HOME, "ckan_test") == sync_conf.conf_digest(CONF)
    analyzer = _solr("ckan_test/schema/fieldtypes/text?wt=json")["fieldType"]["indexAnalyzer"]
    filters = [f["class"] for f in analyzer["filters"]]
    assert filters.index("solr.ASCIIFoldingFilterFactory") < filters.index("solr.FrenchLightStemFilterFactory")
    assert "solr.ElisionFilterFactory" in filters
    assert (SOLR_HOME / "ckan_test" / "conf" / "schema.xml").read_bytes() == (CONF / "schema.xml").read_bytes()


def test_changed_configuration_reaches_the_running_core(monkeypatch):
    """The path bin/datasud takes when Solr already runs: a core whose recorded checksum
    differs from the repository's gets the conf again and is reloaded (a new start time),
    and a second run changes nothing."""
    import ckan.plugins.toolkit as tk

    def start_time() -> str:
        return _solr("admin/cores?action=STATUS&core=ckan_test&wt=json")["status"]["ckan_test"]["startTime"]

    monkeypatch.setenv("DATASUD_SOLR_PASSWORD", tk.config.get("solr_password") or "")
    base = tk.config["solr_url"].rsplit("/", 1)[0]
    before = start_time()
    stamp = SOLR_HOME / "ckan_test" / sync_conf.STAMP
    stamp.write_text("an older configuration\n")
    try:
        assert sync_conf.main([str(SOLR_HOME), str(CONF), "ckan_test", "--url", base]) == 0
    finally:
        (SOLR_HOME / "ckan_test" / sync_conf.REINDEX_MARK).unlink(missing_ok=True)
    assert sync_conf.core_digest(SOLR_HOME, "ckan_test") == sync_conf.conf_digest(CONF)
    deadline = time.time() + 30
    while start_time() == before and time.time() < deadline:
        time.sleep(0.5)
    assert start_time() != before
    assert sync_conf.sync_core(SOLR_HOME, CONF, "ckan_test", base) is False
