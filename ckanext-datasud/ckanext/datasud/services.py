"""Checks of the services DataSud runs on: PostgreSQL, Solr, Redis, Celery."""
from __future__ import annotations

import time
from typing import Iterator

import ckan.plugins.toolkit as tk

# Set by the Celery task `datasud.heartbeat` (run by beat) in CKAN's Redis.
HEARTBEAT_KEY = "datasud:celery:heartbeat"


def check_postgresql() -> tuple[bool, str]:
    import ckan.model as model
    try:
        from sqlalchemy import text
        version = model.Session.execute(text("select version()")).scalar()
        return True, version.split(",")[0]
    except Exception as e:  # noqa: BLE001 - reported to the operator
        return False, str(e).splitlines()[0]


def check_solr() -> tuple[bool, str]:
    from ckan.lib.search import check_solr_schema_version, common
    try:
        common.make_connection().ping()
        check_solr_schema_version()
        return True, tk.config.get("solr_url")
    except Exception as e:  # noqa: BLE001
        return False, f"{tk.config.get('solr_url')}: {e}"


def check_redis() -> tuple[bool, str]:
    from ckan.lib.redis import connect_to_redis
    try:
        info = connect_to_redis().info("server")
        return True, f"Redis {info['redis_version']}"
    except Exception as e:  # noqa: BLE001
        return False, str(e)


def check_celery() -> tuple[bool, str]:
    """Alive when beat's heartbeat task ran recently on a worker."""
    from ckan.lib.redis import connect_to_redis
    try:
        value = connect_to_redis().get(HEARTBEAT_KEY)
    except Exception as e:  # noqa: BLE001
        return False, str(e)
    if value is None:
        return False, "no heartbeat recorded yet (are the worker and beat running?)"
    age = time.time() - float(value)
    limit = 3 * tk.config.get("ckanext.datasud.celery.heartbeat_seconds")
    return age < limit, f"last heartbeat {age:.0f} s ago"


def check_all() -> Iterator[tuple[str, bool, str]]:
    yield ("PostgreSQL", *check_postgresql())
    yield ("Solr", *check_solr())
    yield ("Redis", *check_redis())
    yield ("Celery", *check_celery())
