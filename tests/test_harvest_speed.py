"""Harvest indexing (issue 14, item 3): each harvested dataset sent to Solr once, no Solr
commit per dataset, one commit when the job is marked finished — before it is: once a
job is reported finished, every dataset it imported is searchable (and only as the
publication rule allows). Behaviour, not timing: the Solr requests are counted (the
real requests to the real Solr, observed on their way), the job's state read from
PostgreSQL at the moment of the commit.
"""
from __future__ import annotations

import pysolr
import pytest
import sqlalchemy as sa

import ckan.model as model
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from tests import factories
from tests.harvesting import (CatalogueServer, Page, ckan_command, config_with, consumers_waiting,
                              create_source, finish_job, gather_job, run, object_errors)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

BASE = "https://data.partenaire-vitesse.example"


def dataset_ttl(i: int, title: str = "") -> str:
    ref = f"{BASE}/dataset/jeu-{i}"
    title = title or f"Jeu de données n° {i} de la vitesse"
    return f"""
<{ref}> a dcat:Dataset ;
    dct:title "{title}" ;
    dct:description "Un jeu de données du catalogue du partenaire, numéro {i}." ;
    dct:identifier "jeu-{i}" ;
    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/ENVI> ;
    dcat:landingPage <https://www.partenaire-vitesse.example/donnees/jeu-{i}> ;
    dcat:distribution <{ref}/csv> .
<{ref}/csv> a dcat:Distribution ;
    dct:title "Jeu {i} (CSV)" ;
    dcat:downloadURL <{BASE}/files/jeu-{i}.csv> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
    dct:license <https://www.etalab.gouv.fr/licence-ouverte-open-licence/> .
"""


def catalogue(numbers, extra: str = "") -> str:
    refs = ", ".join(f"<{BASE}/dataset/jeu-{i}>" for i in numbers) or "<urn:vide>"
    return ("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n"
            f"<{BASE}/catalogue> a dcat:Catalog ; dcat:dataset {refs} .\n"
            + "".join(dataset_ttl(i) for i in numbers) + extra)


class SolrRequests:
    """The requests sent to Solr, as (kind, path, commits?, the job's status in PostgreSQL
    at that moment); kind: ``dataset`` (a dataset's document; the harvest source's own
    document is ``add``), ``commit`` (an explicit commit), ``delete``, ``select``."""

    def __init__(self, monkeypatch):
        self.requests: list[tuple[str, str, bool, str]] = []
        self.job_id = None
        self._engine = sa.create_engine(model.meta.engine.url)  # another connection: what others see
        send, spy = pysolr.Solr._send_request, self

        def observed(solr, method, path="", body=None, headers=None, files=None):
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
            if path.startswith("update") and text.lstrip().startswith(("[", "<add")):  # documents
                kind = "dataset" if '"dataset_type": "dataset"' in text else "add"
            else:
                kind = "commit" if "<commit" in text else "delete" if "<delete" in text else "select"
            spy.requests.append((kind, path, "commit=true" in path, spy._job_status()))
            return send(solr, method, path, body, headers, files)
        monkeypatch.setattr(pysolr.Solr, "_send_request", observed)

    def _job_status(self) -> str:
        if self.job_id is None:
            return ""
        with self._engine.connect() as conn:
            return conn.execute(sa.text("select status from harvest_job where id = :id"),
                                {"id": self.job_id}).scalar() or ""

    def of(self, kind: str) -> list[tuple[str, str, bool, str]]:
        return [r for r in self.requests if r[0] == kind]

    def committing(self) -> list[tuple[str, str, bool, str]]:
        return [r for r in self.requests if r[2]]

    def datasets(self) -> list[tuple[str, str, bool, str]]:
        """The documents of datasets sent, none of them with a commit."""
        sent = self.of("dataset")
        assert [r for r in sent if r[2]] == [], "a dataset indexed with a Solr commit"
        return sent

    def clear(self) -> None:
        self.requests.clear()


@pytest.fixture
def solr(monkeypatch):
    spy = SolrRequests(monkeypatch)
    yield spy
    spy._engine.dispose()


def _search(query_fq: str, user=None, include_private=False) -> list[str]:
    context = {"user": user["name"]} if user else {"ignore_auth": True, "user": ""}
    result = helpers.call_action("package_search", context, fq=query_fq, rows=100,
                                 include_private=include_private)
    return sorted(d["title"] for d in result["results"])


