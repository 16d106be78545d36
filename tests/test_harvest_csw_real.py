"""INSPIRE / ISO 19139 records as French publishers really write them, through CSW (issue 11,
items 5, 7, 12, 13 and 14 for ISO 19139).

tests/fixtures/csw/real holds records shaped like those of a DDT's GeoNetwork (translations,
a dozen online resources, intranet links), IGN's Géoplateforme (GML 3.2), Géo-IDE (inverted
and projected bounding boxes), the Catalan SDI (Catalan and English) and a cross-border
GeoNetwork (English, French, Italian), and two INSPIRE service records (a DDT's WMS, a
Géo-IDE Atom download feed). They are served by a real pycsw and harvested ONCE
(module-scoped fixture); each test then reads the datasets and the job report. The pure
readers of :mod:`ckanext.datasud.harvesting.inspire` have fast unit tests at the end.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from ckan.tests import factories as ckan_factories
from ckanext.harvest.model import HarvestSource

from ckanext.datasud.harvesting import inspire, reports
from ckanext.datasud.harvesting.settings import SourceSettings, extra_schema
from tests import factories
from tests.csw_server import PycswServer
from tests.harvesting import allowed_hosts, create_source, run, source_datasets

FIXTURES = Path(__file__).parent / "fixtures" / "csw" / "real"
RECORDS = {path.name: path.read_text(encoding="utf-8") for path in sorted(FIXTURES.glob("*.xml"))}

PLU = "Plan local d'urbanisme (PLU) de Carpentras – zonage"
PLU_GUID = "b7c1e2d4-84a0-4f5e-9c3a-ddt84-plu-carpentras"
BDTOPO = "BD TOPO® – Bâtiments (Provence-Alpes-Côte d'Azur)"
ZNIEFF = "ZNIEFF de type II en Provence-Alpes-Côte d'Azur"
PPRIF = "Plan de prévention des risques d'incendie de forêt (PPRIF) de Digne-les-Bains"
CATALAN = "Protected natural areas of Catalonia"
ALCOTRA = "Couloirs d'avalanche des Alpes du Sud"
WMS_SERVICE = "Service WMS de l'urbanisme en Vaucluse (DDT 84)"
ATOM_SERVICE = "Service de téléchargement Atom des PPRIF des Alpes-de-Haute-Provence"
ATOM_GUID = "fr-120066022-srv-atom-pprif-04"
GEOIDE_PAGE = "https://catalogue.geo-ide.example.gouv.fr/catalogue/srv/fre/catalog.search#/metadata/"


@pytest.fixture(scope="module")
def harvest(clean_module_db):
    """One harvest of the whole corpus, intranet hosts excluded by the source."""
    with PycswServer() as server, allowed_hosts(server.host):
        server.load(RECORDS)
        organization, sysadmin = factories.Organization(), ckan_factories.Sysadmin()
        source = create_source(sysadmin, organization, server.url, source_type="datasud_csw",
                               validation="convention", excluded_hosts="*.i2, intranet.ddt-84.i2")
        result = run(source)
        report = reports.job_report(result["job"]["id"])
        datasets = {d["title"]: d for d in source_datasets(source)}
        yield {"server": server, "source": source, "result": result, "report": report, "datasets": datasets,
               "sysadmin": sysadmin}


def warnings_of(harvest, guid: str) -> list[str]:
    return [w["message"] for w in harvest["report"]["warnings"] if w["guid"] == guid]


def resources(dataset) -> list[tuple]:
    return [(r["name"], r["format"], r["resource_type"], r.get("document_kind")) for r in dataset["resources"]]


# --- The harvest as a whole ---------------------------------------------------------------

def test_every_record_with_a_title_is_imported(harvest):
    counts = harvest["report"]["job"]["counts"]
    assert (counts["new"], counts["errors"]) == (8, 1)
    assert harvest["result"]["objects"]["ville-manosque-brouillon-0001"]["report_status"] == "errored"
    assert set(harvest["datasets"]) == {PLU, BDTOPO, ZNIEFF, PPRIF, CATALAN, ALCOTRA, WMS_SERVICE, ATOM_SERVICE}
    [refused] = harvest["report"]["record_errors"]
    assert (refused["guid"], refused["message"]) == (
        "ville-manosque-brouillon-0001",
        "Fiche sans titre (gmd:title) : elle n'est pas importée. Le titre est obligatoire pour INSPIRE comme pour "
        "DataSud.")
    assert harvest["report"]["gather_errors"] == []
    assert {d["private"] for d in harvest["datasets"].values()} == {False}


# --- Item 14: online resources typed, metadata views, intranet hosts -------------------------

def test_geonetwork_online_resources_get_format_and_kind(harvest):
    plu = harvest["datasets"][PLU]
    assert resources(plu) == [
        ("N_ZONE_URBA_S_084", "WMS", "data", None),
        ("N_ZONE_URBA_S_084", "WFS", "data", None),
        ("Zonage du PLU (ESRI Shapefile zippé)", "ZIP", "data", None),
        ("ESRI Shapefile", "SHP", "data", None),
        ("MapInfo TAB", "TAB", "data", None),
        ("Archive complète du PLU numérisé", "ZIP", "data", None),
        ("Rapport de présentation du PLU", "PDF", "document", "rapport"),
        ("Arrêté d'approbation du PLU", "", "document", "arrete")]
    assert plu["resources"][0]["description"] == "Zonage du PLU"
    assert plu["resources"][5]["mimetype"] == "application/zip"  # the protocol was a media type


def test_metadata_views_make_the_landing_page_not_data(harvest):
    plu = harvest["datasets"][PLU]
    assert plu["url"] == GEOIDE_PAGE + PLU_GUID
    urls = [r["url"] for r in plu["resources"]]
    assert not [u for u in urls if "metadata" in u or "/api/records/" in u]
    assert harvest["datasets"][ZNIEFF]["url"] == GEOIDE_PAGE + "fr-120066022-jdd-znieff2-paca"
    assert [r["name"] for r in harvest["datasets"][ZNIEFF]["resources"]] == ["ZNIEFF de type II", "ZNIEFF2 PACA"]
    # no page of its own: the record on the partner's CSW, as before
    assert "request=GetRecordById" in harvest["datasets"][BDTOPO]["url"]
    assert "id=IGNF_BDTOPO_3-4_BATIMENTS_R93" in harvest["datasets"][BDTOPO]["url"]


def test_intranet_and_file_share_links_are_left_out_with_a_warning(harvest):
    urls = [r["url"] for d in harvest["datasets"].values() for r in d["resources"]]
    assert not [u for u in urls if ".i2" in u or u.startswith("\\")]
    warnings = warnings_of(harvest, PLU_GUID)
    prefix = f"Avertissement : fiche « {PLU} » ({PLU_GUID}), champ gmd:onLine = "
    excluded = "hôte exclu par la source (*.i2 : réseau interne) : la ressource n'est pas importée."
    assert prefix + ("« http://intranet.ddt-84.i2/sig/plu/carpentras/N_ZONE_URBA_S_084.zip » : adresse sur un "
                     + excluded) in warnings
    assert prefix + ("« http://geoide-carto.metier.i2/1.4/carte.html?map=b7c1e2d4 » : adresse sur un hôte exclu "
                     "par la source (*.i2 : réseau interne) : la ressource n'est pas importée.") in warnings
    assert prefix + ("« \\\\srv-ddt84\\SIG\\URBANISME\\PLU\\Carpentras » : adresse qui n'est pas une adresse web "
                     "(http:// ou https://) : la ressource n'est pas importée.") in warnings
    assert len(warnings) == 3  # nothing else is missing from this record


def test_excluded_hosts_is_a_setting_of_the_source(app, harvest):
    stored = SourceSettings.of(HarvestSource.get(harvest["source"]["id"]))
    assert stored.excluded_hosts == ("*.i2", "intranet.ddt-84.i2")
    headers = {"Authorization": ckan_factories.APIToken(user=harvest["sysadmin"]["name"])["token"]}
    form = app.get(f"/harvest/edit/{harvest['source']['name']}", headers=headers).body
    assert re.search(r'<input[^>]*id="field-excluded-hosts"[^>]*name="excluded_hosts"', form)
    assert "CSW : hôtes dont les liens ne sont pas importés (intranet)" in form


def test_ign_services_downloads_and_documentation(harvest):
    assert resources(harvest["datasets"][BDTOPO]) == [
        ("BDTOPO-GEOPO-BATIMENTS_WLD_WM", "WMTS", "data", None),
        ("BDTOPO_V3:batiment", "WFS", "data", None),
        ("BD TOPO® Région Provence-Alpes-Côte d'Azur", "7Z", "data", None),
        ("batiment", "OGC API Features", "data", None),
        ("Descriptif de contenu de la BD TOPO®", "PDF", "document", "autre")]
    assert resources(harvest["datasets"][PPRIF]) == [
        ("ESRI Shapefile", "SHP", "data", None),  # a WWW:LINK named after its format
        ("Notice de présentation du PPRIF", "PDF", "document", "rapport")]


# --- Item 7: GML 3.2 and the XML schema check ------------------------------------------

def test_gml32_record_is_imported_with_its_temporal_extent(harvest):
    bdtopo = harvest["datasets"][BDTOPO]
    assert bdtopo["temporal_start"] == "2019-03-15"
    assert "temporal_end" not in bdtopo  # indeterminatePosition="now"
    assert bdtopo["inspire_theme"] == "http://inspire.ec.europa.eu/theme/bu"
    assert bdtopo["inspire_conformity"] == "conformant"
    assert bdtopo["license_id"] == "etalab-2.0"
    assert warnings_of(harvest, "IGNF_BDTOPO_3-4_BATIMENTS_R93") == []  # GML 3.2 is no schema fault


def test_schema_faults_are_a_warning_not_a_refusal(harvest):
    warnings = warnings_of(harvest, "fr-120066022-jdd-ddt04-pprif-digne")
    schema = [w for w in warnings if "champ schéma XML (iso19139)" in w]
    assert len(schema) == 1
    assert "'6,1521' is not a valid value of the atomic type 'xs:decimal'" in schema[0]
    assert schema[0].endswith("elle est importée quand même ; à corriger dans le catalogue du partenaire.")
    assert PPRIF in harvest["datasets"]


# --- Item 12: bounding boxes -----------------------------------------------------------------

def test_inverted_bounding_box_is_swapped_with_a_warning(harvest):
    znieff = harvest["datasets"][ZNIEFF]
    assert json.loads(znieff["spatial"]) == {"type": "Polygon", "coordinates": [
        [[4.2304, 42.9822], [7.7186, 42.9822], [7.7186, 45.1268], [4.2304, 45.1268], [4.2304, 42.9822]]]}
    warnings = warnings_of(harvest, "fr-120066022-jdd-znieff2-paca")
    assert [w for w in warnings if "EX_GeographicBoundingBox" in w] == [
        f"Avertissement : fiche « {ZNIEFF} » (fr-120066022-jdd-znieff2-paca), champ gmd:EX_GeographicBoundingBox = "
        "« ouest 7.7186, est 4.2304, sud 42.9822, nord 45.1268 » : bornes inversées (ouest et est) : elles sont "
        "échangées."]


def test_projected_bounding_box_is_dropped_with_its_own_warning(harvest):
    pprif = harvest["datasets"][PPRIF]
    assert json.loads(pprif["spatial"])["coordinates"][0][0] == [6.1521, 44.0467]  # the box in degrees
    warnings = warnings_of(harvest, "fr-120066022-jdd-ddt04-pprif-digne")
    assert [w for w in warnings if "EX_GeographicBoundingBox" in w] == [
        f"Avertissement : fiche « {PPRIF} » (fr-120066022-jdd-ddt04-pprif-digne), champ "
        "gmd:EX_GeographicBoundingBox = « ouest 936512.0, est 951204.0, sud 6330110.0, nord 6343580.0 » : emprise "
        "hors des limites du WGS 84 (longitudes entre -180 et 180, latitudes entre -90 et 90 ; coordonnées "
        "projetées ?) : elle est ignorée."]
    assert not [w for w in warnings if "pas d'emprise" in w or "illisible" in w]  # comma decimals are read


# --- Item 13: one language, French first -------------------------------------------------

def test_french_record_with_english_translations_stays_french(harvest):
    plu = harvest["datasets"][PLU]
    assert plu["notes"].startswith("Zonage du plan local d'urbanisme de Carpentras")
    assert plu["provenance"].startswith("Numérisation du plan de zonage")
    names = {t["name"] for t in plu["tags"]}
    assert not names & {"Land use", "planning document", "local urban plan"}
    assert plu["inspire_theme"] == "http://inspire.ec.europa.eu/theme/lu"
    assert plu["temporal_start"] == "2022-10-14"


def test_english_record_with_french_translation_is_read_in_french(harvest):
    alcotra = harvest["datasets"][ALCOTRA]
    assert alcotra["notes"] == "Couloirs d'avalanche cartographiés par le projet RISKNAT."
    assert alcotra["provenance"] == "Relevés de terrain 2019-2021."
    assert {t["name"] for t in alcotra["tags"]} == {"Zones à risque naturel", "avalanche", "risques naturels",
                                                    "montagne"}
    assert [(r["name"], r["format"]) for r in alcotra["resources"]] == [("GeoPackage", "ZIP"),
                                                                        ("Couloirs (CSV)", "CSV")]


def test_catalan_record_with_english_translation_is_read_in_english(harvest):
    catalan = harvest["datasets"][CATALAN]
    assert catalan["notes"].startswith("Boundaries of the protected natural areas")
    assert {t["name"] for t in catalan["tags"]} == {"Protected sites", "natural areas", "protection", "biodiversity"}
    assert [(r["name"], r["format"]) for r in catalan["resources"]] == [
        ("Protected areas (WFS)", "WFS"), ("ENPE", "WMS"), ("GeoJSON download", "GeoJSON")]
    assert catalan["inspire_theme"] == "http://inspire.ec.europa.eu/theme/ps"


# --- Item 5: keywords as written --------------------------------------------------------------

def test_keywords_keep_apostrophes_and_slashes(harvest):
    names = {t["name"] for t in harvest["datasets"][PLU]["tags"]}
    assert names == {"Usage des sols", "document d'urbanisme", "PLU/PLUi", "zonage"}
    assert {t["name"] for t in harvest["datasets"][BDTOPO]["tags"]} == {
        "Bâtiments", "BD TOPO®", "bâti", "hauteur/nombre d'étages"}
    assert {t["name"] for t in harvest["datasets"][PPRIF]["tags"]} == {"Zones à risque naturel", "risque/incendie",
                                                                       "forêt"}


def test_job_report_lists_the_warnings_apart(harvest):
    report = harvest["report"]
    assert all(w["message"].startswith(reports.WARNING_PREFIXES) for w in report["warnings"])
    warned = {w["guid"] for w in report["warnings"]}
    assert warned == {PLU_GUID, "fr-120066022-jdd-znieff2-paca", "fr-120066022-jdd-ddt04-pprif-digne",
                      "idec-espais-naturals-protegits-2024", "alcotra-risknat-avalanche-corridors", ATOM_GUID}
    # the records without a conformity result: INSPIRE's own warning, as before
    assert [w["message"] for w in report["warnings"] if w["guid"] == "alcotra-risknat-avalanche-corridors"] == [
        f"Avertissement INSPIRE : fiche « {ALCOTRA} » (alcotra-risknat-avalanche-corridors) : pas de résultat de "
        "conformité au règlement (UE) n° 1089/2010 "
        "(gmd:DQ_ConformanceResult) : la conformité INSPIRE n'est pas renseignée."]
    assert all(w["dataset"] for w in report["warnings"])  # each names the dataset it was imported as


# --- INSPIRE service records (WMS, Atom): datasets whose resources are the service ------------

def test_service_record_is_imported_with_its_service_address(harvest):
    wms = harvest["datasets"][WMS_SERVICE]
    assert resources(wms) == [("Service WMS de l'urbanisme", "WMS", "data", None)]
    assert wms["resources"][0]["url"] == ("https://carto.ddt-84.example.gouv.fr/wms/urbanisme?SERVICE=WMS&"
                                          "REQUEST=GetCapabilities")
    # the service's type in French, not ISO 19119's code (infoMapAccessService)
    assert {t["name"] for t in wms["tags"]} == {"Urbanisme", "PLU", "service de consultation"}
    assert (wms["license_id"], wms["inspire_conformity"]) == ("etalab-2.0", "conformant")  # regulation 976/2009
    assert json.loads(wms["spatial"])["coordinates"][0][0] == [4.64, 43.65]  # srv:extent
    assert wms["private"] is False


def test_valid_service_record_gets_no_warning(harvest):
    # no lineage nor INSPIRE theme asked of a service; its srv: elements are no XML schema fault
    assert warnings_of(harvest, "ddt84-wms-urbanisme-service") == []


def test_service_without_online_resource_gets_its_connect_point(harvest):
    atom = harvest["datasets"][ATOM_SERVICE]
    assert resources(atom) == [("Service ATOM (adresse du service)", "ATOM", "data", None)]
    assert atom["resources"][0]["url"] == "https://atom.geo-ide.example.gouv.fr/atom/ddt04/pprif.xml"
    assert atom["resources"][0]["description"] == "Download"
    assert "service de téléchargement" in {t["name"] for t in atom["tags"]}
    named = f"Avertissement INSPIRE : fiche « {ATOM_SERVICE} » ({ATOM_GUID}) : "
    assert warnings_of(harvest, ATOM_GUID) == [
        f"Avertissement : fiche « {ATOM_SERVICE} » ({ATOM_GUID}), champ thèmes = « aucun » : aucun thème DataSud "
        "ne correspond et la source n'a pas de thèmes par défaut : le jeu de données est importé sans thème. Donnez "
        "des thèmes par défaut à la source.",
        named + "pas de résultat de conformité au règlement (UE) n° 976/2009 (services en réseau) "
                "(gmd:DQ_ConformanceResult) : la conformité INSPIRE n'est pas renseignée.",
        named + "pas de mot-clé de la classification des services de données géographiques (ISO 19119 : "
                "infoMapAccessService, infoFeatureAccessService...) : le type du service n'est connu que par "
                "srv:serviceType."]


def test_a_source_can_leave_service_records_out_with_its_cql(harvest):
    """The README's advice for a source that wants datasets only, on a real pycsw."""
    wanted = ("ddt84-geonetwork-plu.xml", "ddt84-geonetwork-wms-service.xml", "geoide-atom-download-service.xml")
    with PycswServer() as server, allowed_hosts(server.host):
        server.load({name: RECORDS[name] for name in wanted})
        organization, sysadmin = factories.Organization(), ckan_factories.Sysadmin()
        source = create_source(sysadmin, organization, server.url, source_type="datasud_csw",
                               validation="convention", cql="apiso:Type = 'dataset'")
        run(source)
        assert [d["title"] for d in source_datasets(source)] == [PLU]


