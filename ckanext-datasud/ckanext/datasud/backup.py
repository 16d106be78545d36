"""Backup and restore of a DataSud instance in one archive (``ckan datasud backup|restore``,
called by ``bin/datasud backup|restore``).

The archive (``.tar.gz``) holds:

- ``manifest.json``: format, date, CKAN version, site id, database name, and the
  SHA-256 of every uploaded file (checked again on restore);
- ``database.dump``: the database (``pg_dump`` custom format);
- ``storage/``: the uploaded files (``ckan.storage_path``, less the ``webassets``
  CKAN regenerates);
- ``config/``: the configuration: the instance's secrets file (``var/datasud.env``) and
  the configuration files (``config/``), when given.

A restore goes into an empty instance (empty database, empty storage): it restores the
database and the files, then ``bin/datasud restore`` upgrades the database
(``ckan db upgrade``) and rebuilds the Solr index (``ckan search-index rebuild``).
"""
from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.engine import make_url

import ckan.plugins.toolkit as tk

FORMAT = "datasud-backup/1"
# What CKAN (and DataSud at start-up) regenerates from the code: not backed up, and no
# obstacle to a restore.
REGENERATED = {"webassets", "i18n"}  # i18n: the JS translations (js_translations.py)
# Lines of the secrets file that travel with the data: the key that signs sessions and
# API tokens (without it, every API token of the restored portal is void) and the
# password of the sysadmin account the database holds (which `bin/datasud up` prints).
# The services' passwords stay those of the machine the archive is restored on.
PORTABLE_SECRETS = ("CKAN_SECRET_KEY", "DATASUD_ADMIN_PASSWORD")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


def _pg_command(program: str) -> str:
    directory = os.environ.get("DATASUD_PG_BIN")
    path = os.path.join(directory, program) if directory else shutil.which(program)
    if not path or not os.access(path, os.X_OK):
        raise BackupError(f"{program} not found: install PostgreSQL's client programs (Debian: postgresql-client)")
    return path


def _pg_connection() -> tuple[list[str], dict[str, str], str]:
    """pg_dump/pg_restore's connection arguments and environment for ``sqlalchemy.url``
    (the password in the environment, never on a command line)."""
    url = make_url(os.environ.get("CKAN_SQLALCHEMY_URL") or tk.config["sqlalchemy.url"])
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env, url.database


def _storage_path() -> Path:
    path = tk.config.get("ckan.storage_path")
    if not path:
        raise BackupError("ckan.storage_path is not set: there is no uploaded file to back up or restore")
    return Path(path)


def _stored_files(storage: Path) -> Iterator[Path]:
    if not storage.is_dir():
        return
    for root, dirs, files in os.walk(storage):
        if Path(root) == storage:
            dirs[:] = [d for d in dirs if d not in REGENERATED]
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {detail[-1] if detail else 'exit %d' % result.returncode}")


def backup(archive: Path, env_file: Optional[Path] = None, config_dir: Optional[Path] = None) -> dict:
    """Write the instance's database, uploaded files and configuration to ``archive``."""
    from ckan import __version__ as ckan_version

    archive = archive.resolve()
    if archive.exists():
        raise BackupError(f"{archive} already exists: choose another file name")
    storage = _storage_path()
    args, env, database = _pg_connection()
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="datasud-backup-", dir=archive.parent) as tmp:
        dump = Path(tmp) / "database.dump"
        _run([_pg_command("pg_dump"), *args, "--format", "custom", "--no-owner", "--no-privileges",
              "--file", str(dump), database], env, f"pg_dump of database {database}")
        files = {str(path.relative_to(storage)): _sha256(path) for path in _stored_files(storage)}
        manifest = {
            "format": FORMAT,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "ckan_version": ckan_version,
            "site_id": tk.config.get("ckan.site_id"),
            "database": database,
            "files": files,
        }
        partial = Path(tmp) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(data), int(datetime.datetime.now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, "database.dump")
            for name in files:
                tar.add(storage / name, f"storage/{name}")
            if env_file and env_file.is_file():
                tar.add(env_file, "config/datasud.env")
            if config_dir and config_dir.is_dir():
                for path in sorted(config_dir.iterdir()):
                    if path.is_file() and path.suffix in (".ini", ".json", ".py"):
                        tar.add(path, f"config/{path.name}")
        os.chmod(partial, 0o600)  # it holds the secrets and every user's data
        partial.rename(archive)  # only a complete archive gets the name
    return {"database": database, "files": len(files), "archive": str(archive)}