def _run(source: dict, spy: SolrRequests) -> dict:
    """``run`` with the spy following the job (read from the database once created)."""
    from ckanext.harvest.model import HarvestJob
    before = {j.id for j in model.Session.query(HarvestJob.id).filter_by(source_id=source["id"])}
    original = HarvestJob.save

    def save(job):
        if spy.job_id is None and job.id not in before and job.source_id == source["id"]:
            spy.job_id = job.id
        return original(job)
    HarvestJob.save = save
    try:
        return run(source)
    finally:
        HarvestJob.save = original


def test_first_harvest_indexes_each_dataset_once_and_commits_once_before_the_job_is_finished(
        server, partner, solr):
    server.pages["/catalogue.ttl"] = Page(catalogue(range(1, 6)))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    solr.clear()
    result = _run(source, solr)
    assert result["job"]["status"] == "Finished"
    assert result["job"]["stats"].get("added") == 5
    # one document sent per dataset, none with a commit
    assert len(solr.datasets()) == 5
    # one commit, while the job was still running in the database
    assert [r[3] for r in solr.of("commit")] == ["Running"]
    # no look-up of an imported dataset's index copy (stale until the import ends): the
    # only searches are the test harness's package_show of each dataset once imported
    assert len(solr.of("select")) == 5
    # right after the job is finished: every dataset found, anonymously (published by convention)
    model.Session.remove()
    titles = _search(f'+owner_org:"{partner["org"]["id"]}" +dataset_type:dataset')
    assert titles == sorted(f"Jeu de données n° {i} de la vitesse" for i in range(1, 6))


def test_workflow_source_records_stay_private_but_are_searchable_by_the_partner(server, partner, solr):
    """A source without pre-validation: each record waits for validation (private,
    submitted: reindexed with its reviewers' labels), still indexed once, one commit."""
    member = ckan_factories.User()
    helpers.call_action("organization_member_create", {"ignore_auth": True}, id=partner["org"]["id"],
                        username=member["name"], role="editor")
    server.pages["/catalogue.ttl"] = Page(catalogue(range(1, 4)))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="workflow")
    solr.clear()
    result = _run(source, solr)
    assert result["job"]["stats"].get("added") == 3
    assert len(solr.datasets()) == 3
    assert [r[3] for r in solr.of("commit")] == ["Running"]
    model.Session.remove()
    fq = f'+owner_org:"{partner["org"]["id"]}" +dataset_type:dataset'
    assert _search(fq) == []  # nothing public outside the workflow
    assert len(_search(fq, user=member, include_private=True)) == 3
    for dataset in helpers.call_action("package_search", {"ignore_auth": True}, fq=fq,
                                       include_private=True)["results"]:
        assert dataset["private"] is True
        state = helpers.call_action("datasud_workflow_show", {"ignore_auth": True}, id=dataset["id"])
        assert state["state"] == "submitted"


def test_changes_removals_and_unchanged_records_of_a_second_harvest(server, partner, solr):
    """Second harvest: an unchanged record is not sent to Solr again, a changed one
    once, a removed one (withdrawn: private) once, a new one once; one commit, before
    the job is finished; the search then says exactly that."""
    server.pages["/catalogue.ttl"] = Page(catalogue(range(1, 5)))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    _run(source, solr)
    changed = dataset_ttl(2, title="Jeu de données n° 2, corrigé")
    page = ("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n"
            f"<{BASE}/catalogue> a dcat:Catalog ; dcat:dataset "
            + ", ".join(f"<{BASE}/dataset/jeu-{i}>" for i in (1, 2, 3, 5)) + " .\n"
            + dataset_ttl(1) + changed + dataset_ttl(3) + dataset_ttl(5))
    server.pages["/catalogue.ttl"] = Page(page)
    solr.clear()
    solr.job_id = None
    model.Session.remove()
    result = _run(source, solr)
    stats = result["job"]["stats"]
    assert (stats.get("added"), stats.get("updated"), stats.get("not modified")) == (1, 1, 2)
    # 2 (changed), 4 (withdrawn), 5 (new)
    assert len(solr.datasets()) == 3
    assert [r[3] for r in solr.of("commit")] == ["Running"]
    model.Session.remove()
    titles = _search(f'+owner_org:"{partner["org"]["id"]}" +dataset_type:dataset')
    assert titles == sorted(["Jeu de données n° 1 de la vitesse", "Jeu de données n° 2, corrigé",
                             "Jeu de données n° 3 de la vitesse", "Jeu de données n° 5 de la vitesse"])


