"""Celery application of DataSud: periodic and background work, Redis as broker.

    celery --app ckanext.datasud.celery_app worker
    celery --app ckanext.datasud.celery_app beat

The CKAN configuration file comes from ``CKAN_INI``. Importing this module only
reads that file (to find the broker); a task that needs CKAN itself derives from
:class:`CKANTask`, which builds the CKAN app once per worker process and runs the
task inside its application context.
"""
from __future__ import annotations

import os
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from celery import Celery, Task
from celery.schedules import crontab
from ckan.cli import CKANConfigLoader

BROKER_OPTION = "ckanext.datasud.celery.broker_url"
HEARTBEAT_OPTION = "ckanext.datasud.celery.heartbeat_seconds"
VISIBILITY_OPTION = "ckanext.datasud.celery.visibility_timeout"
QUEUE_OPTION = "ckanext.datasud.celery.queue"
BROKER_TIMEOUT_OPTION = "ckanext.datasud.celery.broker_timeout"
# Defaults of the options above (config_declaration.yaml says the same; this module
# reads the configuration file without CKAN's declarations).
VISIBILITY_DEFAULT = 1200
BROKER_TIMEOUT_DEFAULT = 2.0


def ckan_ini() -> str:
    path = os.environ.get("CKAN_INI")
    if not path:
        raise RuntimeError("CKAN_INI is not set: say which CKAN configuration file to use")
    return path


def read_ckan_config(path: str | None = None) -> dict[str, Any]:
    """The CKAN configuration as a dict, without loading CKAN's plugins."""
    return CKANConfigLoader(path or ckan_ini()).get_config()


def broker_url(config: dict[str, Any]) -> str:
    """The configured broker, else the Redis server of ``ckan.redis.url``, database 2."""
    url = (config.get(BROKER_OPTION) or "").strip()
    if url:
        return url
    redis_url = os.environ.get("CKAN_REDIS_URL") or config.get("ckan.redis.url")
    if not redis_url:
        raise RuntimeError(f"set {BROKER_OPTION} or ckan.redis.url")
    parts = urlsplit(redis_url)
    return urlunsplit((parts.scheme, parts.netloc, "/2", "", ""))


def make_celery(config: dict[str, Any]) -> Celery:
    url = broker_url(config)
    celery = Celery("datasud", broker=url, backend=url, include=["ckanext.datasud.tasks"])
    heartbeat = int(config.get(HEARTBEAT_OPTION) or 60)
    # Redis down must not block a web request (a workflow decision queues its e-mails):
    # connecting and each socket operation give up after a couple of seconds, and
    # publishing is not retried (``task_publish_retry``); what could not be queued goes
    # to the outbox (outbox.py). Workers, in their own processes, keep reconnecting.
    timeout = float(config.get(BROKER_TIMEOUT_OPTION) or BROKER_TIMEOUT_DEFAULT)
    redis_options = {"socket_connect_timeout": timeout, "socket_timeout": max(timeout, 3.0),
                     "retry_on_timeout": False}
    # A message taken by a worker that dies before acknowledging it (acks_late) goes back
    # to the queue after the visibility timeout: above the longest task (a file copy,
    # ckanext.datasud.harvest.file_timeout, 900 s) and the longest retry countdown
    # (16 minutes), else a task would run twice.
    visibility = int(config.get(VISIBILITY_OPTION) or VISIBILITY_DEFAULT)
    celery.conf.update(
        broker_connection_timeout=timeout,
        # a refused connection is tried twice, without kombu's default 2 s retry loop
        broker_transport_options={"visibility_timeout": visibility, **redis_options, "max_retries": 1,
                                  "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
        result_backend_transport_options={"visibility_timeout": visibility, **redis_options,
                                          "retry_policy": {"max_retries": 0}},
        redis_socket_connect_timeout=timeout,
        redis_socket_timeout=max(timeout, 3.0),
        redis_retry_on_timeout=False,
        task_publish_retry=False,
        # the queue tasks go to and workers consume by default: one per portal sharing a
        # broker (test runs of different DATASUD_TEST_DB never take each other's tasks)
        task_default_queue=(config.get(QUEUE_OPTION) or "celery").strip(),
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=timedelta(days=1),
        timezone="Europe/Paris",
        enable_utc=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        beat_schedule={
            "heartbeat": {
                "task": "datasud.heartbeat",
                "schedule": timedelta(seconds=heartbeat),
            },
            # every day at 02:15, Paris time
            "expire-conventions": {
                "task": "datasud.expire_conventions",
                "schedule": crontab(hour=2, minute=15),
            },
            # harvest sources due by their schedule (daily, weekly) get a job; finished
            # jobs are closed with their report
            "run-due-harvests": {
                "task": "datasud.run_due_harvests",
                "schedule": timedelta(minutes=5),
            },
            # tasks that could not be queued while Redis was down (outbox.py)
            "drain-outbox": {
                "task": "datasud.drain_outbox",
                "schedule": timedelta(minutes=1),
            },
            # downloads counted in Redis added to PostgreSQL, their datasets reindexed
            "fold-downloads": {
                "task": "datasud.fold_downloads",
                "schedule": timedelta(minutes=5),
            },
            # copied files of partners (download mode) checked for changes when due
            "resync-downloads": {
                "task": "datasud.resync_downloads",
                "schedule": timedelta(minutes=15),
            },
            # every published dataset's Turtle ready for the harvesters' exports, at 04:00
            # (changed datasets are done after each commit; this catches the rest)
            "warm-catalogue": {
                "task": "datasud.warm_catalogue",
                "schedule": crontab(hour=4, minute=0),
            },
            # the INSPIRE discovery service reconciled with the catalogue, at 03:30
            "csw-reconcile": {
                "task": "datasud.csw_reconcile",
                "schedule": crontab(hour=3, minute=30),
            },
        },
    )
    return celery


class CKANTask(Task):
    """A task that runs inside the CKAN application (models, actions, Solr)."""

    abstract = True
    _flask_app = None

    @classmethod
    def flask_app(cls):
        if CKANTask._flask_app is None:
            from ckan.config.middleware import make_app

            CKANTask._flask_app = make_app(read_ckan_config())._wsgi_app
        return CKANTask._flask_app

    def __call__(self, *args, **kwargs):
        import ckan.model as model
        with self.flask_app().test_request_context():
            try:
                return super().__call__(*args, **kwargs)
            finally:
                # each task sees the database as it is now, not a previous task's objects
                model.Session.remove()


app = make_celery(read_ckan_config())
