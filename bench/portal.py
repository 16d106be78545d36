"""Portal benchmark (issue 14): DataSud side by side with a stock CKAN 2.11, same data, same load.

Not a test (pytest does not collect it): ``bin/datasud bench portal [--scale 2000]``
(``--help`` lists the options). On this machine's real services, end to end:

1. **Data.** The catalogue of ``--scale`` datasets generated with a fixed seed
   (bench/data.py) is loaded into two databases, ``datasud_bench_portal``
   (config/benchmark-portal.ini: the portal as deployed, its plugins and schema; each
   dataset created private then published through the validation workflow) and
   ``datasud_bench_portal_stock`` (config/benchmark-portal-stock.ini: CKAN's default
   schema, stock plugins only), by bench/load.py (CKAN's actions, several processes per
   side, indexing left to step 2). A loaded database is kept with a stamp
   (var/bench/portal-<side>.stamp: scale, generator, loader and migrations) and reused
   by the next run at the same scale; ``--reload`` loads again.
2. **Reindexing**: ``ckan search-index rebuild`` of each side, timed (its own site id
   in the ``ckan_test`` Solr core).
3. **Web apps**: gunicorn with the same number of workers (``--workers``, 2) for each
   side on its own free port; and a third, DataSud with its anonymous page cache off
   (config/benchmark-portal-nocache.ini, same database), to show what the cache does.
4. **Full DCAT catalogue export** as Turtle: every page of ``/catalog.ttl`` following
   ``hydra:next``/``hydra:nextPage``, timed, cold (the first export after the start);
   then DataSud's again through the app without page cache (what the next harvester
   gets after any change: each dataset's kept fragment, dcat_fragments.py). Then
   ``ckan datasud warm-catalogue`` on DataSud's side, timed: each published dataset's
   Turtle and page JSON-LD kept, as Celery keeps them after each change and nightly.
5. **Load**: `wrk` (Debian's package) on each endpoint — ``package_search`` (free
   text, faceted, filtered, bounding box), ``package_show``, the home page, a dataset
   page, the search page — at concurrency 1 and 8, each side in turn for the same
   ``--duration`` after a short warm-up, the same random sequence of URLs (bench/wrk.lua,
   fixed seeds) drawn from the same lists (``--sample`` datasets, the same queries).
   Median, p95, requests/s and non-2xx answers of each.
6. **Peak memory**: the largest peak RSS (``VmHWM``) of each side's web workers.
7. **Harvest**: tests/benchmarks/harvest_dcat.py (DataSud's DCAT harvester against
   stock ckanext-dcat's) on a catalogue of ``--harvest-datasets`` datasets.
8. The table, with the ratio DataSud / stock of each figure (time: below 1 is DataSud
   faster; requests/s: above 1 is DataSud faster), printed and written with the machine
   (CPU, cores, RAM, load) to docs/benchmarks.md, and a chart to
   docs/benchmarks.png (bench/chart.py, matplotlib in .cache/bench-venv); the raw
   figures in var/bench/portal-results.json.

Nothing here asserts a timing: it measures and reports.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import data  # noqa: E402

VAR = Path(os.environ.get("DATASUD_VAR") or ROOT / "var")
OUT = VAR / "bench"
LOG = VAR / "log"
VENV = ROOT / ".venv"
BENCH_VENV = ROOT / ".cache" / "bench-venv"

SIDES = {
    "datasud": {"label": "DataSud", "config": ROOT / "config" / "benchmark-portal.ini",
                "database": "datasud_bench_portal", "redis_db": 7, "load": "datasud"},
    "nocache": {"label": "DataSud, page cache off", "config": ROOT / "config" / "benchmark-portal-nocache.ini",
                "database": "datasud_bench_portal", "redis_db": None, "load": None},
    "stock": {"label": "stock CKAN 2.11", "config": ROOT / "config" / "benchmark-portal-stock.ini",
              "database": "datasud_bench_portal_stock", "redis_db": 8, "load": "stock"},
}
LOADED = ("datasud", "stock")
# Queries a citizen or a developer types (French words of the generated titles and descriptions).
QUERIES = ["transport", "vélo", "budget", "qualité de l'air", "écoles", "Marseille", "Nice", "Toulon",
           "urbanisme", "énergie solaire", "randonnée", "musées", "emploi", "logement social", "inondation",
           "stationnement", "bornes de recharge", "délibérations", "Avignon", "plages", "forêt", "climat",
           "adresses", "santé", "tourisme", "marchés publics", "Gap", "Arles", "subventions", "déchets"]
FACETS = '["organization","tags","res_format","license_id"]'
FORMATS = ["CSV", "GeoJSON", "XLSX", "JSON", "SHP", "PDF"]


def say(message: str) -> None:
    print(f"\033[1mbench:\033[0m {message}", flush=True)


# ---------------------------------------------------------------------------------
# Databases and loading
# ---------------------------------------------------------------------------------

def pg_admin():
    import psycopg2
    conn = psycopg2.connect(host="127.0.0.1", port=int(os.environ["CKAN_PG_PORT"]),
                            user=os.environ.get("DATASUD_BENCH_PG_ADMIN", "postgres"),
                            password=os.environ.get("DATASUD_PG_ADMIN_PASSWORD") or None, dbname="postgres")
    conn.autocommit = True
    return conn


def recreate_database(name: str) -> None:
    if not name.startswith("datasud_bench_portal"):
        raise SystemExit(f"refusing to recreate database {name!r}: not a benchmark database")
    conn = pg_admin()
    with conn.cursor() as cur:
        cur.execute(f'drop database if exists "{name}" with (force)')
        cur.execute(f"create database \"{name}\" owner datasud encoding 'UTF8' template template0")
        # as bin/datasud does for every datasud_bench* database: commits do not wait for the disk
        cur.execute(f'alter database "{name}" set synchronous_commit = off')
    conn.close()


def through_actions(args: argparse.Namespace) -> int:
    """How many datasets go through CKAN's actions (the others are replicated)."""
    return min(args.scale, args.replicate_from) if args.replicate_from > 0 else args.scale


