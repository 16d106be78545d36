"""Fault tests (issue 10, items 14-16): Solr unreachable, Redis down, a worker killed
mid-copy — against real services, without ever stopping the shared ones the other tests
use:

- Solr: CKAN pointed at a closed port (connection refused) or at a TCP server that
  accepts and never answers (time-out);
- Redis: a throwaway ``redis-server`` of this module, killed, frozen (SIGSTOP) and
  restarted, as the broker of a CKAN process and of Celery workers started here;
- workers: real Celery worker processes, SIGKILLed in the middle of a file copy.

Each test records what it did and what it observed (status codes, durations, counts) in
``test-artifacts/fault-table.md``, the fault table of docs/security.md.
"""
from __future__ import annotations

import datetime as dt
import email.header
import html
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.search import SolrSettings
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud import outbox, redis_client
from ckanext.datasud.celery_app import make_celery
from ckanext.datasud.harvesting import download
from ckanext.datasud.model import OutboxMessage, Review
from tests import factories
from tests.conftest import ROOT
from tests.harvesting import LocalServer, allowed_hosts, ckan_command, config_with, consumers_waiting, wait_for

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

FAULT_TABLE = ROOT / "test-artifacts" / "fault-table.md"
_observed: dict[str, tuple[str, str]] = {}


def record(scenario: str, done: str, observed: str) -> None:
    _observed[scenario] = (done, observed)