def test_refused_and_odd_records_leave_nothing_in_the_index(server, partner, solr):
    """A record the schema refuses, one without title, a DataService: no document for
    them, the valid record indexed once; one commit."""
    odd = f"""
<{BASE}/dataset/sans-titre> a dcat:Dataset ; dct:description "Sans titre." .
<{BASE}/service> a dcat:DataService ; dct:title "Un service" .
<{BASE}/dataset/vide> a dcat:Dataset ; dct:title "" .
"""
    server.pages["/catalogue.ttl"] = Page(catalogue([7], extra=odd))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    solr.clear()
    result = _run(source, solr)
    assert result["job"]["stats"].get("added") == 1
    assert result["job"]["stats"].get("errored", 0) >= 1
    assert object_errors(result["job"])
    assert len(solr.datasets()) == 1
    assert [r[3] for r in solr.of("commit")] == ["Running"]
    model.Session.remove()
    assert _search(f'+owner_org:"{partner["org"]["id"]}" +dataset_type:dataset',
                   include_private=True) == ["Jeu de données n° 7 de la vitesse"]


def test_outside_a_harvest_ckan_indexes_and_commits_as_before(partner, solr):
    """The deferral is for harvest imports only: a dataset created through the API is
    committed to Solr by its own request, and found at once."""
    solr.clear()
    dataset = factories.Dataset(owner_org=partner["org"]["id"], title="Saisi sur DataSud")
    assert solr.committing(), "an API write still commits its indexing"
    assert _search(f'+id:"{dataset["id"]}"') == ["Saisi sur DataSud"]


def test_settings_changed_between_two_jobs_apply_to_the_next_job(server, partner, solr):
    """The source's settings are read once per job, not once per process: a source no
    longer pre-validated, the next job's new records wait for validation (private), and
    nothing of them is found anonymously once the job is finished."""
    server.pages["/catalogue.ttl"] = Page(catalogue([1]))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    _run(source, solr)
    fq = f'+owner_org:"{partner["org"]["id"]}" +dataset_type:dataset'
    assert _search(fq) == ["Jeu de données n° 1 de la vitesse"]
    helpers.call_action("harvest_source_patch", {"user": partner["sysadmin"]["name"]}, id=source["id"],
                        validation="workflow")
    server.pages["/catalogue.ttl"] = Page(catalogue([1, 2]))
    solr.clear()
    solr.job_id = None
    model.Session.remove()
    result = _run(source, solr)
    assert result["job"]["stats"].get("added") == 1
    assert [r[3] for r in solr.of("commit")] == ["Running"]
    model.Session.remove()
    assert _search(fq) == ["Jeu de données n° 1 de la vitesse"]  # already published: stays
    private = [d for d in helpers.call_action("package_search", {"ignore_auth": True}, fq=fq,
                                              include_private=True)["results"] if d["private"]]
    assert [d["title"] for d in private] == ["Jeu de données n° 2 de la vitesse"]
    state = helpers.call_action("datasud_workflow_show", {"ignore_auth": True}, id=private[0]["id"])
    assert state["state"] == "submitted"


def test_identity_check_reads_the_guid_index_not_every_extra():
    """The lookup of ``records.guid_held_elsewhere`` (once per imported record) is answered
    by migration 0008's index, whatever the size of ``package_extra``."""
    # as on a large table: neither a scan of package_extra, nor a loop over every dataset
    # reading its extras (what the planner prefers on the few rows of a test database)
    model.Session.execute(sa.text("set local enable_seqscan = off; set local enable_nestloop = off"))
    plan = "\n".join(row[0] for row in model.Session.execute(sa.text(
        "explain select package.id from package join package_extra on package_extra.package_id = package.id "
        "where package_extra.key = 'guid' and package_extra.value = :guid and package.state = 'active'"),
        {"guid": "https://data.partenaire.example/dataset/1"}))
    model.Session.rollback()
    assert "idx_datasud_package_extra_guid" in plan


