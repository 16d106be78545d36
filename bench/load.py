"""Load the benchmark's catalogue (bench/data.py) into one side's database.

    python bench/load.py --side datasud|stock --scale 2000 orgs
    python bench/load.py --side datasud|stock --scale 2000 datasets --part 0 --parts 2

Started by bench/portal.py (several ``datasets`` parts at once, one process each).
Everything goes through CKAN's actions in one process per part, as the site user (a
sysadmin): ``organization_create`` (DataSud: and a convention in force per partner),
``package_create`` and, on DataSud, the validation workflow
(``publish_through_the_workflow``: submitted, legal opinion, committee decision, each
step recorded), so the datasets are published as a partner's are. Only the search
index is left out while loading (CKAN's synchronous indexing is switched off in this
process): the driver then runs ``ckan search-index rebuild``, which is timed and
indexes everything once. With ``--limit``, only the catalogue's first datasets are
loaded (bench/replicate.py then makes the others in PostgreSQL).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import data  # noqa: E402

CONFIGS = {"datasud": ROOT / "config" / "benchmark-portal.ini",
           "stock": ROOT / "config" / "benchmark-portal-stock.ini"}


def app_context(side: str):
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    os.environ["CKAN_INI"] = str(CONFIGS[side])  # DataSud's Celery app reads it
    config = load_config(str(CONFIGS[side]))
    if not config["ckan.site_id"].startswith("datasud_bench_portal"):
        raise SystemExit(f"{CONFIGS[side]} is not a benchmark configuration")
    app = make_app(config)
    # No indexing while loading: `search-index rebuild` indexes everything afterwards.
    # (the workflow's steps reindex their dataset themselves, through search.rebuild)
    import ckan.lib.search as search
    search.SynchronousSearchPlugin.notify = lambda self, entity, operation: None
    search.rebuild = lambda *args, **kwargs: None
    return app._wsgi_app.test_request_context()


def load_orgs(side: str, scale: int) -> None:
    import ckan.plugins.toolkit as tk
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    for org in data.organisations(scale):
        values = {"name": org["name"], "title": org["title"],
                  "description": f"Partenaire du banc d'essai : {org['title']}."}
        if side == "datasud":
            values["partner_type"] = org["partner_type"]
        tk.get_action("organization_create")({"user": site_user}, values)
        if side == "datasud":
            tk.get_action("datasud_convention_create")({"user": site_user}, {
                "organization_id": org["name"], "reference": f"CONV-BENCH-{org['name']}"[:60],
                "kind": "partnership", "status": "in_force", "signed_on": "2020-01-10",
                "starts_on": "2020-01-15"})


def load_datasets(side: str, scale: int, part: int, parts: int, limit: int) -> None:
    import ckan.model as model
    import ckan.plugins.toolkit as tk
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    if side == "datasud":
        from ckanext.datasud.logic.workflow_action import publish_through_the_workflow
    started, done = time.perf_counter(), 0
    _, datasets = data.catalogue(scale)
    for i, dataset in enumerate(datasets):
        if i >= limit:
            break
        if i % parts != part:
            continue
        if side == "datasud":
            created = tk.get_action("package_create")({"user": site_user, "return_id_only": True},
                                                      data.datasud_dict(dataset))
            publish_through_the_workflow(site_user, created)
        else:
            tk.get_action("package_create")({"user": site_user, "return_id_only": True}, data.stock_dict(dataset))
        model.Session.remove()
        done += 1
        if done % 500 == 0:
            print(f"  {side} part {part}: {done} datasets ({done / (time.perf_counter() - started):.1f}/s)",
                  flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", choices=tuple(CONFIGS), required=True)
    parser.add_argument("--scale", type=int, required=True)
    parser.add_argument("what", choices=("orgs", "datasets"))
    parser.add_argument("--part", type=int, default=0)
    parser.add_argument("--parts", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="only the first N datasets (bench/replicate.py "
                                                              "makes the others)")
    args = parser.parse_args()
    os.chdir(ROOT)
    with app_context(args.side):
        if args.what == "orgs":
            load_orgs(args.side, args.scale)
        else:
            load_datasets(args.side, args.scale, args.part, args.parts, args.limit or args.scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
