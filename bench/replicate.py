"""Grow one side's benchmark database from its first ``--base`` datasets to ``--scale``.

    python bench/replicate.py --side datasud|stock --scale 20000 --base 2000

Started by bench/portal.py for scales above ``--base`` (its ``--replicate-from``): the
first ``base`` datasets of bench/data.py's catalogue at ``scale`` are loaded through
CKAN's actions (bench/load.py: validation, DataSud's workflow, activities); loading the
other ones the same way would take hours on this machine (about 4 datasets/s per
process, CPU-bound in CKAN's write path). So each dataset ``i`` beyond ``base`` is made
in PostgreSQL from dataset ``i mod base`` already loaded — its extras, tags, resources
and their views, organisation membership, activities and, on DataSud, its workflow
state and recorded steps, every row under new ids — and takes its own **name, title,
description and organisation** from the generator (so every dataset of the
catalogue at ``scale`` exists under its name, and free-text search sees 20,000
different titles and descriptions). Everything else (resources, extents, themes,
keywords) repeats the template's. One transaction; nothing touches Solr: the driver
then runs ``ckan search-index rebuild``, which indexes every dataset.

What a replica lacks: its activities still carry the template's dataset dictionary (the
activity stream of a replica shows the template's old title); nothing in the benchmark
reads it.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import data  # noqa: E402

DATABASES = {"datasud": "datasud_bench_portal", "stock": "datasud_bench_portal_stock"}

# Tables holding a dataset's rows: (table, column naming the dataset, extra condition).
BY_PACKAGE = [
    ("package_extra", "package_id", ""),
    ("package_tag", "package_id", ""),
    ("activity", "object_id", ""),
    ("datasud_workflow", "package_id", ""),
    ("datasud_review", "package_id", ""),
]


def connect(database: str):
    import psycopg2
    return psycopg2.connect(host="127.0.0.1", port=int(os.environ["CKAN_PG_PORT"]), user="datasud",
                            password=os.environ["CKAN_PG_PASSWORD"], dbname=database)


def columns(cur, table: str) -> list[str]:
    cur.execute("select column_name from information_schema.columns where table_schema = 'public' "
                "and table_name = %s order by ordinal_position", (table,))
    return [row[0] for row in cur.fetchall()]


def copy_rows(cur, table: str, key: str, condition: str = "", overrides: dict[str, str] | None = None) -> int:
    """Copy the templates' rows of ``table`` for every replica (``replica_map``): the
    dataset column mapped, ``id`` new, ``overrides`` as given (SQL over t and m)."""
    cols = columns(cur, table)
    if not cols:
        return 0  # a table of the other side
    overrides = dict(overrides or {})
    overrides[key] = "m.new_id"
    if "id" in cols and "id" not in overrides:
        overrides["id"] = "gen_random_uuid()::text"
    select = ", ".join(overrides.get(c, f't."{c}"') for c in cols)
    names = ", ".join(f'"{c}"' for c in cols)
    cur.execute(f'insert into "{table}" ({names}) select {select} from "{table}" t '
                f'join replica_map m on m.template_id = t."{key}" {condition}')
    return cur.rowcount


def replicate(side: str, scale: int, base: int) -> None:
    started = time.perf_counter()
    orgs, generated = data.catalogue(scale)
    rows = list(generated)
    templates = {i: rows[i % base]["name"] for i in range(base, scale)}
    conn = connect(DATABASES[side])
    with conn, conn.cursor() as cur:
        cur.execute("select count(*) from package where type = 'dataset' and state = 'active'")
        present = cur.fetchone()[0]
        if present != base:
            raise SystemExit(f"{side}: {present} datasets in {DATABASES[side]}, expected the {base} of the base")
        cur.execute("create temp table replica_gen (template_name text, name text, title text, notes text, "
                    "org_name text) on commit drop")
        buf = io.StringIO()
        esc = lambda v: v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")  # noqa: E731
        for i in range(base, scale):
            d = rows[i]
            buf.write("\t".join(esc(v) for v in (templates[i], d["name"], d["title"], d["notes"], d["owner_org"]))
                      + "\n")
        buf.seek(0)
        cur.copy_expert("copy replica_gen from stdin", buf)
        cur.execute("""
            create temp table replica_map on commit drop as
            select p.id as template_id, gen_random_uuid()::text as new_id, g.name, g.title, g.notes,
                   o.id as org_id
            from replica_gen g join package p on p.name = g.template_name
            join "group" o on o.name = g.org_name and o.is_organization""")
        if cur.rowcount != scale - base:
            raise SystemExit(f"{side}: {cur.rowcount} replicas mapped instead of {scale - base} "
                             "(templates or organisations missing)")
        cur.execute("create index on replica_map (template_id)")
        counts = {"package": copy_rows(cur, "package", "id", overrides={
            "id": "m.new_id", "name": "m.name", "title": "m.title", "notes": "m.notes", "owner_org": "m.org_id"})}
        # resources under new ids, then their views
        cur.execute("""
            create temp table resource_map on commit drop as
            select r.id as template_id, gen_random_uuid()::text as new_id, m.new_id as package_id
            from resource r join replica_map m on m.template_id = r.package_id""")
        cur.execute("create index on resource_map (template_id)")
        cols = columns(cur, "resource")
        select = ", ".join({"id": "rm.new_id", "package_id": "rm.package_id"}.get(c, f't."{c}"') for c in cols)
        cur.execute(f'insert into resource ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
                    f"select {select} from resource t join resource_map rm on rm.template_id = t.id")
        counts["resource"] = cur.rowcount
        cols = columns(cur, "resource_view")
        select = ", ".join({"id": "gen_random_uuid()::text", "resource_id": "rm.new_id"}.get(c, f't."{c}"')
                           for c in cols)
        cur.execute(f'insert into resource_view ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
                    f"select {select} from resource_view t join resource_map rm on rm.template_id = t.resource_id")
        counts["resource_view"] = cur.rowcount
        for table, key, condition in BY_PACKAGE:
            counts[table] = copy_rows(cur, table, key, condition)
        counts["member"] = copy_rows(cur, "member", "table_id", "where t.table_name = 'package'", overrides={
            "group_id": "case when t.capacity = 'organization' then m.org_id else t.group_id end"})
        cur.execute("select count(*) from package where type = 'dataset' and state = 'active'")
        total = cur.fetchone()[0]
    conn.close()
    conn = connect(DATABASES[side])
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("analyze")
    conn.close()
    print(f"  {side}: {scale - base} datasets made from the first {base} in {time.perf_counter() - started:.0f} s "
          f"({total} in all): " + ", ".join(f"{t} {n}" for t, n in counts.items()), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", choices=tuple(DATABASES), required=True)
    parser.add_argument("--scale", type=int, required=True)
    parser.add_argument("--base", type=int, required=True)
    args = parser.parse_args()
    if not 0 < args.base < args.scale:
        parser.error("0 < --base < --scale")
    replicate(args.side, args.scale, args.base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
