"""Bring the cores' conf/ in line with the repository's config set, running Solr or not.

`bin/datasud` copies ``solr/configsets/ckan/conf`` into each core of ``var/solr`` when it
starts Solr, but a Solr node left running (by ``up`` before a ``git pull``, or by another
test run) keeps serving the schema it loaded: a changed analyzer would never reach it.
So each core records the SHA-256 of the config set it was given (``<core>/conf.sha256``);
when the repository's differs, the conf is copied again and, if Solr runs, the core is
reloaded through the CoreAdmin API (the index stays; the portal's index must then be
rebuilt, since documents keep the analysis they were indexed with: the core gets a
``reindex-needed`` file that ``bin/datasud up`` acts on).

    sync_conf.py HOME CONF CORE... [--url http://127.0.0.1:8983/solr]

Solr's password comes from ``DATASUD_SOLR_PASSWORD`` (user ``datasud``). Prints one line
per core whose conf changed; exit status 1 when a reload failed.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import sys
import urllib.parse
import urllib.request
from pathlib import Path

STAMP = "conf.sha256"
REINDEX_MARK = "reindex-needed"


def conf_digest(conf: Path) -> str:
    """SHA-256 over every file of a conf directory (relative path and content), so that
    any change, a new file included, gives another digest."""
    digest = hashlib.sha256()
    for path in sorted(p for p in conf.rglob("*") if p.is_file()):
        digest.update(path.relative_to(conf).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def core_digest(home: Path, core: str) -> str | None:
    """The digest recorded when the core was last given its conf (None: never recorded)."""
    stamp = home / core / STAMP
    return stamp.read_text().strip() if stamp.exists() else None


def solr_request(url: str, timeout: float = 60) -> dict:
    """A JSON request to Solr with DataSud's BasicAuth credentials."""
    request = urllib.request.Request(url)
    password = os.environ.get("DATASUD_SOLR_PASSWORD")
    if password:
        token = base64.b64encode(f"datasud:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def reload_core(solr_url: str, core: str) -> None:
    """Reload a core so that it reads its conf/ again (CoreAdmin RELOAD: the old searcher
    serves requests until the new one is ready)."""
    query = urllib.parse.urlencode({"action": "RELOAD", "core": core, "wt": "json"})
    answer = solr_request(f"{solr_url.rstrip('/')}/admin/cores?{query}")
    if answer.get("responseHeader", {}).get("status") != 0:
        raise RuntimeError(f"Solr refused to reload {core}: {answer}")


def sync_core(home: Path, conf: Path, core: str, solr_url: str | None) -> bool:
    """Give one core the repository's conf if its recorded digest differs; True if changed."""
    want = conf_digest(conf)
    target = home / core
    if core_digest(home, core) == want and (target / "conf").is_dir():
        return False
    target.mkdir(parents=True, exist_ok=True)
    had_index = (target / "data").is_dir()
    shutil.rmtree(target / "conf", ignore_errors=True)
    shutil.copytree(conf, target / "conf")
    if not (target / "core.properties").exists():
        (target / "core.properties").write_text(f"name={core}\n")
    if had_index:
        (target / REINDEX_MARK).write_text(want + "\n")
    if solr_url:
        reload_core(solr_url, core)
    # Recorded last: a failed reload is tried again by the next run.
    (target / STAMP).write_text(want + "\n")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("conf", type=Path)
    parser.add_argument("cores", nargs="+")
    parser.add_argument("--url", help="Solr's base URL when it runs (the cores are then reloaded)")
    args = parser.parse_args(argv)
    status = 0
    for core in args.cores:
        try:
            if sync_core(args.home, args.conf, core, args.url):
                print(f"{core}: configuration updated from {args.conf}" + (" and core reloaded" if args.url else ""))
        except (OSError, RuntimeError) as error:
            print(f"{core}: could not reload the core: {error}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
