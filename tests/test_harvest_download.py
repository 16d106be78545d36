"""Download mode of harvest sources: partners' files copied into DataSud's storage and
kept in sync (harvesting/download.py).

Real HTTP servers on 127.0.0.1 serve the catalogue and the files (with ETag,
Last-Modified and conditional GET); the Celery tasks the harvest queues are taken from
their queue (one per test) and run eagerly in the test process, and once by a real
worker process.
"""
from __future__ import annotations

import hashlib
import http.server
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

import pytest
import redis
from bs4 import BeautifulSoup

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud import tasks
from ckanext.datasud.celery_app import app as celery
from tests import factories
from tests.conftest import ROOT, TEST_INI
from tests.harvesting import LocalServer, allowed_hosts, create_source, gather_errors, object_errors, run, wait_for

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

TEMPLATE = (Path(__file__).parent / "fixtures" / "download" / "catalogue.ttl").read_text()
EAU = "Qualité des eaux de baignade"
PISTES = "Pistes cyclables"
PLAGES = "Fréquentation des plages"
MAP, MAP_PATH = "Carte interactive", "/carte/pistes"  # a distribution given by its access URL only

EAU_CSV = "commune;plage;date;qualite\nNice;Castel;2026-07-01;excellente\nCannes;Midi;2026-07-01;bonne\n".encode()
PISTES_GEOJSON = (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"nom": '
                  b'"Promenade"}, "geometry": {"type": "LineString", "coordinates": [[7.26, 43.69], [7.27, 43.70]]}}]}')
PLAGES_CSV = "plage;juillet;aout\nCastel;12000;15000\n".encode()


# --- A partner's file server -------------------------------------------------------------

@dataclass
class File:
    body: bytes = b""
    content_type: str = "text/csv"
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    length: bool = True  # False: no Content-Length, the body ends with the connection
    fail_first: list = field(default_factory=list)  # statuses answered first, one per request


@dataclass
class Hit:
    path: str
    status: int
    if_none_match: Optional[str]
    if_modified_since: Optional[str]