def test_service_record_with_a_schema_fault_is_still_reported(harvest):
    """The service schema judges service records: a fault in one is still a warning."""
    from ckanext.datasud.harvesting.csw import DataSudCSWHarvester
    tree = etree.fromstring(RECORDS["ddt84-geonetwork-wms-service.xml"].encode().replace(
        b"<gco:Decimal>4.64</gco:Decimal>", b"<gco:Decimal>4,64</gco:Decimal>"))
    harvester = DataSudCSWHarvester()
    harvester.source_config = {}
    valid, profile, errors = harvester._get_validator(inspire.is_service(tree)).is_valid(tree)
    assert (valid, profile) == (False, "iso19139eden")
    assert any("'4,64' is not a valid value" in message for message, _line in errors)


# --- Unit tests of the readers (no database) ---------------------------------------------------

def test_service_records_are_told_from_dataset_records():
    service = etree.fromstring(RECORDS["ddt84-geonetwork-wms-service.xml"].encode())
    dataset = etree.fromstring(RECORDS["ddt84-geonetwork-plu.xml"].encode())
    assert (inspire.is_service(service), inspire.service_type(service)) == (True, "view")
    assert (inspire.is_service(dataset), inspire.service_type(dataset)) == (False, None)
    # without hierarchyLevel, by its identification
    del service[[c.tag for c in service].index(f"{{{inspire.NS['gmd']}}}hierarchyLevel")]
    assert inspire.is_service(service)


