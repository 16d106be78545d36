"""Celery on Redis: a real worker process runs DataSud's tasks."""
from __future__ import annotations

import time

import pytest

import ckan.model as model
from ckan.lib.search import clear as clear_from_index
from ckan.tests import helpers

from tests import factories

from ckanext.datasud import services, tasks


def test_worker_answers_ping(celery_worker):
    result = tasks.ping.delay().get(timeout=30)
    assert result["pong"] is True
    assert abs(result["time"] - time.time()) < 60


def test_heartbeat_is_recorded_and_seen_by_the_check(celery_worker):
    from ckan.lib.redis import connect_to_redis
    connect_to_redis().delete(services.HEARTBEAT_KEY)
    ok, detail = services.check_celery()
    assert not ok and "no heartbeat" in detail
    tasks.heartbeat.delay()
    deadline = time.time() + 30
    while time.time() < deadline and not services.check_celery()[0]:
        time.sleep(0.2)
    ok, detail = services.check_celery()
    assert ok, detail


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_index_dataset_task_reindexes_from_the_database(celery_worker):
    dataset = factories.Dataset(owner_org=factories.Organization()["id"], title="Cinémas de Gap")
    clear_from_index(dataset["name"])
    assert helpers.call_action("package_search", q="name:" + dataset["name"])["count"] == 0

    assert tasks.index_dataset.delay(dataset["id"]).get(timeout=60) == dataset["id"]

    found = helpers.call_action("package_search", q="name:" + dataset["name"])
    assert [d["id"] for d in found["results"]] == [dataset["id"]]
    assert model.Package.get(dataset["id"]).title == "Cinémas de Gap"


def test_beat_schedules_the_heartbeat():
    from ckanext.datasud.celery_app import app
    entry = app.conf.beat_schedule["heartbeat"]
    assert entry["task"] == "datasud.heartbeat"
    assert entry["schedule"].total_seconds() == 60