def stamp_of(side: str, scale: int, base: int) -> str:
    """What a loaded database depends on: the scale, the generator and the loader, and
    the code's migrations (a changed schema loads again)."""
    h = hashlib.sha256(f"{side} {scale} {base}".encode())
    for path in (ROOT / "bench" / "data.py", ROOT / "bench" / "load.py", ROOT / "bench" / "replicate.py"):
        h.update(path.read_bytes())
    migrations = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("ckanext-datasud/**/migration/**/versions/*.py"))
    h.update("\n".join(migrations).encode())
    return h.hexdigest()[:20]


def dataset_count(database: str) -> int:
    import psycopg2
    try:
        conn = psycopg2.connect(host="127.0.0.1", port=int(os.environ["CKAN_PG_PORT"]), user="datasud",
                                password=os.environ["CKAN_PG_PASSWORD"], dbname=database)
    except psycopg2.OperationalError:
        return -1
    with conn, conn.cursor() as cur:
        cur.execute("select count(*) from package where type = 'dataset' and state = 'active' and not private")
        count = cur.fetchone()[0]
    conn.close()
    return count


def run_logged(command: list[str], log_name: str, env: Optional[dict] = None) -> subprocess.Popen:
    log = open(LOG / log_name, "a")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)


def wait_all(procs: dict[str, subprocess.Popen], what: str) -> None:
    for name, proc in procs.items():
        if proc.wait() != 0:
            raise SystemExit(f"{what} failed ({name}): see var/log/bench-portal-*.log")


def load(args: argparse.Namespace) -> dict[str, Any]:
    """Load both sides unless their stamped databases are there; the seconds it took."""
    to_load = []
    for side in LOADED:
        stamp_file = OUT / f"portal-{side}.stamp"
        stamp = stamp_of(side, args.scale, through_actions(args))
        if (not args.reload and stamp_file.exists() and stamp_file.read_text().strip() == stamp
                and dataset_count(SIDES[side]["database"]) == args.scale):
            say(f"{SIDES[side]['label']}: the {args.scale} datasets are loaded already "
                f"({SIDES[side]['database']}; --reload to load again)")
        else:
            stamp_file.unlink(missing_ok=True)
            to_load.append(side)
    timings: dict[str, Any] = {}
    if not to_load:
        return timings
    ckan = str(VENV / "bin" / "ckan")
    started = time.perf_counter()
    say(f"recreating {', '.join(SIDES[s]['database'] for s in to_load)} and running ckan db init")
    for side in to_load:
        recreate_database(SIDES[side]["database"])
    wait_all({side: run_logged([ckan, "-c", str(SIDES[side]["config"]), "db", "init"],
                               f"bench-portal-{side}-load.log", env=dict(os.environ, CKAN_INI=str(SIDES[side]["config"])))
              for side in to_load}, "ckan db init")
    wait_all({side: run_logged([sys.executable, "bench/load.py", "--side", side, "--scale", str(args.scale), "orgs"],
                               f"bench-portal-{side}-load.log") for side in to_load}, "creating the partners")
    base = through_actions(args)
    say(f"loading {base} datasets into {' and '.join(SIDES[s]['label'] for s in to_load)} through CKAN's "
        f"actions ({args.load_jobs} processes each; logs: var/log/bench-portal-<side>-load.log)")
    procs = {}
    for side in to_load:
        for part in range(args.load_jobs):
            procs[f"{side}/{part}"] = run_logged(
                [sys.executable, "bench/load.py", "--side", side, "--scale", str(args.scale), "datasets",
                 "--part", str(part), "--parts", str(args.load_jobs), "--limit", str(base)],
                f"bench-portal-{side}-load.log")
    wait_all(procs, "loading the datasets")
    if base < args.scale:
        say(f"making datasets {base + 1} to {args.scale} from the first {base} in PostgreSQL (bench/replicate.py)")
        wait_all({side: run_logged([sys.executable, "bench/replicate.py", "--side", side, "--scale", str(args.scale),
                                    "--base", str(base)], f"bench-portal-{side}-load.log") for side in to_load},
                 "replicating the datasets")
        timings["replicated_from"] = base
    for side in to_load:
        count = dataset_count(SIDES[side]["database"])
        if count != args.scale:
            raise SystemExit(f"{SIDES[side]['label']}: {count} public datasets loaded instead of {args.scale}")
        (OUT / f"portal-{side}.stamp").write_text(stamp_of(side, args.scale, through_actions(args)) + "\n")
    timings["load_seconds"] = time.perf_counter() - started
    say(f"loaded in {timings['load_seconds']:.0f} s")
    return timings


