"""Reading the catalogue ahead (issue 14: a harvester's first export after Redis was
emptied, ``dcat_endpoints.read_ahead``): while a page whose datasets' Turtle is not kept
is written by the web, the Celery worker writes the next page's; that page is then
served from what the worker kept, the same graph as written at once; a page served from
what is kept asks for nothing; a dataset whose partner changed since is written again;
a broker that refuses the task costs the page nothing. Real PostgreSQL, Solr, Redis and
Celery worker."""
from __future__ import annotations

import threading
import time

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.datasud import dcat_endpoints, dcat_fragments, redis_client, tasks
from tests import factories

PROFILES = ["euro_dcat_ap_3", "datasud"]


@pytest.fixture(scope="module")
def four_datasets(clean_module_db):
    org = factories.Organization(title="Métropole Nice Côte d'Azur")
    for i in range(4):
        factories.Dataset(owner_org=org["id"], title=f"Comptages vélo, boucle {i}",
                          resources=[{"url": f"https://exemple.fr/comptages-{i}.csv", "format": "CSV",
                                      "name": "Comptages"}])
    return org


@pytest.fixture
def one_dataset_a_page(four_datasets, monkeypatch):
    """Four pages of one dataset, nothing kept: Redis as after a flush."""
    monkeypatch.setitem(tk.config, "ckanext.datasud.dcat.fragment_cache", "true")
    monkeypatch.setitem(tk.config, "ckanext.datasud.dcat.read_ahead", "true")
    monkeypatch.setitem(tk.config, "ckanext.dcat.datasets_per_page", "1")
    redis = redis_client.connection()
    for key in redis.scan_iter(f"datasud:{tk.config['ckan.site_id']}:dcat-*"):
        redis.delete(key)
    return four_datasets


def listed() -> list[dict]:
    """The catalogue's datasets in its order, as an anonymous harvester's search has them."""
    return dcat_endpoints.published_datasets({"ignore_auth": False, "user": ""}, {}, 1, None, rows=10)["results"]


class _NotKept(Exception):
    pass


def kept(dataset_dict: dict) -> bool:
    """Whether this dataset's Turtle, as it is now, is kept (nothing written to find out)."""
    def stop(_missing: int) -> None:
        raise _NotKept
    try:
        dcat_fragments.fragments(PROFILES, [dataset_dict], "ttl", before_computing=stop)
    except _NotKept:
        return False
    return True


