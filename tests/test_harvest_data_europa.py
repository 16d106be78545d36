"""Harvesting a catalogue as data.europa.eu serves it (piveau's hub-repo, a catalogue's
page in Turtle): what a cross-border partner's records look like once the European portal
has harvested them.

The fixture (tests/fixtures/dcat/data-europa-eu) has what these pages carry: Hydra paging,
a ``dcat:CatalogRecord`` per dataset, records written in Italian with machine
translations tagged ``fr-t-it-t0-mtec`` (BCP 47's transformed content: French, translated
by machine from Italian), EU vocabularies for licences, formats, frequencies and themes,
IANA media types as URIs, byte sizes as decimals, SHA-1 checksums, a GeoJSON geometry
typed with its IANA media type. Harvested once for the module through a real HTTP server;
the tests read what the harvest left.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Literal

from ckanext.datasud import dcat as dcat_profile
from tests.harvesting import Page, gather_errors, harvest_twice, resources_by_name, warnings_naming

FIXTURE = Path(__file__).parent / "fixtures" / "dcat" / "data-europa-eu" / "catalogue-page-1.ttl"
AIR = "Qualité de l'air - stations de mesure"
HUTS = "Refuges alpins des Alpes occidentales"
AVALANCHES = "Bulletin d'avalanches du Piémont"
AIR_URI = "http://data.europa.eu/88u/dataset/qualita-aria-stazioni"


@pytest.fixture(scope="module")
def harvested(clean_module_db):
    path = "/api/hub/repo/catalogues/regione-piemonte.ttl"
    return harvest_twice({path: Page(FIXTURE.read_text(encoding="utf-8"), "text/turtle")}, path,
                         publication_mode="reference")


warnings_of = warnings_naming


def test_every_record_of_the_page_is_published(harvested):
    assert gather_errors(harvested["job"]) == []
    assert harvested["report"]["record_errors"] == []
    assert set(harvested["datasets"]) == {AIR, HUTS, AVALANCHES}
    assert all(not d["private"] for d in harvested["datasets"].values())


def test_french_is_chosen_and_a_machine_translation_is_named(harvested):
    air = harvested["datasets"][AIR]
    assert air["notes"] == "Mesures horaires des polluants (NO2, PM10, O3) dans les stations du réseau régional."
    prefix = f"Avertissement : fiche « {AIR} » ({AIR_URI}), champ "
    assert warnings_of(harvested, AIR) == [
        prefix + f"titre = « {AIR} » : texte traduit automatiquement de l'italien (langue « fr-t-it-t0-mtec ») : "
                 "il est importé tel quel ; le texte original est « Qualità dell'aria - stazioni di misura ».",
        prefix + "description = « Mesures horaires des polluants (NO2, PM10, O3) dans les stations du réseau "
                 "régional. » : texte traduit automatiquement de l'italien (langue « fr-t-it-t0-mtec ») : il est "
                 "importé tel quel ; le texte original est « Misure orarie degli inquinanti (NO2, PM10, O3) nelle "
                 "stazioni della rete regionale. »."]
    # a record written in French: its own text, no warning
    assert harvested["datasets"][HUTS]["notes"].startswith("Refuges gardés et non gardés")
    assert warnings_of(harvested, HUTS) == []
    # only translations: the French one, with what is known of its original
    [title, _description] = warnings_of(harvested, AVALANCHES)
    assert title.endswith("texte traduit automatiquement de l'italien (langue « fr-t-it-t0-mtec ») : il est "
                          "importé tel quel.")


def test_eu_vocabularies_and_distributions(harvested):
    air = harvested["datasets"][AIR]
    assert air["license_id"] == "cc-by-4.0"
    assert air["frequency"] == "http://publications.europa.eu/resource/authority/frequency/DAILY"
    assert air["themes"] == ["environnement-climat"]
    assert {t["name"] for t in air["tags"]} == {"air", "pollution"}  # the French keywords
    assert json.loads(air["spatial"])["coordinates"][0][0] == [6.63, 44.06]
    assert air["temporal_start"] == "2015-01-01"
    assert (air["contact_name"], air["contact_email"]) == ("Arpa Piemonte", "dati@arpa.piemonte.example")
    assert air["publisher_name"] == "Regione Piemonte"
    resources = resources_by_name(air)
    csv = resources["Mesures horaires (CSV)"]
    assert (csv["format"], csv["size"], csv["mimetype"], csv["hash"]) == (
        "CSV", 2048576, "text/csv", "sha1:3f786850e387550fdab836ed7e6dc881de23001b")
    geojson = resources["Stations (GeoJSON)"]
    assert (geojson["format"], geojson["size"], geojson["mimetype"]) == ("GeoJSON", 18432, "application/geo+json")
    assert harvested["datasets"][HUTS]["themes"] == ["mer-littoral-montagne"]


def test_an_unchanged_page_is_not_rewritten(harvested):
    # which translation is kept does not depend on the graph's order
    assert harvested["again"]["stats"]["not modified"] == 3
    assert harvested["again"]["stats"]["updated"] == 0


@pytest.mark.parametrize("tag,expected", [
    ("fr-t-it-t0-mtec", "it"), ("en-t-de-t0-mtec", "de"), ("fr-t-t0-mtec", ""), ("FR-T-IT-T0-MTEC", "it"),
    ("fr", None), ("fr-fr", None), ("en-t-it", None), ("fr-t-it-t0-hybrid", None), (None, None)])
def test_machine_translation_tags(tag, expected):
    assert dcat_profile.translated_by_machine(Literal("texte", lang=tag)) == expected


def test_people_s_text_comes_before_a_machine_s_in_the_same_language():
    written = [Literal("Qualité de l'air (traduction)", lang="fr-t-it-t0-mtec"), Literal("Qualité de l'air", lang="fr"),
               Literal("Qualità dell'aria", lang="it")]
    assert dcat_profile.pick_literal(written) == Literal("Qualité de l'air", lang="fr")
    assert dcat_profile.pick_literal(reversed(written)) == Literal("Qualité de l'air", lang="fr")
