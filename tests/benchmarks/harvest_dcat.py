"""Harvest benchmark (issue 6): DataSud's DCAT harvester against stock ckanext-dcat.

Not a test (pytest does not collect it): run it by hand with ``bin/datasud bench``
(extra arguments come here; ``--help`` lists them).

What it does, end to end, on this machine's real services:

1. generates a DCAT-AP catalogue of ``--datasets`` datasets (2,000) in Turtle, paginated
   with Hydra (``hydra:PagedCollection`` / ``hydra:nextPage``, pages of ``--page-size``),
   and serves it from a real HTTP server on 127.0.0.1;
2. recreates two databases, ``datasud_bench`` (config/benchmark.ini: the portal as the
   tests run it) and ``datasud_bench_stock`` (config/benchmark-stock.ini: plugins
   ``activity harvest dcat dcat_rdf_harvester`` only), with ``ckan db init``; each side has its own
   site id in the ``ckan_test`` Solr core, whose documents of that site id are cleared
   (both are left as they are at the end, to be looked at);
3. starts one worker process per side: DataSud harvests with a ``datasud_dcat`` source in
   reference mode, pre-validated (``validation: convention``) for a partner with a
   convention in force; stock with a ``dcat_rdf`` source. Each harvests the catalogue
   twice (the second time unchanged: stock rewrites every dataset at every run, DataSud
   skips unchanged records). The runs are interleaved (DataSud 1, stock 1, DataSud 2,
   stock 2), one process working at a time;
4. prints datasets per second of each run, the datasets found in Solr and each process's
   peak RSS; then the stages of each run and, per dataset of the fetch/import stage, the
   time spent in the worker's own CPU and waiting for PostgreSQL and Solr, with the SQL
   statements and Solr requests made, and the job's report.

A run is timed from the creation of the harvest job to the moment every dataset is
found by ``package_search``. The stages are ckanext-harvest's own consumers' code
(``queue.gather_callback`` and ``queue.fetch_callback`` fed from the real Redis queues;
for DataSud its consumers' callbacks, ``queueing.gather_callback``, which queues
each page's records as the page is saved, and ``queueing.import_messages``, which imports
the records waiting a batch at a time in one transaction, harvesting/batches.py), called in the worker process instead of by
the consumer daemons, so that the process measured is the one doing the work (the
``--consumers`` helpers, when there are some, import during the gather); then
``harvest_jobs_run`` marks the job finished.

``--solr-commit each`` (the default) runs both portals as configured by default and as
DataSud's configurations run (``ckan.search.solr_commit = true``): stock CKAN 2.11 then
makes a Solr commit at every indexing of a dataset (and indexes a new dataset twice);
DataSud's harvesters index each imported dataset once without commit and commit once
when the job is marked finished, whatever this setting (``harvesting/indexing.py``).
``auto`` (``ckan.search.solr_commit = false``) leaves stock's commits to Solr's soft
commit too.
``--profile`` also profiles the gather stage and the fetch/import stage (cProfile, and
where each SQL statement and Solr request of the import comes from): times are then
inflated, read the ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[2]
VAR = Path(os.environ.get("DATASUD_VAR") or ROOT / "var")
OUT = VAR / "bench"
LOG = VAR / "log"

SIDES = {
    "datasud": {"label": "DataSud (datasud_dcat)", "config": ROOT / "config" / "benchmark.ini",
                "database": "datasud_bench", "source_type": "datasud_dcat"},
    "stock": {"label": "stock ckanext-dcat (dcat_rdf)", "config": ROOT / "config" / "benchmark-stock.ini",
              "database": "datasud_bench_stock", "source_type": "dcat_rdf"},
}
RUNS = 2
ENV_NEEDED = ("CKAN_SECRET_KEY", "CKAN_PG_PORT", "CKAN_REDIS_PORT", "CKAN_SOLR_PORT", "CKAN_WEB_PORT",
              "CKAN_TEST_DB")


# ---------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------

BASE = "https://data.partenaire-bench.example"
EU_THEMES = ("ENVI", "TRAN", "REGI", "EDUC", "GOVE", "ECON", "AGRI", "HEAL", "ENER", "TECH")
LICENCES = ("https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            "https://opendatacommons.org/licenses/odbl/1-0/")
FREQUENCIES = ("WEEKLY", "MONTHLY", "ANNUAL", "IRREG")

PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
"""


