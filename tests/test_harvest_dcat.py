"""Harvesting partners' DCAT catalogues (real HTTP server on 127.0.0.1)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from tests import factories
from tests.harvesting import CatalogueServer, Page, allowed_hosts, create_source, run, source_datasets, \
    object_errors, gather_errors

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

FIXTURES = Path(__file__).parent / "fixtures" / "dcat"


@pytest.fixture
def server():
    with CatalogueServer() as server, allowed_hosts(server.host):
        yield server


@pytest.fixture
def partner():
    return {"org": factories.Organization(), "sysadmin": ckan_factories.Sysadmin()}


def test_reference_mode_prevalidated(server, partner):
    server.pages["/catalogue.ttl"] = Page((FIXTURES / "catalogue.ttl").read_text())
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    result = run(source)
    assert gather_errors(result["job"]) == []
    assert object_errors(result["job"]) == []
    datasets = {d["title"]: d for d in source_datasets(source)}
    assert set(datasets) == {"Qualité des eaux de baignade", "Pistes cyclables"}
    eau = datasets["Qualité des eaux de baignade"]
    assert eau["private"] is False
    assert eau["publication_mode"] == "reference"
    assert eau["url"] == "https://www.partenaire.example/donnees/qualite-eau"
    assert eau["themes"] == ["environnement-climat"]
    assert eau["license_id"] == "etalab-2.0"
    assert eau["resources"][0]["url"] == "https://data.partenaire.example/files/qualite-eau.csv"
    pistes = datasets["Pistes cyclables"]
    assert pistes["license_id"] == "odc-odbl"
    history = helpers.call_action("datasud_workflow_show", {"ignore_auth": True}, id=eau["id"])
    assert history["state"] == "published"
    assert history["history"][-1]["transition"] == "harvest_publish"
