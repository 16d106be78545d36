"""Licences, themes, publishers, extents and languages as real portals write them (issue
11, items 9 to 13).

The pure functions (theme tables, geometries, bounding boxes, licence aliases, language
choice) have fast unit tests; the DCAT reading is checked on one catalogue of
real-world-shaped records (tests/fixtures/dcat/semantics.ttl), harvested once for the
module through a real HTTP server.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Literal

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud import licences
from ckanext.datasud.dcat import pick_literal
from ckanext.datasud.harvesting import geometry, mapping, themes
from tests import factories
from tests.harvesting import CatalogueServer, Page, allowed_hosts, create_source, gather_errors, object_errors, \
    run, source_datasets

FIXTURE = Path(__file__).parent / "fixtures" / "dcat" / "semantics.ttl"
MARSEILLE_BOX = {"type": "Polygon", "coordinates": [[[5.23, 43.17], [5.53, 43.17], [5.53, 43.39], [5.23, 43.39],
                                                     [5.23, 43.17]]]}
REGION_BOX = {"type": "Polygon", "coordinates": [[[4.23, 42.98], [7.72, 42.98], [7.72, 45.13], [4.23, 45.13],
                                                  [4.23, 42.98]]]}


# --- Themes (item 10) ------------------------------------------------------------------

@pytest.mark.parametrize("value,slug", [
    ("http://publications.europa.eu/resource/authority/data-theme/TRAN", "mobilite-transports"),
    ("http://inspire.ec.europa.eu/theme/hy", "environnement-climat"),
    ("http://www.eionet.europa.eu/gemet/fr/inspire-theme/cp", "amenagement-urbanisme"),
    ("http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/transportation", "mobilite-transports"),
    ("http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/inlandWaters", "environnement-climat"),
    ("farming", "agriculture"),
    ("Hydrographie", "environnement-climat"),
    ("Land cover", "imagerie"),
    ("bâtiments", "equipements-logement"),
    ("http://data.europa.eu/bna/c_b79e35eb", "mobilite-transports"),
    ("http://data.europa.eu/bna/c_dd313021", "environnement-climat"),
    ("http://data.europa.eu/bna/c_164e0bf5", "environnement-climat"),
    ("http://data.europa.eu/bna/c_ac64a52d", "limites-administratives"),
    ("http://data.europa.eu/bna/c_a9135398", "economie"),
    ("http://data.europa.eu/bna/c_e1da4e07", "economie"),
    ("TRANSPORTS", "mobilite-transports"), ("Urbanisme", "amenagement-urbanisme"),
    ("Environnement", "environnement-climat"), ("culture", "culture-tourisme"), ("Tourisme", "culture-tourisme"),
    ("Santé", "social-sante-sports"), ("SANTE", "social-sante-sports"), ("Éducation", "formation-emploi"),
    ("Énergie", "energies-reseaux"), ("energie", "energies-reseaux"),
    ("Culture, patrimoine et tourisme", "culture-tourisme"),
    ("https://data.autre.example/themes/equipements-logement", "equipements-logement"),
])
def test_a_theme_value_of_any_vocabulary(value, slug):
    assert themes.slug_for(value) == slug


@pytest.mark.parametrize("value", ["http://data.europa.eu/bna/c_unknown", "Divers", "https://x.example/themes/inconnu",
                                   "themes/culture-tourisme", ""])
def test_an_unknown_theme_value_gives_nothing(value):
    assert themes.slug_for(value) is None


def test_datasud_theme_uris_come_first_and_alone():
    """culture-tourisme and equipements-logement share their EU theme with other DataSud
    themes: with DataSud's own concept beside, only DataSud's concept counts."""
    values = ["http://publications.europa.eu/resource/authority/data-theme/EDUC",
              "http://publications.europa.eu/resource/authority/data-theme/REGI",
              "http://127.0.0.1:5000/themes/culture-tourisme", "https://data.autre.example/themes/equipements-logement"]
    assert mapping.themes_for(values) == ["culture-tourisme", "equipements-logement"]
    assert mapping.themes_for(values[:2]) == ["formation-emploi", "amenagement-urbanisme"]


def test_keywords_give_themes_only_when_nothing_else_does():
    assert mapping.themes_for([], ["Tourisme", "sentiers"]) == ["culture-tourisme"]
    assert mapping.themes_for(["http://inspire.ec.europa.eu/theme/hy"], ["Tourisme"]) == ["environnement-climat"]
    assert mapping.themes_for([], ["sentiers"]) == []


@pytest.mark.parametrize("value, slugs", [
    # Opendatasoft's default themes, French and English: one label listing several subjects
    ("Transports, Déplacements", ["mobilite-transports"]),
    ("Administration, Gouvernement, Finances publiques, Citoyenneté", ["administration", "citoyennete"]),
    ("Aménagement du territoire, Urbanisme, Bâtiments, Equipements, Logement",
     ["amenagement-urbanisme", "equipements-logement"]),
    ("Economie, Business, PME, Développement économique, Emploi", ["economie", "formation-emploi"]),
    ("Education, Formation, Recherche, Enseignement", ["formation-emploi", "sciences-recherche"]),
    ("Hébergement, Hôtellerie", ["culture-tourisme"]),
    ("Services sociaux", ["social-sante-sports"]),
    ("Transport, Mobility", ["mobilite-transports"]),
    ("Administration, Government, Public finances, Citizenship", ["administration", "citoyennete"]),
    # a whole label the tables know is read whole, not part by part
    ("Agriculture, pêche, sylviculture et alimentation", ["agriculture"]),
    ("Divers, Autres", []),
])
def test_a_free_text_theme_listing_several_subjects_is_read_part_by_part(value, slugs):
    assert mapping.themes_for([value]) == slugs


def test_a_theme_uri_is_never_split():
    assert mapping.themes_for(["https://x.example/themes/transports,environnement"]) == []


def test_inspire_theme_by_uri_or_label():
    assert mapping.inspire_theme_for(["Altitude"]) == "http://inspire.ec.europa.eu/theme/el"
    assert mapping.inspire_theme_for(["Protected sites"]) == "http://inspire.ec.europa.eu/theme/ps"
    assert mapping.inspire_theme_for(["http://www.eionet.europa.eu/gemet/en/inspire-theme/hy"]) == \
        "http://inspire.ec.europa.eu/theme/hy"
    assert mapping.inspire_theme_for(["Transports"]) is None


# --- Geometries and boxes (item 12) ----------------------------------------------------

@pytest.mark.parametrize("value", [
    "POLYGON((5.23 43.17, 5.53 43.17, 5.53 43.39, 5.23 43.39, 5.23 43.17))",
    "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POLYGON((5.23 43.17,5.53 43.17,5.53 43.39,5.23 43.39,5.23 43.17))",
    "<http://www.opengis.net/def/crs/EPSG/0/4326> POLYGON((43.17 5.23,43.17 5.53,43.39 5.53,43.39 5.23,43.17 5.23))",
    json.dumps(MARSEILLE_BOX),
    json.dumps({"type": "Feature", "properties": {}, "geometry": MARSEILLE_BOX}),
    '<gml:Envelope xmlns:gml="http://www.opengis.net/gml/3.2" srsName="http://www.opengis.net/def/crs/OGC/1.3/CRS84">'
    "<gml:lowerCorner>5.23 43.17</gml:lowerCorner><gml:upperCorner>5.53 43.39</gml:upperCorner></gml:Envelope>",
    '<gml:Envelope xmlns:gml="http://www.opengis.net/gml" srsName="EPSG:4326">'
    "<gml:lowerCorner>43.17 5.23</gml:lowerCorner><gml:upperCorner>43.39 5.53</gml:upperCorner></gml:Envelope>",
    '<gml:Polygon xmlns:gml="http://www.opengis.net/gml"><gml:exterior><gml:LinearRing><gml:posList>'
    "5.23 43.17 5.53 43.17 5.53 43.39 5.23 43.39 5.23 43.17</gml:posList></gml:LinearRing></gml:exterior>"
    "</gml:Polygon>",
])
def test_a_geometry_in_wkt_geojson_or_gml(value):
    geojson = geometry.to_geojson(value)
    from shapely.geometry import shape
    assert shape(geojson).equals(shape(MARSEILLE_BOX))


@pytest.mark.parametrize("value", ["POLYGON((5 43, 6 43))", "POINT(7.25 forty-three)", "{not json",
                                   "POLYGON((500000 6000000, 510000 6000000, 510000 6010000, 500000 6000000))",
                                   '<!DOCTYPE x [<!ENTITY a "b">]><gml:Point xmlns:gml="http://www.opengis.net/gml">'
                                   "<gml:pos>5 43</gml:pos></gml:Point>", ""])
def test_an_unreadable_geometry_gives_nothing(value):
    assert geometry.to_geojson(value) is None


def test_an_inverted_box_is_swapped_with_a_warning():
    record = {"title": "Zones humides", "extras": [{"key": "uri", "value": "https://geo.example/fiche/1"}]}
    warnings: list[str] = []
    box = mapping.box_geometry(record, {"west": 5.53, "east": 5.23, "south": 43.39, "north": 43.17}, warnings)
    assert box == MARSEILLE_BOX
    [warning] = warnings
    assert warning.startswith(mapping.WARNING_PREFIX)
    assert "« Zones humides » (https://geo.example/fiche/1)" in warning and "emprise inversée" in warning
    assert "O 5.53, E 5.23" in warning


def test_an_invalid_geometry_of_a_record_is_dropped_with_a_warning():
    """A self-intersecting polygon (a bow tie) given by a reader: the record is imported
    without extent, not refused by the schema."""
    bow_tie = {"type": "Polygon", "coordinates": [[[5, 43], [6, 44], [6, 43], [5, 44], [5, 43]]]}
    record = {"title": "Nœud papillon", "spatial": json.dumps(bow_tie), "theme_values": ["Transports"]}
    dataset = mapping.to_datasud(record, _settings())
    assert "spatial" not in dataset
    assert [w for w in dataset[mapping.WARNINGS] if "champ emprise" in w and "géométrie invalide" in w]
    collection = {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [5.4, 43.3]}]}
    kept = mapping.to_datasud(dict(record, spatial=json.dumps(collection)), _settings())
    assert json.loads(kept["spatial"]) == collection and kept[mapping.WARNINGS] == []


def test_coded_values_the_schema_would_refuse_are_dropped_with_a_warning():
    record = {"title": "Codes", "theme_values": ["Transports"], "spatial_level": "commune", "spatial_code": "13",
              "granularity": "quartier", "inspire_conformity": "oui", "spatial_resolution_in_meters": "fine"}
    dataset = mapping.to_datasud(record, _settings())
    for key in ("spatial_level", "spatial_code", "granularity", "inspire_conformity", "spatial_resolution_in_meters"):
        assert key not in dataset
    shown = " ".join(dataset[mapping.WARNINGS])
    assert "commune 13" in shown and "« quartier »" in shown and "« oui »" in shown and "« fine »" in shown
    kept = mapping.to_datasud(dict(record, spatial_code="2A004", granularity="iris", inspire_conformity="conformant",
                                   spatial_resolution_in_meters="2.5"), _settings())
    assert (kept["spatial_level"], kept["spatial_code"], kept["granularity"], kept["inspire_conformity"],
            kept["spatial_resolution_in_meters"]) == ("commune", "2A004", "iris", "conformant", "2.5")


def test_a_box_outside_wgs84_is_dropped_with_a_warning():
    warnings: list[str] = []
    assert mapping.box_geometry({"title": "Lambert"}, {"west": 800000, "east": 900000, "south": 6200000,
                                                       "north": 6300000}, warnings) is None
    assert "hors des longitudes et latitudes WGS 84" in warnings[0]


def _settings(**values):
    from ckanext.datasud.harvesting.settings import SourceSettings
    return SourceSettings(source_id="s", source_type="datasud_dcat", title="Source", url="https://geo.example/csw",
                          owner_org="org", **values)


def test_unknown_themes_fall_back_to_the_source_defaults_with_a_warning():
    record = {"title": "Bornes", "theme_values": ["http://datos.gob.es/kos/sector-publico/sector/ciencia"]}
    dataset = mapping.to_datasud(record, _settings(default_themes=("sciences-recherche",)))
    assert dataset["themes"] == ["sciences-recherche"]
    [warning] = dataset[mapping.WARNINGS]
    assert "champ thèmes" in warning and "sector/ciencia" in warning and "thèmes par défaut" in warning


def test_the_box_of_a_record_becomes_its_extent_and_a_code_needs_its_level():
    record = {"title": "Zones humides", "bbox": {"west": "5,53", "east": "5,23", "south": 43.39, "north": 43.17},
              "spatial_code": "13055", "theme_values": ["http://inspire.ec.europa.eu/theme/hy"]}
    dataset = mapping.to_datasud(record, _settings())
    assert json.loads(dataset["spatial"]) == MARSEILLE_BOX
    assert "spatial_code" not in dataset
    assert [w for w in dataset[mapping.WARNINGS] if "emprise inversée" in w]
    assert [w for w in dataset[mapping.WARNINGS] if "13055" in w and "niveau ou code de territoire" in w]


# --- Licences (item 9) and languages (item 13) -------------------------------------------

@pytest.mark.parametrize("value,licence_id", [
    ("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0", "cc-by-4.0"),
    ("http://publications.europa.eu/resource/authority/licence/CC_BYSA_4_0", "cc-by-sa-4.0"),
    ("http://publications.europa.eu/resource/authority/licence/CC0", "cc-zero"),
    ("http://publications.europa.eu/resource/authority/licence/ODBL", "odc-odbl"),
    ("http://dcat-ap.de/def/licenses/cc-by/4.0", "cc-by-4.0"),
    ("http://dcat-ap.de/def/licenses/cc-by-sa/4.0", "cc-by-sa-4.0"),
    ("http://dcat-ap.de/def/licenses/cc-zero", "cc-zero"),
    ("http://dcat-ap.de/def/licenses/odbl", "odc-odbl"),
    ("https://spdx.org/licenses/etalab-2.0.html", "etalab-2.0"),
    ("CC-BY-4.0", "cc-by-4.0"),
    ("Licence Ouverte Version 2.0", "etalab-2.0"),
    ("Licence Ouverte v2.0 (Etalab)", "etalab-2.0"),
    ("Licence ouverte / Open Licence", "etalab-1.0"),
])
def test_licence_uris_and_labels_of_real_exports(value, licence_id):
    assert licences.licence_id_for(value) == licence_id


def test_licences_outside_our_register_are_not_guessed():
    """Datenlizenz Deutschland has no equivalent here: kept as written by the mapping."""
    assert licences.licence_id_for("http://dcat-ap.de/def/licenses/dl-by-de/2.0") is None
    assert licences.licence_id_for("http://publications.europa.eu/resource/authority/licence/CC_BYNC_4_0") is None


@pytest.mark.parametrize("values,chosen", [
    ([Literal("Museus", lang="ca"), Literal("Museums", lang="en"), Literal("Museos", lang="es")], "Museums"),
    ([Literal("Hospitals", lang="en"), Literal("Hôpitaux", lang="fr-FR")], "Hôpitaux"),
    ([Literal("Luft", lang="sv"), Literal("Air")], "Air"),
    ([Literal("Luft", lang="sv"), Literal("Parkhaus", lang="de")], "Parkhaus"),
    ([], None),
])
def test_language_preference(values, chosen):
    picked = pick_literal(values)
    assert (str(picked) if picked is not None else None) == chosen


# --- Reading a record's graph (the profile's parse) ---------------------------------------

PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix igeo: <http://rdf.insee.fr/def/geo#> .
@prefix ds: <https://data.autre.example/ns#> .
"""