def test_service_classification_written_in_french_is_kept_as_a_keyword():
    """GeoNetwork's French INSPIRE thesaurus writes the classification as a label with its
    anchor: a word for citizens (kept), and the classification INSPIRE asks for (no warning)."""
    written = RECORDS["ddt84-geonetwork-wms-service.xml"].replace(
        "<gco:CharacterString>infoMapAccessService</gco:CharacterString>",
        '<gmx:Anchor xlink:href="http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceCategory/'
        'infoMapAccessService">Service d’accès aux cartes</gmx:Anchor>').replace(
        "ISO - 19119 geographic services taxonomy", "Catégories de services")
    service = etree.fromstring(written.encode())
    assert {t["name"] for t in inspire.tags(service)} == {"Service d’accès aux cartes", "Urbanisme", "PLU",
                                                         "service de consultation"}
    assert not [w for w in inspire.InspireValidator.warnings(service, "s") if "ISO 19119" in w]
    # the code itself is no word: left out, and it is the classification
    coded = etree.fromstring(RECORDS["ddt84-geonetwork-wms-service.xml"].replace(
        "ISO - 19119 geographic services taxonomy", "Catégories de services").encode())
    assert "infoMapAccessService" not in {t["name"] for t in inspire.tags(coded)}
    assert not [w for w in inspire.InspireValidator.warnings(coded, "s") if "ISO 19119" in w]

