"""Download mode: data files copied into DataSud's storage after import, and kept in sync.

Contract used by the harvesters (see dcat.py, ckan.py):

``after_import(package_id)``
    called after a harvested dataset was created or updated; in download mode it queues
    the Celery task that copies the dataset's data files (never blocks the harvest);
``keep_local_copies(package_id, dataset_dict)``
    called before a harvested dataset is updated; resources already copied keep their
    local file (and its recorded size, type, checksum) when the remote URL is the same.

Copying a file (:func:`sync_package`, run by the Celery task ``datasud.sync_downloads``)
-------------------------------------------------------------------------------------

What is copied: in a dataset of a download-mode source, each data file that is a link
(a DCAT distribution given by its access URL only — a page or a service of the
partner — stays a link); from the form, the resource saved with ``copy_mode`` ``copy``.
Every download goes through :mod:`.safety` (public addresses only unless allow-listed,
redirects checked hop by hop), is bounded by its own size limit
(``ckanext.datasud.harvest.max_file_mb``) and duration
(``ckanext.datasud.harvest.file_timeout``), streamed to a temporary file while its
SHA-256 is computed, then written by CKAN's resource uploader, at the path CKAN's own
uploads use: ``/dataset/<id>/resource/<rid>/download/<file>`` serves it. The resource
becomes an upload (``url_type`` ``upload``, ``url`` the file name) and records:

``source_url``               the partner's URL of the file (the original, kept);
``size``, ``mimetype``       of the copy (media type from the server, else the name);
``hash``                     ``sha256:<hex>`` (the form ``datasud_checksum`` accepts);
``source_etag``,
``source_last_modified``     the validators the partner's server sent, for
                             conditional requests;
``copied_at``                when the file was last copied (also ``last_modified``);
``copy_status``              ``copied`` or ``failed``; ``copy_error`` the French error;
``copy_mode``                ``copy``: the resource follows its source.

A ``download_url`` equal to the source is dropped, so that DataSud's DCAT catalogue
gives the copy as the download URL. The metadata are written with ``package_update`` of
the whole dataset while its row is locked (no lost update between two tasks or a
person's edit); only resource fields change, so a published dataset stays public and is
not sent back to validation (none of ``REVALIDATED_FIELDS`` changes).

Failures: server errors (5xx, 408, 429), time-outs and broken connections are retried by
Celery with an exponential back-off (1, 2, 4, 8, 16 minutes); a refused address, a
client error (404...) or a file over the limit are final at once. A file never copied
then stays a link to the partner's site, with ``copy_status`` ``failed`` and the error;
a file copied before keeps its last copy online, with the error recorded.

Re-synchronisation (:func:`resync_due`, the beat task ``datasud.resync_downloads``,
every 15 minutes)
-------------------------------------------------------------------------------------

Each check of a copied file is a conditional GET (``If-None-Match`` with the recorded
ETag, ``If-Modified-Since`` with the recorded Last-Modified): ``304`` costs no download
and writes nothing. A server that gives no validators (or ignores them) sends the file;
its checksum is compared with the recorded one and an identical file is not written
again. Only a changed file is stored again, with its new size, checksum and dates.

When checks happen:

- harvested datasets follow their source's schedule: each time a harvest job of a
  download-mode source has finished (daily, weekly, or run by hand), the beat task
  queues a check of every dataset of the source, except those already checked since the
  job started (the records that changed were checked right after their import);
- resources attached by URL from the dataset form (``copy_mode`` ``copy``) are checked
  every ``ckanext.datasud.harvest.resync_hours`` hours.

The time of each resource's last check, and the last job handled for each source, live
in CKAN's Redis (keys ``datasud:download:*``): losing them costs one extra round of
conditional requests, nothing else. The tasks go to the Celery queue
``ckanext.datasud.harvest.download_queue`` (empty: the default queue), so that long
downloads can be given their own workers.

Attached from the form (:func:`resource_create`, :func:`resource_update`, chained)
-------------------------------------------------------------------------------------

A resource saved with ``copy_mode`` ``copy`` and a link is copied by the same task; an
edit of a copied resource through the form keeps its recorded fields (the form does not
show them); a file uploaded by hand ends the copy (``copy_mode`` back to ``link``).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import math
import mimetypes
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional
from urllib.parse import unquote, urlsplit

import requests

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.datasud import redis_client
from ckanext.datasud.harvesting import batches, records, safety

log = logging.getLogger(__name__)

# Extras recorded on a copied resource (besides CKAN's size, mimetype, hash, last_modified).
COPY_FIELDS = ("copy_mode", "source_url", "source_etag", "source_last_modified", "copied_at", "copy_status",
               "copy_error")
COPY = "copy"
COPIED, FAILED = "copied", "failed"

RETRY_BASE_SECONDS = 60
RESYNC_SOURCE_KEY = "datasud:download:source:{0}"  # last finished job handled, per source
CHECKED_KEY = "datasud:download:checked:{0}"       # last check of a resource (epoch seconds)
LOCK_KEY = "datasud:download:lock:{0}"             # one sync of a dataset at a time
CHECKED_TTL = 60 * 24 * 3600                        # forgotten after: one more conditional GET
GENERIC_TYPES = ("", "application/octet-stream", "binary/octet-stream", "application/download",
                 "application/force-download", "application/x-download")


# --- Settings -------------------------------------------------------------------------

def max_file_mb() -> float:
    return float(tk.config.get("ckanext.datasud.harvest.max_file_mb"))


def max_file_bytes() -> int:
    return int(max_file_mb() * 1024 * 1024)


def file_timeout() -> float:
    return float(tk.config.get("ckanext.datasud.harvest.file_timeout"))


def download_queue() -> Optional[str]:
    return (tk.config.get("ckanext.datasud.harvest.download_queue") or "").strip() or None


def resync_seconds() -> float:
    return float(tk.config.get("ckanext.datasud.harvest.resync_hours")) * 3600


def retry_delay(retries: int) -> int:
    """Seconds before the next attempt: 1, 2, 4, 8, 16 minutes."""
    return RETRY_BASE_SECONDS * 2 ** retries


# --- What the harvesters call -------------------------------------------------------------

def after_import(package_id: str) -> None:
    settings = records.current()
    if settings is None or settings.publication_mode != "download":
        return
    batches.after_commit(lambda: enqueue(package_id))  # the task reads what the import wrote


def enqueue(package_id: str, resource_ids: Optional[list[str]] = None) -> None:
    """Queue the copy (or check) of a dataset's files; the broker being down never fails
    the harvest or the form (the next re-synchronisation catches up)."""
    try:
        from ckanext.datasud import outbox
        from ckanext.datasud.tasks import sync_downloads
        outbox.send(sync_downloads, [package_id, resource_ids], queue=download_queue())
    except Exception:  # noqa: BLE001
        log.exception("could not queue the copy of the files of dataset %s", package_id)


def keep_local_copies(package_id: str, dataset_dict: dict[str, Any]) -> None:
    """Before a harvest updates a dataset: each resource whose URL is the source of an
    existing copy keeps that resource (same id), its file and what was recorded about it.
    Other harvested resources are links (until copied); in reference mode all are."""
    resources = dataset_dict.get("resources") or []
    package = model.Package.get(package_id)
    if package is None or not resources:
        return
    settings = records.current()
    copies: dict[str, model.Resource] = {}
    if settings is not None and settings.publication_mode == "download":
        for existing in package.resources:
            extras = existing.extras or {}
            if extras.get("copy_mode") == COPY and extras.get("source_url"):
                copies.setdefault(extras["source_url"], existing)
    uploads = {r.id for r in package.resources if r.url_type == "upload"}
    claimed = {r["id"] for r in resources if r.get("id")}
    for res in resources:
        existing = copies.pop(res.get("url"), None) if res.get("url") else None
        if existing is not None and (existing.id == res.get("id") or existing.id not in claimed):
            _keep(res, existing)
            claimed.add(existing.id)
        elif res.get("id") in uploads:
            # the harvester matched a former copy whose source changed (or a source now in
            # reference mode): a link again, until copied again
            res["url_type"] = ""


def _keep(res: dict[str, Any], existing: model.Resource) -> None:
    extras = existing.extras or {}
    res["id"] = existing.id
    if existing.url_type == "upload":
        res["url"], res["url_type"] = existing.url, "upload"
        for key in ("size", "mimetype", "hash"):
            value = getattr(existing, key)
            if value not in (None, ""):
                res[key] = value
        if existing.last_modified:
            res["last_modified"] = existing.last_modified.isoformat()
        if res.get("download_url") == extras.get("source_url"):
            res.pop("download_url")
    else:
        res["url_type"] = ""
    for key in COPY_FIELDS:
        if extras.get(key) not in (None, ""):
            res[key] = extras[key]


# --- Copying and checking files -------------------------------------------------------------

class _Final(safety.HarvestFetchError):
    """Not worth retrying: refused address, client error, file too large."""


@dataclass
class _Target:
    id: str
    url: str                      # where the file is fetched
    copied: bool                  # a local copy exists
    extras: dict = field(default_factory=dict)
    hash: Optional[str] = None
    download_url: Optional[str] = None


def _remote(url: Optional[str]) -> bool:
    return bool(url) and str(url).lower().startswith(("http://", "https://"))


def _access_only(res: model.Resource, extras: dict) -> bool:
    """A distribution given by its access URL only (DCAT): a page or a service of the
    partner, not a file to copy."""
    return not extras.get("download_url") and extras.get("access_url") == res.url


def _targets(package: model.Package, resource_ids: Optional[list[str]]) -> list[_Target]:
    """The resources to copy or check: the given ones (chosen by the caller: attached by
    URL from the form, or left to retry); else every copy and every data file that is a
    link (a dataset of a download-mode source)."""
    found = []
    for res in package.resources:
        extras = dict(res.extras or {})
        follows = extras.get("copy_mode") == COPY
        copied = follows and res.url_type == "upload" and bool(extras.get("source_url"))
        link = res.url_type != "upload" and _remote(res.url)
        if resource_ids is not None:
            wanted = res.id in resource_ids and (copied or link)
        else:
            wanted = copied or (link and (res.resource_type or "data") == "data" and not _access_only(res, extras))
        if wanted:
            found.append(_Target(id=res.id, url=extras["source_url"] if copied else res.url, copied=copied,
                                 extras=extras, hash=res.hash, download_url=extras.get("download_url")))
    return found


def sync_package(package_id: str, resource_ids: Optional[list[str]] = None, final: bool = True) -> dict:
    """Copy (or check) the files of a dataset; see the module's docstring. Returns what
    happened per resource id; ``retry`` lists the resources to try again (transient
    errors, when this is not the ``final`` attempt)."""
    report: dict[str, Any] = {"copied": [], "unchanged": [], "failed": [], "retry": []}
    model.Session.expire_all()
    package = model.Package.get(package_id)
    if package is None or package.state != "active":
        return report
    targets = _targets(package, resource_ids)
    model.Session.rollback()  # no transaction left open during the downloads
    if not targets:
        return report
    with dataset_lock(package_id) as lock:
        if lock is None:  # another task is syncing this dataset
            report["retry"] = [] if final else [t.id for t in targets]
            report["busy"] = True
            return report
        for target in targets:
            lock.reacquire()
            try:
                changes = _download(target)
                report["copied" if changes and "url" in changes else "unchanged"].append(target.id)
            except _Final as e:
                changes = _failure(target, str(e))
                report["failed"].append(target.id)
            except safety.HarvestFetchError as e:
                if not final:
                    log.info("copy of resource %s will be retried: %s", target.id, e)
                    report["retry"].append(target.id)
                    continue
                changes = _failure(target, str(e))
                report["failed"].append(target.id)
            if changes:
                _save(package_id, target.id, changes)
            _mark_checked(target.id)
    return report


def _download(target: _Target) -> Optional[dict[str, Any]]:
    """The fields to write after fetching a target (``None``: nothing changed)."""
    try:
        safety.check_url(target.url)
    except safety.HarvestFetchError as e:
        raise _Final(str(e))
    headers = {}
    if target.copied:
        if target.extras.get("source_etag"):
            headers["If-None-Match"] = target.extras["source_etag"]
        if target.extras.get("source_last_modified"):
            headers["If-Modified-Since"] = target.extras["source_last_modified"]
    response = safety.open_stream(target.url, headers=headers)
    if response.status_code == 304 and target.copied:
        response.close()
        return _unchanged(target, {})
    if response.status_code != 200:
        response.close()
        status = response.status_code
        message = f"Le serveur a répondu {status} {response.reason or ''} pour {response.url}.".replace("  ", " ")
        if status >= 500 or status in (408, 429):
            raise safety.HarvestFetchError(message)
        raise _Final(message)
    validators = {"source_etag": response.headers.get("ETag") or None,
                  "source_last_modified": response.headers.get("Last-Modified") or None}
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as spool:
        size, checksum = _read_into(response, spool)
        if target.copied and checksum == target.hash:
            return _unchanged(target, validators)  # same bytes (a server without validators)
        file_name = _file_name(target.url, response)
        spool.seek(0)
        _store(target.id, file_name, spool)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    changes = {
        "url": file_name, "url_type": "upload", "size": size, "mimetype": _media_type(response, file_name),
        "hash": checksum, "source_url": target.url, **validators,
        "copied_at": now.isoformat(), "last_modified": now.replace(tzinfo=None).isoformat(),
        "copy_status": COPIED, "copy_error": None, "copy_mode": COPY,
    }
    if target.download_url == target.url:
        changes["download_url"] = None  # the copy is the download URL now
    return changes


def _unchanged(target: _Target, validators: dict[str, Optional[str]]) -> Optional[dict[str, Any]]:
    """A file identical to the copy: nothing to write, unless an old error is to be
    cleared or the server's validators changed."""
    changes: dict[str, Any] = {}
    if target.extras.get("copy_error"):
        changes["copy_error"] = None
    for key, value in validators.items():
        if value != target.extras.get(key):
            changes[key] = value
    return changes or None


