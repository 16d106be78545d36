"""Web workers against one PostgreSQL, Solr and Redis: throughput as gunicorn workers are
added (README, Scaling).

    bin/datasud bench workers [--workers 1,2,4] [--duration 8]

Not a test. Runs on the portal benchmark's DataSud database as bench/portal.py left it
(loaded and indexed: run ``bin/datasud bench portal`` first, at any scale), with the
anonymous page cache off (config/benchmark-portal-nocache.ini: every request computed),
one gunicorn per worker count in turn, each driven by wrk at concurrency 8 on the dataset
page and on ``package_search`` (free text) with the same URLs as the portal benchmark.
Prints requests/s, median and p95 of each, and the speed-up over one worker.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import portal  # noqa: E402

ENDPOINTS = ("dataset_page", "search_text")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,4", help="gunicorn worker counts (1,2,4)")
    parser.add_argument("--duration", type=float, default=8, help="seconds of load per figure (8)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    args = parser.parse_args(argv)
    scale = portal.dataset_count(portal.SIDES["nocache"]["database"])
    if scale < 10:
        raise SystemExit("no benchmark database: run `bin/datasud bench portal` first")
    chosen = portal.scenarios(scale, 500)
    results: dict[str, dict[int, dict]] = {name: {} for name in ENDPOINTS}
    for workers in [int(w) for w in args.workers.split(",") if w.strip()]:
        app = portal.WebApp("nocache", workers)
        try:
            app.wait_ready()
            for name in ENDPOINTS:
                portal.check_paths(app, chosen[name])
                portal.run_wrk(app, name, chosen[name]["paths"], args.connections, 2)
                res = portal.run_wrk(app, name, chosen[name]["paths"], args.connections, args.duration)
                results[name][workers] = res
                portal.say(f"{chosen[name]['label']:<28} {workers} worker(s): {res['rps']:6.1f} req/s, "
                           f"p50 {res['p50_ms']:6.0f} ms, p95 {res['p95_ms']:6.0f} ms")
        finally:
            app.stop()
    print(f"\nDataSud, page cache off, {scale} datasets, wrk c={args.connections}, {args.duration:.0f} s each "
          f"({portal.machine()['cores']} cores)")
    print(f"{'endpoint':<28} {'workers':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'speed-up':>9}")
    for name, by_workers in results.items():
        base = by_workers[min(by_workers)]["rps"] if by_workers else 0
        for workers, res in sorted(by_workers.items()):
            print(f"{chosen[name]['label']:<28} {workers:>7} {res['rps']:>8.1f} {res['p50_ms']:>8.0f} "
                  f"{res['p95_ms']:>8.0f} {res['rps'] / base if base else 0:>8.2f}x")
    (portal.OUT / "workers-results.json").write_text(json.dumps(
        {name: {str(w): r for w, r in v.items()} for name, v in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
