"""Records imported a batch at a time: one transaction for the batch, its datasets indexed
together once it is committed.

ckanext-harvest's fetch consumer imports one record per message, and a record commits
about ten times (six saves of its harvest object's state, the dataset, its review…):
each commit a round trip, a connection returned to the pool and taken again (with
SQLAlchemy's ping), a transaction for PostgreSQL to close. DataSud's fetch consumer
(``queueing.consume_fetch_queue``) takes up to ``ckanext.datasud.harvest.batch_size``
waiting records at once and imports them in **one transaction** (:func:`import_batch`):
each record goes through the steps of ckanext-harvest's ``fetch_and_import_stages``
(:func:`_stages`: the same states and report status, written with the import's writes
and once at the end, since nobody sees them before the batch's commit), the
harvester's ``import_stage`` and CKAN's ``package_create`` / ``package_update`` exactly
as one at a time, but their commits only flush into the batch's transaction, committed
once at the end (waiting for the disk: the batch is durable before Solr receives its
datasets). What the database already holds about the batch's records is read once for
the batch (``records.known_records``). Then, in the same session (:func:`batch_session`: what the
import loaded is not read again), each dataset is indexed (:mod:`.indexing`) and its
activity written; then the records are marked « COMPLETE » and the messages
acknowledged.

Nothing of a batch is half-done: if a record's import rolls back (a dataset refused by
validation: CKAN's actions roll back before raising) or raises, the whole batch's
transaction is rolled back — nothing of it was written, indexed or sent — and its
records are imported again one by one (:func:`.queueing.fetch_callback`), as
ckanext-harvest does: the refused record gets its error in the job's report, the others
are imported. A catalogue that refuses many records is imported at the speed of one at
a time, never with less care.

Until the batch commits, what its records wrote is seen by nobody else (its records are
still « WAITING » for ``harvest_jobs_run``); tasks queued by an import (copies of files,
e-mails of a review) are sent after the commit (:func:`after_commit`). The records are
committed « IMPORT » and marked « COMPLETE » only once their datasets are indexed, as
one at a time: a job is never finished, with its one Solr commit, before every dataset
it imported is searchable — not even when a consumer stops between the commit and the
indexing (its records then stay « IMPORT », as a record whose consumer stopped during
its import always did).
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import logging
from typing import Any, Callable, ContextManager, Iterator, Optional

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from sqlalchemy import event

log = logging.getLogger(__name__)

_after_commit: contextvars.ContextVar[Optional[list[Callable[[], Any]]]] = contextvars.ContextVar(
    "datasud_harvest_batch_after_commit", default=None)


_connection: contextvars.ContextVar[Optional[Any]] = contextvars.ContextVar("datasud_harvest_batch_connection",
                                                                          default=None)


class Abandoned(Exception):
    """A record of the batch rolled back or failed: nothing of the batch is kept."""


def size() -> int:
    return max(1, tk.asint(tk.config.get("ckanext.datasud.harvest.batch_size") or 1))


def after_commit(callback: Callable[[], Any]) -> None:
    """Run ``callback`` once what the import under way wrote is committed: at once
    outside a batch (its writes are), after the batch's commit within one."""
    waiting = _after_commit.get()
    if waiting is None:
        callback()
    else:
        waiting.append(callback)


@contextlib.contextmanager
def batch_session() -> Iterator[None]:
    """Within: ``model.Session`` is one session on one connection, for a batch's
    transaction (:func:`one_transaction`) and what follows it (the indexing reads the
    datasets, organisations and users the import already loaded, without reading them
    again)."""
    connection = model.meta.engine.connect()
    session = model.Session.session_factory(bind=connection)
    _keep_loaded(session)
    model.Session.remove()
    model.Session.registry.set(session)
    token = _connection.set(connection)
    try:
        yield
    finally:
        _connection.reset(token)
        session.close()
        model.Session.registry.clear()
        connection.close()


def _keep_loaded(session) -> None:
    """Keep every object the session loads or writes until it closes (SQLAlchemy's
    identity map only holds them weakly): the batch's organisation, workflow states,
    datasets… are found again by their key without a query."""
    kept: list[Any] = []

    def keep(_session, instance) -> None:
        kept.append(instance)

    for name in ("pending_to_persistent", "loaded_as_persistent", "detached_to_persistent"):
        event.listen(session, name, keep)
    session.info["datasud_kept"] = kept


def user_named(name: str) -> Optional[model.User]:
    """The user of this name, read once per session: an import's actions ask for its
    harvest user several times per record."""
    users = model.Session.info.setdefault("datasud_users", {})
    if name not in users:
        users[name] = model.User.get(name)
    return users[name]


@contextlib.contextmanager
def one_transaction() -> Iterator[None]:
    """Within: ``model.Session``'s commits do not end the transaction (they flush into
    it); it is committed on the way out, unless a rollback happened within or an
    exception left the block (:class:`Abandoned`, and everything is rolled back). In the
    :func:`batch_session` under way, else in one of its own.

    A rollback within ends the connection's transaction: a new one is begun at once so
    that nothing after it commits on its own (the session's commits would otherwise be
    real again), and it is rolled back on the way out."""
    connection = _connection.get()
    if connection is None:
        with batch_session(), one_transaction():
            yield
        return
    session = model.Session()
    connection.begin()
    rolled_back = []

    def after_rollback(rolled_back_session) -> None:
        if not connection.in_transaction():
            rolled_back.append(True)
            connection.begin()  # what follows is discarded with the batch

    event.listen(session, "after_rollback", after_rollback)
    waiting: list[Callable[[], Any]] = []
    token = _after_commit.set(waiting)
    try:
        try:
            yield
        except Abandoned:
            raise
        except Exception as e:
            raise Abandoned(f"{type(e).__name__}: {e}") from e
        if rolled_back:
            raise Abandoned("a record's import rolled back")
        session.commit()  # the session's own transaction ends here (the connection's goes on)
        connection.get_transaction().commit()
    finally:
        _after_commit.reset(token)
        event.remove(session, "after_rollback", after_rollback)
        if connection.in_transaction():
            connection.get_transaction().rollback()
            session.expunge_all()  # nothing of it was written
    for callback in waiting:
        try:
            callback()
        except Exception:  # noqa: BLE001 - as outside a batch: the import is committed
            log.exception("after the commit of a harvest batch")