def _tree(name: str):
    return etree.fromstring(RECORDS[name].encode("utf-8"))


def test_language_codes():
    assert [inspire.language_code(v) for v in ("fre", "FRA", "#FR", "locale-fre", "FR_fr", "eng", "#EN", "cat",
                                                "ita", "xx", "")] == \
        ["fr", "fr", "fr", "fr", "fr", "en", "en", "ca", "it", "", ""]
    assert inspire.chosen_language("cat", {"#EN": "en"}) == "en"
    assert inspire.chosen_language("eng", {"#FRE": "fr", "#ITA": "it"}) == "fr"
    assert inspire.chosen_language("it", {"#DE": "de"}) == "it"
    assert inspire.record_languages(_tree("alcotra-english-french.xml")) == ("en", {"#FRE": "fr", "#ITA": "it"})
    resource_language_only = etree.fromstring(
        '<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"><gmd:identificationInfo>'
        '<gmd:MD_DataIdentification><gmd:language><gmd:LanguageCode codeListValue="cat"/></gmd:language>'
        "</gmd:MD_DataIdentification></gmd:identificationInfo></gmd:MD_Metadata>")
    assert inspire.record_languages(resource_language_only) == ("ca", {})


def test_localised_copy_leaves_the_record_untouched():
    tree = _tree("idec-catalan-english.xml")
    copy, language = inspire.localised(tree)
    assert language == "en"
    assert tree.findall(".//{http://www.isotc211.org/2005/gmd}PT_FreeText")
    assert not copy.findall(".//{http://www.isotc211.org/2005/gmd}PT_FreeText")
    titles = copy.xpath("//gmd:citation/gmd:CI_Citation/gmd:title/gco:CharacterString/text()", namespaces=inspire.NS)
    assert titles == [CATALAN]