def test_two_fetch_consumers_import_one_job_side_by_side(server, partner):
    """`ckan datasud harvest-consumer fetch --processes 2` (what bin/datasud up and
    docker-compose run): two real consumer processes take the records of one job from
    the Redis queue. Each record is imported once, published by convention with its
    history line, none in error; the imports overlapped in time; once the job is marked
    finished every dataset is found by an anonymous search."""
    import signal
    import subprocess
    import time

    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestObject
    from tests.conftest import ROOT, TEST_INI

    records = 24
    server.pages["/catalogue.ttl"] = Page(catalogue(range(1, records + 1)))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    job = gather_job(source)
    assert queue.get_connection().llen(queue.get_fetch_routing_key()) == records

    log_path = ROOT / "var" / "log" / "test-harvest-two-consumers.log"
    with open(log_path, "w") as log:
        consumers = subprocess.Popen(
            ckan_command(TEST_INI) + ["datasud", "harvest-consumer", "fetch", "--processes", "2"], cwd=ROOT, stdout=log,
            stderr=subprocess.STDOUT)

    def imported():
        model.Session.remove()
        return model.Session.query(HarvestObject.id).filter(
            HarvestObject.harvest_job_id == job["id"], HarvestObject.state.in_(("COMPLETE", "ERROR"))).count() == records
    try:
        deadline = time.time() + 120
        while not imported():
            assert consumers.poll() is None, log_path.read_text()[-2000:]
            assert time.time() < deadline, "the consumers did not import the job in 2 minutes"
            time.sleep(0.2)
    finally:
        consumers.send_signal(signal.SIGTERM)
        code = consumers.wait(60)
    text = log_path.read_text()
    assert code == 0 and text.count("harvest fetch consumer started") == 2, text[-2000:]
    assert "starting it again" not in text  # both stopped with the supervisor, none restarted

    objects = model.Session.query(HarvestObject).filter_by(harvest_job_id=job["id"]).all()
    spans = sorted((o.import_started, o.import_finished) for o in objects)
    assert any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:])), "no two imports overlapped"
    assert len({o.package_id for o in objects}) == records

    shown = finish_job(source, job)
    assert shown["status"] == "Finished"
    assert shown["stats"].get("added") == records and not shown["stats"].get("errored")
    assert object_errors(shown) == []
    model.Session.remove()
    titles = _search(f'+owner_org:"{partner["org"]["id"]}" +dataset_type:dataset')
    assert titles == sorted(f"Jeu de données n° {i} de la vitesse" for i in range(1, records + 1))
    for package_id in {o.package_id for o in objects}:
        state = helpers.call_action("datasud_workflow_show", {"ignore_auth": True}, id=package_id)
        assert state["state"] == "published"


def _held(body: str, event):
    def answer() -> str:
        event.wait(15)  # below the harvest's read timeout (20 s)
        return body
    return answer


def _paged(pages: list[range], server: CatalogueServer, last_page_held) -> str:
    """Hydra pages /paged-1 … /paged-N of the records ``pages``; the last one answered
    once ``last_page_held`` (an Event) is set (a slow partner), at most 15 s later."""
    for n, numbers in enumerate(pages, start=1):
        extra = ""
        if n < len(pages):
            following = server.url(f"/paged-{n + 1}")
            extra = ("@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
                     f"<{server.url(f'/paged-{n}')}> a hydra:PartialCollectionView ; hydra:next <{following}> .\n")
            server.pages[f"/paged-{n}"] = Page(catalogue(numbers, extra))
        else:
            server.pages[f"/paged-{n}"] = Page(_held(catalogue(numbers), last_page_held))
    return server.url("/paged-1")