def _read_into(response: requests.Response, spool) -> tuple[int, str]:
    """Stream a response into ``spool`` within the file limits; its size and checksum."""
    limit, deadline = max_file_bytes(), file_timeout()
    too_big = (f"Le fichier {response.url} dépasse la taille autorisée pour une copie sur DataSud "
               f"({max_file_mb():g} Mo).")
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        response.close()
        raise _Final(too_big)
    digest, size, started = hashlib.sha256(), 0, time.monotonic()
    try:
        for chunk in response.iter_content(chunk_size=256 * 1024):
            size += len(chunk)
            if size > limit:
                raise _Final(too_big)
            if time.monotonic() - started > deadline:
                raise safety.HarvestFetchError(f"Le téléchargement de {response.url} a dépassé {deadline:.0f} s.")
            digest.update(chunk)
            spool.write(chunk)
    except requests.exceptions.RequestException as e:
        text = str(e)
        raise safety.HarvestFetchError(f"Lecture interrompue de {response.url} : {text[:200]}.")
    finally:
        response.close()
    return size, "sha256:" + digest.hexdigest()


def _file_name(url: str, response: requests.Response) -> str:
    """The name the server gives (Content-Disposition), else the URL's last segment; an
    extension from the media type when the name has none."""
    from ckan.lib.munge import munge_filename
    from werkzeug.http import parse_options_header

    _value, options = parse_options_header(response.headers.get("Content-Disposition") or "")
    name = options.get("filename") or ""
    for candidate in (url, response.url):
        if not name:
            name = unquote(urlsplit(candidate).path.rstrip("/").rsplit("/", 1)[-1])
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "fichier"
    if "." not in name.strip("."):
        extension = mimetypes.guess_extension(_server_type(response) or "") or ""
        name += extension
    return munge_filename(name)


