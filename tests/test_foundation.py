"""The foundation: CKAN 2.11 with the DataSud plugin on real PostgreSQL, Solr and Redis."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sqlalchemy as sa

import ckan
import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from tests import factories

from ckanext.datasud import services

ROOT = Path(__file__).resolve().parent.parent

EXTENSIONS = ["datasud", "scheming_datasets", "dcat", "harvest", "spatial_metadata", "spatial_query"]


def test_ckan_is_2_11():
    assert ckan.__version__.startswith("2.11.")


@pytest.mark.parametrize("name", EXTENSIONS)
def test_plugin_is_loaded(name):
    assert p.plugin_loaded(name)


def test_spatial_search_uses_solr_bbox():
    assert tk.config.get("ckanext.spatial.search_backend") == "solr-bbox"


def test_config_options_are_declared():
    # Declared options come typed, with their defaults.
    assert tk.config.get("ckanext.datasud.celery.heartbeat_seconds") == 60
    assert tk.config.get("ckanext.datasud.demo.sysadmin") == "admin"
    from ckan.common import config_declaration
    assert "ckanext.datasud.celery.broker_url" in config_declaration
    option = config_declaration.get("ckanext.datasud.celery.heartbeat_seconds")
    assert option is not None and option.default == 60


def test_status_show_lists_the_extensions(app):
    result = app.get("/api/3/action/status_show").json["result"]
    assert result["ckan_version"].startswith("2.11.")
    assert result["locale_default"] == "fr"
    for name in EXTENSIONS:
        assert name in result["extensions"]


def test_home_page_is_in_french(app):
    response = app.get("/")
    assert response.status_code == 200
    assert '<html lang="fr"' in response.body
    assert "Jeux de données" in response.body


@pytest.mark.parametrize("check", [services.check_postgresql, services.check_solr, services.check_redis])
def test_services_are_reached(check):
    ok, detail = check()
    assert ok, detail


def test_solr_core_accepts_ckan_schema_version():
    from ckan.lib.search import check_solr_schema_version
    assert check_solr_schema_version() is True


def test_solr_reports_the_version_we_pinned():
    import requests
    base = tk.config["solr_url"].rsplit("/", 1)[0]
    info = requests.get(f"{base}/admin/info/system", params={"wt": "json"}, timeout=10,
                        auth=(tk.config["solr_user"], tk.config["solr_password"])).json()
    assert info["lucene"]["solr-spec-version"].startswith("9.8.")


def test_committed_schema_is_ckan_schema_plus_bbox_fields():
    """solr/configsets/ckan/conf/schema.xml = CKAN 2.11's schema.xml + the solr-bbox fields."""
    shipped = ET.parse(Path(ckan.__file__).parent / "config" / "solr" / "schema.xml").getroot()
    ours = ET.parse(ROOT / "solr" / "configsets" / "ckan" / "conf" / "schema.xml").getroot()
    assert ours.get("name") == shipped.get("name") == "ckan-2.11"

    def fields(root):
        return {f.get("name"): f.attrib for f in root.iter("field")}

    extra = set(fields(ours)) - set(fields(shipped))
    assert extra == {"bbox_area", "minx", "miny", "maxx", "maxy"}
    for name, attrs in fields(shipped).items():
        assert fields(ours)[name] == attrs
    assert [t.attrib for t in ours.iter("fieldType")] == [t.attrib for t in shipped.iter("fieldType")]


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_dataset_created_through_the_api_is_found_by_search():
    org = factories.Organization()
    sysadmin = factories.Sysadmin()
    created = helpers.call_action(
        "package_create", {"user": sysadmin["name"]},
        name="cales-test", title="Cales de mise à l'eau du Var", owner_org=org["id"],
        notes="Cales publiques", tags=[{"name": "littoral"}], themes=["mer-littoral-montagne"],
    )
    assert created["private"] is True  # a draft until validated
    from ckanext.datasud.logic.workflow_action import publish_through_the_workflow
    publish_through_the_workflow(sysadmin["name"], created["id"])
    result = helpers.call_action("package_search", q="cales Var", fq="tags:littoral")
    assert result["count"] == 1
    assert result["results"][0]["id"] == created["id"]
    # Straight from Solr, not from the database.
    from ckan.lib.search import query_for
    ids = query_for(model.Package).run({"q": "name:cales-test", "fl": "id"})["results"]
    assert ids == [created["id"]]


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_bounding_box_search_through_solr_bbox():
    org = factories.Organization()
    marseille = '{"type": "Polygon", "coordinates": [[[5.2, 43.2], [5.5, 43.2], [5.5, 43.4], [5.2, 43.4], [5.2, 43.2]]]}'
    factories.Dataset(owner_org=org["id"], name="a-marseille", spatial=marseille)
    factories.Dataset(owner_org=org["id"], name="sans-emprise")
    near_marseille = helpers.call_action("package_search", extras={"ext_bbox": "5.0,43.0,5.6,43.5"})
    assert [d["name"] for d in near_marseille["results"]] == ["a-marseille"]
    in_nice = helpers.call_action("package_search", extras={"ext_bbox": "7.1,43.6,7.4,43.8"})
    assert in_nice["count"] == 0


def test_datasud_migrations_are_applied():
    """`ckan db upgrade` (run by bin/datasud test) applied migrations/ up to its head."""
    from alembic.script import ScriptDirectory
    from alembic.config import Config

    script = ScriptDirectory.from_config(Config(str(ROOT / "migrations" / "alembic.ini")))
    engine = model.meta.engine
    with engine.connect() as conn:
        current = conn.execute(sa.text("select version_num from datasud_alembic_version")).scalars().all()
    assert current == [script.get_current_head()]


def test_migrations_are_reached_as_ckan_expects():
    """CKAN looks for `migration/datasud/alembic.ini` beside the plugin: it leads to migrations/."""
    from ckan.cli.db import _resolve_alembic_config
    ini = Path(_resolve_alembic_config("datasud"))
    assert ini.resolve() == (ROOT / "migrations" / "alembic.ini").resolve()
