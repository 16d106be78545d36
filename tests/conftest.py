"""Fixtures shared by DataSud's tests.

The tests run against real services (PostgreSQL, Solr, Redis) started by
`bin/datasud test`, with config/test.ini: CKAN's pytest plugin (``--ckan-ini``) loads it.
"""
from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_INI = ROOT / "config" / "test.ini"


class _Mailbox:
    """Collects what a real SMTP server (aiosmtpd) on 127.0.0.1 receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def server():
    """A partner's catalogue server on 127.0.0.1 (``tests/harvesting.py``), its host
    allowed for harvesting. A module needing another server defines its own."""
    from tests.harvesting import CatalogueServer, allowed_hosts
    with CatalogueServer() as server, allowed_hosts(server.host):
        yield server


@pytest.fixture
def partner():
    """A partner organisation and a sysadmin to create its harvest sources. A module
    needing another partner (an editor, a convention) defines its own."""
    from ckan.tests import factories as ckan_factories
    from tests import factories
    return {"org": factories.Organization(), "sysadmin": ckan_factories.Sysadmin()}


@pytest.fixture(scope="session")
def worker_mailbox():
    """The SMTP server the test Celery worker sends its e-mails to."""
    import socket
    from aiosmtpd.controller import Controller
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailbox.port = port
    yield mailbox
    controller.stop()


@pytest.fixture(scope="session")
def celery_worker(worker_mailbox):
    """A real Celery worker process consuming the test broker (Redis, database 3); its
    e-mails go to ``worker_mailbox``."""
    env = dict(os.environ, CKAN_INI=str(TEST_INI), CKAN_SMTP_PORT=str(worker_mailbox.port))
    log = open(ROOT / "var" / "log" / "test-celery-worker.log", "w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "ckanext.datasud.celery_app", "worker",
         "--pool", "solo", "--loglevel", "INFO", "--hostname", "datasud-test@%h",
         "--without-gossip", "--without-mingle"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    from ckanext.datasud.celery_app import app

    deadline = time.time() + 60
    while time.time() < deadline:
        assert worker.poll() is None, "the Celery worker stopped: see var/log/test-celery-worker.log"
        if app.control.ping(timeout=1):
            break
    else:
        worker.kill()
        pytest.fail("the Celery worker did not answer within 60 s")
    yield app
    worker.terminate()
    worker.wait(30)
    log.close()


def _plugins_with_migrations() -> list[str]:
    from ckan.cli.db import _resolve_alembic_config
    import ckan.plugins.toolkit as tk

    return [name for name in tk.aslist(tk.config.get("ckan.plugins"))
            if os.path.exists(_resolve_alembic_config(name))]


def _clean_database(reset_db, migrate_db_for) -> None:
    import sqlalchemy as sa
    import ckan.model as model

    reset_db()
    if not sa.inspect(model.meta.engine).has_table("datasud_alembic_version"):
        for plugin in _plugins_with_migrations():
            migrate_db_for(plugin)


@pytest.fixture
def clean_db(reset_db, migrate_db_for):
    """CKAN's clean_db, plus the tables of the plugins that have migrations.

    The first reset of a test session drops every table and recreates CKAN core's
    only; the plugins' tables (harvest, activity, DataSud's) come back from their own
    migrations, as `ckan db upgrade` makes them.
    """
    _clean_database(reset_db, migrate_db_for)


@pytest.fixture(scope="module")
def clean_module_db(reset_db, migrate_db_for, reset_index):
    """``clean_db`` and ``clean_index`` once for a whole module: for module-scoped
    fixtures that harvest a catalogue once for many small tests (a module-scoped fixture
    cannot use the function-scoped ones)."""
    _clean_database(reset_db, migrate_db_for)
    reset_index()


@pytest.fixture(scope="module")
def clean_module_db_each(reset_db, migrate_db_for, reset_index):
    """What ``clean_module_db`` does, as a function: for a module-scoped fixture with
    parameters, each of which builds its own world on a clean database."""
    def clean() -> None:
        _clean_database(reset_db, migrate_db_for)
        reset_index()
    return clean


@pytest.fixture(scope="session", autouse=True)
def load_standard_plugins():
    """Every test runs with the plugins of config/test.ini loaded, as the portal does.

    Loaded once for the session (CKAN's ``with_plugins`` reloads them around every test,
    which costs about a second a test and changes nothing here: no test swaps plugins).
    """
    import ckan.plugins
    ckan.plugins.load_all()
    yield
    ckan.plugins.unload_non_system_plugins()


# Left out of the comparison: an object each app makes (see below), and a list each
# build appends to in place (ckanext-spatial adds "frange" to the one ckan_config copied).
_APP_CONFIG_LEFT_OUT = ("SESSION_REDIS", "ckan.search.solr_allowed_query_parsers")
_built_app: dict = {}


def _config_fingerprint(config) -> str:
    import hashlib
    items = sorted((key, repr(value)) for key, value in config.items() if key not in _APP_CONFIG_LEFT_OUT)
    return hashlib.sha256(repr(items).encode()).hexdigest()


@pytest.fixture
def app(make_app):
    """CKAN's ``app`` fixture, built once for each configuration instead of once a test.

    Building the Flask app (plugins' ``update_config``, blueprints, Jinja, a new engine)
    takes about 0.8 s, and most tests take ``app``. A test whose configuration differs
    (a ``ckan_config`` mark, a fixture that changes an option first) gets an app built for
    it, as CKAN's fixture does. On reuse, what building the app does to the shared state
    is done again: CKAN's ``ckan_config`` fixture puts the configuration back as it was
    before the app after each test, so the options the app set are put back, then the
    app globals are read again and the site user made (``clean_db`` removed it)."""
    import ckan.lib.app_globals as app_globals
    import ckan.plugins.toolkit as tk
    key = _config_fingerprint(tk.config)
    built = _built_app.get(key)
    if built is None:
        _built_app.clear()
        test_app = make_app()
        built = _built_app[key] = (test_app, {k: copy.copy(v) for k, v in tk.config.items() if k != "SESSION_REDIS"})
        return test_app
    test_app, config_after_build = built
    tk.config.update({k: copy.copy(v) for k, v in config_after_build.items()})
    app_globals.app_globals._init()
    app_globals.reset()
    tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return test_app


@pytest.fixture(autouse=True)
def no_session_redis_client_in_config():
    """Sessions live in Redis (``SESSION_TYPE = redis``): each test app puts its Redis
    client into CKAN's config (``SESSION_REDIS``, copied from the Flask config), which
    CKAN's ``ckan_config`` fixture then fails to deep-copy. Each app makes its own."""
    import ckan.plugins.toolkit as tk
    tk.config.pop("SESSION_REDIS", None)
    yield