def _server_type(response: requests.Response) -> str:
    return (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()


def _media_type(response: requests.Response, file_name: str) -> str:
    from ckanext.datasud.logic.validators import MEDIA_TYPE
    given = _server_type(response)
    if given and given not in GENERIC_TYPES and MEDIA_TYPE.match(given):
        return given
    return mimetypes.guess_type(file_name)[0] or given or "application/octet-stream"


def _store(resource_id: str, file_name: str, stream) -> None:
    """Write the file where CKAN keeps the uploads of this resource (its uploader)."""
    from ckan.lib import uploader
    from werkzeug.datastructures import FileStorage

    upload = uploader.get_resource_uploader(
        {"url": file_name, "upload": FileStorage(stream=stream, filename=file_name)})
    if getattr(upload, "storage_path", True) is None:
        raise _Final("Le stockage de fichiers de DataSud n'est pas configuré (ckan.storage_path).")
    upload.upload(resource_id, math.ceil(max_file_mb()) + 1)


def _failure(target: _Target, message: str) -> Optional[dict[str, Any]]:
    """A file that could not be fetched: a copy made before stays online; otherwise the
    resource stays a link to the partner. The error is recorded (once)."""
    if target.copied:
        changes = {"copy_error": f"{message} La copie précédente reste en ligne."}
    else:
        changes = {"copy_status": FAILED, "copy_error": message, "source_url": target.url, "copy_mode": COPY}
    if all(target.extras.get(k) == v for k, v in changes.items()):
        return None
    log.warning("copy of resource %s failed: %s", target.id, message)
    return changes


def _site_user() -> str:
    return tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


def _save(package_id: str, resource_id: str, changes: dict[str, Any]) -> bool:
    """Write a resource's fields (``None`` removes one) with ``package_update``, the
    dataset's row locked so that a concurrent update is not lost."""
    model.Session.rollback()
    locked = (model.Session.query(model.Package).filter_by(id=package_id)
              .with_for_update().populate_existing().one_or_none())
    if locked is None or locked.state != "active":
        model.Session.rollback()
        return False
    context = {"user": _site_user(), "ignore_auth": True}
    dataset = tk.get_action("package_show")({**context, "for_update": True, "use_cache": False},
                                            {"id": package_id})
    for res in dataset["resources"]:
        if res["id"] == resource_id:
            for key, value in changes.items():
                if value is None:
                    res.pop(key, None)
                else:
                    res[key] = value
            break
    else:
        model.Session.rollback()
        return False
    try:
        tk.get_action("package_update")(context, dataset)
    except tk.ValidationError as e:
        model.Session.rollback()
        log.error("could not record the copy of resource %s: %s", resource_id, e.error_summary)
        return False
    return True


# --- Redis: last checks, one sync per dataset --------------------------------------------

def _mark_checked(resource_id: str) -> None:
    try:
        redis_client.connection().set(CHECKED_KEY.format(resource_id), time.time(), ex=CHECKED_TTL)
    except Exception:  # noqa: BLE001 - only costs an extra check
        log.exception("could not record the check of resource %s", resource_id)


def last_checked(resource_ids: list[str]) -> dict[str, Optional[float]]:
    if not resource_ids:
        return {}
    values = redis_client.connection().mget([CHECKED_KEY.format(rid) for rid in resource_ids])
    return {rid: float(v) if v is not None else None for rid, v in zip(resource_ids, values)}


def lock_seconds() -> float:
    return float(tk.config.get("ckanext.datasud.harvest.lock_seconds"))


class _Heartbeat(threading.Thread):
    """Keeps a lock alive while its holder works: renews its short TTL every third of it.
    A holder killed (SIGKILL, OOM, lost machine) renews nothing: its lock is free again
    within one TTL, and the retries of the copy are no longer "busy"."""

    def __init__(self, lock: Any, ttl: float):
        super().__init__(name=f"lock-heartbeat {lock.name}", daemon=True)
        self.lock, self.ttl, self.stopped = lock, ttl, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.ttl / 3):
            try:
                self.lock.reacquire()
            except Exception:  # noqa: BLE001 - lost (Redis down, expired): the holder goes on
                log.warning("could not renew the lock %s", self.lock.name, exc_info=True)

    def stop(self) -> None:
        self.stopped.set()
        self.join(self.ttl)