def dataset_ttl(i: int) -> str:
    """One DCAT-AP dataset as DataSud accepts it (see tests/fixtures/dcat/catalogue.ttl):
    title, description, EU data theme, landing page, distributions with a licence."""
    ref = f"{BASE}/dataset/jeu-{i:05d}"
    theme = EU_THEMES[i % len(EU_THEMES)]
    licence = LICENCES[i % len(LICENCES)]
    return f"""
<{ref}> a dcat:Dataset ;
    dct:title "Jeu de données de référence n° {i:05d} ({theme.lower()})" ;
    dct:description "Données générées pour le banc d'essai du moissonnage : enregistrement {i} du catalogue, \
avec sa page, son producteur, son point de contact et deux distributions." ;
    dct:identifier "jeu-{i:05d}" ;
    dct:issued "2024-05-01"^^xsd:date ;
    dct:modified "2026-{1 + i % 12:02d}-{1 + i % 28:02d}"^^xsd:date ;
    dcat:keyword "banc-essai", "mot-cle-{i % 50}" ;
    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/{theme}> ;
    dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/{FREQUENCIES[i % 4]}> ;
    dcat:landingPage <https://www.partenaire-bench.example/donnees/jeu-{i:05d}> ;
    dct:publisher [ a foaf:Agent ; foaf:name "Partenaire du banc d'essai" ] ;
    dcat:contactPoint [ a vcard:Organization ; vcard:fn "Service données" ;
                        vcard:hasEmail <mailto:donnees@partenaire-bench.example> ] ;
    dcat:distribution <{ref}/csv>, <{ref}/geojson> .

<{ref}/csv> a dcat:Distribution ;
    dct:title "Jeu {i:05d} (CSV)" ;
    dcat:downloadURL <{BASE}/files/jeu-{i:05d}.csv> ;
    dcat:accessURL <{BASE}/files/jeu-{i:05d}.csv> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
    dct:license <{licence}> .

<{ref}/geojson> a dcat:Distribution ;
    dct:title "Jeu {i:05d} (GeoJSON)" ;
    dcat:accessURL <{BASE}/files/jeu-{i:05d}.geojson> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/GEOJSON> ;
    dct:license <{licence}> .
"""


