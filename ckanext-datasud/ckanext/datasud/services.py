"""Checks of the services DataSud runs on: PostgreSQL, Solr, Redis, Celery."""
from __future__ import annotations

import re
import time
from typing import Iterator

import ckan.plugins.toolkit as tk

from ckanext.datasud import redis_client

# Set by the Celery task `datasud.heartbeat` (run by beat) in CKAN's Redis.
HEARTBEAT_KEY = "datasud:celery:heartbeat"
# Downloads of files hosted on DataSud: a total and a hash per resource, in CKAN's Redis.
DOWNLOADS_KEY = "datasud:downloads"


FIX = "start it with `bin/datasud up` (or check its address in the CKAN configuration)"


def check_postgresql() -> tuple[bool, str]:
    import ckan.model as model
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    url = make_url(tk.config.get("sqlalchemy.url"))
    where = f"{url.host}:{url.port or 5432}/{url.database}"
    try:
        version = model.Session.execute(text("select version()")).scalar()
        return True, f"{where}: {version.split(',')[0]}"
    except Exception as e:  # noqa: BLE001 - reported to the operator
        model.Session.rollback()
        reason = str(getattr(e, "orig", e)).strip().splitlines()[0]
        return False, f"{where}: {reason}; {FIX}"


def check_solr() -> tuple[bool, str]:
    import requests
    from ckan.lib.search import SearchError, check_solr_schema_version

    url = tk.config.get("solr_url")
    auth = (tk.config.get("solr_user"), tk.config.get("solr_password"))
    try:
        requests.get(f"{url}/admin/ping", params={"wt": "json"}, auth=auth if all(auth) else None,
                     timeout=10).raise_for_status()
    except requests.RequestException as e:
        reason = "no answer" if isinstance(e, requests.ConnectionError) else str(e)
        return False, f"{url}: {reason}; {FIX}"
    try:
        check_solr_schema_version()
    except SearchError as e:
        return False, f"{url}: {e}; load solr/configsets/ckan into that core"
    return True, f"{url}: CKAN schema accepted"


def check_redis() -> tuple[bool, str]:
    url = re.sub(r"//[^/@]*@", "//", tk.config.get("ckan.redis.url") or "")  # not its password
    try:
        info = redis_client.connection().info("server")
        return True, f"{url}: Redis {info['redis_version']}"
    except Exception as e:  # noqa: BLE001
        return False, f"{url}: {e}; {FIX}"


def check_celery() -> tuple[bool, str]:
    """Alive when beat's heartbeat task ran recently on a worker."""
    try:
        value = redis_client.connection().get(HEARTBEAT_KEY)
    except Exception as e:  # noqa: BLE001
        return False, str(e)
    if value is None:
        return False, "no heartbeat recorded yet: are the worker and beat running? (`bin/datasud up` starts them)"
    age = time.time() - float(value)
    limit = 3 * tk.config.get("ckanext.datasud.celery.heartbeat_seconds")
    return age < limit, f"last heartbeat {age:.0f} s ago"


def check_all() -> Iterator[tuple[str, bool, str]]:
    yield ("PostgreSQL", *check_postgresql())
    yield ("Solr", *check_solr())
    yield ("Redis", *check_redis())
    yield ("Celery", *check_celery())


def downloads_total() -> int:
    """Every download counted (downloads.record), folded or not: the home page's key figure."""
    return int(redis_client.connection().hget(DOWNLOADS_KEY, "total") or 0)
