"""Harvest sources run on their schedule: Celery beat's task starts a job for each due
source of a partner with a convention in force, through the real Celery worker."""
from __future__ import annotations

import datetime as dt

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers
from ckanext.harvest.model import HarvestSource

from tests import factories
from tests.harvesting import create_source

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")



def test_due_sources_get_a_job_and_lapsed_partners_do_not(celery_worker, server):
    URL = server.url("/catalogue.ttl")
    sysadmin = ckan_factories.Sysadmin()
    partner, lapsed = factories.Organization(), ckan_factories.Organization()  # the second: no convention
    daily = create_source(sysadmin, partner, URL, frequency="DAILY")
    weekly_later = create_source(sysadmin, partner, URL + "?2", frequency="WEEKLY")
    manual = create_source(sysadmin, partner, URL + "?3", frequency="MANUAL")
    refused = create_source(sysadmin, lapsed, URL + "?4", frequency="DAILY")
    source = HarvestSource.get(weekly_later["id"])
    source.next_run = dt.datetime.utcnow() + dt.timedelta(days=3)
    source.save()

    result = celery_worker.send_task("datasud.run_due_harvests").get(timeout=60)

    assert result == {"started": [daily["id"]], "refused": [refused["id"]]}
    jobs = {s["id"]: helpers.call_action("harvest_job_list", {"ignore_auth": True}, source_id=s["id"])
            for s in (daily, weekly_later, manual, refused)}
    assert [len(jobs[s["id"]]) for s in (daily, weekly_later, manual, refused)] == [1, 0, 0, 0]
    # the next runs moved on: a day later, not retried every five minutes
    from ckan import model
    model.Session.expire_all()
    for s in (daily, refused):
        next_run = HarvestSource.get(s["id"]).next_run
        assert dt.timedelta(hours=23) < next_run - dt.datetime.utcnow() <= dt.timedelta(days=1)
    again = celery_worker.send_task("datasud.run_due_harvests").get(timeout=60)
    assert again == {"started": [], "refused": []}
