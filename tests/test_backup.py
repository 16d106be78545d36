"""Backup and restore (issue 10, item 19): `bin/datasud backup` then `bin/datasud restore`
into a fresh, empty instance (its own database and storage, its own Solr site id), and
the restored catalogue compared with the original, read through CKAN's actions."""
from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud import backup
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
DATASUD = ROOT / "bin" / "datasud"
TEST_INI = ROOT / "config" / "test.ini"

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def instance_ini(path: Path, **options: str) -> Path:
    """config/test.ini with ``options`` overridden, and its logging."""
    test = configparser.RawConfigParser()
    test.read(TEST_INI)
    lines = ["[DEFAULT]", "debug = false", "", "[app:main]", f"use = config:{TEST_INI}"]
    lines += [f"{key} = {value}" for key, value in options.items()] + [""]
    for section in test.sections():
        if section in ("loggers", "handlers", "formatters") or section.startswith(("logger_", "handler_", "formatter_")):
            lines.append(f"[{section}]")
            lines += [f"{key} = {value}" for key, value in test.items(section, raw=True)] + [""]
    path.write_text("\n".join(lines))
    return path


def datasud(*args: str, ini: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, CKAN_INI=str(ini))
    env.pop("CKAN_SQLALCHEMY_URL", None)
    return subprocess.run([str(DATASUD), *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def snapshot(ini: Path) -> dict:
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "catalogue_snapshot.py"), str(ini)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def admin_connection():
    """The cluster's superuser, as bin/datasud reaches it (its password, if any, comes
    from var/datasud.env through the environment bin/datasud test exported)."""
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=int(os.environ.get("CKAN_PG_PORT", "5432")), user="postgres",
                            password=os.environ.get("DATASUD_PG_ADMIN_PASSWORD") or None, dbname="postgres")
    conn.autocommit = True
    return conn


@pytest.fixture
def restored_instance(tmp_path_factory):
    """A fresh instance to restore into: database `<test db>_restored` (absent), an empty
    storage and its own Solr site id; removed afterwards."""
    work = tmp_path_factory.mktemp("restored")
    name = f"{os.environ.get('CKAN_TEST_DB', 'datasud_test')}_restored"
    conn = admin_connection()
    with conn.cursor() as cur:
        cur.execute(f'drop database if exists "{name}" with (force)')
    from sqlalchemy.engine import make_url
    import ckan.plugins.toolkit as tk

    url = make_url(tk.config["sqlalchemy.url"]).set(database=name)
    ini = instance_ini(work / "restored.ini", **{
        "sqlalchemy.url": url.render_as_string(hide_password=False).replace("%", "%%"),
        "ckan.site_id": name, "ckan.storage_path": str(work / "storage")})
    yield {"ini": ini, "database": name, "storage": work / "storage"}
    datasud("ckan", "search-index", "clear", ini=ini)
    with conn.cursor() as cur:
        cur.execute(f'drop database if exists "{name}" with (force)')
    conn.close()