def test_gml32_is_read_as_gml31_for_the_schema_only():
    tree = _tree("ign-bdtopo-batiments-gml32.xml")
    converted = inspire.with_gml31(tree)
    assert converted.xpath("//gml:TimePeriod/@gml:id", namespaces=inspire.NS) == ["IGNF_BDTOPO_3-4_BATIMENTS_R93_TP_1"]
    assert tree.xpath("//gml32:TimePeriod", namespaces=inspire.NS)  # the record itself is unchanged
    assert inspire.with_gml31(_tree("geoide-inverted-bbox.xml")) is not None
    assert inspire.temporal_extent(tree) == ("2019-03-15", None)


def test_temporal_extents_in_both_gml_versions():
    def record(gml: str, extent: str):
        return etree.fromstring(
            f'<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gml="{gml}">'
            "<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:extent><gmd:EX_Extent><gmd:temporalElement>"
            f"<gmd:EX_TemporalExtent><gmd:extent>{extent}</gmd:extent></gmd:EX_TemporalExtent></gmd:temporalElement>"
            "</gmd:EX_Extent></gmd:extent></gmd:MD_DataIdentification></gmd:identificationInfo></gmd:MD_Metadata>")
    instants = ('<gml:TimePeriod gml:id="t"><gml:begin><gml:TimeInstant gml:id="b"><gml:timePosition>2001-01-01'
                '</gml:timePosition></gml:TimeInstant></gml:begin><gml:end><gml:TimeInstant gml:id="e">'
                '<gml:timePosition>2010-12-31</gml:timePosition></gml:TimeInstant></gml:end></gml:TimePeriod>')
    for gml in (inspire.GML31, inspire.GML32):
        assert inspire.temporal_extent(record(gml, instants)) == ("2001-01-01", "2010-12-31")
        assert inspire.temporal_extent(record(gml, '<gml:TimeInstant gml:id="i"><gml:timePosition>2020'
                                                   '</gml:timePosition></gml:TimeInstant>')) == ("2020", "2020")
    assert inspire.temporal_extent(record("http://example.org/not-gml", instants)) == (None, None)


