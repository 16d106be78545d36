"""Test helpers for harvesting: a real HTTP server on 127.0.0.1 serving catalogues, and
harvest runs through ckanext-harvest's gather / fetch / import stages (called in the
test process, as its own tests do, instead of through the Redis queues)."""
from __future__ import annotations

import contextlib
import http.server
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Union

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob, HarvestSource
from ckanext.harvest.tests.lib import run_harvest_job


@dataclass
class Page:
    body: Union[bytes, str, Callable[[], Any]] = b""
    content_type: str = "text/turtle"
    status: int = 200
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (slow servers)


class LocalServer:
    """A threaded HTTP server on 127.0.0.1:<free port>, serving with ``handler`` (a
    ``BaseHTTPRequestHandler`` class); a context manager."""

    def _serve(self, handler: type) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return path if path.startswith("http") else f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class CatalogueServer(LocalServer):
    """Serves ``pages``: a path (with its query string) → a :class:`Page`; they can change
    between two harvests."""

    def __init__(self):
        self.pages: dict[str, Page] = {}
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, with_body: bool):
                server.requests.append(self.path)
                page = server.pages.get(self.path) or server.pages.get(self.path.split("?")[0])
                if page is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if page.delay:
                    time.sleep(page.delay)
                body = page.body() if callable(page.body) else page.body
                if callable(getattr(body, "__next__", None)):  # a generator: streamed, no length
                    self.send_response(page.status)
                    self.send_header("Content-Type", page.content_type)
                    for key, value in page.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    if with_body:
                        try:
                            for chunk in body:
                                self.wfile.write(chunk)
                        except (BrokenPipeError, ConnectionResetError):
                            pass
                    return
                data = body.encode("utf-8") if isinstance(body, str) else body
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in page.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if with_body:
                    try:
                        self.wfile.write(data)
                    except (BrokenPipeError, ConnectionResetError):
                        pass

            def do_GET(self):
                self._answer(True)

            def do_HEAD(self):
                self._answer(False)

            def log_message(self, *args):
                pass

        self._serve(Handler)


@contextlib.contextmanager
def allowed_hosts(*hosts: str):
    """Let harvests reach these ``host:port`` (test servers on 127.0.0.1)."""
    key = "ckanext.datasud.harvest.allowed_hosts"
    before = tk.config.get(key)
    tk.config[key] = " ".join(hosts)
    try:
        yield
    finally:
        tk.config[key] = before


def config_with(tmp_path: Path, name: str, **options) -> Path:
    """test.ini with a few options changed, for the processes a test starts."""
    from tests.conftest import TEST_INI

    ini = tmp_path / f"{name}.ini"
    test_ini = TEST_INI.read_text()
    logging_sections = test_ini[test_ini.index("[loggers]"):]  # CKAN's commands read them from this file
    ini.write_text("[app:main]\n" f"use = config:{TEST_INI}\n"
                   + "".join(f"{key} = {value}\n" for key, value in options.items()) + "\n" + logging_sections)
    return ini


def ckan_command(ini: Path) -> list[str]:
    """``ckan -c <ini>``, run by this Python (the virtual environment's CKAN)."""
    import sys

    return [sys.executable, "-c", "import sys; from ckan.cli.cli import ckan; sys.exit(ckan())", "-c", str(ini)]


def consumers_waiting(client) -> int:
    """Harvest consumers blocked on this Redis waiting for a message (0 if Redis is down)."""
    import redis

    try:
        return sum(1 for c in client.client_list() if c.get("cmd") in ("blpop", "brpop"))
    except redis.RedisError:
        return 0


def create_source(user: dict, organization: dict, url: str, source_type: str = "datasud_dcat",
                  frequency: str = "MANUAL", **settings: Any) -> dict:
    """A harvest source created through the API as ``user``; ``settings`` are the
    DataSud source fields (publication_mode, validation, default_themes...)."""
    data = {"url": url, "name": f"source-{organization['name']}-{int(time.time() * 1000) % 10**9}",
            "title": f"Catalogue de {organization['title']}", "source_type": source_type,
            "owner_org": organization["id"], "frequency": frequency}
    data.update(settings)
    return tk.get_action("harvest_source_create")({"user": user["name"]}, data)