@contextlib.contextmanager
def dataset_lock(package_id: str) -> Iterator[Any]:
    """One sync of a dataset at a time: a Redis lock with a short TTL
    (``ckanext.datasud.harvest.lock_seconds``) that a heartbeat thread renews while the
    holder works, so that it dies with its holder."""
    ttl = lock_seconds()
    # thread_local=False: the heartbeat thread renews the token its holder took
    lock = redis_client.connection().lock(LOCK_KEY.format(package_id), timeout=ttl, blocking=False, thread_local=False)
    if not lock.acquire(blocking=False):
        yield None
        return
    heartbeat = _Heartbeat(lock, ttl)
    heartbeat.start()
    try:
        yield lock
    finally:
        heartbeat.stop()
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - expired meanwhile
            pass


# --- Re-synchronisation (beat) -------------------------------------------------------------

def _download_sources() -> list:
    from ckanext.harvest.model import HarvestSource
    from ckanext.datasud.harvesting.settings import SourceSettings

    sources = []
    for source in model.Session.query(HarvestSource).filter(HarvestSource.active == True):  # noqa: E712
        if records.is_datasud_source(source.type) and \
                SourceSettings.of(source).publication_mode == "download":
            sources.append(source)
    return sources


def _source_datasets(source_id: str) -> list[str]:
    from ckanext.harvest.model import HarvestObject

    rows = (model.Session.query(HarvestObject.package_id)
            .join(model.Package, model.Package.id == HarvestObject.package_id)
            .filter(HarvestObject.harvest_source_id == source_id, HarvestObject.current == True,  # noqa: E712
                    model.Package.state == "active")
            .distinct())
    return [row[0] for row in rows]