@pytest.fixture(scope="module", autouse=True)
def fault_table():
    """Writes the rows observed by this run into the fault table (rows of scenarios not
    run this time are kept from the previous run)."""
    yield
    if not _observed:
        return
    rows: dict[str, tuple[str, str]] = {}
    if FAULT_TABLE.exists():
        for line in FAULT_TABLE.read_text().splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if len(cells) == 3 and line.startswith("| ") and cells[0] not in ("scenario", "---"):
                rows[cells[0]] = (cells[1], cells[2])
    rows.update(_observed)
    FAULT_TABLE.parent.mkdir(exist_ok=True)
    lines = [
        "# Fault table",
        "",
        f"Written by tests/test_faults.py (last run {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC), "
        "from what the tests observed against real PostgreSQL, Solr, Redis and Celery workers.",
        "",
        "| scenario | what was done | what was observed |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {scenario} | {done} | {seen} |" for scenario, (done, seen) in sorted(rows.items())]
    FAULT_TABLE.write_text("\n".join(lines) + "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Solr unreachable -----------------------------------------------------------------------

class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.clients: list[socket.socket] = []
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.clients.append(client)

    def close(self):
        self.closed.set()
        for client in self.clients:
            client.close()
        self.sock.close()


@pytest.fixture(params=["refused", "silent"])
def solr_down(request, monkeypatch):
    """CKAN's Solr unreachable: a closed port, or a server that never answers (CKAN's
    ``solr_timeout`` set to 2 s so that the test does not wait a minute)."""
    silent = None
    if request.param == "refused":
        url = f"http://127.0.0.1:{free_port()}/solr/ckan_test"
    else:
        silent = SilentServer()
        url = f"http://127.0.0.1:{silent.port}/solr/ckan_test"
        monkeypatch.setitem(tk.config, "solr_timeout", 2)
    SolrSettings.init(url)
    try:
        yield request.param
    finally:
        SolrSettings.init(tk.config.get("solr_url"), tk.config.get("solr_user"), tk.config.get("solr_password"))
        if silent:
            silent.close()


@pytest.fixture
def published():
    org = factories.Organization()
    return factories.Dataset(owner_org=org["id"], title="Cales de mise à l'eau du Var")


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


SOLR_FAULT = {"refused": "Solr refuses connections (closed port)",
              "silent": "Solr accepts and never answers (solr_timeout 2 s)"}


def test_reads_degrade_gracefully_when_solr_is_unreachable(app, published, solr_down):
    started = time.monotonic()
    home = app.get("/")
    search = app.get("/dataset/")
    organization = app.get(f"/organization/{published['organization']['name']}")
    page = app.get(f"/dataset/{published['name']}")
    api_search = app.post("/api/3/action/package_search", json={"q": "cales"})
    api_show = app.get(f"/api/3/action/package_show?id={published['name']}")
    seconds = time.monotonic() - started

    # the home page renders, with the notice and what PostgreSQL gives
    assert home.status_code == 200
    assert "La recherche est momentanément indisponible" in text_of(home)
    assert "Cales de mise à l'eau du Var" in text_of(home)
    # search pages: 503, in French, retry later
    for response in (search, organization):
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "60"
        assert "La recherche est momentanément indisponible" in text_of(response)
    # a dataset page reads PostgreSQL
    assert page.status_code == 200 and "Cales de mise à l'eau du Var" in text_of(page)
    # the API: a JSON 503 with a French message where Solr is needed
    assert api_search.status_code == 503 and api_search.headers["Retry-After"] == "60"
    body = api_search.json
    assert body["success"] is False
    assert body["error"]["message"].startswith("La recherche est momentanément indisponible")
    assert "solr" not in api_search.get_data(as_text=True).lower()
    assert api_show.status_code == 200 and api_show.json["result"]["id"] == published["id"]
    record(f"14. {SOLR_FAULT[solr_down]}: reads",
           "GET /, /dataset/, /organization/<org>, /dataset/<name>; API package_search, package_show",
           f"/ {home.status_code} with the French notice and the latest datasets from PostgreSQL; "
           f"/dataset/ {search.status_code}, /organization/<org> {organization.status_code} "
           f"(« recherche indisponible », Retry-After 60); /dataset/<name> {page.status_code}; "
           f"API package_search {api_search.status_code} JSON in French, package_show {api_show.status_code}; "
           f"6 requests in {seconds:.1f} s")


def test_writes_are_refused_with_a_503_and_store_nothing_when_solr_is_unreachable(app, published, solr_down):
    admin = ckan_factories.SysadminWithToken()
    headers = {"Authorization": admin["token"]}
    datasets_before = model.Session.query(model.Package).count()
    reviews_before = model.Session.query(Review).count()

    created = app.post("/api/3/action/package_create", headers=headers, json={
        "name": f"nouveau-{uuid.uuid4().hex[:8]}", "title": "Nouveau", "notes": "Un jeu de données.",
        "owner_org": published["owner_org"], "themes": ["culture-tourisme"], "private": True})
    patched = app.post("/api/3/action/package_patch", headers=headers,
                       json={"id": published["id"], "title": "Titre changé"})
    withdrawn = app.post("/api/3/action/datasud_workflow_withdraw", headers=headers,
                         json={"id": published["id"], "comment": "retrait"})

    for response in (created, patched, withdrawn):
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.json["error"]["message"] == (
            "La recherche est momentanément indisponible : rien n'a été enregistré. "
            "Réessayez dans quelques minutes.")
    model.Session.expire_all()
    assert model.Session.query(model.Package).count() == datasets_before
    assert model.Package.get(published["id"]).title == "Cales de mise à l'eau du Var"
    assert model.Package.get(published["id"]).private is False
    assert model.Session.query(Review).count() == reviews_before
    record(f"14. {SOLR_FAULT[solr_down]}: writes",
           "API package_create, package_patch, datasud_workflow_withdraw by a sysadmin",
           f"{created.status_code}, {patched.status_code}, {withdrawn.status_code} with a French message; "
           "no dataset, change or workflow record reached PostgreSQL")


# --- Redis down ---------------------------------------------------------------------------------

class RedisServer:
    """A throwaway redis-server on a free port (no persistence)."""

    def __init__(self, tmp: Path):
        self.port = free_port()
        self.tmp = tmp
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.answers(), timeout=20, what="the throwaway redis-server")
        return self

    def answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1).ping()
        except redis.RedisError:
            return False

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(port=self.port, db=db, socket_timeout=5)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(10)

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.kill()


