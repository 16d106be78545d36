"""Records imported a batch at a time (harvesting/batches.py, issue 14): the records
waiting in the fetch queue imported in one transaction by DataSud's fetch consumer, their
datasets indexed once it is committed; a batch with a refused record rolled back whole
and imported again one record at a time. Real PostgreSQL, Solr and Redis queues.
"""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from tests import factories
from tests.harvesting import Page, create_source, object_errors
from tests.harvesting import finish_job as _finish, gather_job as _gather, import_in_batches as _consume

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

BASE = "https://data.partenaire-lots.example"


def dataset_ttl(i: int) -> str:
    ref = f"{BASE}/dataset/lot-{i}"
    return f"""
<{ref}> a dcat:Dataset ;
    dct:title "Jeu n° {i} importé par lot" ;
    dct:description "Un jeu de données du partenaire, numéro {i}." ;
    dct:identifier "lot-{i}" ;
    dcat:keyword "lot", "numéro {i}" ;
    dcat:landingPage <https://www.partenaire-lots.example/donnees/lot-{i}> ;
    dcat:distribution <{ref}/csv> .
<{ref}/csv> a dcat:Distribution ;
    dct:title "Lot {i} (CSV)" ;
    dcat:downloadURL <{BASE}/files/lot-{i}.csv> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> .
"""


def catalogue(numbers) -> str:
    refs = ", ".join(f"<{BASE}/dataset/lot-{i}>" for i in numbers)
    return ("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n"
            f"<{BASE}/catalogue> a dcat:Catalog ; dcat:dataset {refs} .\n"
            + "".join(dataset_ttl(i) for i in numbers))


def _other_engine():
    return sa.create_engine(model.meta.engine.url)  # another connection: what others see


def _visible(engine, org_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("select count(*) from package where owner_org = :org and type = 'dataset'"),
                            {"org": org_id}).scalar()


def _complete(engine, job_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("select count(*) from harvest_object where harvest_job_id = :job "
                                    "and state = 'COMPLETE'"), {"job": job_id}).scalar()


def _titles(org_id: str, **extra) -> list[str]:
    found = tk.get_action("package_search")({"ignore_auth": True}, {
        "fq": f'+owner_org:"{org_id}" +dataset_type:dataset', "rows": 100, **extra})
    return sorted(d["title"] for d in found["results"])


def _activities(org_id: str) -> list[tuple[str, str]]:
    rows = model.Session.execute(sa.text(
        "select p.name, a.activity_type from activity a join package p on p.id = a.object_id "
        "where p.owner_org = :org and p.type = 'dataset' order by p.name, a.timestamp"), {"org": org_id}).all()
    return [tuple(r) for r in rows]


def test_a_batch_is_one_transaction_indexed_after_its_commit(server, partner, monkeypatch):
    """Five records waiting, taken at once: nobody else sees any of their datasets while
    the batch runs (at each package_create, read from another connection), every one of
    them when the first reaches Solr, and no record is « COMPLETE » before all are
    indexed; then the job finishes as with one record at a time:
    each added once, published by convention and searchable, one « new package » activity
    each, its workflow history line."""
    import pysolr

    records = 5
    server.pages["/catalogue.ttl"] = Page(catalogue(range(1, records + 1)))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    job = _gather(source)
    engine, org_id = _other_engine(), partner["org"]["id"]
    seen_during, seen_at_solr = [], []

    def created(sender, **kwargs):
        seen_during.append(_visible(engine, org_id))

    send = pysolr.Solr._send_request

    def sent(solr_, method, path="", body=None, headers=None, files=None):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
        if path.startswith("update") and '"dataset_type": "dataset"' in text:
            seen_at_solr.append((_visible(engine, org_id), _complete(engine, job["id"])))
        return send(solr_, method, path, body, headers, files)

    monkeypatch.setattr(pysolr.Solr, "_send_request", sent)
    tk.signals.action_succeeded.connect(created, sender="package_create")
    try:
        assert _consume(limit=20) == 1
    finally:
        tk.signals.action_succeeded.disconnect(created, sender="package_create")
        engine.dispose()

    assert seen_during == [0] * records
    # committed before Solr had any; none « COMPLETE » (the job could be finished) before
    # every one is indexed
    assert seen_at_solr == [(records, 0)] * records
    assert model.Session.execute(sa.text("select count(*) from harvest_object where harvest_job_id = :job "
                                         "and state = 'COMPLETE'"), {"job": job["id"]}).scalar() == records
    shown = _finish(source, job)
    assert shown["status"] == "Finished"
    assert shown["stats"].get("added") == records and not shown["stats"].get("errored")
    expected = sorted(f"Jeu n° {i} importé par lot" for i in range(1, records + 1))
    assert _titles(org_id) == expected  # anonymous: published
    activities = _activities(org_id)
    assert [kind for _name, kind in activities] == ["new package"] * records
    assert len({name for name, _kind in activities}) == records
    states = model.Session.execute(sa.text(
        "select s.state from datasud_workflow s join package p on p.id = s.package_id "
        "where p.owner_org = :org"), {"org": org_id}).scalars().all()
    assert states == ["published"] * records