def _box(west, east, south, north):
    return etree.fromstring(
        '<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco">'
        "<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:extent><gmd:EX_Extent><gmd:geographicElement>"
        "<gmd:EX_GeographicBoundingBox>" + "".join(
            f"<gmd:{name}><gco:Decimal>{value}</gco:Decimal></gmd:{name}>" for name, value in zip(
                ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude"),
                (west, east, south, north))) +
        "</gmd:EX_GeographicBoundingBox></gmd:geographicElement></gmd:EX_Extent></gmd:extent>"
        "</gmd:MD_DataIdentification></gmd:identificationInfo></gmd:MD_Metadata>")


def test_bounding_boxes():
    assert inspire.bounding_boxes(_box(4.2, 7.7, 43.1, 44.6)) == ([(4.2, 7.7, 43.1, 44.6)], [])
    boxes, [(value, note)] = inspire.bounding_boxes(_box(4.2, 7.7, 44.6, 43.1))
    assert boxes == [(4.2, 7.7, 43.1, 44.6)] and note == "bornes inversées (sud et nord) : elles sont échangées."
    boxes, [(value, note)] = inspire.bounding_boxes(_box(7.7, 4.2, 44.6, 43.1))
    assert boxes == [(4.2, 7.7, 43.1, 44.6)] and "(ouest et est ; sud et nord)" in note
    assert inspire.bounding_boxes(_box(4.2, 7.7, 43.1, 94.6))[0] == []
    assert "antiméridien" in inspire.bounding_boxes(_box(170, -170, 10, 20))[1][0][1]
    assert inspire.bounding_boxes(_box("", 7.7, 43.1, 44.6)) == (
        [], [("ouest ?, est 7.7, sud 43.1, nord 44.6", "emprise illisible (quatre nombres attendus) : elle est "
                                                       "ignorée.")])