@pytest.fixture
def catalogue(create_with_upload, tmp_path_factory):
    """Partners with conventions, datasets with uploaded files at several steps of the
    validation workflow (so with history), committed; and the ini of this instance
    (config/test.ini with the storage the uploads went to)."""
    sysadmin = ckan_factories.Sysadmin()
    for group in ("service-juridique", "comite-de-pilotage", "commission-permanente"):
        ckan_factories.Group(name=group)
    region = factories.Organization(name="region-sud", title="Région Sud")
    partner = factories.Organization(name="ville-de-nice", title="Ville de Nice")
    as_admin = {"user": sysadmin["name"]}
    helpers.call_action("datasud_convention_create", as_admin, organization_id=partner["id"],
                        reference="CONV-NICE-2025", kind="data_opening_support", status="in_force",
                        signed_on="2025-01-10", starts_on="2025-02-01", ends_on="2028-01-31",
                        signatories="Le maire de Nice", document_url="https://www.nice.fr/convention.pdf")

    published = factories.Dataset(owner_org=region["id"], name="lycees-publics", title="Lycées publics de la région")
    create_with_upload("uai;nom\n0130040Y;Lycée Thiers\n0060030A;Lycée Masséna\n", "lycees.csv",
                       context=as_admin, package_id=published["id"], name="Liste des lycées")
    in_review = factories.Dataset(owner_org=partner["id"], private=True, name="cales-mise-a-l-eau",
                                  title="Cales de mise à l'eau")
    create_with_upload(bytes(range(256)) * 40, "cales.zip", context=as_admin, package_id=in_review["id"],
                       name="Archive des cales")
    create_with_upload("<a>é</a>", "cales.xml", context=as_admin, package_id=in_review["id"], name="Métadonnées")
    for action, data in (("submit", {}), ("legal_opinion", {"opinion": "favourable_with_reservations",
                                                            "comment": "Vérifier la licence"})):
        helpers.call_action(f"datasud_workflow_{action}", as_admin, id=in_review["id"], **data)
    factories.Dataset(owner_org=partner["id"], private=True, name="brouillon-energie", title="Énergie (brouillon)")

    import ckan.plugins.toolkit as tk

    # create_with_upload put the files in a storage of their own (a temporary folder)
    source_ini = instance_ini(tmp_path_factory.mktemp("source") / "source.ini",
                              **{"ckan.storage_path": tk.config["ckan.storage_path"]})
    return {"ini": source_ini, "datasets": 3}


def test_backup_then_restore_into_an_empty_instance_gives_the_same_catalogue(catalogue, restored_instance, tmp_path_factory):
    archive = tmp_path_factory.mktemp("backups") / "datasud.tar.gz"
    before = snapshot(catalogue["ini"])
    assert len(before["datasets"]) == catalogue["datasets"]
    assert len(before["uploaded_files"]) == 3
    assert before["search"]["all"]["count"] == 3 and before["search"]["lycees"]["names"] == ["lycees-publics"]
    assert [c["reference"] for c in before["conventions"]].count("CONV-NICE-2025") == 1
    assert [h["transition"] for h in before["workflows"]["cales-mise-a-l-eau"]["history"]] == ["submit", "legal_opinion"]

    result = datasud("backup", str(archive), ini=catalogue["ini"])
    assert result.returncode == 0, result.stdout + result.stderr
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert {"manifest.json", "database.dump", "config/datasud.env", "config/test.ini"} <= set(names)
    assert len(manifest["files"]) == len(before["storage"]) and manifest["files"] == before["storage"]
    assert oct(archive.stat().st_mode & 0o777) == "0o600"  # it holds the secrets

    result = datasud("restore", str(archive), ini=restored_instance["ini"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "search index rebuilt" in result.stdout

    after = snapshot(restored_instance["ini"])
    assert after["datasets"] == before["datasets"]
    assert after["workflows"] == before["workflows"]
    assert after["conventions"] == before["conventions"]
    assert after["uploaded_files"] == before["uploaded_files"]
    assert after["storage"] == before["storage"]
    assert after["search"] == before["search"]  # the rebuilt index answers as the original one

    # A second restore into the now non-empty instance is refused, and changes nothing.
    again = datasud("restore", str(archive), ini=restored_instance["ini"])
    assert again.returncode == 1
    assert "is not empty" in again.stderr
    assert snapshot(restored_instance["ini"])["datasets"] == before["datasets"]


def test_restore_refuses_what_is_not_a_backup(restored_instance, tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        evil = tmp_path / "evil"
        evil.write_text("x")
        tar.add(evil, "../../evil")
    result = datasud("restore", str(bogus), ini=restored_instance["ini"])
    assert result.returncode == 1
    assert "not a DataSud backup" in result.stderr
    storage = restored_instance["storage"]
    assert not storage.exists() or not [path for path in storage.rglob("*")  # nothing but what CKAN regenerates
                                        if path.relative_to(storage).parts[0] not in backup.REGENERATED]
