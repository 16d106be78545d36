"""Scale-out figures (issue 14, item 4): DataSud's Solr index on one node against a local
SolrCloud cluster (4 nodes, 2 shards x 2 replicas, embedded ZooKeeper) on this machine.

    bin/datasud ckan --help >/dev/null   # (services and .cache/solr ready: `bin/datasud up` once)
    .venv/bin/python bench/solrcloud.py [--datasets 2000] [--queries 300]

Prints, for each side: time to index ``--datasets`` CKAN-shaped documents (French titles
and descriptions, themes, organisations, formats) in batches of 100 with one commit at the
end, and median / p95 latency of ``--queries`` searches (free text with DataSud's French
analysis, faceted, filtered) at concurrency 1 and 4; for the cluster, its start time.
The single node is the local Solr of ``bin/datasud`` (core ``ckan_test``, documents of a
site id of their own, deleted at the end). Asserts no timing.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pysolr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.solrcloud import Cluster  # noqa: E402

WORDS = ("qualité air eau baignade plages lycées collèges écoles transports bus tramway vélo pistes cyclables "
         "énergie électricité consommation bâtiments publics budget subventions associations culture musées "
         "tourisme hébergements randonnées sentiers forêts incendies risques inondations urbanisme cadastre "
         "parcelles population recensement emploi entreprises agriculture vignobles pêche ports littoral").split()
ORGS = [f"partenaire-{i}" for i in range(40)]
THEMES = ["environnement-climat", "mobilite-transports", "culture-tourisme", "economie", "energies-reseaux",
          "amenagement-urbanisme", "social-sante-sports", "agriculture"]
FORMATS = ["CSV", "JSON", "GeoJSON", "SHP", "PDF", "XLSX"]
SITE = "datasud_bench_solrcloud"


def documents(count: int, seed: int = 42) -> list[dict]:
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))).capitalize()
        docs.append({
            "index_id": f"{SITE}-{i}", "id": f"bench-{i}", "site_id": SITE, "name": f"jeu-{i}",
            "title": title, "notes": " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))),
            "organization": rng.choice(ORGS), "groups": rng.sample(THEMES, rng.randint(1, 2)),
            "res_format": rng.sample(FORMATS, rng.randint(1, 3)), "capacity": "public", "state": "active",
            "dataset_type": "dataset", "entity_type": "package", "metadata_modified": "2026-11-30T12:00:00Z",
        })
    return docs


QUERIES = [
    {"q": "qualite de l'eau", "defType": "edismax", "qf": "name^4 title^4 text"},
    {"q": "electricite batiments", "defType": "edismax", "qf": "name^4 title^4 text"},
    {"q": "*:*", "facet": "true", "facet.field": ["organization", "groups", "res_format"], "facet.limit": 50},
    {"q": "*:*", "fq": "res_format:CSV AND groups:mobilite-transports"},
    {"q": "randonnées sentiers", "defType": "edismax", "qf": "name^4 title^4 text", "fq": "organization:partenaire-3"},
]


def index(solr: pysolr.Solr, docs: list[dict]) -> float:
    started = time.perf_counter()
    for start in range(0, len(docs), 100):
        solr.add(docs[start:start + 100], commit=False)
    solr.commit()
    return time.perf_counter() - started


def latencies(url: str, count: int, concurrency: int, auth=None) -> list[float]:
    def one(i: int) -> float:
        solr = pysolr.Solr(url, timeout=60, auth=auth)
        params = dict(QUERIES[i % len(QUERIES)])
        params["fq"] = [f"+site_id:{SITE}"] + ([params["fq"]] if "fq" in params else [])
        q = params.pop("q")
        started = time.perf_counter()
        solr.search(q, rows=20, **params)
        return (time.perf_counter() - started) * 1000

    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, range(count)))


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def measure(name: str, url: str, docs: list[dict], queries: int, auth=None) -> dict:
    solr = pysolr.Solr(url, timeout=120, auth=auth)
    solr.delete(q=f"site_id:{SITE}", commit=True)
    seconds = index(solr, docs)
    found = solr.search("*:*", fq=f"+site_id:{SITE}", rows=0).hits
    assert found == len(docs), f"{name}: {found} documents found of {len(docs)}"
    row = {"side": name, "index_s": seconds, "docs_per_s": len(docs) / seconds}
    for concurrency in (1, 4):
        values = latencies(url, queries, concurrency, auth)
        row[f"median_c{concurrency}"] = statistics.median(values)
        row[f"p95_c{concurrency}"] = p95(values)
    solr.delete(q=f"site_id:{SITE}", commit=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    docs = documents(args.datasets)
    rows = []
    port = os.environ.get("DATASUD_SOLR_PORT", "8983")
    password = os.environ.get("DATASUD_SOLR_PASSWORD", "")
    rows.append(measure("one node", f"http://127.0.0.1:{port}/solr/ckan_test", docs, args.queries,
                        auth=("datasud", password) if password else None))
    with tempfile.TemporaryDirectory(prefix="datasud-solrcloud-") as base:
        started = time.perf_counter()
        cluster = Cluster(Path(base))
        start_s = time.perf_counter() - started
        try:
            rows.append(measure("SolrCloud 4 nodes, 2x2", f"{cluster.nodes[0]}/ckan", docs, args.queries))
        finally:
            cluster.close()
    print(f"\n{args.datasets} documents, {args.queries} queries per concurrency; SolrCloud started in {start_s:.1f} s\n")
    print(f"{'side':<24} {'index (s)':>10} {'docs/s':>8} {'median c1':>10} {'p95 c1':>8} {'median c4':>10} {'p95 c4':>8}")
    for row in rows:
        print(f"{row['side']:<24} {row['index_s']:>10.1f} {row['docs_per_s']:>8.0f} {row['median_c1']:>8.1f}ms "
              f"{row['p95_c1']:>6.1f}ms {row['median_c4']:>8.1f}ms {row['p95_c4']:>6.1f}ms")


if __name__ == "__main__":
    main()
