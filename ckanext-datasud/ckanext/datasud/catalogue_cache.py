"""What anonymous pages may cache, and when it stops being true.

The catalogue has a *version*: a Redis counter (shared by every web worker and every
machine of the portal) that goes up after every committed change to a dataset, a
resource, an organisation or one of DataSud's records (conventions, reuses, ...), and
after CKAN's bulk updates once their datasets are reindexed. A cache key includes the
version, so a cached answer computed before a change is never served after it: a
dataset withdrawn, made private or deleted leaves the home page at the next request,
not a minute later. Entries also expire after ``seconds`` (download counts move
without a catalogue change).

When does the version go up? At the end of a database transaction that touched one
of those records (SQLAlchemy's ``after_commit``). CKAN indexes a dataset in Solr
*before* that commit (``before_commit`` → ``IDomainObjectModification``), with a Solr
commit, so when the version moves Solr already answers with the change. CKAN's bulk
updates commit the database first and reindex after: their chained actions call
``changed()`` once the reindexing is over (``logic/action.py``). A harvest job indexes
its datasets without Solr commits (Solr's soft commit shows them within a second) and
commits once when the job finishes: ``harvesting/indexing.py`` calls ``changed()`` again
after that commit.

Without Redis nothing is cached (every request computes): never stale.

Within :func:`batched` (a harvest's import of one record, which commits several times
and indexes the dataset once at its end), the commits' changes are gathered and told
once, when the batch ends: one version step and one call of each subscriber instead of
one per commit.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import threading
import time
from typing import Any, Callable, Iterable, Iterator, Optional

import ckan.model as model
import ckan.plugins.toolkit as tk
from sqlalchemy import event

from ckanext.datasud import redis_client

log = logging.getLogger(__name__)

_SESSION_FLAG = "datasud_catalogue_changed"
_SESSION_DATASETS = "datasud_datasets_changed"
_MAX_ENTRIES = 64

_entries: dict[tuple, tuple[float, Any]] = {}
_lock = threading.Lock()


def _key() -> str:
    return f"datasud:{tk.config.get('ckan.site_id')}:catalogue-version"


def version() -> Optional[int]:
    """The catalogue's current version; None when Redis does not answer."""
    try:
        return int(redis_client.connection().get(_key()) or 0)
    except Exception:  # noqa: BLE001 - Redis down: the caller does not cache
        log.warning("catalogue version unavailable (Redis): nothing is cached", exc_info=True)
        return None


_batch: contextvars.ContextVar[Optional[set[str]]] = contextvars.ContextVar("datasud_catalogue_batch",
                                                                           default=None)


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """Within: :func:`changed` only notes the datasets; at the end (however it ends), the
    change is told once for all of them. Nested uses share the outer one."""
    if _batch.get() is not None:
        yield
        return
    noted: set[str] = set()
    token = _batch.set(noted)
    try:
        yield
    finally:
        _batch.reset(token)
        if noted:
            changed(noted - {""})


def changed(dataset_ids: Iterable[str] = ()) -> None:
    """Say the catalogue changed (these datasets, if known): every cached answer is
    forgotten everywhere, and the subscribers learn which datasets changed."""
    noted = _batch.get()
    if noted is not None:
        noted.update(dataset_ids)
        noted.add("")  # a change even without a dataset named: the version moves at the end
        return
    try:
        redis_client.connection().incr(_key())
    except Exception:  # noqa: BLE001 - readers then find no version and cache nothing
        log.warning("could not move the catalogue version (Redis)", exc_info=True)
    with _lock:
        _entries.clear()
    ids = {i for i in dataset_ids if i}
    if ids:
        for callback in list(_subscribers):
            try:
                callback(ids)
            except Exception:  # noqa: BLE001 - the commit is done: log, never undo it
                log.exception("a catalogue subscriber failed for %d datasets", len(ids))


def cached(name: str, compute: Callable[[], Any], seconds: int, *variant: Any) -> Any:
    """``compute()``, kept in this worker for at most ``seconds`` and only while the
    catalogue's version is the one it was computed at. ``variant`` adds to the key
    (e.g. the language, when the value depends on it)."""
    current = version() if seconds > 0 else None
    if current is None:
        return compute()
    key = (name, current, *variant)
    now = time.monotonic()
    with _lock:
        hit = _entries.get(key)
    if hit and hit[0] > now:
        return hit[1]
    value = compute()
    with _lock:
        if len(_entries) >= _MAX_ENTRIES:  # old versions' entries: dropped wholesale
            _entries.clear()
        _entries[key] = (now + seconds, value)
    return value


def forget() -> None:
    """Drop this worker's entries (tests)."""
    with _lock:
        _entries.clear()


# --- Which commits change the catalogue ------------------------------------------------

@functools.lru_cache(maxsize=None)
def _catalogue_classes() -> tuple[type, ...]:
    from ckanext.datasud import model as datasud_model
    ours = tuple(cls for cls in vars(datasud_model).values()
                 if isinstance(cls, type) and hasattr(cls, "__table__"))
    return (model.Package, model.Resource, model.Group, model.PackageExtra, model.Member,
            model.PackageTag, *ours)


_subscribers: list[Callable[[set[str]], None]] = []


def subscribe(callback: Callable[[set[str]], None]) -> None:
    """Call ``callback(dataset_ids)`` after each commit that changed datasets (their
    record, resources or extras), and after CKAN's bulk updates: e.g. to queue work
    that must see the committed state."""
    if callback not in _subscribers:
        _subscribers.append(callback)


def _note_flush(session, flush_context) -> None:
    classes = _catalogue_classes()
    touched = [obj for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, classes)]
    if touched:
        session.info[_SESSION_FLAG] = True
        ids = session.info.setdefault(_SESSION_DATASETS, set())
        for obj in touched:
            if isinstance(obj, model.Package) and obj.id:
                ids.add(obj.id)
            elif isinstance(obj, (model.Resource, model.PackageExtra)) and getattr(obj, "package_id", None):
                ids.add(obj.package_id)


def _after_commit(session) -> None:
    datasets = session.info.pop(_SESSION_DATASETS, set())
    if session.info.pop(_SESSION_FLAG, False):
        changed(datasets)


def _after_rollback(session) -> None:
    session.info.pop(_SESSION_FLAG, None)
    session.info.pop(_SESSION_DATASETS, None)


def listen() -> None:
    """Watch CKAN's session (called once, when the plugin loads)."""
    for name, handler in (("after_flush", _note_flush), ("after_commit", _after_commit),
                          ("after_rollback", _after_rollback)):
        if not event.contains(model.meta.Session, name, handler):
            event.listen(model.meta.Session, name, handler)
