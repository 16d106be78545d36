"""Starting a harvest job when the harvest queue (Redis) cannot be reached.

ckanext-harvest saves the job as « Running » and then pushes it on the gather queue: with
Redis down the push fails (a 500 in the Action API, a raw exception on the « Moissonnage »
tab) and the job stays « Running » forever, so that every later run of the source is
refused as « already running ». Here the queue is checked first, and a job whose push
failed is removed: the caller gets :class:`HarvestQueueUnavailable`, a French message
(a 503 in the Action API: :func:`unavailable_api_answer`; a flash message on our tab).
"""
from __future__ import annotations

import datetime as dt
import json
import logging

import ckan.model as model
import ckan.plugins.toolkit as tk
from flask import Response, g, has_request_context, request

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 60


def unavailable_message() -> str:
    return tk._("Harvesting is temporarily unavailable (its queue cannot be reached): no harvest was started. "
                "Please try again in a few minutes.")


class HarvestQueueUnavailable(Exception):
    """The harvest queue cannot be reached: nothing was started."""

    def __init__(self):
        super().__init__(unavailable_message())
        if has_request_context():
            g.datasud_harvest_queue_unavailable = str(self)


def _queue_errors() -> tuple[type[BaseException], ...]:
    import redis
    return (redis.RedisError, OSError)


PING_TIMEOUT_SECONDS = 2


def check_queue() -> None:
    """Raise :class:`HarvestQueueUnavailable` when the gather queue does not answer within
    a couple of seconds (a web worker must not wait on it)."""
    import redis
    from ckanext.harvest import queue
    try:
        connection = queue.get_connection()
        if isinstance(connection, redis.Redis):
            kwargs = dict(connection.connection_pool.connection_kwargs)
            kwargs.update(socket_connect_timeout=PING_TIMEOUT_SECONDS, socket_timeout=PING_TIMEOUT_SECONDS)
            probe = redis.Redis(connection_pool=redis.ConnectionPool(
                connection_class=connection.connection_pool.connection_class, **kwargs))
            try:
                probe.ping()
            finally:
                probe.close()
    except _queue_errors() as e:
        log.warning("harvest queue unreachable: %s", e)
        raise HarvestQueueUnavailable() from e


def _drop_unqueued_jobs(source_id: str, since: dt.datetime) -> None:
    """The jobs of this call that never reached the queue (no consumer will ever see them)."""
    from ckanext.harvest.model import HarvestJob
    model.Session.rollback()
    jobs = (model.Session.query(HarvestJob)
            .filter(HarvestJob.source_id == source_id, HarvestJob.created >= since,
                    HarvestJob.gather_started.is_(None))
            .all())
    for job in jobs:
        model.Session.delete(job)
    model.Session.commit()


def create_job(up_func, context, data_dict):
    """ckanext-harvest's ``harvest_job_create`` (``up_func``), refused cleanly when its
    queue is down."""
    runs = tk.asbool(data_dict.get("run", True))
    if runs:
        check_queue()
    since = dt.datetime.utcnow()
    try:
        return up_func(context, data_dict)
    except _queue_errors() as e:
        log.warning("harvest job of %s not queued: %s", data_dict.get("source_id"), e)
        source = model.Package.get(data_dict.get("source_id") or "")
        if source is not None:
            _drop_unqueued_jobs(source.id, since)
        raise HarvestQueueUnavailable() from e


def unavailable_api_answer(response: Response) -> Response:
    """The Action API answers a 500 to any exception it does not know: a harvest queue
    that cannot be reached is a 503 with a French message (CKAN's envelope kept)."""
    message = g.get("datasud_harvest_queue_unavailable") if has_request_context() else None
    if not message or not request.path.startswith("/api/") or response.status_code != 500:
        return response
    try:
        body = json.loads(response.get_data(as_text=True))
    except ValueError:
        body = {}
    answer = {"help": body.get("help"), "success": False,
              "error": {"__type": "Service Unavailable", "message": message}}
    response = Response(json.dumps(answer), status=503, content_type="application/json;charset=utf-8")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
