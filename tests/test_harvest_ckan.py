"""Harvesting a partner's CKAN portal (a real HTTP server on 127.0.0.1 answering CKAN's
Action API search as a CKAN portal does)."""
from __future__ import annotations

import json

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from tests import factories
from tests.harvesting import CatalogueServer, Page, allowed_hosts, create_source, object_errors, run

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

REMOTE = {
    "11111111-1111-4111-8111-111111111111": {
        "name": "stationnement-velos", "title": "Stationnements vélos",
        "notes": "Arceaux et abris vélos de la métropole.", "license_id": "lov2",
        "tags": [{"name": "vélo"}], "metadata_modified": "2026-10-01T10:00:00",
        "url": "https://data.metropole.example/dataset/stationnement-velos",
        "extras": [{"key": "theme", "value": json.dumps(["http://publications.europa.eu/resource/authority/data-theme/TRAN"])}],
        "organization": {"name": "metropole"},
        "resources": [{"name": "Arceaux (CSV)", "url": "https://data.metropole.example/files/arceaux.csv",
                       "format": "CSV"}],
    },
    "22222222-2222-4222-8222-222222222222": {
        "name": "marches", "title": "Marchés forains", "notes": "Jours et lieux des marchés.",
        "license_id": "odc-odbl", "tags": [], "metadata_modified": "2026-09-01T10:00:00",
        "url": "https://data.metropole.example/dataset/marches",
        "extras": [{"key": "theme", "value": json.dumps(["http://publications.europa.eu/resource/authority/data-theme/ECON"])}],
        "organization": {"name": "metropole"},
        "resources": [{"name": "Marchés (JSON)", "url": "https://data.metropole.example/files/marches.json",
                       "format": "JSON"}],
    },
}


def _search(datasets: dict) -> str:
    results = [dict(d, id=i, type="dataset") for i, d in datasets.items()]
    return json.dumps({"success": True, "result": {"count": len(results), "results": results}})


@pytest.fixture
def portal():
    with CatalogueServer() as server, allowed_hosts(server.host):
        yield server


def test_ckan_portal_created_updated_withdrawn(portal):
    sysadmin, org = ckan_factories.Sysadmin(), factories.Organization()
    remote = {k: dict(v) for k, v in REMOTE.items()}
    portal.pages["/api/3/action/package_search"] = Page(lambda: _search(remote), "application/json")
    portal.pages["/api/action/package_search"] = Page(lambda: _search(remote), "application/json")
    source = create_source(sysadmin, org, portal.url("/"), source_type="datasud_ckan", validation="convention")

    first = run(source)
    assert object_errors(first["job"]) == []
    assert first["job"]["stats"]["added"] == 2
    velos = helpers.call_action("package_show", {"ignore_auth": True}, id="11111111-1111-4111-8111-111111111111")
    assert velos["private"] is False
    assert velos["license_id"] == "etalab-2.0"  # data.gouv.fr's "lov2"
    assert velos["themes"] == ["mobilite-transports"]
    assert velos["publication_mode"] == "reference"
    assert velos["url"] == "https://data.metropole.example/dataset/stationnement-velos"
    assert velos["resources"][0]["url"] == "https://data.metropole.example/files/arceaux.csv"

    # one modified upstream, the other removed
    remote["11111111-1111-4111-8111-111111111111"].update(title="Stationnements vélos 2026",
                                                           metadata_modified="2026-11-01T10:00:00")
    del remote["22222222-2222-4222-8222-222222222222"]
    second = run(source)
    assert (second["job"]["stats"].get("updated"), second["job"]["stats"].get("deleted")) == (1, 1)
    assert helpers.call_action("package_show", {"ignore_auth": True},
                               id="11111111-1111-4111-8111-111111111111")["title"] == "Stationnements vélos 2026"
    marches = helpers.call_action("package_show", {"ignore_auth": True}, id="22222222-2222-4222-8222-222222222222")
    assert marches["private"] is True
    assert helpers.call_action("datasud_workflow_show", {"ignore_auth": True},
                               id=marches["id"])["state"] == "withdrawn"