def test_a_refused_record_rolls_its_batch_back_and_the_records_are_imported_one_by_one(
        server, partner, monkeypatch):
    """Four records; between the gather and the import, someone creates a dataset with the
    name the gather gave the third: CKAN refuses that record (its action rolls back), so
    the batch is abandoned — nothing of it written — and its records are imported again
    one at a time: three datasets, each once, with one activity each; the refused
    record's error in the job's report; each record tried once."""
    from ckanext.harvest.model import HarvestObject
    from ckanext.datasud.harvesting import queueing

    server.pages["/catalogue.ttl"] = Page(catalogue(range(1, 5)))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    job = _gather(source)
    third = model.Session.query(HarvestObject).filter_by(harvest_job_id=job["id"], guid=f"{BASE}/dataset/lot-3").one()
    name = json.loads(third.content)["name"]
    factories.Dataset(name=name, owner_org=factories.Organization()["id"])
    model.Session.remove()
    one_by_one = []
    fetch_callback = queueing.fetch_callback
    monkeypatch.setattr(queueing, "fetch_callback", lambda *args: one_by_one.append(fetch_callback(*args)))
    assert _consume(limit=20) == 1
    assert len(one_by_one) == 4  # the batch abandoned, its four records imported again one at a time
    shown = _finish(source, job)
    assert shown["stats"].get("added") == 3 and shown["stats"].get("errored") == 1, shown["stats"]
    assert any("URL" in message for message in object_errors(shown)), object_errors(shown)
    org_id = partner["org"]["id"]
    assert _titles(org_id) == [f"Jeu n° {i} importé par lot" for i in (1, 2, 4)]
    activities = _activities(org_id)
    assert len(activities) == 3 and len({name for name, _kind in activities}) == 3
    retries = model.Session.execute(sa.text(
        "select retry_times from harvest_object where harvest_job_id = :job"), {"job": job["id"]}).scalars().all()
    assert sorted(retries) == [1, 1, 1, 1]  # the abandoned batch's attempt left no trace


def test_an_unchanged_second_harvest_in_batches(server, partner):
    """A second harvest of the same catalogue, in batches of three: every record « not
    modified », no dataset written again (no new activity)."""
    server.pages["/catalogue.ttl"] = Page(catalogue(range(1, 8)))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    for run, report in ((1, "added"), (2, "not modified")):
        job = _gather(source)
        assert _consume(limit=3) == 3
        shown = _finish(source, job)
        assert shown["stats"].get(report) == 7, (run, shown["stats"])
    assert len(_activities(partner["org"]["id"])) == 7


def test_a_batch_reports_each_record_as_ckanext_harvest_does_writing_its_states_once(server, partner):
    """A second harvest in one batch: a new record « added », a changed one « updated »,
    unchanged ones « not modified », one gone upstream « deleted » (withdrawn), as
    ckanext-harvest's ``fetch_and_import_stages`` reports them; each harvest object has
    its four times and ends « COMPLETE ». Its intermediate states (« FETCH », « IMPORT »),
    which nobody sees before the batch's commit, are not written one save at a time: at
    most two saves of a record's harvest object (with the import's first writes, and
    with its report)."""
    server.pages["/catalogue.ttl"] = Page(catalogue(range(1, 5)))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    job = _gather(source)
    assert _consume(limit=20) == 1
    assert _finish(source, job)["stats"].get("added") == 4
    changed = catalogue([1, 2, 3, 5]).replace("Jeu n° 2 importé par lot", "Jeu n° 2, titre corrigé")
    server.pages["/catalogue.ttl"] = Page(changed)
    job = _gather(source)
    updates = []

    def count(conn, cursor, statement, parameters, context, executemany):
        text = " ".join(statement.lower().split())
        if text.startswith("update harvest_object") and "where harvest_object.id =" in text:
            updates.append(statement)  # a harvest object's save

    sa.event.listen(model.meta.engine, "before_cursor_execute", count)
    try:
        assert _consume(limit=20) == 1
    finally:
        sa.event.remove(model.meta.engine, "before_cursor_execute", count)
    shown = _finish(source, job)
    reported = {status: shown["stats"].get(status) for status in ("added", "updated", "not modified", "deleted",
                                                                     "errored")}
    assert reported == {"added": 1, "updated": 1, "not modified": 2, "deleted": 1, "errored": 0}, shown["stats"]
    rows = model.Session.execute(sa.text(
        "select state, fetch_started <= fetch_finished and fetch_finished <= import_started "
        "and import_started <= import_finished from harvest_object where harvest_job_id = :job"),
        {"job": job["id"]}).all()
    assert sorted(rows) == [("COMPLETE", True)] * 5
    assert 5 <= len(updates) <= 2 * 5, updates  # ckanext-harvest's stages: six per record
    assert "Jeu n° 2, titre corrigé" in _titles(partner["org"]["id"])


