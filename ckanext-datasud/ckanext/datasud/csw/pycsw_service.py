"""The pycsw side of DataSud's discovery service: a WSGI application for gunicorn.

Runs with the Python of pycsw's own virtualenv (``.cache/pycsw-venv``: pycsw 2.6 needs
an older OWSLib than ckanext-spatial's), never imports CKAN, and is started by
``bin/datasud`` as::

    PYCSW_CONFIG=var/csw/pycsw.cfg .cache/pycsw-venv/bin/gunicorn \\
        --chdir ckanext-datasud/ckanext/datasud/csw --bind 127.0.0.1:8984 pycsw_service:application

The configuration is written by the portal (``ckan datasud csw config``): the public URL
(``<site_url>/csw``), the service metadata, the repository, transactions allowed from
127.0.0.1 only (the portal's sync; ``/csw`` on the portal never passes a transaction).
The repository's table is created at start when missing.
"""
from __future__ import annotations

import configparser
import os
import sys


def _config_path() -> str:
    path = os.environ.get("PYCSW_CONFIG", "")
    if not path or not os.path.isfile(path):
        sys.exit(f"PYCSW_CONFIG must name pycsw's configuration file (got {path!r})")
    return path


def ensure_repository(config_path: str) -> None:
    """Create the repository's table (and its folder, for SQLite) when missing."""
    from pycsw.core import admin
    from sqlalchemy import create_engine, inspect

    config = configparser.ConfigParser(interpolation=None)
    config.read(config_path, encoding="utf-8")
    database, table = config.get("repository", "database"), config.get("repository", "table")
    if database.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(database[len("sqlite:///"):]) or ".", exist_ok=True)
    engine = create_engine(database)
    try:
        exists = inspect(engine).has_table(table)
    finally:
        engine.dispose()
    if not exists:
        admin.setup_db(database, table, config.get("server", "home"))


CONFIG = _config_path()
ensure_repository(CONFIG)

from pycsw import server  # noqa: E402 - after the repository exists
from pycsw.wsgi import get_pycsw_root_path  # noqa: E402

ROOT = get_pycsw_root_path(os.environ)


def application(environ, start_response):
    """pycsw's own WSGI wrapper, without its print of every path to stdout."""
    environ["local.app_root"] = ROOT
    if ":" in environ.get("HTTP_HOST", ""):
        environ["HTTP_HOST"] = environ["HTTP_HOST"].split(":")[0]
    csw = server.Csw(CONFIG, environ)
    status, contents = csw.dispatch_wsgi()
    start_response(status, [("Content-Length", str(len(contents))), ("Content-Type", str(csw.contenttype))])
    return [contents]