def run(source: dict) -> dict[str, Any]:
    """One harvest job of ``source`` through the gather, fetch and import stages; returns
    ``{"job": <harvest_job_show with stats>, "objects": <result per guid>}``."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    job_dict = tk.get_action("harvest_job_create")(
        {"user": site_user["name"]}, {"source_id": source["id"], "run": False})
    job = HarvestJob.get(job_dict["id"])
    harvester = queue.get_harvester(HarvestSource.get(source["id"]).type)
    objects = run_harvest_job(job, harvester)
    model.Session.remove()
    job_dict = tk.get_action("harvest_job_show")({"user": site_user["name"]}, {"id": job_dict["id"]})
    return {"job": job_dict, "objects": objects}


def gather_job(source: dict) -> dict:
    """A new harvest job of ``source``, gathered as the gather consumer does (its records
    queued in Redis, as pages are saved)."""
    queue.purge_queues()
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    job = tk.get_action("harvest_job_create")({"user": site_user["name"]}, {"source_id": source["id"]})
    gather = queue.get_gather_consumer()
    queue.gather_callback(gather, *next(gather.consume(queue.get_gather_queue_name())))
    return job


def import_in_batches(limit: int) -> int:
    """What DataSud's fetch consumer loop does with the records waiting in the queue:
    batches of ``limit`` (harvesting/batches.py); returns the batches taken."""
    from ckanext.datasud.harvesting import queueing
    fetch = queue.get_fetch_consumer()
    taken = 0
    while fetch.redis.llen(fetch.routing_key):
        first = next(fetch.consume(queue.get_fetch_queue_name()))
        queueing.import_messages(fetch, queueing.take(fetch, first, limit))
        taken += 1
    return taken


def finish_job(source: dict, job: dict) -> dict:
    """``harvest_jobs_run`` (the job marked finished), then the job with its stats."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    tk.get_action("harvest_jobs_run")({"user": site_user["name"]}, {"source_id": source["id"]})
    model.Session.remove()
    return tk.get_action("harvest_job_show")({"user": site_user["name"]}, {"id": job["id"]})


def run_in_batches(source: dict, limit: int = 20) -> dict[str, Any]:
    """One harvest job of ``source`` as DataSud's consumers run it: gathered, its records
    imported in batches of ``limit``, then finished; ``{"job": <harvest_job_show>}``."""
    job = gather_job(source)
    import_in_batches(limit)
    return {"job": finish_job(source, job)}


def gather_errors(job: dict) -> list[str]:
    report = tk.get_action("harvest_job_report")({"ignore_auth": True}, {"id": job["id"]})
    return [e["message"] for e in report["gather_errors"]]


def object_errors(job: dict) -> list[str]:
    report = tk.get_action("harvest_job_report")({"ignore_auth": True}, {"id": job["id"]})
    return [e["message"] for obj in report["object_errors"].values() for e in obj["errors"]]


def source_datasets(source: dict, include_private: bool = True) -> list[dict]:
    result = tk.get_action("package_search")({"ignore_auth": True}, {
        "fq": f'harvest_source_id:"{source["id"]}"', "rows": 1000, "include_private": include_private})
    return result["results"]


def wait_for(predicate: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def harvested_count(job: dict, status: str) -> int:
    return (job.get("stats") or {}).get(status, 0)


def has_warning(messages: list[str], *parts: str) -> bool:
    """Whether one of the messages contains every part."""
    return any(all(part in message for part in parts) for message in messages)


def resources_by_name(dataset: dict) -> dict[str, dict]:
    return {r["name"]: r for r in dataset["resources"]}


def harvest_twice(pages: dict[str, Page], first: str, **settings: Any) -> dict[str, Any]:
    """A partner's catalogue (``pages``, by path and query) served from a real HTTP server
    and harvested twice by a new source of a new partner, starting at path ``first``,
    with the DataSud source ``settings`` (validation by convention unless given): the
    first job, the datasets by title, its report, the second job (the catalogue unchanged)
    and the paths the server was asked for."""
    from ckan.tests import factories as ckan_factories
    from ckanext.datasud.harvesting import reports
    from tests import factories

    partner, sysadmin = factories.Organization(), ckan_factories.Sysadmin()
    with CatalogueServer() as server, allowed_hosts(server.host):
        server.pages.update(pages)
        source = create_source(sysadmin, partner, server.url(first), **{"validation": "convention", **settings})
        job = run(source)["job"]
        datasets = {d["title"]: d for d in source_datasets(source)}
        again = run(source)["job"]
    return {"job": job, "datasets": datasets, "report": reports.job_report(job["id"]), "again": again,
            "requests": list(server.requests), "source": source, "url": server.url(first)}


def warnings_naming(harvested: dict[str, Any], title: str) -> list[str]:
    """The job report's warnings about the record of this title."""
    return [w["message"] for w in harvested["report"]["warnings"] if f"« {title} »" in w["message"]]