class Worker:
    """A real Celery worker process of DataSud (solo pool) with its own configuration."""

    def __init__(self, ini: Path, broker: str, queue: str | None = None, env: dict | None = None):
        self.ini, self.broker, self.queue, self.env = ini, broker, queue, env or {}
        self.hostname = f"datasud-faults-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        self.control = make_celery({"ckanext.datasud.celery.broker_url": broker}).control
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        command = [sys.executable, "-m", "celery", "--app", "ckanext.datasud.celery_app", "worker", "--pool", "solo",
                   "--loglevel", "INFO", "--hostname", self.hostname, "--without-gossip", "--without-mingle"]
        if self.queue:
            command += ["--queues", self.queue]
        self.log = open(ROOT / "var" / "log" / f"test-faults-worker-{self.hostname.split('@')[0]}.log", "w")
        self.process = subprocess.Popen(command, env=dict(os.environ, CKAN_INI=str(self.ini), **self.env),
                                        cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

        def answers():
            assert self.process.poll() is None, f"the worker stopped: see {self.log.name}"
            return self.control.ping(destination=[self.hostname], timeout=1)
        wait_for(answers, timeout=90, what="the Celery worker")
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


DECIDE = """
import json, sys, time
from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app
import ckan.plugins.toolkit as tk
app = make_app(CKANConfigLoader(sys.argv[1]).get_config())
with app._wsgi_app.test_request_context():
    # warm-up (first queries, first Solr connection), so that the time below is the decision's
    tk.get_action("datasud_workflow_show")({"user": sys.argv[2]}, {"id": sys.argv[3]})
    tk.get_action("package_search")({"user": sys.argv[2]}, {"q": "*:*", "rows": 1})
    started = time.monotonic()
    shown = tk.get_action("datasud_workflow_submit")({"user": sys.argv[2]}, {"id": sys.argv[3]})
    print(json.dumps({"state": shown["state"], "seconds": time.monotonic() - started}))
"""


def member_of(group_name: str) -> dict:
    user = ckan_factories.User()
    if model.Group.get(group_name) is None:
        ckan_factories.Group(name=group_name)
    helpers.call_action("group_member_create", id=group_name, username=user["name"], role="member")
    return user


def header(value) -> str:
    return str(email.header.make_header(email.header.decode_header(value or "")))


def outbox_rows() -> list[OutboxMessage]:
    model.Session.expire_all()
    return model.Session.query(OutboxMessage).order_by(OutboxMessage.created).all()


@pytest.mark.parametrize("fault", ["killed", "frozen"])
def test_a_workflow_decision_with_redis_down_does_not_block_and_its_emails_are_sent_when_redis_is_back(
        tmp_path, own_redis, worker_mailbox, fault):
    org = factories.Organization()
    editor, legal = ckan_factories.User(), member_of("service-juridique")
    helpers.call_action("organization_member_create", id=org["id"], username=editor["name"], role="editor")
    dataset = factories.Dataset(owner_org=org["id"], private=True, title=f"Cinémas {fault}")
    broker = f"{own_redis.url}/3"
    ini = config_with(tmp_path, "redis-down", **{"ckanext.datasud.celery.broker_url": broker})
    env = dict(os.environ, CKAN_INI=str(ini))

    own_redis.kill() if fault == "killed" else own_redis.freeze()
    started = time.monotonic()
    decided = subprocess.run([sys.executable, "-c", DECIDE, str(ini), editor["name"], dataset["id"]],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    wall = time.monotonic() - started
    assert decided.returncode == 0, decided.stderr[-3000:]
    answer = json.loads(decided.stdout.strip().splitlines()[-1])
    assert answer["state"] == "submitted"

    # the decision is recorded, its e-mails wait in PostgreSQL
    review = model.Session.query(Review).filter_by(package_id=dataset["id"], transition="submit").one()
    kept = outbox_rows()
    assert [(row.task, row.arguments["args"]) for row in kept] == [("datasud.notify_transition", [review.id])]
    kept_error = kept[0].last_error
    assert kept_error

    # Redis back: the outbox is flushed to a worker, which sends the e-mails
    if fault == "killed":
        own_redis.start()
    else:
        own_redis.thaw()
    worker = Worker(ini, broker, env={"CKAN_SMTP_PORT": str(worker_mailbox.port)}).start()
    try:
        flushed = subprocess.run(ckan_command(ini) + ["datasud", "outbox", "--flush"],
                                 env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert flushed.returncode == 0, flushed.stdout + flushed.stderr[-2000:]
        assert "queued: 1; still kept: 0" in flushed.stdout
        assert outbox_rows() == []
        subject = f"[DataSud] À valider : Cinémas {fault}"
        mail = wait_for(lambda: [m for m in worker_mailbox.messages if legal["email"] in header(m["To"])
                                 and header(m["Subject"]) == subject], timeout=60, what="the e-mail")
    finally:
        worker.stop()
    assert len(mail) == 1
    what = "killed" if fault == "killed" else "frozen (SIGSTOP: accepts connections, never answers)"
    record(f"15. Redis {what} during a workflow decision",
           "an editor submits a dataset (datasud_workflow_submit in a CKAN process whose broker is that Redis); "
           "then Redis back, a worker started, `ckan datasud outbox --flush`",
           f"the decision answered in {answer['seconds']:.1f} s (process {wall:.0f} s with CKAN's start), state "
           f"submitted; its e-mail task kept in datasud_outbox ({kept_error.split(':')[0]}); "
           f"flushed: 1 queued, 0 kept; the legal reviewer received « {subject} »")


def test_the_next_task_queued_drains_the_outbox_first():
    """Once the broker takes a task again, what the outbox kept goes first (beat's
    ``datasud.drain_outbox`` runs the same ``outbox.drain``)."""
    from ckanext.datasud.celery_app import app as celery
    from ckanext.datasud.tasks import ping

    queue = f"faults-{uuid.uuid4().hex[:8]}"
    outbox.keep("datasud.ping", [], {}, queue, ConnectionError("Redis down"))
    assert [row.task for row in outbox_rows()] == ["datasud.ping"]
    client = redis.Redis.from_url(celery.conf.broker_url)
    try:
        assert outbox.send(ping, queue=queue) is True
        assert outbox_rows() == []
        assert client.llen(queue) == 2  # the kept one and the new one, in the shared test broker
    finally:
        client.delete(queue, f"_kombu.binding.{queue}")


def test_a_lock_is_kept_by_its_working_holder_beyond_its_ttl(monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.datasud.harvest.lock_seconds", 1)
    key = f"faults-{uuid.uuid4().hex}"
    with download.dataset_lock(key) as held:
        assert held is not None
        time.sleep(2.5)  # more than two TTLs: only the heartbeat keeps it
        with download.dataset_lock(key) as other:
            assert other is None
    with download.dataset_lock(key) as again:
        assert again is not None


# --- Harvest consumers ---------------------------------------------------------------------------

def test_the_harvest_consumers_reconnect_by_themselves_after_redis_restarts(tmp_path, own_redis):
    from ckanext.harvest.queue import get_gather_routing_key

    ini = config_with(tmp_path, "harvest-mq", **{"ckan.harvest.mq.hostname": "127.0.0.1",
                                               "ckan.harvest.mq.port": own_redis.port,
                                               "ckan.harvest.mq.redis_db": 0})
    env = dict(os.environ, CKAN_INI=str(ini))
    ckan = ckan_command(ini)
    log_path = ROOT / "var" / "log" / "test-faults-harvest-consumer.log"
    with open(log_path, "w") as log:
        raw = subprocess.Popen(ckan + ["harvester", "gather-consumer"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        supervised = subprocess.Popen(ckan + ["datasud", "harvest-consumer", "gather"], env=env, cwd=ROOT,
                                      stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: consumers_waiting(own_redis.client()) == 2, timeout=90, what="both consumers waiting on Redis")
        own_redis.kill()
        raw_code = raw.wait(60)
        own_redis.start()
        wait_for(lambda: consumers_waiting(own_redis.client()) == 1, timeout=120, what="the supervised consumer back")
        assert supervised.poll() is None
        # and it consumes: a gather message for a job that does not exist is taken off the queue
        key = get_gather_routing_key()
        own_redis.client().rpush(key, json.dumps({"harvest_job_id": str(uuid.uuid4())}))
        wait_for(lambda: own_redis.client().llen(key) == 0, timeout=30, what="the message consumed")
    finally:
        for process in (raw, supervised):
            if process.poll() is None:
                process.terminate()
                process.wait(30)
    restarts = log_path.read_text().count("starting it again")
    assert raw_code != 0 and restarts >= 1
    record("15. Redis restarted under the harvest consumers",
           "`ckan harvester gather-consumer` and `ckan datasud harvest-consumer gather` on a throwaway Redis, "
           "killed then started again",
           f"the raw consumer exited (code {raw_code}) and stayed down; the supervised one was started again "
           f"({restarts} restart(s) with back-off), waited on Redis again and consumed a gather message")


def test_a_page_queued_while_redis_is_down_is_left_for_the_end_of_the_gather(own_redis, monkeypatch):
    """DataSud's gather consumer queues each page's records as the page is saved
    (harvesting/queueing.py): with the harvest queue's Redis gone, a page's ids are given
    back to the gather (the stock callback sends them at its end, and harvest_jobs_run
    sends again what is still waiting): no exception, no record lost."""
    from ckanext.harvest.queue import get_fetch_routing_key

    from ckanext.datasud.harvesting import queueing

    for key, value in (("ckan.harvest.mq.hostname", "127.0.0.1"), ("ckan.harvest.mq.port", own_redis.port),
                       ("ckan.harvest.mq.redis_db", 0)):
        monkeypatch.setitem(tk.config, key, value)
    first, second = [str(uuid.uuid4()) for _ in range(3)], [str(uuid.uuid4()) for _ in range(3)]
    assert queueing.queue_page(first) == first  # outside the gather consumer: nothing queued here
    assert own_redis.client().llen(get_fetch_routing_key()) == 0
    with queueing.queueing_pages():
        assert queueing.queue_page(first) == []
        queued = [json.loads(v)["harvest_object_id"] for v in own_redis.client().lrange(get_fetch_routing_key(), 0, -1)]
        assert queued == first
        own_redis.kill()
        assert queueing.queue_page(second) == second
    record("15. Redis gone while a gathered page is queued by the gather consumer",
           "queueing.queue_page under the gather consumer, the harvest queue's Redis killed",
           "the page's ids given back to the gather (sent at its end, or again by harvest_jobs_run): "
           "no exception, nothing lost")


# --- A worker killed mid-copy -------------------------------------------------------------------

class StallingFileServer(LocalServer):
    """Serves one CSV; the first request gets the headers and a first chunk, then waits
    (a copy in progress) until released."""

    BODY = "commune;cales\n" + "".join(f"Commune {i};{i % 7}\n" for i in range(2000))

    def __init__(self):
        self.requests = 0
        self.release = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                body = server.BODY.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if server.requests == 1:
                        self.wfile.write(body[:100])
                        self.wfile.flush()
                        server.release.wait(300)
                        return
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self._serve(Handler)


def test_a_worker_killed_mid_copy_frees_the_dataset_and_the_copy_is_delivered_again(tmp_path, own_redis):
    queue = f"faults-downloads-{uuid.uuid4().hex[:8]}"
    broker = f"{own_redis.url}/3"
    with StallingFileServer() as files, allowed_hosts(files.host):
        org = factories.Organization()
        dataset = factories.Dataset(owner_org=org["id"], private=True, resources=[
            {"url": files.url("/cales.csv"), "name": "Cales", "format": "CSV"}])
        resource_id = dataset["resources"][0]["id"]
        ini = config_with(tmp_path, "worker-killed", **{
            "ckanext.datasud.celery.broker_url": broker,
            "ckanext.datasud.celery.visibility_timeout": 10,
            "ckanext.datasud.harvest.lock_seconds": 6,
            "ckanext.datasud.harvest.allowed_hosts": files.host,
            "ckanext.datasud.harvest.download_queue": queue,
            "ckan.storage_path": tk.config["ckan.storage_path"]})
        first = Worker(ini, broker, queue).start()
        second = Worker(ini, broker, queue)
        try:
            make_celery({"ckanext.datasud.celery.broker_url": broker}).send_task(
                "datasud.sync_downloads", args=[dataset["id"], [resource_id]], queue=queue)
            wait_for(lambda: files.requests == 1, timeout=60, what="the copy to start")
            delivered = time.monotonic()  # the task was delivered a little before
            lock_key = download.LOCK_KEY.format(dataset["id"])
            assert redis_client.connection().exists(lock_key)
            first.kill()
            killed = time.monotonic()
            # A worker looks for expired deliveries when it starts polling, then only every
            # 10th time (about every 100 s): the replacement starts once the delivery has
            # expired (visibility_timeout, 10 s here), as a restarted worker would.
            time.sleep(max(0.0, delivered + 11 - time.monotonic()))
            second.start()

            def copied():
                model.Session.expire_all()
                extras = model.Resource.get(resource_id).extras or {}
                return extras if extras.get("copy_status") == "copied" else None
            extras = wait_for(copied, timeout=180, what="the copy delivered again")
            seconds = time.monotonic() - killed
        finally:
            files.release.set()
            first.kill()
            second.stop()
    resource = model.Resource.get(resource_id)
    assert resource.url_type == "upload" and resource.size == len(StallingFileServer.BODY.encode())
    assert extras["source_url"] == files.url("/cales.csv")
    assert files.requests == 2
    record("16. Celery worker SIGKILLed in the middle of a file copy",
           "a worker copying a partner's file (server stalled mid-body) killed with SIGKILL, another worker started "
           "(visibility_timeout 10 s and lock TTL 6 s in this test; defaults 1200 s and 60 s), the other worker "
           "started once the delivery had expired",
           f"the dataset's lock expired with its holder; the unacknowledged task was delivered again and the copy "
           f"finished {seconds:.0f} s after the kill (a running worker looks for expired deliveries about every 100 s); "
           "2 requests to the partner, file stored once")
