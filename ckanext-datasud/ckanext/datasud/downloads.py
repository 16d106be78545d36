"""Download counts: every « Télécharger » goes through ``/dataset/<id>/resource/<rid>/telecharger``
(``download_views.py``), which redirects to the file or the link. A link is counted there;
an uploaded file (or a partner's file copied in download mode) is counted when CKAN serves
it (its ``resource_download`` signal, ``record_served_file``): once per download whether it
came through the button, a direct link or the API's ``url``.

Why Redis first: a download must cost one round trip, not a write to PostgreSQL and a
reindex. Each counted download is an ``HINCRBY`` (and the time of the last one) in one
hash, ``datasud:downloads:<site_id>:pending``. A Celery beat job (``fold``) moves the
counters into ``datasud_download_count`` and reindexes the datasets whose count changed,
so that search can sort by downloads and the home page list the most downloaded.

Folding loses nothing and counts nothing twice:

1. the pending hash is RENAMEd to ``...:folding:<uuid>``: downloads arriving meanwhile
   start a new pending hash;
2. the folding hash is added to the table and recorded in ``datasud_download_fold`` in
   one transaction;
3. only then is the folding hash deleted.

A crash before 2's commit leaves the folding hash in Redis: the next fold takes leftover
folding hashes first. A crash after the commit and before 3 leaves a hash already
recorded: the next fold deletes it without adding it again. Redis keeps the counters
across its own restart (append-only file, ``bin/datasud``'s ``appendonly yes``).
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import logging
import re
import time
import uuid
from typing import Iterable, Iterator, Optional

import redis
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.datasud import redis_client
from ckanext.datasud.model import DownloadCount, DownloadFold
from ckanext.datasud.services import DOWNLOADS_KEY

log = logging.getLogger(__name__)

# The Solr field that holds a dataset's downloads: CKAN's schema declares this int field
# for resource access counts (the old tracking feature, not enabled here). ``downloads``
# is accepted as its name in ``sort`` (``search_sort``).
SOLR_FIELD = "resources_accessed_total"
SORT_NAME = "downloads"

# Not counted: crawlers, link checkers, monitors, previews of links. curl, wget, scripts
# and clients that send no user agent are real users of open data: counted.
ROBOT_AGENT = re.compile(
    r"bot|crawl|spider|slurp|link.?check|checklink|validator|monitor|pingdom|uptime|"
    r"archiver|facebookexternalhit|embedly|preview", re.IGNORECASE)

# Folds taken by two workers at once wait for each other (PostgreSQL advisory lock).
FOLD_LOCK = 0x44534C44  # "DSLD"
# Records of applied folds older than this are forgotten (a folding hash lives minutes).
FOLD_RECORDS_KEPT = dt.timedelta(days=30)


def is_robot(user_agent: Optional[str]) -> bool:
    """A crawler, a link checker, a monitor or a link preview."""
    return bool(ROBOT_AGENT.search(user_agent or ""))


def counted(method: str, user_agent: Optional[str], range_header: Optional[str] = None) -> bool:
    """Whether a request is a download for someone: a GET (not a HEAD), not a robot's, and
    not the second part of a file fetched in ranges (a PDF viewer, a resumed download)."""
    if method != "GET" or is_robot(user_agent):
        return False
    return not range_header or range_header.replace(" ", "").startswith("bytes=0-")


def _prefix() -> str:
    """Counters of one portal (its site id): two portals or test runs may share a Redis."""
    return f"datasud:downloads:{tk.config.get('ckan.site_id')}"


def pending_key() -> str:
    return _prefix() + ":pending"


def folding_prefix() -> str:
    return _prefix() + ":folding:"


def record(package_id: str, resource_id: str, conn: Optional[redis.Redis] = None) -> None:
    """Count one download: one round trip to Redis (a MULTI of two commands)."""
    conn = conn or redis_client.connection()
    field = f"{package_id}:{resource_id}"
    pipe = conn.pipeline(transaction=True)
    pipe.hincrby(pending_key(), "n:" + field, 1)
    pipe.hset(pending_key(), "t:" + field, int(time.time()))
    pipe.hincrby(DOWNLOADS_KEY, "total", 1)  # the home page's key figure (services.downloads_total)
    pipe.execute()


def record_served_file(resource_id: str) -> None:
    """CKAN served an uploaded file (signal ``resource_download``, in its request): count it
    as the counting URL counts links."""
    from flask import request

    if not counted(request.method, request.headers.get("User-Agent"), request.headers.get("Range")):
        return
    resource = model.Resource.get(resource_id)
    if resource is None:
        return
    try:
        record(resource.package_id, resource.id)
    except redis.RedisError as error:  # the download matters more than its count
        log.warning("download of %s not counted: %s", resource_id, error)


# --- Folding into PostgreSQL ---------------------------------------------------------

def claim(conn: redis.Redis) -> Optional[str]:
    """Rename the pending hash to a folding hash of its own; None when nothing is pending."""
    key = folding_prefix() + uuid.uuid4().hex
    try:
        conn.rename(pending_key(), key)
    except redis.ResponseError:  # no such key: no download since the last fold
        return None
    return key


def leftovers(conn: redis.Redis) -> list[str]:
    """Folding hashes of folds that did not finish (a crash, a restart)."""
    return sorted(k.decode() if isinstance(k, bytes) else k
                  for k in conn.scan_iter(match=folding_prefix() + "*", count=100))


def parse(fields: dict) -> dict[tuple[str, str], tuple[int, Optional[dt.datetime]]]:
    """{(package_id, resource_id): (count, last download)} from a hash's fields."""
    counts: dict[tuple[str, str], int] = {}
    times: dict[tuple[str, str], dt.datetime] = {}
    for name, value in fields.items():
        name = name.decode() if isinstance(name, bytes) else name
        kind, _, ids = name.partition(":")
        package_id, _, resource_id = ids.partition(":")
        try:
            number = int(value)
        except (TypeError, ValueError):
            log.warning("download counter %s: %r is not a number, ignored", name, value)
            continue
        if kind == "n":
            counts[(package_id, resource_id)] = number
        elif kind == "t":
            times[(package_id, resource_id)] = dt.datetime.utcfromtimestamp(number)
    return {ids: (n, times.get(ids)) for ids, n in counts.items() if n > 0}