def catalogue_pages(url: str, datasets: int, page_size: int) -> list[str]:
    """The catalogue in Turtle, one document per page; page 1 is ``url`` itself, the
    following ones ``url?page=N``, chained with Hydra as ckanext-dcat's
    ``RDFParser.next_page()`` reads it (a ``hydra:PagedCollection`` with ``hydra:nextPage``)."""
    count = max(1, -(-datasets // page_size))
    pages = []
    for page in range(1, count + 1):
        first, last = (page - 1) * page_size + 1, min(page * page_size, datasets)
        here = url if page == 1 else f"{url}?page={page}"
        paging = [f"<{here}> a hydra:PagedCollection ;",
                  f"    hydra:totalItems {datasets} ;",
                  f"    hydra:itemsPerPage {page_size} ;",
                  f"    hydra:firstPage <{url}> ;",
                  f"    hydra:lastPage <{url}?page={count}>"]
        if page < count:
            paging[-1] += " ;"
            paging.append(f"    hydra:nextPage <{url}?page={page + 1}>")
        paging[-1] += " ."
        refs = ", ".join(f"<{BASE}/dataset/jeu-{i:05d}>" for i in range(first, last + 1))
        body = [PREFIXES,
                f"<{BASE}/catalogue> a dcat:Catalog ;\n    dct:title \"Catalogue du banc d'essai\" ;\n"
                f"    dcat:dataset {refs} .\n",
                "\n".join(paging) + "\n"]
        body += [dataset_ttl(i) for i in range(first, last + 1)]
        pages.append("".join(body))
    return pages


# ---------------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------------

def say(message: str) -> None:
    print(f"\033[1mbench:\033[0m {message}", flush=True)


def recreate_database(name: str) -> None:
    """Drop and create a benchmark database, owned by ``datasud``. The ``datasud`` role
    may not create databases (no CREATEDB): as bin/datasud does, the local cluster's
    ``postgres`` role does it (trust authentication on 127.0.0.1)."""
    if not name.startswith("datasud_bench"):
        raise SystemExit(f"refusing to recreate database {name!r}: not a benchmark database")
    import psycopg2
    admin = os.environ.get("DATASUD_BENCH_PG_ADMIN", "postgres")
    conn = psycopg2.connect(host="127.0.0.1", port=int(os.environ["CKAN_PG_PORT"]), user=admin,
                            password=os.environ.get("DATASUD_PG_ADMIN_PASSWORD") or None, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'drop database if exists "{name}" with (force)')
        cur.execute(f"create database \"{name}\" owner datasud encoding 'UTF8' template template0")
    conn.close()


def init_databases(sides: list[str]) -> None:
    """``ckan db init`` (CKAN core and every plugin's migrations) of each side, at once."""
    procs = {}
    for side in sides:
        recreate_database(SIDES[side]["database"])
        log = open(LOG / f"bench-{side}-db-init.log", "w")
        ckan = Path(sys.executable).with_name("ckan")
        procs[side] = (subprocess.Popen([str(ckan), "-c", str(SIDES[side]["config"]), "db", "init"],
                                        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT), log)
    for side, (proc, log) in procs.items():
        if proc.wait() != 0:
            raise SystemExit(f"ckan db init failed for {side}: see var/log/bench-{side}-db-init.log")
        log.close()


class Worker:
    """One side's worker process. It sets its portal up, then harvests once each time it
    is told to (a line on its stdin), so that the driver can interleave the two sides'
    runs (only one works at a time); progress comes on its stdout, CKAN's logs go to
    var/log/bench-<side>.log."""

    def __init__(self, side: str, url: str, host: str, args: argparse.Namespace):
        self.side = side
        self.result_file = OUT / f"{side}.json"
        self.result_file.unlink(missing_ok=True)
        self.log_path = LOG / f"bench-{side}.log"
        command = [sys.executable, str(Path(__file__).resolve()), "worker", "--side", side, "--catalogue", url,
                   "--allowed-host", host, "--datasets", str(args.datasets), "--result", str(self.result_file),
                   "--solr-commit", args.solr_commit, "--consumers", str(args.consumers)] \
            + (["--profile"] if args.profile else [])
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     cwd=ROOT, text=True, bufsize=1)

    def wait_for(self, token: str) -> None:
        for line in self.proc.stdout:
            if line.strip() == f"@@{token}":
                return
            print(line, end="", flush=True)
        self.fail()

    def run(self, number: int) -> None:
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        self.wait_for(f"done {number}")

    def finish(self) -> dict[str, Any]:
        self.proc.stdin.close()
        rc = self.proc.wait()
        self.log.close()
        if rc != 0 or not self.result_file.exists():
            self.fail()
        return json.loads(self.result_file.read_text())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def fail(self) -> None:
        self.stop()
        tail = self.log_path.read_text(errors="replace").splitlines()[-15:]
        raise SystemExit(f"the {self.side} worker failed (exit {self.proc.returncode}): see {self.log_path}\n"
                         + "\n".join(tail))


def print_tables(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    pages = -(-args.datasets // args.page_size)
    print()
    print(f"Harvest of a generated DCAT-AP catalogue: {args.datasets} datasets, {pages} Turtle page(s) of "
          f"{args.page_size} (Hydra) over HTTP on 127.0.0.1"
          + (f", each answered after {args.page_delay:g} s" if args.page_delay else "")
          + f"; reference mode; Solr commit: {args.solr_commit}; fetch consumers per side: {args.consumers}"
          + ("  [PROFILED: times inflated]" if args.profile else ""))
    head = (f"{'harvester':<30} {'run':>3} {'datasets':>8} {'seconds':>8} {'datasets/s':>10} {'in Solr':>7} "
            f"{'peak RSS':>9} {'CPU s':>6} {'load':>5}")
    print(head)
    print("-" * len(head))
    for side, res in results.items():
        for run in res["runs"]:
            print(f"{SIDES[side]['label']:<30} {run['run']:>3} {run['objects']:>8} {run['seconds']:>8.1f} "
                  f"{run['datasets_per_second']:>10.1f} {run['indexed']:>7} {run['peak_rss_mb']:>6.0f} MB "
                  f"{run['cpu_seconds']:>6.1f} {run['load_average']:>5.1f}")
    print()
    print("Stages (s): gather, fetch+import, finish (harvest_jobs_run), wait until all are in Solr; then per "
          "dataset in fetch+import:\nwall ms, own CPU ms, ms waiting for PostgreSQL / Solr, SQL statements, "
          "Solr requests (with several fetch consumers: the worker process's share only); and the job's report.")
    head = (f"{'harvester':<30} {'run':>3} {'gather':>6} {'import':>7} {'finish':>6} {'Solr':>5} | {'ms':>6} "
            f"{'CPU':>5} {'SQL ms':>6} {'Solr ms':>7} {'SQL':>5} {'Solr':>4} | report")
    print(head)
    print("-" * (len(head) + 12))
    for side, res in results.items():
        for run in res["runs"]:
            stats = run["stats"]
            report = " ".join(f"{k}={stats[k]}" for k in ("added", "updated", "not modified", "errored", "deleted")
                              if stats.get(k))
            print(f"{SIDES[side]['label']:<30} {run['run']:>3} {run['gather']:>6.1f} {run['import']:>7.1f} "
                  f"{run['finish']:>6.1f} {run['solr_wait']:>5.1f} | {run['ms_per_dataset']:>6.1f} "
                  f"{run['cpu_ms_per_dataset']:>5.1f} {run['sql_ms_per_dataset']:>6.1f} "
                  f"{run['solr_ms_per_dataset']:>7.1f} {run['sql_per_dataset']:>5.1f} "
                  f"{run['solr_per_dataset']:>4.1f} | {report}")
    if len(results) == 2:
        print()
        for i in range(RUNS):
            ours, stock = results["datasud"]["runs"][i], results["stock"]["runs"][i]
            print(f"run {i + 1}: DataSud {ours['datasets_per_second']:.1f} datasets/s, stock "
                  f"{stock['datasets_per_second']:.1f} datasets/s: DataSud takes "
                  f"{ours['seconds'] / stock['seconds']:.2f}x stock's time")
    for side, res in results.items():
        for run in res["runs"]:
            for kind in ("gather_errors", "object_errors"):
                if run[kind]:
                    print(f"{SIDES[side]['label']} run {run['run']}: {len(run[kind])} {kind.replace('_', ' ')}, "
                          f"e.g. {run[kind][0][:300]}")
    for side, res in results.items():
        if res.get("profile"):
            print()
            print(res["profile"])


def driver(args: argparse.Namespace) -> int:
    missing = [name for name in ENV_NEEDED if not os.environ.get(name)]
    if missing:
        raise SystemExit(f"missing environment ({', '.join(missing)}): run it with `bin/datasud bench`")
    sys.path.insert(0, str(ROOT))
    from tests.harvesting import CatalogueServer, Page

    OUT.mkdir(parents=True, exist_ok=True)
    LOG.mkdir(parents=True, exist_ok=True)
    sides = ["datasud", "stock"] if args.only == "both" else [args.only]
    started = time.perf_counter()
    say(f"recreating the databases ({', '.join(SIDES[s]['database'] for s in sides)}) and running ckan db init")
    init_databases(sides)
    say(f"databases ready in {time.perf_counter() - started:.0f} s")

    with CatalogueServer() as server:
        url = server.url("/catalogue.ttl")
        pages = catalogue_pages(url, args.datasets, args.page_size)
        for number, body in enumerate(pages, start=1):
            server.pages["/catalogue.ttl" if number == 1 else f"/catalogue.ttl?page={number}"] = \
                Page(body.encode("utf-8"), content_type="text/turtle", delay=args.page_delay)
        say(f"catalogue of {args.datasets} datasets in {len(pages)} page(s) "
            f"({sum(len(p) for p in pages) / 1e6:.1f} MB of Turtle) at {url}")
        say("starting the workers: " + ", ".join(f"{SIDES[s]['label']} (log: var/log/bench-{s}.log)"
                                                 for s in sides))
        workers = {side: Worker(side, url, server.host, args) for side in sides}
        try:
            for worker in workers.values():
                worker.wait_for("ready")
            for number in range(1, RUNS + 1):  # interleaved: both sides see the same machine
                for side, worker in workers.items():
                    say(f"run {number}: {SIDES[side]['label']}")
                    worker.run(number)
            results = {side: worker.finish() for side, worker in workers.items()}
        finally:
            for worker in workers.values():
                worker.stop()
    (OUT / "results.json").write_text(json.dumps({"datasets": args.datasets, "page_size": args.page_size,
                                                  "results": results}, indent=2))
    print_tables(results, args)
    say(f"done in {time.perf_counter() - started:.0f} s (results: var/bench/results.json)")
    return 0


# ---------------------------------------------------------------------------------
# The worker: one side, in its own process
# ---------------------------------------------------------------------------------

class Meter:
    """What the worker waits for: SQL statements (count, seconds) and Solr requests (count,
    seconds); with ``origins``, also where each SQL statement comes from (the innermost
    frame in ckanext-datasud, else the outermost CKAN action, else the innermost
    harvester frame)."""

    def __init__(self, engine, origins: bool = False):
        import pysolr
        from sqlalchemy import event
        self.sql = self.sql_seconds = self.solr = self.solr_seconds = 0
        self.origins: dict[str, list[float]] = {}
        self.solr_origins: dict[str, list[float]] = {}
        self.tracking = False  # origins are only collected while tracking
        self._origins = origins
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        send, meter = pysolr.Solr._send_request, self

        def timed_send(solr, *args, **kwargs):
            started = time.perf_counter()
            try:
                return send(solr, *args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                meter.solr += 1
                meter.solr_seconds += elapsed
                if meter._origins and meter.tracking:
                    entry = meter.solr_origins.setdefault(meter._origin(), [0, 0.0])
                    entry[0] += 1
                    entry[1] += elapsed
        pysolr.Solr._send_request = timed_send

    def snapshot(self) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {"sql": self.sql, "sql_seconds": self.sql_seconds, "solr": self.solr,
                "solr_seconds": self.solr_seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "time": time.perf_counter()}

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {key: after[key] - before[key] for key in before}

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self.sql += 1
        origin = self._origin() if self._origins and self.tracking else None
        conn.info["bench_started"] = (time.perf_counter(), origin)

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        started, origin = conn.info.pop("bench_started", (None, None))
        if started is None:
            return
        elapsed = time.perf_counter() - started
        self.sql_seconds += elapsed
        if origin is not None:
            entry = self.origins.setdefault(origin, [0, 0.0])
            entry[0] += 1
            entry[1] += elapsed

    @staticmethod
    def _origin() -> str:
        frame = sys._getframe(2)
        ours = action = harvester = None
        while frame is not None:
            name = frame.f_code.co_filename
            if ours is None and "/ckanext/datasud/" in name:
                ours = frame
            elif "/ckan/logic/action/" in name:
                action = frame  # keeps going up: the outermost action
            elif harvester is None and ("/ckanext/harvest/" in name or "/ckanext/dcat/" in name):
                harvester = frame
            frame = frame.f_back
        chosen = ours or action or harvester
        if chosen is None:
            return "other"
        path = chosen.f_code.co_filename
        path = path.split("/ckanext/", 1)[-1] if "/ckanext/" in path else path.split("/ckan/", 1)[-1]
        return f"{path}:{chosen.f_code.co_name}"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def progress(side: str, message: str) -> None:
    print(f"  {side}: {message}", flush=True)


def worker(args: argparse.Namespace) -> int:
    side = SIDES[args.side]
    sys.path.insert(0, str(ROOT))
    import tests.harvesting  # noqa: F401 (before make_app, after which `tests` may name ckan.tests)
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    config = load_config(str(side["config"]))
    # Never the demo portal: only the benchmark's database and site ids, in ckan_test.
    if (not config["ckan.site_id"].startswith("datasud_bench")
            or not config["sqlalchemy.url"].endswith("/" + side["database"])
            or not config["solr_url"].rstrip("/").endswith("/ckan_test")):
        raise SystemExit(f"{side['config']} does not point at the benchmark's database and Solr site")
    app = make_app(config)
    with app._wsgi_app.test_request_context():
        return _work(args, side)


def _work(args: argparse.Namespace, side: dict[str, Any]) -> int:
    import ckan.model as model
    import ckan.plugins.toolkit as tk
    from ckan.lib import search
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestJob
    from tests.harvesting import create_source

    datasud = args.side == "datasud"
    search.clear_all()  # this site id's documents only
    queue.purge_queues()
    if datasud:
        tk.config["ckanext.datasud.harvest.allowed_hosts"] = args.allowed_host
    tk.config["ckan.search.solr_commit"] = args.solr_commit == "each"

    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    context = lambda: {"user": site_user["name"]}  # noqa: E731 (a fresh context per action)
    org = tk.get_action("organization_create")(context(), {
        "name": "partenaire-bench", "title": "Partenaire du banc d'essai"})
    settings = {}
    if datasud:
        tk.get_action("datasud_convention_create")(context(), {
            "organization_id": org["id"], "reference": "CONV-BENCH", "kind": "harvesting",
            "status": "in_force", "signed_on": "2024-01-10", "starts_on": "2024-01-15"})
        settings = {"publication_mode": "reference", "validation": "convention"}
    source = create_source(site_user, org, args.catalogue, source_type=side["source_type"], **settings)
    model.Session.remove()

    meter = Meter(model.meta.engine, origins=args.profile)
    redis = queue.get_connection()
    runs, profiles = [], []
    helpers = start_consumers(args)
    try:
        _runs(args, model, tk, queue, HarvestJob, meter, redis, context, org, source, helpers, runs, profiles)
    finally:
        for helper in helpers:
            helper.terminate()
            helper.wait(30)
    return 0


def start_consumers(args: argparse.Namespace) -> list[subprocess.Popen]:
    """The fetch consumers working beside the worker (``--consumers`` minus the worker
    itself): each is the fetch consumer loop the side deploys (:func:`fetch_callback`),
    in a process of its own on this side's database and queue."""
    helpers = []
    for number in range(1, args.consumers):
        log = open(LOG / f"bench-{args.side}-consumer{number}.log", "w")
        helpers.append(subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "consume", "--side", args.side,
             "--allowed-host", args.allowed_host, "--solr-commit", args.solr_commit],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=ROOT))
    return helpers


def consume(args: argparse.Namespace) -> int:
    """A helper consumer: the side's fetch consumer loop (blocking on the Redis queue)
    until the worker terminates it."""
    side = SIDES[args.side]
    sys.path.insert(0, str(ROOT))
    import tests.harvesting  # noqa: F401
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(side["config"])))
    with app._wsgi_app.test_request_context():
        import ckan.plugins.toolkit as tk
        from ckanext.harvest import queue
        if args.side == "datasud":
            tk.config["ckanext.datasud.harvest.allowed_hosts"] = args.allowed_host
        tk.config["ckan.search.solr_commit"] = args.solr_commit == "each"
        callback = fetch_callback(args.side, queue)
        consumer = queue.get_fetch_consumer()
        for message in consumer.consume(queue.get_fetch_queue_name()):
            callback(consumer, message)
    return 0