@pytest.mark.parametrize("mode", ["download", "workflow"])
def test_tasks_an_import_queues_are_sent_after_the_batch_commit(server, partner, monkeypatch, mode):
    """What an import queues for a Celery worker reads what the import wrote: in download
    mode the copy of each dataset's files, in workflow mode the e-mails of each review.
    In a batch they are sent once it is committed (each dataset then visible from another
    connection), one per record."""
    from ckanext.datasud import outbox

    records = 3
    server.pages["/catalogue.ttl"] = Page(catalogue(range(1, records + 1)))
    settings = ({"publication_mode": "download", "validation": "convention"} if mode == "download"
                else {"publication_mode": "reference", "validation": "workflow"})
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"), **settings)
    job = _gather(source)
    engine, org_id, sent = _other_engine(), partner["org"]["id"], []

    def send(task, args=None, kwargs=None, queue=None):
        sent.append((task.name, _visible(engine, org_id)))
        return True

    monkeypatch.setattr(outbox, "send", send)
    try:
        assert _consume(limit=20) == 1
    finally:
        engine.dispose()
    task = "sync_downloads" if mode == "download" else "notify_transition"
    queued = [visible for name, visible in sent if name.endswith(task)]
    assert queued == [records] * records, sent
    shown = _finish(source, job)
    assert shown["stats"].get("added") == records


def test_records_of_sources_not_batched_are_left_to_one_at_a_time(server, partner):
    """Only DataSud's harvesters import in batches (their datasets are indexed once, at
    the end): a batch meeting a record of another kind of source is abandoned before
    anything is written; DataSud's consumer imports this kind one at a time."""
    from ckanext.harvest import queue
    from ckanext.datasud.harvesting import batches

    server.pages["/catalogue.ttl"] = Page(catalogue(range(1, 3)))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    job = _gather(source)
    fetch = queue.get_fetch_consumer()
    bodies = [fetch.redis.lpop(fetch.routing_key) for _ in range(2)]
    with pytest.raises(batches.Abandoned, match="datasud_dcat source"):
        batches.import_batch(bodies, batchable=lambda source_type: source_type != "datasud_dcat")
    model.Session.remove()
    rows = model.Session.execute(sa.text(
        "select state, retry_times from harvest_object where harvest_job_id = :job"), {"job": job["id"]}).all()
    assert sorted(tuple(r) for r in rows) == [("WAITING", 0), ("WAITING", 0)]
    assert _visible(model.meta.engine, partner["org"]["id"]) == 0