def apply(conn: redis.Redis, key: str) -> Optional[dict[tuple[str, str], int]]:
    """Add one folding hash to the table, once: the counts added, or None when this hash
    was already added (by a fold that stopped before deleting it)."""
    counts = parse(conn.hgetall(key))
    session = model.Session
    try:
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": FOLD_LOCK})
        if session.query(DownloadFold).filter_by(key=key).first() is not None:
            session.rollback()
            return None
        table = DownloadCount.__table__
        for (package_id, resource_id), (number, last) in counts.items():
            stmt = pg_insert(table).values(resource_id=resource_id, package_id=package_id,
                                           count=number, last_download=last)
            stmt = stmt.on_conflict_do_update(index_elements=["resource_id"], set_={
                "count": table.c.count + stmt.excluded.count,
                "package_id": stmt.excluded.package_id,
                "last_download": sa.func.greatest(table.c.last_download, stmt.excluded.last_download),
            })
            session.execute(stmt)
        now = dt.datetime.utcnow()
        session.add(DownloadFold(key=key, folded=now))
        session.query(DownloadFold).filter(DownloadFold.folded < now - FOLD_RECORDS_KEPT).delete()
        session.commit()
    except Exception:
        session.rollback()
        raise
    return {ids: number for ids, (number, _) in counts.items()}


def fold(conn: Optional[redis.Redis] = None, reindex_datasets: bool = True) -> dict:
    """Move every pending counter into PostgreSQL (leftovers of unfinished folds first),
    then reindex the datasets whose count changed."""
    conn = conn or redis_client.connection()
    keys = leftovers(conn)
    claimed = claim(conn)
    if claimed:
        keys.append(claimed)
    downloads = 0
    packages: set[str] = set()
    for key in keys:
        added = apply(conn, key)
        if added:
            downloads += sum(added.values())
            packages.update(package_id for package_id, _ in added)
        conn.delete(key)  # after the commit: a crash before this is recognised next time
    if reindex_datasets and packages:
        reindex(packages)
    return {"site": tk.config.get("ckan.site_id"), "hashes": len(keys), "downloads": downloads,
            "datasets": sorted(packages)}


def reindex(package_ids: Iterable[str]) -> None:
    """Reindex the datasets still there, committing Solr once at the end."""
    from ckan.lib.search import index_for

    ids = [row.id for row in model.Session.query(model.Package.id).filter(
        model.Package.id.in_(list(package_ids)), model.Package.state != "deleted")]
    index = index_for(model.Package)
    context = {"ignore_auth": True, "validate": False, "use_cache": False}
    for number, package_id in enumerate(ids, 1):
        try:
            pkg_dict = tk.get_action("package_show")(dict(context), {"id": package_id})
            index.update_dict(pkg_dict, defer_commit=number < len(ids))
        except Exception:  # noqa: BLE001 - one dataset must not stop the others
            log.exception("dataset %s: not reindexed after the download fold", package_id)
    model.Session.commit()


# --- Reading the counts -----------------------------------------------------------------

def package_counts(package_id: str) -> dict[str, int]:
    """{resource_id: downloads} of a dataset: one query (none for the datasets of
    :func:`counts_read_for`)."""
    known = _read.get()
    if known is not None and package_id in known:
        return dict(known[package_id])
    rows = model.Session.query(DownloadCount.resource_id, DownloadCount.count).filter(
        DownloadCount.package_id == package_id)
    return {resource_id: int(count) for resource_id, count in rows}


