"""The portal benchmark's chart: ``python bench/chart.py var/bench/portal-results.json docs/benchmarks.png``.

Run by bench/portal.py with .cache/bench-venv's Python (matplotlib, bench/requirements.txt):
for each endpoint at the highest concurrency measured, the median and p95 latency of
DataSud, DataSud without its page cache, and stock CKAN (log scale).
"""
from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SIDES = (("datasud", "DataSud", "#0b6e4f"), ("nocache", "DataSud, cache off", "#7fb7a4"),
         ("stock", "stock CKAN 2.11", "#c0392b"))


def main(source: str, target: str) -> int:
    results = json.load(open(source))
    c = max(results["concurrency"])
    names = [n for n, sc in results["scenarios"].items() if sc["sides"].get("stock", {}).get(f"c{c}")]
    labels = [results["scenarios"][n]["label"] for n in names]
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.55 * len(names) + 2.2), sharey=True)
    height = 0.26
    for ax, metric, title in ((axes[0], "p95_ms", f"p95 latency, concurrency {c} (ms, log)"),
                              (axes[1], "rps", f"requests/s, concurrency {c}")):
        for i, (side, label, colour) in enumerate(SIDES):
            values = [results["scenarios"][n]["sides"].get(side, {}).get(f"c{c}", {}).get(metric) for n in names]
            if not any(values):
                continue
            ys = [k + (i - 1) * height for k in range(len(names))]
            ax.barh(ys, [v or 0 for v in values], height=height, label=label, color=colour)
        if metric == "p95_ms":
            ax.set_xscale("log")
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=.3)
    axes[0].set_yticks(range(len(names)))
    axes[0].set_yticklabels(labels, fontsize=9)
    axes[0].invert_yaxis()
    axes[1].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"DataSud vs stock CKAN 2.11, {results['scale']} datasets, {results['workers']} gunicorn workers each "
                 f"({results['date']})", fontsize=11)
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
