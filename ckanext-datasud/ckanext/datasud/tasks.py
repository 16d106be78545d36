"""Celery tasks of DataSud (the worker imports this module)."""
from __future__ import annotations

import socket
import time

import redis
from ckan.lib.mailer import MailerException

from ckanext.datasud.celery_app import CKANTask, app, read_ckan_config
from ckanext.datasud.services import HEARTBEAT_KEY


@app.task(name="datasud.ping")
def ping() -> dict:
    """Answers at once: shows a worker is consuming the queue."""
    return {"pong": True, "worker": socket.gethostname(), "time": time.time()}


@app.task(name="datasud.heartbeat", ignore_result=True)
def heartbeat() -> float:
    """Run by beat: records in CKAN's Redis when the workers last did work."""
    config = read_ckan_config()
    now = time.time()
    redis.Redis.from_url(config["ckan.redis.url"]).set(HEARTBEAT_KEY, now)
    return now


@app.task(name="datasud.index_dataset", base=CKANTask, bind=True,
          autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def index_dataset(self, dataset_id: str) -> str:
    """(Re)index one dataset in Solr from the database."""
    from ckan.lib.search import rebuild

    rebuild(dataset_id)
    return dataset_id


@app.task(name="datasud.expire_conventions", base=CKANTask, bind=True,
          autoretry_for=(ConnectionError, OSError, MailerException), retry_backoff=60, max_retries=8)
def expire_conventions(self) -> dict:
    """Daily (beat): conventions past their end become expired; reminders 60 and 30 days before."""
    from ckanext.datasud.conventions import expire_and_remind

    return expire_and_remind()


@app.task(name="datasud.notify_transition", base=CKANTask, bind=True,
          autoretry_for=(OSError, MailerException), retry_backoff=30, max_retries=10)
def notify_transition(self, review_id: str) -> int:
    """E-mail the next reviewers and the submitter after a workflow transition; retried
    while the SMTP server fails (the transition itself is already recorded)."""
    from ckanext.datasud.workflow import notify

    return notify(review_id)


@app.task(name="datasud.run_due_harvests", base=CKANTask, bind=True)
def run_due_harvests(self) -> dict:
    """Beat, every five minutes: a job for each harvest source due by its schedule
    (partners with a convention in force), then ckanext-harvest's ``harvest_jobs_run``
    closes finished jobs with their report; the gather and fetch consumers do the rest."""
    from ckanext.datasud.harvesting.schedule import run_due_harvests as run

    return run()