_read: contextvars.ContextVar[Optional[dict[str, dict[str, int]]]] = contextvars.ContextVar(
    "datasud_download_counts", default=None)


@contextlib.contextmanager
def counts_read_for(package_ids: Iterable[str]) -> Iterator[None]:
    """Within: the counts of these datasets are read once, in one query (the datasets a
    harvest batch indexes, each shown once)."""
    known: dict[str, dict[str, int]] = {package_id: {} for package_id in package_ids}
    if known:
        for package_id, resource_id, count in model.Session.query(
                DownloadCount.package_id, DownloadCount.resource_id, DownloadCount.count).filter(
                DownloadCount.package_id.in_(list(known))):
            known[package_id][resource_id] = int(count)
    token = _read.set(known)
    try:
        yield
    finally:
        _read.reset(token)


def add_counts(pkg_dict: dict) -> dict:
    """``downloads`` on each resource and on the dataset (sum of its current resources);
    computed at each show, never stored in the dataset (no new revision per download)."""
    counts = package_counts(pkg_dict["id"])
    total = 0
    for resource in pkg_dict.get("resources", []):
        resource["downloads"] = counts.get(resource.get("id"), 0)
        total += resource["downloads"]
    pkg_dict["downloads"] = total
    return pkg_dict


def counted_at_indexing(pkg_dict: dict) -> bool:
    """Whether a shown dataset is the search index's copy, which carries the counts folded
    when it was indexed (:func:`index_counts`): every fold reindexes the datasets whose
    counts it changed, so they are the table's. A dataset read from the database never has
    them (:func:`drop_counts` keeps them out of what is stored)."""
    return "downloads" in pkg_dict and all("downloads" in r for r in pkg_dict.get("resources") or [])


def after_dataset_show(context: dict, pkg_dict: dict) -> None:
    """IPackageController.after_dataset_show: the counts of a dataset, read from the
    table (one query) unless ``package_show`` answered with the index's copy, which
    carries them (the counters are folded in the background: no query for them then);
    neither stored in the dataset nor in the copies the activity stream keeps (asked for
    with ``for_view=False``)."""
    if context.get("for_view") is False:
        return
    if pkg_dict.get("type") == "dataset" and pkg_dict.get("id") and not counted_at_indexing(pkg_dict):
        add_counts(pkg_dict)


def before_dataset_search(search_params: dict) -> dict:
    """IPackageController.before_dataset_search: ``sort=downloads desc`` understood."""
    if search_params.get("sort"):
        search_params["sort"] = search_sort(search_params["sort"])
    return search_params


def drop_counts(data_dict: dict) -> dict:
    """A dataset dict given back to package_update/create (from a package_show) must not
    store the computed counts as extras."""
    data_dict.pop("downloads", None)
    for resource in data_dict.get("resources") or []:
        if isinstance(resource, dict):
            resource.pop("downloads", None)
    return data_dict


def index_counts(pkg_dict: dict) -> dict:
    """At indexing (``before_dataset_index``): the dataset's downloads in the int field
    ``SOLR_FIELD`` (sorting), and in the validated dict search results are made of (the
    schema's validation drops keys it does not know)."""
    total = int(pkg_dict.pop("downloads", 0) or 0)
    pkg_dict[SOLR_FIELD] = total
    if not pkg_dict.get("validated_data_dict"):
        return pkg_dict
    shown = json.loads(pkg_dict.get("data_dict") or "{}")
    per_resource = {r.get("id"): r.get("downloads", 0) for r in shown.get("resources", [])}
    validated = json.loads(pkg_dict["validated_data_dict"])
    validated["downloads"] = total
    for resource in validated.get("resources", []):
        resource["downloads"] = per_resource.get(resource.get("id"), 0)
    pkg_dict["validated_data_dict"] = json.dumps(validated)
    return pkg_dict


_SORT_NAME = re.compile(r"(^|,)\s*" + SORT_NAME + r"(?=\s+(?:asc|desc)\b)", re.IGNORECASE)


def search_sort(sort: Optional[str]) -> Optional[str]:
    """``downloads desc`` in a package_search sort means the indexed int field."""
    if not sort or SORT_NAME not in sort:
        return sort
    return _SORT_NAME.sub(lambda m: f"{m.group(1)}{SOLR_FIELD}", sort)


def most_downloaded(limit: int = 5) -> list[dict]:
    """The public datasets downloaded most, from Solr (never a table scan)."""
    result = tk.get_action("package_search")(
        {"ignore_auth": True},
        {"q": "*:*", "fq": f"+{SOLR_FIELD}:[1 TO *] +dataset_type:dataset", "sort": f"{SOLR_FIELD} desc",
         "rows": int(limit), "include_private": False, "include_drafts": False})
    return result["results"]