def flush_redis(db: int) -> None:
    """The benchmark's own Redis databases (7 and 8): sessions, page cache, catalogue version."""
    import redis
    if db not in (7, 8, 9):
        raise SystemExit(f"refusing to flush Redis database {db}")
    client = redis.Redis(host="127.0.0.1", port=int(os.environ["CKAN_REDIS_PORT"]), db=db,
                         password=os.environ.get("CKAN_REDIS_PASSWORD") or None)
    client.flushdb()


def run_ckan(side: str, *args: str, log_name: str, **env: str) -> None:
    """A ``ckan`` command with a side's configuration (and these environment variables),
    to its end; its output appended to var/log/``log_name``."""
    config = str(SIDES[side]["config"])
    proc = run_logged([str(VENV / "bin" / "ckan"), "-c", config, *args], log_name,
                      env=dict(os.environ, CKAN_INI=config, **env))
    if proc.wait() != 0:
        raise SystemExit(f"ckan {' '.join(args)} failed ({side}): see var/log/{log_name}")


def rebuild_index(side: str) -> float:
    """``ckan search-index rebuild``, timed, after its site's documents are cleared
    (untimed: documents of datasets no longer in the database would stay otherwise)."""
    run_ckan(side, "search-index", "clear", log_name=f"bench-portal-{side}-rebuild.log")
    started = time.perf_counter()
    run_ckan(side, "search-index", "rebuild", log_name=f"bench-portal-{side}-rebuild.log")
    return time.perf_counter() - started


def warm_kept_texts(site_url: str) -> float:
    """``ckan datasud warm-catalogue`` on DataSud's side (with its web app's site URL,
    which the kept texts depend on), timed: each published dataset's Turtle and page
    JSON-LD kept, as Celery keeps them after each change (the loading ran without Celery,
    and Redis was flushed) and nightly."""
    started = time.perf_counter()
    run_ckan("datasud", "datasud", "warm-catalogue", log_name="bench-portal-datasud-warm.log",
             CKAN_SITE_URL=site_url)
    return time.perf_counter() - started


