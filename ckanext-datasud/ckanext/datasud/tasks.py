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


@app.task(name="datasud.notify_transition", base=CKANTask, bind=True, ignore_result=True,
          autoretry_for=(OSError, MailerException), retry_backoff=30, retry_backoff_max=600, max_retries=10)
def notify_transition(self, review_id: str) -> int:
    """E-mail the next reviewers and the submitter after a workflow transition; retried
    while the SMTP server fails (the transition itself is already recorded)."""
    from ckanext.datasud.workflow import notify

    return notify(review_id)


@app.task(name="datasud.drain_outbox", base=CKANTask, bind=True, ignore_result=True)
def drain_outbox(self) -> dict:
    """Beat, every minute: queue the tasks kept in PostgreSQL while Redis was down."""
    from ckanext.datasud import outbox

    return outbox.drain()


@app.task(name="datasud.fold_downloads", base=CKANTask, bind=True)
def fold_downloads(self) -> dict:
    """Beat, every five minutes: the download counters of Redis added to PostgreSQL
    (rename, add and record in one transaction, delete: nothing lost or counted twice),
    then the datasets whose count changed reindexed (search sorting, home page)."""
    from ckanext.datasud import downloads

    return downloads.fold()


@app.task(name="datasud.run_due_harvests", base=CKANTask, bind=True)
def run_due_harvests(self) -> dict:
    """Beat, every five minutes: a job for each harvest source due by its schedule
    (partners with a convention in force), then ckanext-harvest's ``harvest_jobs_run``
    closes finished jobs with their report; the gather and fetch consumers do the rest."""
    from ckanext.datasud.harvesting.schedule import run_due_harvests as run

    return run()


# --- Download mode: partners' files copied into DataSud's storage (harvesting/download.py)

from celery import Task as _CeleryTask  # noqa: E402


class _CKANTaskHere(CKANTask):
    """A CKAN task that, called eagerly (``.apply()``) inside a running CKAN app — a
    command, a request, the tests — runs in that app instead of building another one;
    in a worker it is a plain :class:`CKANTask`."""

    abstract = True

    def __call__(self, *args, **kwargs):
        from flask import has_app_context
        if has_app_context():
            return _CeleryTask.__call__(self, *args, **kwargs)
        return super().__call__(*args, **kwargs)


@app.task(name="datasud.sync_downloads", base=_CKANTaskHere, bind=True, max_retries=5)
def sync_downloads(self, package_id: str, resource_ids: list[str] | None = None) -> dict:
    """Copy into DataSud's storage, or check for changes, the files of a dataset (all its
    copies and data links, or the given resources); transient failures are retried with
    an exponential back-off, then recorded on the resource."""
    from ckanext.datasud.harvesting import download

    final = self.request.retries >= self.max_retries
    report = download.sync_package(package_id, resource_ids, final=final)
    if report["retry"] and not final:
        raise self.retry(args=[package_id, report["retry"]], countdown=download.retry_delay(self.request.retries))
    return report


@app.task(name="datasud.resync_downloads", base=_CKANTaskHere, bind=True, ignore_result=True)
def resync_downloads(self) -> dict:
    """Beat: queue the checks of copied files that are due (after each finished job of a
    download-mode source; every few hours for files attached by URL from the form)."""
    from ckanext.datasud.harvesting import download

    return download.resync_due()


@app.task(name="datasud.send_contact_message", base=_CKANTaskHere, bind=True, ignore_result=True,
          autoretry_for=(OSError, MailerException), retry_backoff=30, retry_backoff_max=600, max_retries=10)
def send_contact_message(self, name: str, email: str, subject: str, message: str, address: str = "",
                         to: list[str] | None = None) -> int:
    """E-mail a message of the contact form to the programme team; retried while the
    SMTP server fails (the visitor was already thanked)."""
    from ckanext.datasud.pages_views import send

    return send(name, email, subject, message, address, to)


@app.task(name="datasud.notify_reuse_moderation", base=_CKANTaskHere, bind=True, ignore_result=True,
          autoretry_for=(OSError, MailerException), retry_backoff=30, retry_backoff_max=600, max_retries=10)
def notify_reuse_moderation(self, reuse_id: str) -> int:
    """E-mail the declarant of a reuse the programme team's decision (published or
    rejected, with the reason); retried while the SMTP server fails."""
    from ckanext.datasud.reuses import notify_moderation

    return notify_moderation(reuse_id)


@app.task(name="datasud.csw_sync", base=_CKANTaskHere, bind=True, ignore_result=True,
          max_retries=8, default_retry_delay=30)
def csw_sync(self, dataset_ids: list[str], service_url: str | None = None) -> dict:
    """The discovery service's records of these datasets, made equal to what the portal
    publishes of them (after each committed change); retried while pycsw is down."""
    from ckanext.datasud.csw import sync
    try:
        return sync.sync_datasets(dataset_ids, service_url)
    except sync.ServiceError as e:
        raise self.retry(exc=e)


@app.task(name="datasud.warm_catalogue", base=_CKANTaskHere, bind=True, ignore_result=True)
def warm_catalogue(self, dataset_ids: list[str] | None = None) -> int:
    """The DCAT catalogue's Turtle of these datasets (after a change), or of every
    published one (beat, nightly), serialized and kept for the next export."""
    from ckanext.datasud.dcat_endpoints import warm_catalogue as warm
    return warm(dataset_ids)


@app.task(name="datasud.write_catalogue_page", base=_CKANTaskHere, bind=True, ignore_result=True)
def write_catalogue_page(self, page: dict) -> int:
    """One page of the DCAT catalogue's Turtle, written and kept before a harvester reading
    the catalogue asks for it (dcat_endpoints.read_ahead)."""
    from ckanext.datasud.dcat_endpoints import CataloguePage, write_catalogue_page as write
    return write(CataloguePage(**page))


@app.task(name="datasud.csw_reconcile", base=CKANTask, bind=True, ignore_result=True)
def csw_reconcile(self) -> dict:
    """Beat, nightly: every published geographic dataset in the discovery service, and
    nothing else."""
    from ckanext.datasud.csw import sync
    return sync.sync_all() if sync.enabled() else {}