def resync_due() -> dict[str, int]:
    """Queue the checks that are due (see the module's docstring)."""
    from ckanext.harvest.model import HarvestJob
    import sqlalchemy as sa
    from sqlalchemy.dialects.postgresql import JSONB

    redis = redis_client.connection()
    queued = {"harvested": 0, "attached": 0}
    harvested: set[str] = set()
    for source in _download_sources():
        datasets = _source_datasets(source.id)
        harvested.update(datasets)
        job = (model.Session.query(HarvestJob)
               .filter(HarvestJob.source_id == source.id, HarvestJob.status == "Finished")
               .order_by(HarvestJob.finished.desc()).first())
        marker = RESYNC_SOURCE_KEY.format(source.id)
        if job is None or (redis.get(marker) or b"").decode() == job.id:
            continue
        started = job.created.replace(tzinfo=dt.timezone.utc).timestamp()
        for package_id in datasets:
            row = records.state_of(package_id)
            package = model.Package.get(package_id)
            if package is None or (row is not None and row.state == "withdrawn"):
                continue
            ids = [t.id for t in _targets(package, None)]
            checked = last_checked(ids)
            if ids and all(when is not None and when >= started for when in checked.values()):
                continue
            enqueue(package_id)
            queued["harvested"] += 1
        redis.set(marker, job.id, ex=CHECKED_TTL)

    extras = sa.cast(model.Resource.extras, JSONB)
    attached = (model.Session.query(model.Resource.id, model.Resource.package_id)
                .join(model.Package, model.Package.id == model.Resource.package_id)
                .filter(model.Resource.state == "active", model.Package.state == "active",
                        extras["copy_mode"].astext == COPY))
    due_by_package: dict[str, list[str]] = {}
    rows = [(rid, pid) for rid, pid in attached if pid not in harvested]
    checked = last_checked([rid for rid, _pid in rows])
    now = time.time()
    for rid, pid in rows:
        when = checked.get(rid)
        if when is None or now - when >= resync_seconds():
            due_by_package.setdefault(pid, []).append(rid)
    for pid, rids in due_by_package.items():
        enqueue(pid, rids)
        queued["attached"] += 1
    model.Session.rollback()
    return queued