@pytest.mark.parametrize("url, protocol, name, expected", [
    ("https://x.fr/wms", "OGC:WMS-1.3.0-http-get-map", "Couche", "WMS"),
    ("https://x.fr/ows", "OGC:WFS-2.0.0-http-get-capabilities", "", "WFS"),
    ("https://x.fr/arcgis/rest/services/a/MapServer", "ESRI:REST", "", "ESRI REST"),
    ("https://x.fr/ows?SERVICE=WFS&REQUEST=GetCapabilities", "WWW:LINK-1.0-http--link", "", "WFS"),
    ("https://x.fr/telecharger?id=1", "WWW:DOWNLOAD-1.0-http--download", "MapInfo TAB", "TAB"),
    ("https://x.fr/telecharger?id=1", "WWW:DOWNLOAD-1.0-http--download", "ESRI Shapefile", "SHP"),
    ("https://x.fr/telecharger?id=1", "application/zip", "Archive", "ZIP"),
    ("https://x.fr/data/points.csv", "WWW:DOWNLOAD-1.0-http--download", "Points", "CSV"),
    ("https://x.fr/doc/notice", "WWW:LINK-1.0-http--link", "Notice (PDF)", "PDF"),
    ("https://x.fr/page", "WWW:LINK-1.0-http--link", "Site du projet", ""),
])
def test_resource_format(url, protocol, name, expected):
    assert inspire.resource_format(url, protocol, name, []) == expected


def test_resource_format_falls_back_on_the_records_distribution_format():
    assert inspire.resource_format("https://x.fr/get?id=1", "WWW:DOWNLOAD-1.0-http--download", "Données",
                                   ["ESRI Shapefile"]) == "SHP"
    assert inspire.resource_format("https://x.fr/get?id=1", "WWW:LINK-1.0-http--link", "Données",
                                   ["ESRI Shapefile"]) == ""