def _read(turtle: str) -> dict:
    from rdflib import Graph, URIRef
    from ckanext.datasud.dcat import read_semantics
    g = Graph().parse(data=PREFIXES + turtle, format="turtle")
    record = {"title": "Jeu", "extras": [{"key": "uri", "value": "https://x.example/d"}], "resources": []}
    read_semantics(g, URIRef("https://x.example/d"), record)
    return record


@pytest.mark.parametrize("place,level,code", [
    ("<http://id.insee.fr/geo/commune/13055>", "commune", "13055"),
    ("<http://id.insee.fr/geo/departement/2A>", "departement", "2A"),
    ("<http://id.insee.fr/geo/commune/b9b23e1f-0d1a-4c2b-9c57-1f4c3f1c9a7e> . "
     "<http://id.insee.fr/geo/commune/b9b23e1f-0d1a-4c2b-9c57-1f4c3f1c9a7e> igeo:codeINSEE \"06088\" ;"
     " skos:prefLabel \"Nice\"@fr", "commune", "06088"),
])
def test_insee_territories_give_level_and_code(place, level, code):
    record = _read(f"<https://x.example/d> dct:spatial {place} .")
    assert (record["spatial_level"], record["spatial_code"]) == (level, code)


@pytest.mark.parametrize("written,expected", [
    # GeoNetwork's GeoDCAT-AP: the statement's text is its dct:description
    ('[ a dct:ProvenanceStatement ; dct:description "Numérisé en 2020."@fr ]', "Numérisé en 2020."),
    ('[ a dct:ProvenanceStatement ; rdfs:label "Saisie terrain."@fr, "Field survey."@en ]', "Saisie terrain."),
    ('"Relevés GPS."', "Relevés GPS."),
    ("[ a dct:ProvenanceStatement ]", None),  # never a blank node's identifier
])
def test_provenance_written_as_a_node_is_its_text(written, expected):
    record = _read(f"<https://x.example/d> dct:provenance {written} .")
    assert record.get("provenance", dict((e["key"], e["value"]) for e in record["extras"]).get("provenance")) \
        == expected