def test_pages_are_imported_while_the_gather_reads_the_next_ones(server, partner, tmp_path):
    """`ckan datasud harvest-consumer gather` (DataSud's gather consumer) queues each Hydra
    page's records as soon as the page is saved: while a slow partner's last page is
    being read, the fetch consumers import the first pages, and `harvest_jobs_run` does
    not finish the job (its gather is not over). Once finished, every record was imported
    once, published and searchable."""
    import signal
    import subprocess
    import threading
    import time

    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestJob, HarvestObject
    from tests.conftest import ROOT

    last_page = threading.Event()
    url = _paged([range(1, 9), range(9, 17), range(17, 25)], server, last_page)
    source = create_source(partner["sysadmin"], partner["org"], url, publication_mode="reference",
                           validation="convention")
    queue.purge_queues()
    site_user = helpers.call_action("get_site_user", {"ignore_auth": True})
    ini = config_with(tmp_path, "paged", **{"ckanext.datasud.harvest.allowed_hosts": server.host})
    log_path = ROOT / "var" / "log" / "test-harvest-paged-gather.log"
    redis = queue.get_connection()
    already_waiting = consumers_waiting(redis)
    with open(log_path, "w") as log:
        consumers = [subprocess.Popen(ckan_command(ini) + ["datasud", "harvest-consumer", kind, "--processes", str(n)],
                                      cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
                     for kind, n in (("gather", 1), ("fetch", 2))]

    def objects(*states):
        model.Session.remove()
        q = model.Session.query(HarvestObject).filter(HarvestObject.harvest_job_id == job["id"])
        return q.filter(HarvestObject.state.in_(states)).all() if states else q.all()

    def job_row() -> HarvestJob:
        model.Session.remove()
        return model.Session.query(HarvestJob).get(job["id"])

    def until(condition, what: str, seconds: float = 60) -> None:
        deadline = time.time() + seconds
        while not condition():
            assert all(c.poll() is None for c in consumers), log_path.read_text()[-2000:]
            assert time.time() < deadline, f"{what}: {log_path.read_text()[-2000:]}"
            time.sleep(0.2)
    try:
        until(lambda: consumers_waiting(redis) >= already_waiting + 3, "one gather and two fetch consumers on Redis", 90)
        job = helpers.call_action("harvest_job_create", {"user": site_user["name"]}, source_id=source["id"])
        until(lambda: len(objects("COMPLETE")) == 16, "the first two pages imported")
        assert not last_page.is_set() and job_row().gather_finished is None  # the last page is still awaited
        helpers.call_action("harvest_jobs_run", {"user": site_user["name"]}, source_id=source["id"])
        assert helpers.call_action("harvest_job_show", {"user": site_user["name"]}, id=job["id"])["status"] == "Running"
        last_page.set()
        until(lambda: job_row().gather_finished is not None and len(objects("COMPLETE", "ERROR")) == 24,
              "the last page imported")
    finally:
        last_page.set()
        for consumer in consumers:
            consumer.send_signal(signal.SIGTERM)
        codes = [consumer.wait(60) for consumer in consumers]
    text = log_path.read_text()
    assert codes == [0, 0] and "starting it again" not in text, text[-2000:]

    gathered = job_row().gather_finished
    done = objects()
    assert len(done) == 24 and {o.state for o in done} == {"COMPLETE"}
    assert len({o.package_id for o in done}) == 24  # each record imported once
    assert len([o for o in done if o.import_finished < gathered]) == 16

    helpers.call_action("harvest_jobs_run", {"user": site_user["name"]}, source_id=source["id"])
    shown = helpers.call_action("harvest_job_show", {"user": site_user["name"]}, id=job["id"])
    assert shown["status"] == "Finished"
    assert shown["stats"].get("added") == 24 and not shown["stats"].get("errored")
    assert object_errors(shown) == []
    model.Session.remove()
    titles = _search(f'+owner_org:"{partner["org"]["id"]}" +dataset_type:dataset')
    assert titles == sorted(f"Jeu de données n° {i} de la vitesse" for i in range(1, 25))


# --- Commits that do not wait for the disk (harvesting/commits.py) --------------------

def _wal(engine, what: str, since: str = "") -> str:
    """A WAL position read from another connection: ``insert`` (what is written so far),
    ``flush`` (what is on disk); with ``since``, the bytes from ``since`` to it."""
    with engine.connect() as conn:
        if since:
            return conn.execute(sa.text(f"select pg_wal_lsn_diff(pg_current_wal_{what}_lsn(), :since)"),
                                {"since": since}).scalar()
        return str(conn.execute(sa.text(f"select pg_current_wal_{what}_lsn()")).scalar())


def test_fetch_consumer_commits_without_waiting_and_is_durable_before_solr_and_at_each_record_end(
        server, partner, solr, monkeypatch):
    """DataSud's fetch consumer (``queueing.fetch_callback``, what `ckan datasud
    harvest-consumer fetch` runs) imports each record with commits that do not wait for
    the disk — every transaction it begins, and those only — and flushes PostgreSQL's WAL
    past everything committed before a dataset's document is sent to Solr and when the
    record is over. The job then finishes as with ckanext-harvest's own consumer: every
    record added, published by convention, searchable."""
    from sqlalchemy import event

    from ckanext.harvest import queue
    from ckanext.datasud.harvesting import queueing

    records = 3
    server.pages["/catalogue.ttl"] = Page(catalogue(range(1, records + 1)))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    job = gather_job(source)

    engine = solr._engine
    settings, committed, at_solr = [], [], []

    def began(session, transaction, connection):
        settings.append(tuple(connection.exec_driver_sql(
            "select setting, source from pg_settings where name = 'synchronous_commit'").one()))

    def after_commit(session):
        committed.append(_wal(engine, "insert"))

    send = pysolr.Solr._send_request  # the spy's: requests are still counted

    def sent(solr_, method, path="", body=None, headers=None, files=None):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
        if path.startswith("update") and '"dataset_type": "dataset"' in text:
            at_solr.append(_wal(engine, "flush", since=committed[-1]))
        return send(solr_, method, path, body, headers, files)

    event.listen(model.meta.Session, "after_begin", began)
    event.listen(model.meta.Session, "after_commit", after_commit)
    monkeypatch.setattr(pysolr.Solr, "_send_request", sent)
    fetch = queue.get_fetch_consumer()
    at_end = []
    try:
        for _ in range(records):
            queueing.fetch_callback(fetch, *next(fetch.consume(queue.get_fetch_queue_name())))
            at_end.append(_wal(engine, "flush", since=committed[-1]))
    finally:
        event.remove(model.meta.Session, "after_begin", began)
        event.remove(model.meta.Session, "after_commit", after_commit)

    # every transaction of the records (harvest object's saves, dataset, activity,
    # review…) committed without waiting: about ten per record
    assert len(settings) >= 5 * records and set(settings) == {("off", "session")}, settings
    # durable before Solr had the dataset, and at the end of each record
    assert len(at_solr) == records and all(diff >= 0 for diff in at_solr), at_solr
    assert all(diff >= 0 for diff in at_end), at_end

    model.Session.remove()
    model.Session.execute(sa.text("select 1"))  # a transaction outside a record: as configured
    assert model.Session.execute(sa.text(
        "select source from pg_settings where name = 'synchronous_commit'")).scalar() != "session"
    model.Session.rollback()

    shown = finish_job(source, job)
    assert shown["status"] == "Finished"
    assert shown["stats"].get("added") == records and not shown["stats"].get("errored")
    model.Session.remove()
    titles = _search(f'+owner_org:"{partner["org"]["id"]}" +dataset_type:dataset')
    assert titles == sorted(f"Jeu de données n° {i} de la vitesse" for i in range(1, records + 1))


def test_asynchronous_commits_only_within_made_durable_on_the_way_out_even_after_an_error():
    """``commits.asynchronous``: a transaction begun inside commits without waiting, one
    begun after is as configured again, whatever was rolled back meanwhile; on the way
    out, an error included, the WAL is flushed past what was committed inside."""
    from ckanext.datasud.harvesting import commits

    engine = sa.create_engine(model.meta.engine.url)
    setting = "select setting, source from pg_settings where name = 'synchronous_commit'"
    model.Session.remove()  # connections taken inside, as the fetch consumer does
    try:
        with pytest.raises(RuntimeError):
            with commits.asynchronous():
                assert tuple(model.Session.execute(sa.text(setting)).one()) == ("off", "session")
                model.Session.execute(sa.text("select pg_catalog.txid_current()"))  # a commit record
                model.Session.commit()
                written = _wal(engine, "insert")
                assert tuple(model.Session.execute(sa.text(setting)).one()) == ("off", "session")
                model.Session.rollback()
                raise RuntimeError("the import failed")
        assert _wal(engine, "flush", since=written) >= 0
        for _ in range(3):
            assert model.Session.execute(sa.text(setting)).one()[1] != "session"
            model.Session.rollback()
    finally:
        engine.dispose()


def test_asynchronous_commits_turned_off_by_configuration(monkeypatch):
    """``ckanext.datasud.harvest.asynchronous_commits = false``: the consumer's
    transactions commit as configured, each waiting for the disk."""
    import ckan.plugins.toolkit as tk
    from ckanext.datasud.harvesting import commits

    monkeypatch.setitem(tk.config, "ckanext.datasud.harvest.asynchronous_commits", False)
    model.Session.remove()
    with commits.asynchronous():
        source = model.Session.execute(sa.text(
            "select source from pg_settings where name = 'synchronous_commit'")).scalar()
        model.Session.rollback()
    assert source != "session"
