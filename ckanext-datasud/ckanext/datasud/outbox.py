"""Queueing background work without ever blocking on, or losing it to, a broker that is down.

:func:`send` queues a Celery task once, with the short broker time-outs of
``celery_app`` and no retry loop (``retry=False``): a request that triggers e-mails or a
copy waits a couple of seconds at most when Redis is down. What could not be queued is
written to PostgreSQL (table ``datasud_outbox``, in its own transaction, so the caller's
transaction is left alone) and logged; :func:`drain` queues it again, oldest first:

- after each task queued successfully (the broker is back: the backlog goes first),
- every minute from Celery beat (task ``datasud.drain_outbox``),
- by hand: ``ckan datasud outbox`` lists it, ``ckan datasud outbox --flush`` sends it.

A task is at worst sent twice (published, but the broker's answer lost, or the database
commit failing after the publish): ``sync_downloads`` is idempotent (it rechecks the
files), ``notify_transition`` would send its e-mails twice — preferred to losing them.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Optional

import sqlalchemy as sa

import ckan.model as model

log = logging.getLogger(__name__)

DRAIN_BATCH = 200


def _table() -> sa.Table:
    from ckanext.datasud.model import OutboxMessage
    return OutboxMessage.__table__


def send(task, args: Optional[list] = None, kwargs: Optional[dict] = None, queue: Optional[str] = None) -> bool:
    """Queue ``task`` (a Celery task); kept in the outbox when the broker does not take it.
    True when queued now."""
    args, kwargs = list(args or []), dict(kwargs or {})
    try:
        task.apply_async(args=args, kwargs=kwargs, queue=queue, retry=False)
    except Exception as e:  # noqa: BLE001 - any broker failure: keep it for later
        keep(task.name, args, kwargs, queue, e)
        return False
    try:
        if pending_count():
            drain()
    except Exception:  # noqa: BLE001 - the backlog waits for beat
        log.exception("could not drain the outbox")
    return True


def keep(task_name: str, args: list, kwargs: dict, queue: Optional[str], error: BaseException) -> None:
    """Store a task that could not be queued, in a transaction of its own."""
    reason = f"{type(error).__name__}: {error}"[:1000]
    with model.meta.engine.begin() as connection:
        connection.execute(_table().insert().values(
            id=model.types.make_uuid(), task=task_name, arguments={"args": args, "kwargs": kwargs}, queue=queue,
            created=dt.datetime.utcnow(), attempts=1, last_error=reason))
    log.warning("broker unavailable: task %s%r kept in the outbox (%s)", task_name, tuple(args), reason)


def pending_count() -> int:
    with model.meta.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(_table())).scalar() or 0


def pending(limit: int = 100) -> list[dict[str, Any]]:
    table = _table()
    with model.meta.engine.connect() as connection:
        rows = connection.execute(sa.select(table).order_by(table.c.created, table.c.id).limit(limit)).mappings()
        return [dict(row) for row in rows]


def drain(limit: int = DRAIN_BATCH) -> dict[str, int]:
    """Queue what the outbox holds, oldest first, each row deleted in the transaction that
    sends it; stops at the first failure (the broker is still down). Rows taken by a
    concurrent drain are skipped (``FOR UPDATE SKIP LOCKED``)."""
    from ckanext.datasud.celery_app import app

    table = _table()
    sent = 0
    with model.meta.engine.begin() as connection:
        rows = connection.execute(
            sa.select(table).order_by(table.c.created, table.c.id).limit(limit).with_for_update(skip_locked=True)
        ).mappings().all()
        for row in rows:
            arguments = row["arguments"] or {}
            try:
                app.send_task(row["task"], args=arguments.get("args") or [], kwargs=arguments.get("kwargs") or {},
                              queue=row["queue"], retry=False)
            except Exception as e:  # noqa: BLE001
                connection.execute(table.update().where(table.c.id == row["id"]).values(
                    attempts=table.c.attempts + 1, last_error=f"{type(e).__name__}: {e}"[:1000]))
                log.warning("outbox: broker still unavailable (%s), %d task(s) left", e, len(rows) - sent)
                break
            connection.execute(table.delete().where(table.c.id == row["id"]))
            sent += 1
    if sent:
        log.info("outbox: %d task(s) queued", sent)
    return {"sent": sent, "left": pending_count()}