@pytest.mark.parametrize("written,expected", [
    ("<http://publications.europa.eu/resource/authority/frequency/MONTHLY>",
     "http://publications.europa.eu/resource/authority/frequency/MONTHLY"),
    ('[ a dct:Frequency ; skos:prefLabel "Mensuelle"@fr ]', "Mensuelle"),
    ("[ a dct:Frequency ]", None),
])
def test_a_frequency_node_is_its_uri_else_its_label(written, expected):
    record = _read(f"<https://x.example/d> dct:accrualPeriodicity {written} .")
    assert dict((e["key"], e["value"]) for e in record["extras"]).get("frequency") == expected


def test_datasud_terms_of_another_portal_are_read():
    record = _read("""<https://x.example/d> ds:granularity "commune" ; ds:spatialLevel "epci" ;
        ds:inspireConformity "conformant" ; dct:spatial [ dct:identifier "200054807" ] .""")
    assert (record["granularity"], record["spatial_level"], record["spatial_code"], record["inspire_conformity"]) \
        == ("commune", "epci", "200054807", "conformant")


# --- One catalogue of real-world shapes, harvested once ----------------------------------

@pytest.fixture(scope="module")
def harvested(clean_module_db):
    """The semantics catalogue harvested once (reference mode, convention) into a fresh
    database; the datasets by title, and the job's report."""
    partner, sysadmin = factories.Organization(), ckan_factories.Sysadmin()
    with CatalogueServer() as server, allowed_hosts(server.host):
        server.pages["/catalog.ttl"] = Page(FIXTURE.read_text(encoding="utf-8"), "text/turtle")
        source = create_source(sysadmin, partner, server.url("/catalog.ttl"), publication_mode="reference",
                               validation="convention")
        result = run(source)
        again = run(source)  # the same document read a second time
    datasets = {d["title"]: helpers.call_action("package_show", id=d["id"]) for d in source_datasets(source)}
    return {"job": result["job"], "datasets": datasets, "messages": object_errors(result["job"]),
            "gather": gather_errors(result["job"]), "again": again["job"]}


