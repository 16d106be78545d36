"""Commits that do not wait for the disk while a fetch consumer imports a record, made
durable before anyone outside PostgreSQL relies on them.

ckanext-harvest's fetch consumer commits about ten times per new record (six saves of
the harvest object's state, the dataset, its activity, its workflow review…), and with
PostgreSQL's default ``synchronous_commit = on`` each commit waits until its WAL is
flushed to disk: on this machine, a quarter of a first harvest's time.

Under :func:`asynchronous` (DataSud's fetch consumer runs each record in it,
``queueing.fetch_callback``) every transaction the session begins commits without
waiting for the flush: a connection taken from the pool is set ``synchronous_commit =
off``, and set back to the database's setting (``DEFAULT``) when it is next taken
outside — a statement on each change only, none per transaction in a consumer that does
nothing else; a process that never imports never sends one. What is committed is
visible to every other session at once, exactly as before: only durability is
delayed, by at most ``3 × wal_writer_delay`` (600 ms by default, PostgreSQL's WAL
writer), and a crash of the server within that window loses those last transactions
whole (never half of one, never a corrupt database).

:func:`durable` closes the window: one synchronous commit, which waits until the WAL is
on disk up to there — every earlier commit included, whatever its setting, since the
WAL is one sequence. It runs

- before a harvested dataset is sent to Solr (``indexing``): the index never holds a
  dataset the database could lose;
- at the end of each record, before the consumer takes the next one: what a record
  wrote (its harvest object's state « COMPLETE » included) is on disk, so a crash leaves
  records exactly as it did with synchronous commits.

So per record two commits wait for the disk instead of about ten. The web app, the API,
Celery and the gather are untouched. ``ckanext.datasud.harvest.asynchronous_commits =
false`` makes the consumers' commits synchronous again.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

import ckan.model as model
import ckan.plugins.toolkit as tk
from sqlalchemy import event

_asynchronous: contextvars.ContextVar[bool] = contextvars.ContextVar("datasud_harvest_async_commits",
                                                                     default=False)


def enabled() -> bool:
    return tk.asbool(tk.config.get("ckanext.datasud.harvest.asynchronous_commits"))


@contextlib.contextmanager
def asynchronous() -> Iterator[None]:
    """Within: the session's transactions commit without waiting for the disk; on the
    way out (an error included), what they wrote is made durable (:func:`durable`)."""
    if _asynchronous.get() or not enabled():
        yield
        return
    install()
    token = _asynchronous.set(True)
    try:
        yield
    finally:
        try:
            durable()
        finally:
            _asynchronous.reset(token)


def durable() -> None:
    """Under :func:`asynchronous`: return once every transaction committed so far is on
    disk. A synchronous commit waits for the disk only if its transaction wrote to the
    WAL (PostgreSQL's ``RecordTransactionCommit``: an id alone, ``txid_current()``, does
    not), so it writes one small transactional WAL message, which touches no table and
    which only logical decoding would read. Elsewhere every commit already waited:
    nothing to do."""
    if not _asynchronous.get():
        return
    with model.meta.engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO on; "
                                   "SELECT pg_catalog.pg_logical_emit_message(true, 'datasud', 'durable')")


_KEY = "datasud_asynchronous_commits"


def _checkout(dbapi_connection, connection_record, connection_proxy) -> None:
    """A connection taken from the pool commits as the code taking it wants: set when that
    changes (recorded with the pooled connection), in a transaction of its own, committed
    at once, so that a rollback of the work that follows cannot undo it."""
    wanted = _asynchronous.get()
    if bool(connection_record.info.get(_KEY)) == wanted:
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET synchronous_commit TO off" if wanted else "SET synchronous_commit TO DEFAULT")
    finally:
        cursor.close()
    dbapi_connection.commit()
    connection_record.info[_KEY] = wanted


def install() -> None:
    """Once per process (idempotent)."""
    engine = model.meta.engine
    if not event.contains(engine, "checkout", _checkout):
        event.listen(engine, "checkout", _checkout)
