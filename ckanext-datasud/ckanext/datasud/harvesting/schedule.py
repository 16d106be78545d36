"""Harvest sources due by their schedule (daily, weekly) get a job; called every five
minutes by Celery beat (``datasud.run_due_harvests``).

ckanext-harvest's own scheduler (inside ``harvest_jobs_run``) stops at the first source
whose job is refused; here a partner without convention in force is skipped (its next
run is still moved on, so it is not retried every five minutes), and the others run.
``harvest_jobs_run`` then only closes finished jobs (with their report).
"""
from __future__ import annotations

import datetime as dt
import logging

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckanext.harvest.logic import HarvestJobExists
from ckanext.harvest.logic.action.update import _calculate_next_run
from ckanext.harvest.model import HarvestSource
from sqlalchemy import or_

log = logging.getLogger(__name__)


def due_sources(now: dt.datetime | None = None) -> list[HarvestSource]:
    now = now or dt.datetime.utcnow()
    return (model.Session.query(HarvestSource)
            .filter(HarvestSource.active == True, HarvestSource.frequency != "MANUAL",  # noqa: E712
                    or_(HarvestSource.next_run <= now, HarvestSource.next_run == None))  # noqa: E711
            .order_by(HarvestSource.next_run).all())


def run_due_harvests() -> dict[str, list[str]]:
    """Start a job for each due source; close finished jobs. Returns the source ids
    started, and those refused (with the reason logged)."""
    user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    started, refused = [], []
    for source in due_sources():
        try:
            tk.get_action("harvest_job_create")({"user": user, "ignore_auth": True},
                                                {"source_id": source.id, "run": True})
            started.append(source.id)
        except HarvestJobExists:
            log.info("source %s already has a job waiting or running", source.id)
        except tk.ValidationError as e:
            log.warning("source %s not run: %s", source.id, e.error_dict)
            refused.append(source.id)
        source = model.Session.get(HarvestSource, source.id)
        source.next_run = _calculate_next_run(source.frequency)
        model.Session.add(source)
        model.Session.commit()
    tk.get_action("harvest_jobs_run")({"user": user, "ignore_auth": True}, {})
    return {"started": started, "refused": refused}