def _extras(dataset) -> dict:
    return {e["key"]: e["value"] for e in dataset.get("extras") or []}


def _warnings(harvested, *words) -> list[str]:
    return [m for m in harvested["messages"] if m.startswith(mapping.WARNING_PREFIX) and all(w in m for w in words)]


def test_every_record_is_imported(harvested):
    assert harvested["gather"] == []
    assert [m for m in harvested["messages"] if not m.startswith(mapping.WARNING_PREFIX)] == []
    assert harvested["job"]["stats"]["added"] == 13
    assert len(harvested["datasets"]) == 13


def test_a_second_reading_changes_nothing(harvested):
    """Blank nodes (licences, publishers, places, themes) read in a stable order: the
    records of an unchanged catalogue are not rewritten."""
    stats = harvested["again"]["stats"]
    assert (stats.get("not modified"), stats.get("updated", 0), stats.get("added", 0)) == (13, 0, 0)


def test_licence_label_on_the_dataset(harvested):
    assert harvested["datasets"]["Arrêts de bus du réseau urbain"]["license_id"] == "etalab-2.0"
    assert harvested["datasets"]["Plan local d'urbanisme"]["license_id"] == "etalab-2.0"


def test_licence_blank_node_with_a_label(harvested):
    assert harvested["datasets"]["Cours d'eau de la région"]["license_id"] == "etalab-1.0"