def import_batch(bodies: list[bytes | str], batchable: Callable[[str], bool] = lambda source_type: True,
                 known: Callable[[list[Any]], ContextManager[None]] = lambda objects: contextlib.nullcontext()
                 ) -> None:
    """Import these fetch-queue messages' records in one transaction (see the module);
    raises :class:`Abandoned` when that was not possible (nothing written), a record of a
    source whose type is not ``batchable`` included. Within ``known(objects)``, the
    imports may read what is already known of the batch's records at once
    (``records.known_records``)."""
    from ckan.plugins import PluginImplementations
    from ckanext.harvest.interfaces import IHarvester
    from ckanext.datasud.harvesting import indexing

    ids = []
    for body in bodies:
        try:
            ids.append(json.loads(body)["harvest_object_id"])
        except (KeyError, TypeError, ValueError):
            log.error("fetch queue: message without harvest object id: %r", body)
    harvesters = {h.info()["name"]: h for h in PluginImplementations(IHarvester)}
    with batch_session(), indexing.one_index_per_record():
        try:
            with one_transaction():
                imported = _import_objects(ids, harvesters, batchable, known)
        except Abandoned:
            indexing.abandon()
            raise
    # indexed (one_index_per_record is over): now the records are complete
    with model.meta.engine.begin() as connection:
        connection.execute(sa.text("update harvest_object set state = 'COMPLETE' where id = any(:ids) "
                                   "and state = 'IMPORT'"), {"ids": imported})


def _import_objects(ids: list[str], harvesters: dict[str, Any], batchable: Callable[[str], bool],
                    known: Callable[[list[Any]], ContextManager[None]]) -> list[str]:
    """The records' stages; returns the ids of those imported, committed « IMPORT »: as
    one at a time, a record is « COMPLETE » (its job can be finished, with its one Solr
    commit) only once its dataset is indexed, here after the batch's commit."""
    from ckanext.harvest.model import HarvestJob, HarvestObject

    objects = {o.id: o for o in model.Session.query(HarvestObject).options(sa.orm.selectinload(HarvestObject.extras))
               .filter(HarvestObject.id.in_(ids))}
    jobs: dict[str, Any] = {}
    with known(list(objects.values())):
        for object_id in ids:
            obj = objects.get(object_id)
            if obj is None:
                log.error("Harvest object does not exist: %s", object_id)
                continue
            # what ckanext-harvest's fetch_callback does before the stages
            obj.retry_times += 1
            if obj.retry_times >= 5:
                obj.state = "ERROR"
                log.error("Too many consecutive retries for object %s", obj.id)
                continue
            if obj.harvest_job_id not in jobs:
                jobs[obj.harvest_job_id] = HarvestJob.get(obj.harvest_job_id)
            job = jobs[obj.harvest_job_id]
            if job.status == "Finished":
                obj.state, obj.report_status = "ERROR", "errored"
                log.error("Job %s was aborted or timed out, object %s set to error", job.id, obj.id)
                continue
            if not batchable(obj.source.type):
                raise Abandoned(f"a record of a {obj.source.type} source: imported one at a time")
            harvester = harvesters.get(obj.source.type)
            if harvester is not None:
                _stages(harvester, obj)
    imported = [o.id for o in objects.values() if o.state == "COMPLETE"]
    if imported:
        model.Session.execute(sa.text("update harvest_object set state = 'IMPORT' where id = any(:ids)"),
                              {"ids": imported})
    return imported


def _stages(harvester, obj) -> None:
    """ckanext-harvest's ``fetch_and_import_stages``: the same states and report status,
    written at the import's own commits and once at the end instead of at six saves.
    Those saves show others a record in the middle of its import (« FETCH », « IMPORT »),
    and nobody sees a batch's records before its commit."""
    from ckanext.harvest.model import HarvestObject
    now = dt.datetime.utcnow
    obj.fetch_started, obj.state = now(), "FETCH"
    fetched = harvester.fetch_stage(obj)
    obj.fetch_finished = now()
    unchanged = fetched == "unchanged"
    if fetched is True:
        obj.import_started, obj.state = now(), "IMPORT"
        imported = harvester.import_stage(obj)
        obj.import_finished = now()
        obj.state = "COMPLETE" if imported else "ERROR"
        unchanged = imported == "unchanged"
    elif unchanged:
        obj.state = "COMPLETE"
    else:
        obj.state = "ERROR"
    if unchanged:
        obj.report_status = "not modified"
    elif obj.state == "ERROR":
        obj.report_status = "errored"
    elif obj.current is False:
        obj.report_status = "deleted"
    else:  # another object made the same dataset: an update (ckanext-harvest counts two)
        other = model.Session.query(HarvestObject.id).filter(
            HarvestObject.package_id == obj.package_id, HarvestObject.id != obj.id).first()
        obj.report_status = "updated" if other is not None else "added"
    obj.save()