def helpers_cpu_seconds(helpers: list[subprocess.Popen]) -> float:
    """CPU seconds (user + system) the helper consumers have used so far."""
    total = 0.0
    for helper in helpers:
        try:
            fields = Path(f"/proc/{helper.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _import_all(queue, model, HarvestJob, job_id: str, fetch, redis, pending: int, args, number: int) -> int:
    """Import the job's objects: this process takes them from the fetch queue one by one
    (ckanext-harvest's fetch callback) until the queue is empty, the helper consumers take
    theirs; then wait until no object of the job is still to import. Returns how many this
    process imported."""
    from ckanext.harvest.model import HarvestObject
    key = queue.get_fetch_routing_key()
    callback = fetch_callback(args.side, queue)
    handled, started = 0, time.perf_counter()
    while True:
        body = redis.lpop(key)
        if body is None:
            break
        redis.set(fetch.persistance_key(body), str(time.time()))  # as the consumer's loop does
        handled += callback(fetch, (queue.FakeMethod(body), fetch, body))
        if handled % 500 == 0 and args.consumers == 1 and handled < pending:
            progress(args.side, f"run {number}: {handled}/{pending} imported "
                                f"({handled / (time.perf_counter() - started):.1f}/s)")
    while True:
        model.Session.remove()
        left = model.Session.query(HarvestObject.id).filter(
            HarvestObject.harvest_job_id == job_id, HarvestObject.state.in_(("WAITING", "FETCH", "IMPORT"))).count()
        if not left:
            return handled
        time.sleep(0.05)


def fetch_callback(side: str, queue):
    """What each side's fetch consumer does with a message taken from the queue (returns
    how many records it imported): DataSud's takes the records waiting behind it and
    imports them a batch at a time (``ckan datasud harvest-consumer fetch``,
    harvesting/batches.py), stock's imports that one record, each commit waiting for the
    disk."""
    if side == "datasud":
        from ckanext.datasud.harvesting import queueing
        return queueing.import_waiting

    def stock(channel, first) -> int:
        queue.fetch_callback(channel, *first)
        return 1
    return stock


def gather_callback(side: str, queue):
    """The gather consumer's callback each side deploys: DataSud's queues each page's
    records as the page is saved (``ckan datasud harvest-consumer gather``), stock's once
    the gather is over."""
    if side == "datasud":
        from ckanext.datasud.harvesting import queueing
        return queueing.gather_callback
    return queue.gather_callback


def _runs(args, model, tk, queue, HarvestJob, meter, redis, context, org, source, helpers, runs, profiles) -> None:
    print("@@ready", flush=True)
    for number in range(1, RUNS + 1):
        if not sys.stdin.readline():  # the driver says when (it interleaves the two sides' runs)
            raise SystemExit("the driver went away")
        profiler = None
        if args.profile:
            import cProfile
            profiler = cProfile.Profile()
            meter.origins, meter.solr_origins = {}, {}
        start = meter.snapshot()
        helpers_cpu = helpers_cpu_seconds(helpers)

        job = tk.get_action("harvest_job_create")(context(), {"source_id": source["id"]})  # → gather queue
        gather = queue.get_gather_consumer()
        method, header, body = next(gather.consume(queue.get_gather_queue_name()))
        gather_profiler = None
        if args.profile:
            import cProfile
            gather_profiler = cProfile.Profile()
            gather_profiler.enable()
        gather_callback(args.side, queue)(gather, method, header, body)
        if gather_profiler:
            gather_profiler.disable()
        gathered = meter.snapshot()
        from ckanext.harvest.model import HarvestObject
        pending = model.Session.query(HarvestObject.id).filter_by(harvest_job_id=job["id"]).count()
        progress(args.side, f"run {number}: gathered {pending} records in {gathered['time'] - start['time']:.1f} s")

        fetch = queue.get_fetch_consumer()
        if profiler:
            profiler.enable()
            meter.tracking = True
        handled = _import_all(queue, model, HarvestJob, job["id"], fetch, redis, pending, args, number)
        if profiler:
            profiler.disable()
            meter.tracking = False
        imported = meter.snapshot()

        tk.get_action("harvest_jobs_run")(context(), {"source_id": source["id"]})
        model.Session.remove()
        status = HarvestJob.get(job["id"]).status
        if status != "Finished":
            raise SystemExit(f"run {number}: harvest_jobs_run left the job {status}")
        finished = meter.snapshot()

        job = tk.get_action("harvest_job_show")(context(), {"id": job["id"]})
        expected = args.datasets - (job.get("stats") or {}).get("errored", 0)  # records in error: no dataset
        indexed = _wait_for_index(tk, context, org["id"], expected, timeout=60)
        done_at = meter.snapshot()
        model.Session.remove()

        report = tk.get_action("harvest_job_report")(context(), {"id": job["id"]})
        seconds = done_at["time"] - start["time"]
        stage = Meter.delta(gathered, imported)
        per = max(handled, 1)  # the per-dataset figures are this process's (the worker's)
        run = {
            "run": number, "objects": pending, "seconds": seconds, "consumers": args.consumers,
            "handled_by_worker": handled,
            "datasets_per_second": pending / seconds if seconds else 0.0,
            "cpu_seconds": done_at["cpu_seconds"] - start["cpu_seconds"]
            + helpers_cpu_seconds(helpers) - helpers_cpu,
            "gather": gathered["time"] - start["time"], "import": stage["time"],
            "finish": finished["time"] - imported["time"], "solr_wait": done_at["time"] - finished["time"],
            # the fetch/import stage, per dataset: wall clock, own CPU, waiting for PostgreSQL and Solr
            "ms_per_dataset": 1000 * stage["time"] / per, "cpu_ms_per_dataset": 1000 * stage["cpu_seconds"] / per,
            "sql_ms_per_dataset": 1000 * stage["sql_seconds"] / per,
            "solr_ms_per_dataset": 1000 * stage["solr_seconds"] / per,
            "sql_per_dataset": stage["sql"] / per, "solr_per_dataset": stage["solr"] / per,
            "stats": job.get("stats") or {}, "indexed": indexed, "peak_rss_mb": peak_rss_mb(),
            "load_average": os.getloadavg()[0],
            "gather_errors": [e["message"] for e in report["gather_errors"]],
            "object_errors": [e["message"] for o in report["object_errors"].values() for e in o["errors"]],
        }
        runs.append(run)
        progress(args.side, f"run {number}: {pending} datasets in {seconds:.1f} s "
                            f"({run['datasets_per_second']:.1f}/s), {indexed} in Solr")
        if profiler:
            profiles.append(_gather_profile_report(gather_profiler, number, pending, args.side))
            profiles.append(_profile_report(profiler, meter, number, handled, args.side))
        Path(args.result).write_text(json.dumps({"runs": runs, "profile": "\n\n".join(profiles)}))
        print(f"@@done {number}", flush=True)


def _wait_for_index(tk, context, org_id: str, expected: int, timeout: float) -> int:
    """The datasets of the partner in Solr (public or private), once ``expected`` are
    there or after ``timeout`` seconds."""
    deadline = time.perf_counter() + timeout
    while True:
        count = tk.get_action("package_search")(context(), {
            "fq": f'+owner_org:"{org_id}" +dataset_type:dataset', "rows": 0, "include_private": True})["count"]
        if count >= expected or time.perf_counter() > deadline:
            return count
        time.sleep(0.1)


def _gather_profile_report(profiler, number: int, records: int, side: str) -> str:
    """Where the gather stage of a run spends its time: the main functions (cumulative)."""
    import io
    import pstats

    stats = pstats.Stats(profiler)
    rows = sorted(((ct, nc, f"{filename.split('/site-packages/', 1)[-1]}:{line}({name})")
                   for (filename, line, name), (cc, nc, tt, ct, callers) in stats.stats.items()), reverse=True)
    out = io.StringIO()
    out.write(f"Profile of {SIDES[side]['label']}'s gather, run {number} ({records} records, "
              f"{stats.total_tt:.1f} s profiled):\n")
    out.write(f"  {'cumulative s':>12} {'ms/record':>9} {'calls':>7}  function\n")
    for ct, nc, label in rows[:30]:
        out.write(f"  {ct:>12.2f} {1000 * ct / max(records, 1):>9.2f} {nc:>7}  {label}\n")
    return out.getvalue().rstrip()


def _profile_report(profiler, meter: Meter, number: int, records: int, side: str) -> str:
    """Where the fetch/import stage of a run spends its time: DataSud's functions and the
    main CKAN ones (cumulative), the SQL statements and the Solr requests by origin."""
    import io
    import pstats

    path = OUT / f"{side}-run{number}.prof"
    profiler.dump_stats(str(path))
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    rows = []
    for (filename, line, name), (cc, nc, tt, ct, callers) in stats.stats.items():
        if "/ckanext/datasud/" in filename or name in ("package_create", "package_update", "package_show",
                                                       "index_package", "commit", "_get_existing_dataset",
                                                       "fetch_and_import_stages", "import_stage"):
            rows.append((ct, nc, f"{filename.split('/ckanext/', 1)[-1].split('/site-packages/', 1)[-1]}"
                                 f":{line}({name})"))
    rows.sort(reverse=True)
    out = io.StringIO()
    out.write(f"Profile of {SIDES[side]['label']}'s fetch/import, run {number} ({records} records, "
              f"{total:.1f} s profiled; "
              f"{path.relative_to(ROOT)}):\n")
    out.write(f"  {'cumulative s':>12} {'ms/record':>9} {'calls':>7}  function\n")
    for ct, nc, label in rows[:22]:
        out.write(f"  {ct:>12.2f} {1000 * ct / max(records, 1):>9.2f} {nc:>7}  {label}\n")
    out.write(f"SQL statements of the fetch/import stage by origin (run {number}):\n")
    out.write(f"  {'statements':>10} {'per record':>10} {'SQL ms':>8}  origin\n")
    for origin, (n, seconds) in sorted(meter.origins.items(), key=lambda kv: -kv[1][0])[:18]:
        out.write(f"  {n:>10} {n / max(records, 1):>10.2f} {1000 * seconds:>8.0f}  {origin}\n")
    out.write(f"Solr requests of the fetch/import stage by origin (run {number}):\n")
    out.write(f"  {'requests':>10} {'per record':>10} {'Solr ms':>8}  origin\n")
    for origin, (n, seconds) in sorted(meter.solr_origins.items(), key=lambda kv: -kv[1][1]):
        out.write(f"  {n:>10} {n / max(records, 1):>10.2f} {1000 * seconds:>8.0f}  {origin}\n")
    return out.getvalue().rstrip()


# ---------------------------------------------------------------------------------

def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["worker"]:  # one side, started by the driver
        w = argparse.ArgumentParser(prog="harvest_dcat.py worker")
        w.add_argument("--side", choices=tuple(SIDES), required=True)
        w.add_argument("--catalogue", required=True)
        w.add_argument("--allowed-host", required=True)
        w.add_argument("--datasets", type=int, required=True)
        w.add_argument("--result", required=True)
        w.add_argument("--profile", action="store_true")
        w.add_argument("--solr-commit", choices=("each", "auto"), default="each")
        w.add_argument("--consumers", type=int, default=1)
        return worker(w.parse_args(argv[1:]))
    if argv[:1] == ["consume"]:  # a helper fetch consumer, started by a worker
        c = argparse.ArgumentParser(prog="harvest_dcat.py consume")
        c.add_argument("--side", choices=tuple(SIDES), required=True)
        c.add_argument("--allowed-host", required=True)
        c.add_argument("--solr-commit", choices=("each", "auto"), default="each")
        return consume(c.parse_args(argv[1:]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=2000, help="datasets in the catalogue (2000)")
    parser.add_argument("--page-size", type=int, default=500, help="datasets per Hydra page (500)")
    parser.add_argument("--page-delay", type=float, default=0.0,
                        help="seconds the catalogue's server takes before answering each page, as a partner's "
                             "server computing its pages does (0)")
    parser.add_argument("--only", choices=("both", "datasud", "stock"), default="both",
                        help="harvest with DataSud's harvester, stock's, or both (default)")
    parser.add_argument("--solr-commit", choices=("each", "auto"), default="each",
                        help="each (default): a Solr commit at every indexing, CKAN's default "
                             "(ckan.search.solr_commit = true) and what DataSud's configurations run; "
                             "auto: ckan.search.solr_commit = false, Solr's own soft commit (every second "
                             "in solr/configsets/ckan)")
    parser.add_argument("--profile", action="store_true",
                        help="profile the fetch/import stage (cProfile, SQL statements and Solr requests "
                             "by origin); slower")
    parser.add_argument("--consumers", type=int, default=1,
                        help="fetch consumers per side (1): the worker and N-1 more processes running "
                             "the side's fetch consumer loop (DataSud: `ckan datasud harvest-consumer "
                             "fetch`; stock: `ckan harvester fetch-consumer`) started N times")
    args = parser.parse_args(argv)
    if args.datasets < 1 or args.page_size < 1 or args.consumers < 1:
        parser.error("--datasets, --page-size and --consumers must be positive")
    return driver(args)


if __name__ == "__main__":
    sys.exit(main())