# --- The dataset form: a resource "par URL, copiée et tenue à jour" ------------------------

def _uploads_a_file(data_dict: dict[str, Any]) -> bool:
    from werkzeug.datastructures import FileStorage
    upload = data_dict.get("upload")
    return isinstance(upload, FileStorage) and bool(upload.filename)


def _wants_copy(resource: dict[str, Any]) -> bool:
    return resource.get("copy_mode") == COPY and resource.get("url_type") != "upload" and \
        _remote(resource.get("url"))


def _forget_copy(data_dict: dict[str, Any]) -> None:
    """A file uploaded by hand replaces the copy: the resource no longer follows a source."""
    if data_dict.get("copy_mode") == COPY:
        data_dict["copy_mode"] = "link"
    for key in COPY_FIELDS[1:]:
        data_dict.pop(key, None)


def _carry_copy_fields(current: model.Resource, data_dict: dict[str, Any]) -> None:
    """An edit of a copied resource through the form, which does not show the recorded
    fields: they stay as long as the resource still follows the same source."""
    extras = current.extras or {}
    if extras.get("copy_mode") != COPY or data_dict.get("copy_mode", COPY) != COPY:
        return
    url = (data_dict.get("url") or "").strip()
    if current.url_type == "upload":
        same = (data_dict.get("url_type", "upload") == "upload" and not data_dict.get("clear_upload") and
                (not url or url == current.url or url.endswith("/" + current.url)))
    else:
        same = url == current.url
    if not same:
        return
    for key in COPY_FIELDS:
        if data_dict.get(key) in (None, "") and extras.get(key) not in (None, ""):
            data_dict[key] = extras[key]
    if current.url_type == "upload":
        for key in ("size", "mimetype", "hash"):
            if data_dict.get(key) in (None, "") and getattr(current, key) not in (None, ""):
                data_dict[key] = getattr(current, key)


@tk.chained_action
def resource_create(up_func, context, data_dict):
    if _uploads_a_file(data_dict):
        _forget_copy(data_dict)
    resource = up_func(context, data_dict)
    if _wants_copy(resource):
        enqueue(resource["package_id"], [resource["id"]])
    return resource


@tk.chained_action
def resource_update(up_func, context, data_dict):
    current = model.Resource.get(data_dict.get("id") or "")
    if _uploads_a_file(data_dict):
        _forget_copy(data_dict)
    elif current is not None:
        _carry_copy_fields(current, data_dict)
    resource = up_func(context, data_dict)
    if _wants_copy(resource):
        enqueue(resource["package_id"], [resource["id"]])
    return resource