class CeleryWorker:
    """DataSud's Celery worker beside its web app, as ``bin/datasud up`` and
    docker-compose run it (it reads the catalogue ahead while a cold export is written:
    dcat_endpoints.read_ahead). Its broker (Redis database 9) is emptied first: the tasks
    the loading queued without a worker are not this run's work."""

    LOG_NAME = "bench-portal-datasud-celery.log"

    def __init__(self, site_url: str):
        flush_redis(9)
        config = str(SIDES["datasud"]["config"])
        self.env = dict(os.environ, CKAN_INI=config, CKAN_SITE_URL=site_url)
        (LOG / self.LOG_NAME).write_text("")
        self.proc = run_logged([str(VENV / "bin" / "celery"), "--app", "ckanext.datasud.celery_app", "worker",
                                "--loglevel", "INFO", "--hostname", "bench-portal@%h", "--without-gossip",
                                "--without-mingle"], self.LOG_NAME, env=self.env)

    def wait_ready(self, timeout: float = 180) -> None:
        """Until each worker process has loaded CKAN (a task asking for a page past the
        end of the catalogue, once per process: the first task of a process loads it)."""
        processes = os.cpu_count() or 1
        send = ("from ckanext.datasud.celery_app import app\n"
                f"for _ in range({processes}):\n"
                "    app.send_task('datasud.write_catalogue_page', args=[{'fmt': 'ttl', 'profiles': "
                "['euro_dcat_ap_3', 'datasud'], 'q': '', 'fq': '', 'modified_since': None, 'page': 100000, "
                "'rows': 1}])\n")
        subprocess.run([str(VENV / "bin" / "python"), "-c", send], env=self.env, cwd=ROOT, check=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"DataSud's Celery worker stopped: see var/log/{self.LOG_NAME}")
            if (LOG / self.LOG_NAME).read_text(errors="replace").count("succeeded in") >= processes:
                return
            time.sleep(0.5)
        raise SystemExit(f"DataSud's Celery worker did not start in {timeout:.0f} s: see var/log/{self.LOG_NAME}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ---------------------------------------------------------------------------------
# Web apps
# ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebApp:
    """One side's gunicorn (sync workers, as bin/datasud runs the portal)."""

    def __init__(self, side: str, workers: int, port: Optional[int] = None, site_url: Optional[str] = None):
        self.side, self.port = side, port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # DataSud with and without its page cache are one portal: one site URL (its
        # dataset URIs, hence its DCAT fragments, are the same)
        self.site_url = site_url or self.base
        self.pidfile = OUT / f"portal-{side}-web.pid"
        env = dict(os.environ, CKAN_INI=str(SIDES[side]["config"]), CKAN_SITE_URL=self.site_url)
        self.log = LOG / f"bench-portal-{side}-web.log"
        self.proc = subprocess.Popen(
            [str(VENV / "bin" / "gunicorn"), "--chdir", str(ROOT / "config"), "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--timeout", "120", "--pid", str(self.pidfile), "--no-control-socket",
             "--error-logfile", str(self.log), "--capture-output", "wsgi:application"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the {self.side} web app stopped: see {self.log}")
            try:
                with urllib.request.urlopen(self.base + "/api/3/action/status_show", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(1)
        raise SystemExit(f"the {self.side} web app did not answer in {timeout:.0f} s: see {self.log}")

    def workers(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return pids

    def peak_rss_mb(self) -> float:
        """The largest peak resident memory (VmHWM) among the web workers."""
        peak = 0
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
            if match:
                peak = max(peak, int(match.group(1)))
        return peak / 1024

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------------------------
# What is measured
# ---------------------------------------------------------------------------------

def scenarios(scale: int, sample: int) -> dict[str, dict[str, Any]]:
    """Each endpoint's URL list: the same on both sides (same names, same queries)."""
    rng = random.Random(data.SEED + 1)
    orgs, datasets = data.catalogue(scale)
    names = [d["name"] for d in datasets]
    picked = rng.sample(names, min(sample, len(names)))
    q = lambda text: urllib.parse.quote(text)  # noqa: E731
    boxes = []
    for _ in range(60):  # boxes over the region, from a town's size to a department's
        lon, lat = rng.uniform(4.3, 7.6), rng.uniform(43.0, 45.0)
        half = rng.choice((.05, .15, .4))
        boxes.append(f"{lon - half:.3f},{lat - half * .7:.3f},{lon + half:.3f},{lat + half * .7:.3f}")
    api = "/api/3/action/package_search"
    filters = [f"organization:{org['name']} AND res_format:{fmt}"
               for org in rng.sample(orgs, min(40, len(orgs))) for fmt in rng.sample(FORMATS, 2)]
    return {
        "search_text": {"label": "package_search, free text", "kind": "api",
                        "paths": [f"{api}?q={q(w)}" for w in QUERIES]},
        "search_faceted": {"label": "package_search, faceted", "kind": "api",
                           "paths": [f"{api}?q={q(w)}&facet.field={q(FACETS)}&facet.limit=20&rows=10"
                                     for w in QUERIES]},
        "search_filtered": {"label": "package_search, filtered", "kind": "api",
                            "paths": [f"{api}?fq={q(f)}&rows=20" for f in filters]},
        "search_bbox": {"label": "package_search, bounding box", "kind": "api",
                        "paths": [f"{api}?ext_bbox={b}&rows=20" for b in boxes]},
        "package_show": {"label": "package_show", "kind": "api",
                         "paths": [f"/api/3/action/package_show?id={n}" for n in picked]},
        "home": {"label": "home page", "kind": "page", "paths": ["/"]},
        "dataset_page": {"label": "dataset page", "kind": "page", "paths": [f"/dataset/{n}" for n in picked]},
        "search_page": {"label": "search page", "kind": "page",
                        "paths": ["/dataset/"] + [f"/dataset/?q={q(w)}" for w in QUERIES]},
    }


def check_paths(app: WebApp, scenario: dict[str, Any]) -> None:
    """Each endpoint answers 200 on this side (else the figures would mean nothing)."""
    for path in scenario["paths"][:3]:
        try:
            with urllib.request.urlopen(app.base + path, timeout=120) as r:
                if r.status != 200:
                    raise SystemExit(f"{app.side}: {path} answered {r.status}")
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"{app.side}: {path} answered {exc.code}: {exc.read()[:300]!r}")


def run_wrk(app: WebApp, scenario_name: str, paths: list[str], connections: int, seconds: float) -> dict[str, Any]:
    paths_file = OUT / f"wrk-{scenario_name}.paths"
    paths_file.write_text("\n".join(paths) + "\n")
    result_file = OUT / f"wrk-{app.side}-{scenario_name}-c{connections}.json"
    result_file.unlink(missing_ok=True)
    env = dict(os.environ, BENCH_PATHS=str(paths_file), BENCH_RESULT=str(result_file))
    threads = min(connections, 2)
    proc = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:.0f}s",
                           "--timeout", "30s", "-s", str(ROOT / "bench" / "wrk.lua"), app.base],
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not result_file.exists():
        raise SystemExit(f"wrk failed on {app.side} {scenario_name}: {proc.stderr or proc.stdout}")
    res = json.loads(result_file.read_text())
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6) if res["duration_us"] else 0.0
    res["p50_ms"], res["p95_ms"] = res["p50_us"] / 1000, res["p95_us"] / 1000
    res["errors"] = sum(res[k] for k in ("errors_status", "errors_connect", "errors_read", "errors_write",
                                         "errors_timeout"))
    return res


def export_catalogue(app: WebApp) -> dict[str, Any]:
    """Every page of the Turtle catalogue, following Hydra's next page; timed."""
    url, pages, size, datasets = app.base + "/catalog.ttl", 0, 0, 0
    started = time.perf_counter()
    while url:
        with urllib.request.urlopen(url, timeout=600) as r:
            body = r.read().decode("utf-8")
        pages += 1
        size += len(body)
        datasets += len(re.findall(r"\ba dcat:Dataset\b|\brdf:type dcat:Dataset\b|"
                                   r"<http://www\.w3\.org/1999/02/22-rdf-syntax-ns#type> "
                                   r"<http://www\.w3\.org/ns/dcat#Dataset>", body))
        # ckanext-dcat writes the page links as literals ("..."), a harvester may write IRIs
        match = re.search(r"hydra:next(?:Page)?\s+(?:<([^>]+)>|\"([^\"]+)\")", body)
        url = urllib.parse.urljoin(url, match.group(1) or match.group(2)) if match else None
        if url and url.startswith(app.site_url):  # this app's pages, whatever its site URL
            url = app.base + url[len(app.site_url):]
        if pages > 100000:
            raise SystemExit("the catalogue's pages never end")
    return {"seconds": time.perf_counter() - started, "pages": pages, "mb": size / 1e6, "datasets": datasets}


# ---------------------------------------------------------------------------------
# Harvest (tests/benchmarks/harvest_dcat.py)
# ---------------------------------------------------------------------------------

def harvest(args: argparse.Namespace) -> Optional[dict[str, Any]]:
    if args.harvest_datasets <= 0:
        return None
    say(f"harvest benchmark on {args.harvest_datasets} datasets (tests/benchmarks/harvest_dcat.py; "
        "log: var/log/bench-portal-harvest.log)")
    env = dict(os.environ, CKAN_INI=str(ROOT / "config" / "benchmark.ini"))
    proc = run_logged([sys.executable, "tests/benchmarks/harvest_dcat.py", "--datasets", str(args.harvest_datasets),
                       "--consumers", str(args.harvest_consumers)],
                      "bench-portal-harvest.log", env=env)
    if proc.wait() != 0:
        say("the harvest benchmark failed: see var/log/bench-portal-harvest.log (left out of the table)")
        return None
    results = json.loads((OUT / "results.json").read_text())["results"]
    return {side: [{"run": r["run"], "datasets_per_second": r["datasets_per_second"], "seconds": r["seconds"],
                    "stats": r["stats"], "peak_rss_mb": r["peak_rss_mb"]} for r in res["runs"]]
            for side, res in results.items()}


# ---------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    mem = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    return {"cpu": model.group(1).strip() if model else "unknown", "cores": os.cpu_count(),
            "ram_gb": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
            "kernel": os.uname().release}