class FileServer(LocalServer):
    """A threaded HTTP server on 127.0.0.1 serving ``files`` (path → :class:`File`) with
    conditional GET; ``hits`` logs every request and its answer."""

    def __init__(self):
        self.files: dict[str, File] = {}
        self.hits: list[Hit] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                file = server.files.get(self.path)
                inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
                if file is None:
                    status = 404
                elif file.fail_first:
                    status = file.fail_first.pop(0)
                elif file.etag and inm:
                    status = 304 if inm == file.etag else 200
                elif file.last_modified and ims:
                    status = 304 if ims == file.last_modified else 200
                else:
                    status = 200
                server.hits.append(Hit(self.path, status, inm, ims))
                self.send_response(status)
                if file is not None and status in (200, 304):
                    if file.etag:
                        self.send_header("ETag", file.etag)
                    if file.last_modified:
                        self.send_header("Last-Modified", file.last_modified)
                if status != 200:
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_header("Content-Type", file.content_type)
                if file.length:
                    self.send_header("Content-Length", str(len(file.body)))
                self.end_headers()
                try:
                    self.wfile.write(file.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self._serve(Handler)

    def hits_of(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]


def catalogue(files: FileServer, eau="/files/qualite-eau.csv", pistes="/files/pistes.geojson",
              plages="/files/plages.csv", note="") -> File:
    text = (TEMPLATE.replace("{EAU_URL}", files.url(eau)).replace("{PISTES_URL}", files.url(pistes))
            .replace("{PLAGES_URL}", files.url(plages)).replace("{MAP_URL}", files.url(MAP_PATH))
            .replace("{EAU_NOTE}", note))
    return File(text.encode("utf-8"), "text/turtle")


# --- The tasks' queue ------------------------------------------------------------------------

def queued(queue: str) -> list[tuple[str, list, dict]]:
    """Take the messages waiting in a Celery queue: (task name, args, kwargs)."""
    messages = []
    with celery.connection_for_read() as connection:
        simple = connection.SimpleQueue(queue, no_ack=True)
        try:
            while True:
                try:
                    message = simple.get(block=False)
                except simple.Empty:
                    break
                args, kwargs, _embed = message.payload
                messages.append((message.headers["task"], args, kwargs))
        finally:
            simple.close()
    return messages


class Eager:
    """Runs Celery tasks eagerly (``.apply()``), in the test's CKAN app (a request context
    pushed around each task only: the test client's requests need their own)."""

    def __init__(self, request_context):
        self.request_context = request_context

    def apply(self, task, *args, **kwargs):
        with self.request_context():
            return task.apply(args=args, kwargs=kwargs).get()

    def run_queued(self, queue: str) -> list[tuple[str, list]]:
        """Run, in order, the tasks waiting in ``queue`` and those they queue."""
        ran = []
        while True:
            messages = queued(queue)
            if not messages:
                return ran
            for name, args, kwargs in messages:
                ran.append((name, args))
                self.apply(celery.tasks[name], *args, **kwargs)


@pytest.fixture
def eager(test_request_context):
    return Eager(test_request_context)


def forget_queue(queue: str) -> None:
    client = redis.Redis.from_url(celery.conf.broker_url)
    client.delete(queue, f"_kombu.binding.{queue}")


@pytest.fixture
def queue(monkeypatch):
    """The copies of this test go to a queue of their own, that no worker consumes."""
    name = f"datasud-test-downloads-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(tk.config, "ckanext.datasud.harvest.download_queue", name)
    yield name
    forget_queue(name)


# --- Fixtures and tools ------------------------------------------------------------------------

@pytest.fixture
def files():
    with FileServer() as server, allowed_hosts(server.host):
        yield server


def download_source(partner, files: FileServer, **settings) -> dict:
    return create_source(partner["sysadmin"], partner["org"], files.url("/catalogue.ttl"),
                         publication_mode="download", validation="convention", **settings)


def harvest(source: dict) -> dict:
    result = run(source)
    assert gather_errors(result["job"]) == []
    assert object_errors(result["job"]) == []
    return result


def datasets(source: dict) -> dict[str, dict]:
    """The source's datasets by title, as package_show gives them now."""
    model.Session.remove()
    found = tk.get_action("package_search")({"ignore_auth": True}, {
        "fq": f'harvest_source_id:"{source["id"]}"', "rows": 100, "include_private": True})["results"]
    return {d["title"]: helpers.call_action("package_show", id=d["id"]) for d in found}


def resource(source: dict, title: str, name: Optional[str] = None) -> dict:
    """The data file of a dataset (the one named ``name`` if given)."""
    (res,) = [r for r in datasets(source)[title]["resources"] if r["name"] == name or (not name and r["name"] != MAP)]
    return res


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def served(app, res: dict) -> bytes:
    """The file CKAN serves at the resource's download URL."""
    response = app.get(urlsplit(res["url"]).path)
    assert response.status_code == 200
    return response.get_data()


def serve_the_three_files(files: FileServer) -> None:
    files.files["/catalogue.ttl"] = catalogue(files)
    files.files["/files/qualite-eau.csv"] = File(EAU_CSV, "text/csv; charset=utf-8", etag='"eau-v1"')
    files.files["/files/pistes.geojson"] = File(PISTES_GEOJSON, "application/geo+json",
                                                last_modified="Wed, 01 Jul 2026 08:00:00 GMT")
    files.files["/files/plages.csv"] = File(PLAGES_CSV, "application/octet-stream")  # no validators


# --- Copies after a harvest ----------------------------------------------------------------------

def test_harvest_queues_the_copies_and_the_files_are_served_by_datasud(eager, app, files, queue, partner):
    serve_the_three_files(files)
    source = download_source(partner, files)
    harvest(source)

    # the harvest fetched the catalogue only: the copies wait in the queue
    assert {h.path for h in files.hits} == {"/catalogue.ttl"}
    before = resource(source, EAU)
    assert before["url"] == files.url("/files/qualite-eau.csv")
    assert not before.get("url_type") and not before.get("copy_status")

    ran = eager.run_queued(queue)
    found = datasets(source)
    assert sorted(args[0] for _name, args in ran) == sorted(d["id"] for d in found.values())
    assert {name for name, _args in ran} == {"datasud.sync_downloads"}

    eau = resource(source, EAU)
    assert eau["id"] == before["id"]
    assert eau["url_type"] == "upload"
    assert eau["url"] == (f"{tk.config['ckan.site_url']}/dataset/{found[EAU]['id']}/resource/{eau['id']}"
                          "/download/qualite-eau.csv")
    assert served(app, eau) == EAU_CSV
    assert eau["source_url"] == files.url("/files/qualite-eau.csv")
    assert eau["size"] == len(EAU_CSV)
    assert eau["mimetype"] == "text/csv"
    assert eau["hash"] == sha256(EAU_CSV)
    assert eau["source_etag"] == '"eau-v1"'
    assert eau["copy_status"] == "copied" and "copy_error" not in eau
    assert eau["copy_mode"] == "copy"
    assert eau["copied_at"] and eau["last_modified"]
    assert "download_url" not in eau  # DataSud's copy is the download URL of its DCAT catalogue
    assert eau["access_url"] == files.url("/files/qualite-eau.csv")

    pistes = resource(source, PISTES)
    assert served(app, pistes) == PISTES_GEOJSON
    assert pistes["url"].endswith("/download/pistes.geojson")
    assert pistes["mimetype"] == "application/geo+json"
    assert pistes["source_last_modified"] == "Wed, 01 Jul 2026 08:00:00 GMT"
    assert pistes["hash"] == sha256(PISTES_GEOJSON)
    plages = resource(source, PLAGES)
    assert served(app, plages) == PLAGES_CSV
    assert plages["mimetype"] == "text/csv"  # a generic type from the server: the name's
    assert "source_etag" not in plages and "source_last_modified" not in plages
    # a distribution given by its access URL only is a page of the partner: a link
    carte = resource(source, PISTES, MAP)
    assert carte["url"] == files.url(MAP_PATH) and not carte.get("url_type") and "copy_status" not in carte
    assert files.hits_of(MAP_PATH) == []

    # the copy changed resource fields only: still published, no new validation
    dataset = found[EAU]
    assert dataset["private"] is False
    history = helpers.call_action("datasud_workflow_show", {"ignore_auth": True}, id=dataset["id"])
    assert history["state"] == "published"
    assert [h["transition"] for h in history["history"]] == ["harvest_publish"]
    public = app.get(f"/dataset/{dataset['name']}")
    assert public.status_code == 200


def test_missing_refused_or_too_large_files_stay_links_with_a_french_error(eager, files, queue, partner, monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.datasud.harvest.max_file_mb", "0.01")  # 10 KB
    files.files["/catalogue.ttl"] = catalogue(files, eau="/files/disparu.csv", plages="http://127.0.0.1:9/plages.csv")
    big = b"x;y\n" * 10000  # 40 KB, sent without Content-Length: stopped while streaming
    files.files["/files/pistes.geojson"] = File(big, "application/geo+json", length=False)
    source = download_source(partner, files)
    harvest(source)  # the harvest itself reports nothing: the copy comes after
    eager.run_queued(queue)

    eau = resource(source, EAU)
    assert eau["url"] == files.url("/files/disparu.csv") and not eau.get("url_type")
    assert eau["copy_status"] == "failed"
    assert eau["copy_error"] == f"Le serveur a répondu 404 Not Found pour {files.url('/files/disparu.csv')}."
    assert eau["source_url"] == files.url("/files/disparu.csv")
    assert len(files.hits_of("/files/disparu.csv")) == 1  # a client error is not retried

    pistes = resource(source, PISTES)
    assert pistes["url"] == files.url("/files/pistes.geojson") and not pistes.get("url_type")
    assert pistes["copy_status"] == "failed"
    assert pistes["copy_error"] == (f"Le fichier {files.url('/files/pistes.geojson')} dépasse la taille autorisée "
                                    "pour une copie sur DataSud (0.01 Mo).")
    assert len(files.hits_of("/files/pistes.geojson")) == 1

    plages = resource(source, PLAGES)
    assert plages["url"] == "http://127.0.0.1:9/plages.csv" and not plages.get("url_type")
    assert plages["copy_status"] == "failed"
    assert plages["copy_error"].startswith("Adresse refusée : 127.0.0.1 désigne une adresse interne")

    # the datasets are published all the same, their resources pointing to the partner
    assert all(d["private"] is False for d in datasets(source).values())


def test_server_errors_are_retried_then_recorded(eager, files, queue, partner):
    serve_the_three_files(files)
    files.files["/files/qualite-eau.csv"].fail_first = [503, 502]
    files.files["/files/pistes.geojson"].fail_first = [503] * 20
    source = download_source(partner, files)
    harvest(source)
    ran = eager.run_queued(queue)
    assert len(ran) == 3  # the retries run inside their first task (eager), none left queued

    eau = resource(source, EAU)
    assert [h.status for h in files.hits_of("/files/qualite-eau.csv")] == [503, 502, 200]
    assert eau["copy_status"] == "copied" and eau["hash"] == sha256(EAU_CSV)

    pistes = resource(source, PISTES)
    assert [h.status for h in files.hits_of("/files/pistes.geojson")] == [503] * 6  # first try, 5 retries
    assert pistes["copy_status"] == "failed" and not pistes.get("url_type")
    assert pistes["copy_error"] == (f"Le serveur a répondu 503 Service Unavailable pour "
                                    f"{files.url('/files/pistes.geojson')}.")
    # the other file of the run was fetched once
    assert len(files.hits_of("/files/plages.csv")) == 1


def test_retry_back_off_of_the_task():
    from ckanext.datasud.harvesting import download
    assert [download.retry_delay(n) for n in range(tasks.sync_downloads.max_retries)] == [60, 120, 240, 480, 960]


# --- Re-synchronisation ------------------------------------------------------------------------

def test_unchanged_files_are_not_downloaded_again_changed_ones_are(eager, app, files, queue, partner):
    serve_the_three_files(files)
    source = download_source(partner, files)
    harvest(source)
    eager.run_queued(queue)
    copied = {title: resource(source, title) for title in (EAU, PISTES, PLAGES)}
    files.hits.clear()

    # the source runs again on its schedule, its catalogue unchanged: no record is
    # rewritten, the re-synchronisation checks each file after the job
    harvest(source)
    assert queued(queue) == []
    eager.apply(tasks.resync_downloads)
    ran = eager.run_queued(queue)
    assert sorted(args[0] for _name, args in ran) == sorted(r["package_id"] for r in copied.values())
    eau_hits, pistes_hits, plages_hits = (files.hits_of(p) for p in (
        "/files/qualite-eau.csv", "/files/pistes.geojson", "/files/plages.csv"))
    assert [(h.status, h.if_none_match) for h in eau_hits] == [(304, '"eau-v1"')]
    assert [(h.status, h.if_modified_since) for h in pistes_hits] == [(304, "Wed, 01 Jul 2026 08:00:00 GMT")]
    assert [h.status for h in plages_hits] == [200]  # no validators: fetched, same checksum, kept
    for title, before in copied.items():
        after = resource(source, title)
        assert after == before, title  # nothing rewritten

    # checked already for this job: the next beat queues nothing
    eager.apply(tasks.resync_downloads)
    assert queued(queue) == []

    # the partner publishes new files; the next run of the source brings them
    new_eau = EAU_CSV + "Antibes;Salis;2026-07-02;bonne\n".encode()
    files.files["/files/qualite-eau.csv"] = File(new_eau, "text/csv", etag='"eau-v2"')
    new_plages = PLAGES_CSV + b"Midi;8000;9500\n"
    files.files["/files/plages.csv"] = File(new_plages, "text/csv")
    files.hits.clear()
    harvest(source)
    eager.apply(tasks.resync_downloads)
    eager.run_queued(queue)
    eau = resource(source, EAU)
    assert [h.status for h in files.hits_of("/files/qualite-eau.csv")] == [200]
    assert served(app, eau) == new_eau
    assert eau["id"] == copied[EAU]["id"]
    assert eau["hash"] == sha256(new_eau) != copied[EAU]["hash"]
    assert eau["size"] == len(new_eau)
    assert eau["source_etag"] == '"eau-v2"'
    assert eau["copied_at"] >= copied[EAU]["copied_at"]
    plages = resource(source, PLAGES)
    assert served(app, plages) == new_plages and plages["hash"] == sha256(new_plages)
    assert resource(source, PISTES) == copied[PISTES]


def test_a_new_harvest_keeps_the_local_copies(eager, app, files, queue, partner):
    serve_the_three_files(files)
    source = download_source(partner, files)
    harvest(source)
    eager.run_queued(queue)
    copied = {title: resource(source, title) for title in (EAU, PISTES, PLAGES)}
    files.hits.clear()

    # two records change: one in its description, one in its file's URL
    files.files["/catalogue.ttl"] = catalogue(files, pistes="/files/pistes-2026.geojson",
                                              note=" Mise à jour hebdomadaire.")
    files.files["/files/pistes-2026.geojson"] = File(PISTES_GEOJSON + b" ", "application/geo+json")
    harvest(source)
    assert {h.path for h in files.hits} == {"/catalogue.ttl"}
    found = datasets(source)
    assert found[EAU]["notes"].endswith("Mise à jour hebdomadaire.")
    eau = resource(source, EAU)
    kept = ("id", "url", "url_type", "size", "mimetype", "hash", "source_url", "source_etag", "copied_at",
            "copy_status", "copy_mode")
    assert {k: eau.get(k) for k in kept} == {k: copied[EAU].get(k) for k in kept}
    assert served(app, eau) == EAU_CSV
    pistes = resource(source, PISTES)
    assert pistes["url"] == files.url("/files/pistes-2026.geojson") and not pistes.get("url_type")

    ran = eager.run_queued(queue)
    assert sorted(args[0] for _name, args in ran) == sorted([found[EAU]["id"], found[PISTES]["id"]])
    assert [h.status for h in files.hits_of("/files/qualite-eau.csv")] == [304]
    assert resource(source, EAU) == eau
    pistes = resource(source, PISTES)
    assert pistes["url_type"] == "upload" and pistes["url"].endswith("/download/pistes-2026.geojson")
    assert pistes["source_url"] == files.url("/files/pistes-2026.geojson")
    assert served(app, pistes) == PISTES_GEOJSON + b" "
    assert pistes["hash"] == sha256(PISTES_GEOJSON + b" ")


# --- A resource attached by URL from the dataset form ------------------------------------------

def form_fields(html: bytes, form_id: str = "resource-edit") -> dict[str, str]:
    """What a browser posts for a form as it is shown (no file chosen)."""
    form = BeautifulSoup(html, "html.parser").find("form", id=form_id)
    data = {}
    for field_ in form.find_all(["input", "select", "textarea"]):
        name = field_.get("name")
        if not name or field_.get("type") == "file":
            continue
        if field_.name == "select":
            option = field_.find("option", selected=True) or field_.find("option")
            data[name] = option.get("value", "") if option else ""
        elif field_.name == "textarea":
            data[name] = field_.get_text()
        elif field_.get("type") in ("radio", "checkbox"):
            if field_.has_attr("checked"):
                data[name] = field_.get("value", "on")
        else:
            data[name] = field_.get("value", "")
    return data


def test_a_partner_attaches_a_file_by_url_copied_and_kept_up_to_date(eager, app, files, queue, monkeypatch):
    editor = ckan_factories.User()
    headers = {"Authorization": ckan_factories.APIToken(user=editor["name"])["token"]}
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = factories.Dataset(owner_org=org["id"], title="Budget primitif")
    files.files["/exports/budget.csv"] = File(b"chapitre;montant\n011;1200000\n", "text/csv", etag='"b1"')

    form = app.get(f"/dataset/{dataset['name']}/resource/new", headers=headers)
    page = form.get_data(as_text=True)
    assert "Copie sur DataSud" in page and "Oui : par URL, copiée et tenue à jour" in page
    assert 'name="source_url"' not in page  # recorded by the copy, not typed in

    created = app.post(f"/dataset/{dataset['name']}/resource/new", headers=headers, follow_redirects=False, data={
        "id": "", "save": "go-dataset-complete", "url_type": "", "url": files.url("/exports/budget.csv"),
        "name": "Budget 2026", "resource_type": "data", "copy_mode": "copy"})
    assert created.status_code == 302
    (res,) = helpers.call_action("package_show", id=dataset["id"])["resources"]
    assert res["url"] == files.url("/exports/budget.csv") and res["copy_mode"] == "copy"
    assert files.hits == []  # saving the form does not wait for the partner's server

    assert eager.run_queued(queue) == [("datasud.sync_downloads", [dataset["id"], [res["id"]]])]
    model.Session.remove()
    res = helpers.call_action("resource_show", id=res["id"])
    assert res["url_type"] == "upload" and res["url"].endswith("/download/budget.csv")
    assert served(app, res) == b"chapitre;montant\n011;1200000\n"
    assert res["hash"] == sha256(b"chapitre;montant\n011;1200000\n")
    assert res["source_url"] == files.url("/exports/budget.csv")
    assert helpers.call_action("package_show", id=dataset["id"])["private"] is False
    shown = app.get(f"/dataset/{dataset['name']}/resource/{res['id']}").get_data(as_text=True)
    assert "Copié sur DataSud" in shown and "Adresse d&#39;origine du fichier" in shown
    assert files.url("/exports/budget.csv") in shown

    # an edit through the form keeps the copy and what was recorded about it
    edit_url = f"/dataset/{dataset['name']}/resource/{res['id']}/edit"
    data = form_fields(app.get(edit_url, headers=headers).get_data())
    assert data["url_type"] == "upload" and data["copy_mode"] == "copy"
    data["description"] = "Budget voté le 12 décembre."
    data["save"] = ""  # the button clicked
    assert app.post(edit_url, headers=headers, data=data, follow_redirects=False).status_code == 302
    model.Session.remove()
    edited = helpers.call_action("resource_show", id=res["id"])
    assert edited["description"] == "Budget voté le 12 décembre."
    for key in ("url", "url_type", "hash", "size", "source_url", "source_etag", "copied_at", "copy_status"):
        assert edited[key] == res[key], key
    assert queued(queue) == []

    # re-synchronised periodically: not before ckanext.datasud.harvest.resync_hours
    files.hits.clear()
    eager.apply(tasks.resync_downloads)
    assert queued(queue) == []
    monkeypatch.setitem(tk.config, "ckanext.datasud.harvest.resync_hours", "0")
    files.files["/exports/budget.csv"] = File(b"chapitre;montant\n011;1250000\n", "text/csv", etag='"b2"')
    eager.apply(tasks.resync_downloads)
    assert eager.run_queued(queue) == [("datasud.sync_downloads", [dataset["id"], [res["id"]]])]
    assert [(h.status, h.if_none_match) for h in files.hits] == [(200, '"b1"')]
    model.Session.remove()
    updated = helpers.call_action("resource_show", id=res["id"])
    assert served(app, updated) == b"chapitre;montant\n011;1250000\n"
    assert updated["source_etag"] == '"b2"' and updated["description"] == "Budget voté le 12 décembre."

    # the partner removes the file: the last copy stays online, the error is recorded
    del files.files["/exports/budget.csv"]
    eager.apply(tasks.resync_downloads)
    eager.run_queued(queue)
    model.Session.remove()
    gone = helpers.call_action("resource_show", id=res["id"])
    assert gone["url"] == updated["url"] and gone["hash"] == updated["hash"] and gone["copy_status"] == "copied"
    assert served(app, gone) == b"chapitre;montant\n011;1250000\n"
    assert gone["copy_error"] == (f"Le serveur a répondu 404 Not Found pour {files.url('/exports/budget.csv')}. "
                                  "La copie précédente reste en ligne.")


# --- Through the real Celery worker ----------------------------------------------------------------

@pytest.fixture
def download_worker(files, tmp_path, monkeypatch):
    """A Celery worker process whose configuration (test.ini, plus an extra file) allows
    this test's file server and consumes this test's own queue. Production keeps an
    empty allow-list: only this worker's own configuration file names the server."""
    queue = f"datasud-test-downloads-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(tk.config, "ckanext.datasud.harvest.download_queue", queue)
    ini = tmp_path / "download-worker.ini"
    ini.write_text(
        "[app:main]\n"
        f"use = config:{TEST_INI}\n"
        f"ckanext.datasud.harvest.allowed_hosts = {files.host}\n"
        f"ckanext.datasud.harvest.download_queue = {queue}\n"
        f"ckan.storage_path = {tk.config['ckan.storage_path']}\n")
    hostname = f"datasud-test-downloads-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    log = open(ROOT / "var" / "log" / "test-download-worker.log", "w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "ckanext.datasud.celery_app", "worker", "--pool", "solo",
         "--loglevel", "INFO", "--hostname", hostname, "--queues", queue, "--without-gossip", "--without-mingle"],
        env=dict(os.environ, CKAN_INI=str(ini)), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while not celery.control.ping(destination=[hostname], timeout=1):
            assert worker.poll() is None, "the worker stopped: see var/log/test-download-worker.log"
            assert time.time() < deadline, "the worker did not answer within 60 s"
        yield queue
    finally:
        worker.terminate()
        worker.wait(30)
        log.close()
        forget_queue(queue)


def test_the_celery_worker_copies_the_files_after_the_harvest(app, files, partner, download_worker):
    serve_the_three_files(files)
    source = download_source(partner, files)
    harvest(source)

    def all_copied():
        copied = [resource(source, title) for title in (EAU, PISTES, PLAGES)]
        return copied if all(r.get("copy_status") == "copied" for r in copied) else None

    eau, pistes, plages = wait_for(all_copied, timeout=120, what="the worker's copies")
    assert served(app, eau) == EAU_CSV
    assert eau["hash"] == sha256(EAU_CSV) and eau["size"] == len(EAU_CSV)
    assert eau["source_url"] == files.url("/files/qualite-eau.csv")
    assert served(app, pistes) == PISTES_GEOJSON
    assert served(app, plages) == PLAGES_CSV
    assert all(d["private"] is False for d in datasets(source).values())