def test_eu_licence_uri_on_a_distribution_only(harvested):
    assert harvested["datasets"]["Entreprises actives par commune"]["license_id"] == "cc-by-4.0"


def test_eu_licence_uri_on_the_dataset(harvested):
    assert harvested["datasets"]["Air quality"]["license_id"] == "cc-zero"
    assert harvested["datasets"]["Dépenses des administrations publiques"]["license_id"] == "odc-odbl"


def test_dcat_ap_de_licences(harvested):
    assert harvested["datasets"]["Baumkataster"]["license_id"] == "cc-by-4.0"
    parking = harvested["datasets"]["Parkhäuser"]
    assert parking["license_id"] == "notspecified"
    assert _extras(parking)["harvested_licence"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert _warnings(harvested, "Parkhäuser", "licence", "dl-by-de/2.0", "conservé")


def test_spdx_url_and_rights_statement(harvested):
    assert harvested["datasets"]["RGE ALTI® - Région Sud"]["license_id"] == "etalab-2.0"
    assert harvested["datasets"]["Établissements hospitaliers"]["license_id"] == "etalab-2.0"


def test_unknown_licence_blank_node_with_a_title_is_kept_as_written(harvested):
    parking = harvested["datasets"]["Stationnement payant"]
    assert parking["license_id"] == "notspecified"
    assert _extras(parking)["harvested_licence"] == "Licence de réutilisation de la Ville exemple 2019"
    assert _warnings(harvested, "Stationnement payant", "Licence de réutilisation de la Ville exemple 2019")


@pytest.mark.parametrize("title,theme_slugs", [
    ("Arrêts de bus du réseau urbain", ["mobilite-transports"]),  # free text "Transports"
    ("Cours d'eau de la région", ["environnement-climat"]),  # ISO topic URI + INSPIRE hy
    ("Plan local d'urbanisme", ["amenagement-urbanisme"]),  # keyword "Urbanisme", no theme
    ("Entreprises actives par commune", ["economie"]),  # HVD category
    ("Museums of Catalonia", ["culture-tourisme"]),  # unknown Spanish sector URI + "Culture"
    ("RGE ALTI® - Région Sud", ["imagerie"]),  # INSPIRE theme by label in a blank node
    ("Établissements hospitaliers", ["social-sante-sports"]),  # "Santé"@fr, "Health"@en
    ("Festivals", ["culture-tourisme"]),  # another DataSud's theme beside EDUC
])
def test_themes(harvested, title, theme_slugs):
    assert harvested["datasets"][title]["themes"] == theme_slugs


def test_inspire_themes_by_uri_and_by_label(harvested):
    assert harvested["datasets"]["Cours d'eau de la région"]["inspire_theme"] == "http://inspire.ec.europa.eu/theme/hy"
    assert harvested["datasets"]["RGE ALTI® - Région Sud"]["inspire_theme"] == "http://inspire.ec.europa.eu/theme/el"


@pytest.mark.parametrize("title,publisher", [
    ("Cours d'eau de la région", "DREAL Provence-Alpes-Côte d'Azur"),  # vcard:organization-name
    ("Stationnement payant", "Ville exemple"),  # vcard:fn
    ("Entreprises actives par commune", "Office statistique de l'Union européenne"),  # skos:prefLabel@fr
    ("RGE ALTI® - Région Sud", "Institut national de l'information géographique et forestière"),  # @fr over @en
    ("Établissements hospitaliers", "Région"),
    ("Parkhäuser", "Stadt Beispiel"),
    ("Arrêts de bus du réseau urbain", "Métropole exemple"),
])
def test_publishers(harvested, title, publisher):
    assert harvested["datasets"][title]["publisher_name"] == publisher


def test_a_publisher_given_by_its_uri_alone_is_reported(harvested):
    assert not harvested["datasets"]["Dépenses des administrations publiques"].get("publisher_name")
    assert _warnings(harvested, "Dépenses des administrations publiques", "éditeur", "corporate-body/DIGIT")


def test_extent_gml_envelope(harvested):
    assert json.loads(harvested["datasets"]["Cours d'eau de la région"]["spatial"]) == REGION_BOX


def test_extent_wkt_bbox(harvested):
    assert json.loads(harvested["datasets"]["Plan local d'urbanisme"]["spatial"]) == MARSEILLE_BOX


def test_extent_geojson_in_a_geometry_node_and_insee_region(harvested):
    rge = harvested["datasets"]["RGE ALTI® - Région Sud"]
    assert json.loads(rge["spatial"]) == REGION_BOX
    assert (rge["spatial_level"], rge["spatial_code"]) == ("region", "93")
    assert rge["spatial_text"] == "Provence-Alpes-Côte d'Azur"


def test_extent_wkt_in_a_polygon_node_and_an_unreadable_centroid(harvested):
    parking = harvested["datasets"]["Stationnement payant"]
    assert json.loads(parking["spatial"])["coordinates"][0][0] == [7.2, 43.65]
    assert parking["spatial_text"] == "Ville exemple"
    assert _warnings(harvested, "Stationnement payant", "emprise", "forty-three", "géométrie illisible")


def test_places_by_uri_are_kept(harvested):
    assert harvested["datasets"]["Entreprises actives par commune"]["spatial_text"] == \
        "http://publications.europa.eu/resource/authority/place/FRA_MRS"
    assert harvested["datasets"]["Parkhäuser"]["spatial_text"] == "Marseille"  # GeoNames, with its name
    assert harvested["datasets"]["Museums of Catalonia"]["spatial_text"] == \
        "http://datos.gob.es/recurso/sector-publico/territorio/Autonomia/Cataluna"


def test_multilingual_texts_prefer_french_then_english(harvested):
    datasets = harvested["datasets"]
    assert datasets["Établissements hospitaliers"]["notes"] == "Hôpitaux de la région."
    assert datasets["Museums of Catalonia"]["notes"] == "List of museums."
    assert datasets["Air quality"]["notes"] == "Air quality measurements."
    assert datasets["Entreprises actives par commune"]["notes"] == "Nombre d'entreprises actives."
    assert datasets["Parkhäuser"]["notes"] == "Parkhäuser der Stadt."  # the only language given


def test_multilingual_keywords_of_the_chosen_language_only(harvested):
    hospitals = {t["name"] for t in harvested["datasets"]["Établissements hospitaliers"]["tags"]}
    assert hospitals == {"hôpitaux", "soins"}
    museums = {t["name"] for t in harvested["datasets"]["Museums of Catalonia"]["tags"]}
    assert museums == {"museums"}


def test_multilingual_resource_names(harvested):
    assert [r["name"] for r in harvested["datasets"]["Museums of Catalonia"]["resources"]] == ["List (CSV)"]


@pytest.mark.parametrize("keywords,expected", [
    ([("Verkehr", "de"), ("Transport", "en"), ("GTFS", None)], ["GTFS", "Transport"]),  # English + untagged
    ([("Transports", "fr"), ("Transport", "en"), ("GTFS", None)], ["GTFS", "Transports"]),  # French + untagged
    ([("Transport públic", "ca"), ("Transporte", "es")], ["Transport públic"]),  # the first language
    ([("GTFS", None), ("Bus", None)], ["Bus", "GTFS"]),  # untagged only
])
def test_keywords_of_one_language_and_the_untagged_ones(keywords, expected):
    """Item 13: keywords of the record's chosen language (French, then English, then the
    first) with the untagged ones, never every language merged."""
    from rdflib import Graph, URIRef
    from ckanext.datasud import dcat as profile
    from ckanext.dcat.profiles import DCAT
    g, ref = Graph(), URIRef("https://data.example/dataset/1")
    for text, language in keywords:
        g.add((ref, DCAT.keyword, Literal(text, lang=language)))
    parsed: dict = {}
    profile.read_as_written(g, ref, parsed)
    assert parsed[profile.KEYWORDS_AS_WRITTEN] == expected