def ratio(ours: float, stock: float) -> Optional[float]:
    return ours / stock if stock else None


def rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The table: one row per figure, each side's value and the ratio DataSud / stock."""
    out = []
    for name, sc in results["scenarios"].items():
        for c in results["concurrency"]:
            key = f"c{c}"
            d, n, s = (sc["sides"].get(side, {}).get(key) for side in ("datasud", "nocache", "stock"))
            if not d or not s:
                continue
            for metric, unit in (("p50_ms", "ms"), ("p95_ms", "ms"), ("rps", "req/s")):
                out.append({"what": f"{sc['label']}, c={c}", "metric": metric.replace("_ms", ""), "unit": unit,
                            "datasud": d[metric], "nocache": n[metric] if n else None, "stock": s[metric],
                            "ratio": ratio(d[metric], s[metric]),
                            "ratio_nocache": ratio(n[metric], s[metric]) if n else None,
                            "errors": (d["errors"], n["errors"] if n else 0, s["errors"])})
    exp = results.get("export", {})
    if exp.get("datasud") and exp.get("stock"):
        out.append({"what": "full DCAT catalogue as Turtle (all pages), first export", "metric": "time",
                    "unit": "s", "datasud": exp["datasud"]["seconds"], "nocache": None,
                    "stock": exp["stock"]["seconds"],
                    "ratio": ratio(exp["datasud"]["seconds"], exp["stock"]["seconds"]), "ratio_nocache": None})
        if exp.get("nocache"):
            out.append({"what": "full DCAT catalogue as Turtle, next export (page cache off; stock: same work "
                                "again)", "metric": "time", "unit": "s", "datasud": exp["nocache"]["seconds"],
                        "nocache": exp["nocache"]["seconds"], "stock": exp["stock"]["seconds"],
                        "ratio": ratio(exp["nocache"]["seconds"], exp["stock"]["seconds"]),
                        "ratio_nocache": ratio(exp["nocache"]["seconds"], exp["stock"]["seconds"])})
    reb = results.get("rebuild", {})
    if reb:
        out.append({"what": "ckan search-index rebuild", "metric": "time", "unit": "s", "datasud": reb["datasud"],
                    "nocache": None, "stock": reb["stock"], "ratio": ratio(reb["datasud"], reb["stock"]),
                    "ratio_nocache": None})
    rss = results.get("peak_rss_mb", {})
    if rss:
        out.append({"what": "peak RSS of a web worker", "metric": "memory", "unit": "MB", "datasud": rss["datasud"],
                    "nocache": rss.get("nocache"), "stock": rss["stock"], "ratio": ratio(rss["datasud"], rss["stock"]),
                    "ratio_nocache": ratio(rss["nocache"], rss["stock"]) if rss.get("nocache") else None})
    hv = results.get("harvest")
    if hv and hv.get("datasud") and hv.get("stock"):
        for i, label in enumerate(("first harvest", "unchanged re-harvest")):
            if i < len(hv["datasud"]) and i < len(hv["stock"]):
                d, s = hv["datasud"][i]["datasets_per_second"], hv["stock"][i]["datasets_per_second"]
                consumers = results.get("harvest_consumers", 1)
                out.append({"what": f"harvest, {label} ({results['harvest_datasets']} datasets, "
                                    f"{consumers} consumer{'s' if consumers > 1 else ''} per side)",
                            "metric": "throughput", "unit": "datasets/s", "datasud": d, "nocache": None, "stock": s,
                            "ratio": ratio(d, s), "ratio_nocache": None})
    return out