def wait_until_kept(dataset_dict: dict, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while not kept(dataset_dict):
        assert time.time() < deadline, f"{dataset_dict['title']} was not written by the Celery worker"
        time.sleep(0.2)


def page(number: int) -> str:
    return helpers.call_action("dcat_catalog_show", {"ignore_auth": False}, format="ttl", page=number)


def claimed(number: int) -> bool:
    """Whether catalogue page ``number`` was read ahead (its claim is in Redis)."""
    ahead = dcat_endpoints.CataloguePage("ttl", PROFILES, "", "", None, number, 1)
    return bool(redis_client.connection().exists(ahead.claim_key()))


@pytest.fixture
def serialized(monkeypatch) -> list[str]:
    """The datasets this process (the web's side) writes in Turtle."""
    written: list[str] = []
    original = dcat_fragments.Serializer.graph_from_dataset

    def counted(self, dataset_dict):
        written.append(dataset_dict["id"])
        return original(self, dataset_dict)

    monkeypatch.setattr(dcat_fragments.Serializer, "graph_from_dataset", counted)
    return written


def test_celery_writes_the_next_pages_while_the_harvester_reads(one_dataset_a_page, celery_worker, serialized,
                                                                 monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.datasud.dcat.read_ahead_pages", "1")
    first, second, third, fourth = listed()
    assert not any(kept(d) for d in (first, second, third, fourth))

    page(1)
    assert serialized == [first["id"]]
    wait_until_kept(second)  # by the worker: nothing here asked for page 2
    assert claimed(2) and not claimed(3) and not kept(third)

    text = page(2)
    assert serialized == [first["id"]]  # served from what the worker kept
    assert claimed(3)  # a page read ahead asks for the next one: the worker stays a page ahead
    wait_until_kept(third)
    page(3)
    wait_until_kept(fourth)
    page(4)
    assert serialized == [first["id"]]
    assert not claimed(5)  # there is no page 5

    # what the worker wrote is what the page writes at once, without anything kept
    monkeypatch.setitem(tk.config, "ckanext.datasud.dcat.fragment_cache", "false")
    assert isomorphic(Graph().parse(data=text, format="turtle"), Graph().parse(data=page(2), format="turtle"))


def test_as_many_pages_are_read_ahead_as_celery_has_processes(one_dataset_a_page, celery_worker, serialized):
    """The default, two pages ahead: while the harvester waits for one, the other is
    written on the other core; never past the last page."""
    assert dcat_endpoints.pages_ahead() == 2
    first, second, third, fourth = listed()
    page(1)
    assert serialized == [first["id"]]
    assert claimed(2) and claimed(3) and not claimed(4)
    wait_until_kept(second)
    wait_until_kept(third)
    page(2)
    assert claimed(4) and not claimed(5)
    wait_until_kept(fourth)
    for number in (3, 4):
        page(number)
    assert serialized == [first["id"]]  # pages 2 to 4 served from what the worker kept
    assert not claimed(5)  # there is no page 5


def claim(number: int, state: str) -> str:
    key = dcat_endpoints.CataloguePage("ttl", PROFILES, "", "", None, number, 1).claim_key()
    redis_client.connection().set(key, state, ex=60)
    return key


def test_a_page_celery_is_writing_is_waited_for_then_what_is_missing_is_written(one_dataset_a_page, serialized,
                                                                                monkeypatch):
    """No worker here: page 2 is marked as being written, and marked done after 0.3 s
    without its Turtle (a worker that failed on it): the page waits, then writes it."""
    monkeypatch.setattr(dcat_endpoints, "read_ahead", lambda next_page: False)
    second = listed()[1]
    key = claim(2, dcat_endpoints.RUNNING)
    done = threading.Timer(0.3, lambda: redis_client.connection().set(key, dcat_endpoints.DONE, xx=True))
    done.start()
    started = time.monotonic()
    graph = Graph().parse(data=page(2), format="turtle")
    assert time.monotonic() - started >= 0.3
    assert serialized == [second["id"]]
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == 1


@pytest.mark.parametrize("state, wait, least, most", [
    (dcat_endpoints.RUNNING, 0.5, 0.5, 5),  # a writer that never ends: written after the wait
    (dcat_endpoints.QUEUED, 30, 0, 10),  # a task not started (a worker busy elsewhere): written at once
], ids=["running-forever", "queued-not-started"])
def test_a_page_is_written_when_its_read_ahead_does_not_come(one_dataset_a_page, serialized, monkeypatch,
                                                            state, wait, least, most):
    monkeypatch.setattr(dcat_endpoints, "read_ahead", lambda next_page: False)
    monkeypatch.setattr(dcat_endpoints, "READ_AHEAD_WAIT_SECONDS", wait)
    claim(2, state)
    started = time.monotonic()
    page(2)
    assert least <= time.monotonic() - started < most
    assert serialized == [listed()[1]["id"]]


def test_a_partner_renamed_after_the_worker_wrote_its_dataset_is_written_again(one_dataset_a_page, celery_worker,
                                                                              serialized):
    org = one_dataset_a_page
    second = listed()[1]
    page(1)
    wait_until_kept(second)
    sysadmin = helpers.call_action("get_site_user")["name"]
    helpers.call_action("organization_patch", {"user": sysadmin}, id=org["id"], title="Métropole Nice-Côte d'Azur")
    try:
        graph = Graph().parse(data=page(2), format="turtle")
        names = {str(n) for d in graph.subjects(RDF.type, DCAT.Dataset)
                 for agent in graph.objects(d, DCTERMS.publisher) for n in graph.objects(agent, FOAF.name)}
        assert names == {"Métropole Nice-Côte d'Azur"}
        assert second["id"] in serialized  # the worker's text was of the old name: written again
    finally:
        helpers.call_action("organization_patch", {"user": sysadmin}, id=org["id"], title=org["title"])


def test_a_broker_refusing_the_task_costs_the_page_nothing(one_dataset_a_page, serialized, monkeypatch):
    def refused(*args, **kwargs):
        raise ConnectionError("broker gone")

    monkeypatch.setattr(tasks.write_catalogue_page, "apply_async", refused)
    graph = Graph().parse(data=page(1), format="turtle")
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == 1
    assert len(serialized) == 1


def test_pages_read_ahead_are_few_per_window_whatever_clients_ask(one_dataset_a_page, monkeypatch):
    """Clients varying their query page after page cannot fill Celery's queue."""
    queued = []
    monkeypatch.setattr(tasks.write_catalogue_page, "apply_async", lambda args, **kw: queued.append(args[0]["q"]))
    monkeypatch.setattr(dcat_endpoints, "READ_AHEAD_PER_WINDOW", 3)
    monkeypatch.setitem(tk.config, "ckanext.datasud.dcat.read_ahead_pages", "1")  # a page per query
    monkeypatch.setattr(dcat_endpoints, "READ_AHEAD_WINDOW_SECONDS", 3600)
    redis = redis_client.connection()
    for word in ("vélo", "boucle", "comptages", "vélo boucle", "comptages vélo"):
        for key in redis.scan_iter(f"datasud:{tk.config['ckan.site_id']}:dcat-fragments:*"):
            redis.delete(key)  # each query's first page finds nothing kept
        helpers.call_action("dcat_catalog_show", {"ignore_auth": False}, format="ttl", q=word, page=1)
    assert queued == ["vélo", "boucle", "comptages"]