def test_resource_kind():
    assert inspire.resource_kind("PDF", "WWW:LINK", "", "Délibération du conseil municipal") == \
        ("document", "deliberation")
    assert inspire.resource_kind("", "WWW:LINK", "information", "Page du projet") == ("document", "autre")
    assert inspire.resource_kind("", "WWW:LINK", "", "Téléchargement des données") == ("data", None)
    assert inspire.resource_kind("SHP", "WWW:LINK", "", "Rapport") == ("data", None)
    assert inspire.resource_kind("WMS", "OGC:WMS", "", "Convention") == ("data", None)


def test_excluded_hosts_setting():
    validators = extra_schema("excluded_hosts")["excluded_hosts"][1:]
    assert [v("*.i2 Intranet.DDT-84.i2, geo.local.") for v in validators] == \
        [["*.i2", "intranet.ddt-84.i2", "geo.local"]]
    with pytest.raises(Exception, match="Hôte invalide : http://intranet/"):
        validators[0]("http://intranet/ *.i2")
    settings = SourceSettings.from_config('{"excluded_hosts": ["*.i2"]}', source_id="s", source_type="datasud_csw",
                                          title="t", url="https://x.fr/csw", owner_org=None)
    assert settings.excluded_hosts == ("*.i2",)
    assert SourceSettings.from_config('{"excluded_hosts": "bad host!"}', source_id="s", source_type="datasud_csw",
                                      title="t", url="https://x.fr/csw", owner_org=None).excluded_hosts == ()


def test_geonetwork_uploaded_file_typed_by_its_mime_file_type():
    record = etree.fromstring(
        '<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco"'
        ' xmlns:gmx="http://www.isotc211.org/2005/gmx"><gmd:distributionInfo><gmd:MD_Distribution>'
        "<gmd:transferOptions><gmd:MD_DigitalTransferOptions><gmd:onLine><gmd:CI_OnlineResource><gmd:linkage>"
        "<gmd:URL>https://geo.ville.example.fr/geonetwork/srv/api/records/abc/attachments/points</gmd:URL>"
        "</gmd:linkage><gmd:protocol><gco:CharacterString>WWW:DOWNLOAD-1.0-http--download</gco:CharacterString>"
        '</gmd:protocol><gmd:name><gmx:MimeFileType type="text/csv">points.csv</gmx:MimeFileType></gmd:name>'
        "</gmd:CI_OnlineResource></gmd:onLine></gmd:MD_DigitalTransferOptions></gmd:transferOptions>"
        "</gmd:MD_Distribution></gmd:distributionInfo></gmd:MD_Metadata>")
    [resource], page, notes = inspire.online_resources(record)
    assert (resource["name"], resource["format"], resource["mimetype"], resource["resource_type"]) == \
        ("points.csv", "CSV", "text/csv", "data")
    assert (page, notes) == (None, [])  # an attachment of the record is data, not its metadata view


def test_title_given_only_as_translations():
    record = etree.fromstring(
        '<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco">'
        '<gmd:language><gco:CharacterString>ita</gco:CharacterString></gmd:language>'
        '<gmd:locale><gmd:PT_Locale id="locale-fre"><gmd:languageCode><gmd:LanguageCode codeListValue="fre"/>'
        "</gmd:languageCode></gmd:PT_Locale></gmd:locale><gmd:identificationInfo><gmd:MD_DataIdentification>"
        "<gmd:citation><gmd:CI_Citation><gmd:title><gmd:PT_FreeText><gmd:textGroup>"
        '<gmd:LocalisedCharacterString locale="#locale-fre">Refuges du Mercantour</gmd:LocalisedCharacterString>'
        "</gmd:textGroup></gmd:PT_FreeText></gmd:title></gmd:CI_Citation></gmd:citation>"
        "</gmd:MD_DataIdentification></gmd:identificationInfo></gmd:MD_Metadata>")
    assert inspire.InspireValidator.errors(record)  # as written, no title is found
    localised, language = inspire.localised(record)
    assert language == "fr" and inspire.InspireValidator.errors(localised) == []
    assert localised.xpath("//gmd:title/gco:CharacterString/text()", namespaces=inspire.NS) == \
        ["Refuges du Mercantour"]