def test_what_is_known_of_a_batch_is_what_each_record_would_read(server, partner):
    """``records.known_records``: what a batch reads at once of its records (last import,
    own dataset, datasets holding the guid, other sources' current objects, whether
    this source has a current object) answers each record as the database does, one
    query per record; a guid listed twice in the batch is not known (its records ask the
    database)."""
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestSource
    from ckanext.datasud.harvesting import records

    server.pages["/a.ttl"] = Page(catalogue(range(1, 4)))
    server.pages["/b.ttl"] = Page(catalogue([2, 3, 9]))
    source_a = create_source(partner["sysadmin"], partner["org"], server.url("/a.ttl"),
                             publication_mode="reference", validation="convention")
    source_b = create_source(partner["sysadmin"], factories.Organization(), server.url("/b.ttl"),
                             publication_mode="reference", validation="convention")
    first = _gather(source_a)
    _consume(limit=20)
    _finish(source_a, first)  # A's first harvest; then its record 1 changes, for a second one
    server.pages["/a.ttl"] = Page(catalogue(range(1, 4)).replace("numéro 1.", "numéro un."))
    job_a = _gather(source_a)
    queue.purge_queues()
    site_user = helpers.call_action("get_site_user", {"ignore_auth": True})
    job_b = helpers.call_action("harvest_job_create", {"user": site_user["name"]}, source_id=source_b["id"], run=False)
    # B's records, as its gather would make them (guids 2 and 3 are A's too)
    for i in (2, 3, 9):
        model.Session.add(HarvestObject(guid=f"{BASE}/dataset/lot-{i}", job=model.Session.get(HarvestJob, job_b["id"]),
                                        source=model.Session.get(HarvestSource, source_b["id"]), content="{}"))
    model.Session.commit()
    waiting = model.Session.query(HarvestObject).filter(HarvestObject.state == "WAITING")
    batches = [waiting.filter_by(harvest_job_id=job["id"]).all() for job in (job_a, job_b)]
    assert [len(batch) for batch in batches] == [3, 3]

    def answers(obj):
        with records.importing(obj):
            return (records.previous_digest(obj), records.dataset_of(obj.harvest_source_id, obj.guid),
                    records.guid_held_elsewhere(obj.guid, obj.harvest_source_id), sorted(records.current_elsewhere(obj)))

    asked = []

    def count(conn, cursor, statement, parameters, context, executemany):
        asked.append(statement)

    for batch in batches:
        [answers(obj) for obj in batch]  # the job's settings, read at its first record
    sa.event.listen(model.meta.engine, "before_cursor_execute", count)
    try:
        for batch in batches:
            asked[:] = []
            from_database = {obj.id: answers(obj) for obj in batch}
            asked_one_by_one, asked[:] = len(asked), []
            with records.known_records(batch):
                read_at_once = len(asked)
                known = {obj.id: answers(obj) for obj in batch}
                asked_known = len(asked) - read_at_once
            assert known == from_database
            assert read_at_once == 4 and asked_one_by_one - asked_known == 4 * len(batch), (
                asked_one_by_one, asked_known)
            if batch[0].harvest_source_id == source_a["id"]:  # A's records: imported before, their datasets A's
                assert all(a[0] and a[1] and not a[2] for a in from_database.values()), from_database
            else:  # B's copies of A's guids: held by A (named in a warning), B's new one by no one
                assert sorted(bool(a[2]) for a in from_database.values()) == [False, True, True]
                assert not any(a[0] or a[1] for a in from_database.values())
        # B's lot-2 listed twice in a batch: not known, asked to the database
        [lot_2] = [o for o in batches[1] if o.guid.endswith("lot-2")]
        twice = batches[1] + [HarvestObject(id="repeated", guid=lot_2.guid, harvest_source_id=source_b["id"])]
        with records.known_records(twice):
            asked[:] = []
            assert answers(lot_2)[2]
            assert len(asked) >= 4
    finally:
        sa.event.remove(model.meta.engine, "before_cursor_execute", count)


def test_take_reads_what_waits_up_to_the_limit_each_with_its_persistence_key():
    from ckanext.harvest import queue
    from ckanext.datasud.harvesting import queueing

    queue.purge_queues()
    publisher = queue.get_fetch_publisher()
    for i in range(5):
        publisher.send({"harvest_object_id": f"objet-{i}"})
    publisher.close()
    fetch = queue.get_fetch_consumer()
    first = next(fetch.consume(queue.get_fetch_queue_name()))
    taken = queueing.take(fetch, first, 3)
    assert [json.loads(body)["harvest_object_id"] for _m, _h, body in taken] == ["objet-0", "objet-1", "objet-2"]
    assert all(fetch.redis.get(fetch.persistance_key(body)) for _m, _h, body in taken)
    assert fetch.redis.llen(fetch.routing_key) == 2
    queue.purge_queues()


def test_one_transaction_commits_once_and_runs_what_waits_for_the_commit_after_it():
    from ckanext.datasud.harvesting import batches

    engine, ran = _other_engine(), []
    try:
        with batches.one_transaction():
            model.Session.add(model.Tag(name="etiquette-du-lot"))
            model.Session.commit()  # flushes into the batch's transaction
            batches.after_commit(lambda: ran.append(_tags(engine, "etiquette-du-lot")))
            assert _tags(engine, "etiquette-du-lot") == 0 and ran == []
        assert ran == [1]
    finally:
        engine.dispose()


@pytest.mark.parametrize("failure", ["rollback", "exception"])
def test_one_transaction_abandoned_leaves_nothing_and_runs_nothing(failure):
    from ckanext.datasud.harvesting import batches

    engine, ran = _other_engine(), []
    try:
        with pytest.raises(batches.Abandoned):
            with batches.one_transaction():
                model.Session.add(model.Tag(name="etiquette-abandonnee"))
                model.Session.commit()
                batches.after_commit(lambda: ran.append(True))
                if failure == "rollback":
                    model.Session.add(model.Tag(name="etiquette-abandonnee-2"))
                    model.Session.flush()
                    model.Session.rollback()  # what CKAN's actions do before a ValidationError
                    model.Session.add(model.Tag(name="etiquette-apres"))
                    model.Session.commit()  # after it: not committed on its own either
                    assert _tags(engine, "etiquette-apres") == 0
                else:
                    raise RuntimeError("an import failed")
        assert _tags(engine, "etiquette-abandonnee") == 0 and ran == []
        model.Session.remove()
        assert model.Tag.by_name("etiquette-abandonnee") is None  # the session is CKAN's own again
    finally:
        engine.dispose()


def _tags(engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("select count(*) from tag where name = :n"), {"n": name}).scalar()
