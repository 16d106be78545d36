"""Round trip (issue 11): every demo dataset, exported by this portal's ``/catalog.ttl``,
served by a local HTTP server and harvested into another partner (reference mode,
convention), comes back with the same metadata.

One export and one harvest; the comparison lists every difference, and the test asserts
that the only ones are those documented in :data:`EXPECTED_DIFFERENCES`, with their reason.
"""
from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, RDF, SKOS

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from tests import factories
from tests.harvesting import CatalogueServer, Page, allowed_hosts, create_source, gather_errors, object_errors, \
    run, source_datasets

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

DATASET_FIELDS = ("title", "notes", "license_id", "temporal_start", "temporal_end", "spatial_text", "granularity",
                  "spatial_level", "spatial_code", "inspire_theme", "inspire_conformity", "provenance",
                  "spatial_resolution_in_meters", "frequency", "issued", "contact_name", "contact_email")
RESOURCE_FIELDS = ("url", "format", "mimetype", "resource_type", "document_kind", "document_date")

# What cannot come back identical, and why (each asserted below).
EXPECTED_DIFFERENCES = {
    # The harvesting source decides how the partner publishes what it harvests: this one
    # references the records, so datasets hosted in download mode come back referenced.
    "publication_mode": "download → reference (the source's publication mode)",
}


def _geometry(value):
    return json.loads(value) if isinstance(value, str) and value else value


def _resources(dataset: dict) -> list[tuple]:
    return sorted(tuple(str(r.get(k) or "") for k in RESOURCE_FIELDS) for r in dataset["resources"])


def differences(original: dict, harvested: dict) -> list[str]:
    """Every field of ``original`` that ``harvested`` does not give back, as 'field: a → b'."""
    found = []
    for field in DATASET_FIELDS:
        if field == "issued" and not original.get(field):
            continue  # the export gives the date the dataset was created here instead
        if (original.get(field) or None) != (harvested.get(field) or None):
            found.append(f"{field}: {original.get(field)!r} → {harvested.get(field)!r}")
    if sorted(original["themes"]) != sorted(harvested["themes"]):
        found.append(f"themes: {original['themes']} → {harvested['themes']}")
    if _geometry(original.get("spatial")) != _geometry(harvested.get("spatial")):
        found.append(f"spatial: {original.get('spatial')} → {harvested.get('spatial')}")
    if original["publication_mode"] != harvested["publication_mode"]:
        found.append(f"publication_mode: {original['publication_mode']} → {harvested['publication_mode']}")
    if _resources(original) != _resources(harvested):
        found.append(f"resources: {_resources(original)} → {_resources(harvested)}")
    return found


def assert_datasud_themes_exported(catalogue: str, datasets) -> None:
    """Each DataSud theme is a skos:Concept of DataSud's scheme, beside its EU theme."""
    from ckanext.datasud import vocabularies
    g = Graph().parse(data=catalogue, format="turtle")
    site = tk.config["ckan.site_url"].rstrip("/")
    scheme = URIRef(f"{site}/themes")
    assert (scheme, RDF.type, SKOS.ConceptScheme) in g
    for dataset in datasets:
        ref = URIRef(f"{site}/dataset/{dataset['id']}")
        exported = set(g.objects(ref, DCAT.theme))
        for slug in dataset["themes"]:
            concept = URIRef(f"{site}/themes/{slug}")
            assert concept in exported and URIRef(vocabularies.THEMES_BY_SLUG[slug].eu_theme_uri) in exported
            assert (concept, RDF.type, SKOS.Concept) in g and (concept, SKOS.inScheme, scheme) in g
            assert Literal(vocabularies.THEMES_BY_SLUG[slug].fr, lang="fr") in set(g.objects(concept, SKOS.prefLabel))


def test_every_demo_dataset_comes_back_from_a_round_trip(app):
    from ckanext.datasud import demo

    demo.ensure_sysadmin("admin", "mot de passe de test", "admin@example.org")
    demo.load("admin")
    originals = {d["title"]: helpers.call_action("package_show", id=d["name"])
                 for d in demo.demo_content()["datasets"]}
    catalogue = app.get("/catalog.ttl").body
    assert_datasud_themes_exported(catalogue, originals.values())
    partner = factories.Organization()
    sysadmin = ckan_factories.Sysadmin()

    with CatalogueServer() as server, allowed_hosts(server.host):
        server.pages["/catalog.ttl"] = Page(catalogue, "text/turtle")
        source = create_source(sysadmin, partner, server.url("/catalog.ttl"), publication_mode="reference",
                               validation="convention")
        result = run(source)
        again = run(source)

    assert gather_errors(result["job"]) == []
    assert [e for e in object_errors(result["job"]) if not e.startswith("Avertissement")] == []
    harvested = {d["title"]: helpers.call_action("package_show", id=d["id"]) for d in source_datasets(source)}
    assert set(harvested) == set(originals)
    assert result["job"]["stats"]["added"] == len(originals)
    assert again["job"]["stats"].get("not modified") == len(originals)  # read twice, the same records

    report = {}
    for title, original in originals.items():
        found = differences(original, harvested[title])
        if found:
            report[title] = found
    unexpected = {title: [d for d in found if not d.startswith("publication_mode: download → reference")]
                  for title, found in report.items()}
    assert {t: d for t, d in unexpected.items() if d} == {}, json.dumps(report, indent=1, ensure_ascii=False)
    # The documented difference, on exactly the datasets hosted here.
    downloaded = {t for t, d in originals.items() if d["publication_mode"] == "download"}
    assert {t for t, found in report.items() if found} == downloaded
    assert all(harvested[t]["publication_mode"] == "reference" for t in downloaded)
    assert EXPECTED_DIFFERENCES["publication_mode"].startswith("download → reference")
    # Reference-mode records keep the producer's page; hosted ones point back to their page here.
    for title, original in originals.items():
        if original["publication_mode"] == "reference":
            assert harvested[title]["url"] == original["url"]
        else:
            assert harvested[title]["url"].endswith(f"/dataset/{original['id']}")