def _is_empty_database(database: str) -> bool:
    from ckan import model

    engine = sa.create_engine(os.environ.get("CKAN_SQLALCHEMY_URL") or tk.config["sqlalchemy.url"])
    try:
        with engine.connect() as conn:
            count = conn.execute(sa.text(
                "select count(*) from information_schema.tables where table_schema = 'public'")).scalar()
    finally:
        engine.dispose()
    model.Session.remove()
    return count == 0


def _safe_members(tar: tarfile.TarFile, prefix: str) -> list[tarfile.TarInfo]:
    members = []
    for member in tar.getmembers():
        if not member.name.startswith(prefix):
            continue
        relative = Path(member.name[len(prefix):])
        if not member.isfile() or relative.is_absolute() or ".." in relative.parts:
            raise BackupError(f"unexpected entry in the archive: {member.name!r}")
        members.append(member)
    return members


def _merge_secrets(archived: bytes, env_file: Path) -> list[str]:
    """Copy PORTABLE_SECRETS from the archived secrets file into ``env_file``; the names
    of those that changed."""
    values = {}
    for line in archived.decode().splitlines():
        key, sep, value = line.partition("=")
        if sep and key in PORTABLE_SECRETS:
            values[key] = value
    lines = env_file.read_text().splitlines() if env_file.exists() else []
    changed, seen, out = [], set(), []
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and key in values:
            seen.add(key)
            if value != values[key]:
                changed.append(key)
            line = f"{key}={values[key]}"
        out.append(line)
    for key, value in values.items():
        if key not in seen:
            out.append(f"{key}={value}")
            changed.append(key)
    if changed:
        env_file.parent.mkdir(parents=True, exist_ok=True)
        env_file.write_text("\n".join(out) + "\n")
        os.chmod(env_file, 0o600)
    return changed


def restore(archive: Path, env_file: Optional[Path] = None) -> dict:
    """Restore ``archive`` into this (empty) instance: database, uploaded files and the
    portable secrets. The Solr index is rebuilt afterwards by the caller."""
    if not archive.is_file():
        raise BackupError(f"no archive {archive}")
    storage = _storage_path()
    args, env, database = _pg_connection()
    if not _is_empty_database(database):
        raise BackupError(f"database {database} is not empty: a restore goes into an empty instance "
                          "(drop and create the database, or start from a new var/)")
    if any(_stored_files(storage)):
        raise BackupError(f"{storage} already holds files: a restore goes into an empty storage")
    try:
        tar = tarfile.open(archive, "r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{archive} is not a DataSud backup: {exc}") from None
    with tar, tempfile.TemporaryDirectory(prefix="datasud-restore-") as tmp:
        try:
            manifest = json.load(tar.extractfile("manifest.json"))
        except (KeyError, ValueError):
            raise BackupError(f"{archive} is not a DataSud backup: no manifest") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{archive}: unknown backup format {manifest.get('format')!r}")
        dump = Path(tmp) / "database.dump"
        with tar.extractfile("database.dump") as src, open(dump, "wb") as dst:
            shutil.copyfileobj(src, dst)
        _run([_pg_command("pg_restore"), *args, "--dbname", database, "--no-owner", "--no-privileges",
              "--exit-on-error", "--single-transaction", str(dump)], env, f"pg_restore into database {database}")

        expected = manifest.get("files", {})
        members = _safe_members(tar, "storage/")
        if {m.name[len("storage/"):] for m in members} != set(expected):
            raise BackupError(f"{archive}: the uploaded files do not match the manifest")
        for member in members:
            target = storage / member.name[len("storage/"):]
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            if _sha256(target) != expected[member.name[len("storage/"):]]:
                raise BackupError(f"{archive}: {member.name} is damaged (checksum differs)")

        secrets = []
        if env_file is not None:
            try:
                archived_env = tar.extractfile("config/datasud.env").read()
            except KeyError:
                archived_env = None
            if archived_env:
                secrets = _merge_secrets(archived_env, env_file)
    return {"database": database, "files": len(expected), "secrets": secrets,
            "created": manifest.get("created"), "site_id": manifest.get("site_id")}