def fmt(value: Optional[float]) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}"


def print_table(results: dict[str, Any]) -> None:
    table = rows(results)
    print()
    head = f"{'what':<46} {'metric':<10} {'DataSud':>9} {'no cache':>9} {'stock':>9} {'ratio':>6} {'ratio nc':>8}"
    print(head)
    print("-" * len(head))
    for row in table:
        print(f"{row['what']:<46} {row['metric'] + ' ' + row['unit']:<10} {fmt(row['datasud']):>9} "
              f"{fmt(row['nocache']):>9} {fmt(row['stock']):>9} {fmt(row['ratio']):>6} {fmt(row['ratio_nocache']):>8}")
    errors = [(r["what"], r["errors"]) for r in table if r.get("errors") and any(r["errors"]) and r["metric"] == "p50"]
    for what, (d, n, s) in errors:
        print(f"non-2xx or failed requests, {what}: DataSud {d}, no cache {n}, stock {s}")
    print("ratio = DataSud / stock (times and memory: below 1 is better for DataSud; requests/s and "
          "datasets/s: above 1); ratio nc: DataSud with its page cache off / stock")


def write_docs(results: dict[str, Any], path: Path, chart: Optional[Path]) -> None:
    m = results["machine"]
    table = rows(results)
    lines = [
        "# Benchmarks: DataSud side by side with stock CKAN 2.11",
        "",
        "<!-- Generated by `bin/datasud bench portal` (bench/portal.py): do not edit by hand, run it again. -->",
        "",
        f"Run of **{results['date']}**, {results['scale']} generated datasets (bench/data.py, fixed seed) "
        f"in each portal, both served by gunicorn with {results['workers']} sync workers on 127.0.0.1, "
        "the same PostgreSQL, Solr and Redis servers (each portal its own database, Solr site id and Redis "
        "database). Load by `wrk`, each endpoint for "
        f"{results['duration']:.0f} s per side after a {results['warmup']:.0f} s warm-up, concurrency 1 and 8, "
        f"the same random sequence of URLs on both sides ({results['sample']} datasets, "
        f"{len(QUERIES)} queries, 60 boxes, 80 filters).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Linux {m['kernel']}; load average "
        f"{results['load_before']:.1f} at the start, {results['load_after']:.1f} at the end "
        "(the machine was shared: the side-by-side design cancels part of that noise, not all).",
        "",
        "*ratio* = DataSud / stock: for times (latencies, exports, rebuild) and memory, **below 1 means "
        "DataSud is better**; for requests/s and datasets/s, above 1. *no cache*: DataSud with its anonymous "
        "page cache off (`ckanext.datasud.page_cache.seconds = 0`), to show what the cache does and what it "
        "does not.",
        "",
        "| what | metric | DataSud | DataSud, no cache | stock CKAN | ratio | ratio, no cache |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in table:
        lines.append(f"| {row['what']} | {row['metric']} ({row['unit']}) | {fmt(row['datasud'])} | "
                     f"{fmt(row['nocache'])} | {fmt(row['stock'])} | {fmt(row['ratio'])} | "
                     f"{fmt(row['ratio_nocache'])} |")
    errors = [(r["what"], r["errors"]) for r in table if r.get("errors") and any(r["errors"]) and r["metric"] == "p50"]
    if errors:
        lines += ["", "Non-2xx or failed requests during the load (counted in the figures above):", ""]
        lines += [f"- {what}: DataSud {d}, no cache {n}, stock {s}" for what, (d, n, s) in errors]
    exp = results.get("export", {})
    if exp.get("datasud"):
        lines += ["", "Catalogue export: " + "; ".join(
            f"{SIDES[s]['label']} {e['pages']} pages, {e['mb']:.1f} MB of Turtle, {e['datasets']} datasets"
            for s, e in exp.items() if e)]
    if results.get("through_actions", results["scale"]) < results["scale"]:
        lines += ["", f"The first {results['through_actions']} datasets of the catalogue were loaded through CKAN's "
                      "actions (DataSud: and its validation workflow); the others were made from them in PostgreSQL "
                      "by bench/replicate.py, each with its own name, title, description and organisation from the "
                      "generator (resources, extents, themes and keywords repeat its template's), then indexed "
                      "by `ckan search-index rebuild` like the rest."]
    if results.get("warm_seconds"):
        lines += ["", f"Before the load, `ckan datasud warm-catalogue` kept each published DataSud dataset's Turtle "
                      f"and page JSON-LD in {results['warm_seconds']:.0f} s, as Celery does after each change and "
                      "nightly (the loading ran without Celery and Redis was flushed; the first export above is "
                      "timed before it, with DataSud's Celery worker running beside its web app as in production: "
                      "it reads the catalogue ahead, `dcat_endpoints.read_ahead`)."]
    if results.get("load_seconds"):
        lines += ["", f"Loading the two catalogues through CKAN's actions took {results['load_seconds']:.0f} s "
                      "(not a figure of the comparison: it includes DataSud's validation workflow)."]
    if chart is not None:
        lines += ["", f"![Latencies at concurrency 8, DataSud and stock CKAN]({chart.name})"]
    lines += ["", "## Notes", "", results.get("notes", "").strip() or "—", ""]
    path.write_text("\n".join(lines))


def draw_chart(results_file: Path, png: Path) -> Optional[Path]:
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        say("no chart: .cache/bench-venv is missing (bin/datasud bench portal installs it)")
        return None
    proc = subprocess.run([str(python), str(ROOT / "bench" / "chart.py"), str(results_file), str(png)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        say(f"no chart: {proc.stderr.strip()[-500:]}")
        return None
    return png


# ---------------------------------------------------------------------------------

def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=2000, help="datasets in each portal (2000; 20000 for 10x)")
    parser.add_argument("--reload", action="store_true", help="load the databases again even if stamped")
    parser.add_argument("--load-jobs", type=int, default=2, help="loading processes per side (2)")
    parser.add_argument("--replicate-from", type=int, default=2000,
                        help="above this scale, load only this many datasets through CKAN's actions and make "
                             "the others from them in PostgreSQL (bench/replicate.py; 2000; 0: all through "
                             "the actions)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per side (2)")
    parser.add_argument("--duration", type=float, default=8, help="seconds of load per endpoint, side and "
                                                                     "concurrency (8)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up before each (2)")
    parser.add_argument("--sample", type=int, default=500, help="datasets the load draws from (500)")
    parser.add_argument("--concurrency", default="1,8", help="wrk connections, comma-separated (1,8)")
    parser.add_argument("--only", default="", help="only these endpoints (comma-separated names)")
    parser.add_argument("--no-nocache", action="store_true", help="skip DataSud without its page cache")
    parser.add_argument("--harvest-datasets", type=int, default=2000,
                        help="datasets of the harvest benchmark (2000, the 2,000-dataset catalogue; 0 skips it)")
    parser.add_argument("--harvest-consumers", type=int, default=2,
                        help="fetch consumer processes of each side in the harvest benchmark (2, as "
                             "ckanext.datasud.harvest.fetch_consumers deploys DataSud)")
    parser.add_argument("--notes", default=None,
                        help="text appended to the docs as Notes (bench/notes.md at 2,000 datasets, "
                             "bench/notes-<scale>.md at other scales)")
    parser.add_argument("--docs", default=None,
                        help="where to write the report (docs/benchmarks.md at 2,000 datasets, "
                             "docs/benchmarks-<scale>.md at other scales; '' to skip)")
    parser.add_argument("--load-only", action="store_true",
                        help="only load (or check) both sides' databases at --scale, then stop")
    parser.add_argument("--report-only", action="store_true",
                        help="only write the report again from var/bench/portal-results.json (e.g. after "
                             "editing bench/notes.md)")
    args = parser.parse_args(argv)
    suffix = "" if args.scale == 2000 else f"-{args.scale}"
    if args.notes is None:
        args.notes = str(ROOT / "bench" / f"notes{suffix}.md")
    if args.docs is None:
        args.docs = str(ROOT / "docs" / f"benchmarks{suffix}.md")
    if args.report_only:
        return report(json.loads(results_path(args.scale).read_text()), args)
    if args.scale < 10 or args.workers < 1 or args.duration < 1:
        parser.error("--scale ≥ 10, --workers ≥ 1, --duration ≥ 1")
    for name in ("CKAN_PG_PORT", "CKAN_REDIS_PORT", "CKAN_SOLR_PORT", "CKAN_PG_PASSWORD"):
        if not os.environ.get(name):
            raise SystemExit(f"missing environment ({name}): run it with `bin/datasud bench portal`")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `bin/datasud bench portal` installs it (Debian package wrk)")
    OUT.mkdir(parents=True, exist_ok=True)
    LOG.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    sides = ["datasud", "stock"] if args.no_nocache else ["datasud", "nocache", "stock"]
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "scale": args.scale,
        "workers": args.workers, "duration": args.duration, "warmup": args.warmup, "sample": args.sample,
        "concurrency": concurrency, "machine": machine(), "load_before": os.getloadavg()[0],
        "harvest_datasets": args.harvest_datasets, "harvest_consumers": args.harvest_consumers,
        "through_actions": through_actions(args),
    }
    results.update(load(args))
    if args.load_only:
        return 0

    for side in LOADED:
        flush_redis(SIDES[side]["redis_db"])
    results["rebuild"] = {}
    for side in ("stock", "datasud"):
        say(f"ckan search-index rebuild: {SIDES[side]['label']}")
        results["rebuild"][side] = rebuild_index(side)
        say(f"  {results['rebuild'][side]:.1f} s ({args.scale / results['rebuild'][side]:.0f} datasets/s)")
    flush_redis(SIDES["datasud"]["redis_db"])  # a cold page cache for what follows

    say(f"starting the web apps ({args.workers} gunicorn workers each): " + ", ".join(SIDES[s]["label"] for s in sides))
    datasud_port = free_port()
    apps = {side: WebApp(side, args.workers, port=datasud_port if side == "datasud" else None,
                         site_url=f"http://127.0.0.1:{datasud_port}" if side in ("datasud", "nocache") else None)
            for side in sides}
    celery = CeleryWorker(apps["datasud"].site_url) if "datasud" in apps else None
    try:
        for app in apps.values():
            app.wait_ready()
        if celery is not None:
            celery.wait_ready()
        say("exporting the full DCAT catalogue (Turtle, every Hydra page), cold")
        results["export"] = {}
        # DataSud twice: cold (no dataset's fragment kept yet: dcat_fragments.py), then
        # again with the page cache off (the next harvester's export after a change).
        for side in ("stock", "datasud", "nocache"):
            if side not in apps:
                continue
            results["export"][side] = export_catalogue(apps[side])
            e = results["export"][side]
            say(f"  {SIDES[side]['label']}: {e['seconds']:.1f} s, {e['pages']} pages, {e['mb']:.1f} MB, "
                f"{e['datasets']} datasets")
        say("keeping DataSud's texts ready (ckan datasud warm-catalogue: what Celery does after each "
            "change and nightly)")
        results["warm_seconds"] = warm_kept_texts(apps["datasud"].site_url)
        say(f"  {results['warm_seconds']:.1f} s")
        results["scenarios"] = {}
        chosen = scenarios(args.scale, args.sample)
        only = {o.strip() for o in args.only.split(",") if o.strip()}
        for name, sc in chosen.items():
            if only and name not in only:
                continue
            for app in apps.values():
                check_paths(app, sc)
            entry = results["scenarios"][name] = {"label": sc["label"], "sides": {s: {} for s in sides}}
            for c in concurrency:
                for side in sides:  # one side at a time, in turn: both see the same machine
                    if args.warmup > 0:
                        run_wrk(apps[side], name, sc["paths"], c, args.warmup)
                    res = run_wrk(apps[side], name, sc["paths"], c, args.duration)
                    entry["sides"][side][f"c{c}"] = res
                    say(f"{sc['label']:<32} c={c} {SIDES[side]['label']:<24} p50 {res['p50_ms']:7.1f} ms  "
                        f"p95 {res['p95_ms']:7.1f} ms  {res['rps']:6.1f} req/s"
                        + (f"  {res['errors']} errors" if res["errors"] else ""))
        results["peak_rss_mb"] = {side: app.peak_rss_mb() for side, app in apps.items()}
    finally:
        for app in apps.values():
            app.stop()
        if celery is not None:
            celery.stop()

    results["harvest"] = harvest(args)
    results["load_after"] = os.getloadavg()[0]
    results_path(args.scale).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    report(results, args)
    say(f"done in {time.perf_counter() - started:.0f} s (raw figures: {results_path(args.scale)})")
    return 0


def results_path(scale: int) -> Path:
    return OUT / ("portal-results.json" if scale == 2000 else f"portal-results-{scale}.json")


def report(results: dict[str, Any], args: argparse.Namespace) -> int:
    """The table on the terminal; docs/benchmarks.md and its chart."""
    notes = Path(args.notes)
    results["notes"] = notes.read_text() if args.notes and notes.exists() else ""
    results_file = results_path(results["scale"])
    print_table(results)
    if args.docs:
        docs = Path(args.docs)
        chart = draw_chart(results_file, docs.with_suffix(".png"))
        write_docs(results, docs, chart)
        say(f"written: {docs.relative_to(ROOT) if docs.is_relative_to(ROOT) else docs}"
            + (f" and {chart.name}" if chart else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
