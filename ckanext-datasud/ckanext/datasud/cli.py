"""``ckan datasud ...`` commands (registered by ``tk.blanket.cli``)."""
from __future__ import annotations

import subprocess
import sys
from typing import Optional

import click

import ckan.plugins.toolkit as tk

__all__ = ["datasud"]


@click.group(short_help="DataSud: demo data and service checks")
def datasud():
    """DataSud commands."""


@datasud.command("load-demo")
@click.option("--admin-email", default="admin@datasud.localhost", show_default=True)
def load_demo(admin_email: str):
    """Create the sysadmin, the Région Sud, partners and demo datasets (idempotent).

    The sysadmin's password comes from DATASUD_ADMIN_PASSWORD; it is used only when
    the account is created.
    """
    from ckanext.datasud import demo

    name = tk.config.get("ckanext.datasud.demo.sysadmin")
    try:
        _, created = demo.ensure_sysadmin(name, demo.admin_password_from_env(), admin_email)
        counts = demo.load(name)
    except tk.ValidationError as e:
        click.secho(f"demo data refused: {e.error_summary}", fg="red", err=True)
        sys.exit(1)
    what = ", ".join(f"{n} {k}" for k, n in counts.items())
    click.echo(f"sysadmin {name}: {'created' if created else 'already there'}; new: {what}")


@datasud.command("check")
def check():
    """Say whether PostgreSQL, Solr and Redis answer, one line each."""
    import logging

    from ckanext.datasud import services

    # Each failure is reported below in one line: no stack traces from CKAN's loggers.
    logging.getLogger("ckan.lib.search").setLevel(logging.CRITICAL)
    failed = False
    for name, ok, detail in services.check_all():
        click.echo(f"{name:<11} {'ok' if ok else 'FAILED'}  {detail}")
        failed = failed or not ok
    sys.exit(1 if failed else 0)


@datasud.command("outbox")
@click.option("--flush", is_flag=True, help="Queue the kept tasks now (the broker must be up).")
def outbox_command(flush: bool):
    """Tasks kept in PostgreSQL while the broker (Redis) was down; --flush queues them."""
    from ckanext.datasud import outbox

    if flush:
        result = outbox.drain(limit=100000)
        click.echo(f"queued: {result['sent']}; still kept: {result['left']}")
        sys.exit(1 if result["left"] else 0)
    rows = outbox.pending(limit=1000)
    click.echo(f"{outbox.pending_count()} task(s) kept")
    for row in rows:
        args = (row["arguments"] or {}).get("args") or []
        click.echo(f"{row['created']:%Y-%m-%d %H:%M:%S}  {row['task']}{tuple(args)!r}  "
                   f"attempts={row['attempts']}  {row['last_error'] or ''}")


CONSUMERS = ("gather", "fetch")
BACKOFF_FIRST, BACKOFF_MAX, HEALTHY_AFTER = 1.0, 60.0, 60.0


def consumer_command(kind: str) -> list[str]:
    """One consumer process, run by the Python of this process: DataSud's gather consumer
    (each page's records queued as it is read) or fetch consumer (each record's commits
    made durable at its end, harvesting/commits.py)."""
    command = ["datasud", f"{kind}-consumer"]
    return [sys.executable, "-c", "import sys; from ckan.cli.cli import ckan; sys.exit(ckan())",
            "-c", tk.config["__file__"], *command]


@datasud.command("gather-consumer", hidden=True)
def gather_consumer():
    """ckanext-harvest's gather consumer, each gathered page's records sent to the fetch
    queue as soon as the page is saved (harvesting/queueing.py). Exits when Redis goes
    away: run it through `ckan datasud harvest-consumer gather`, which starts it again."""
    from ckanext.datasud.harvesting import queueing

    queueing.consume_gather_queue()


@datasud.command("fetch-consumer", hidden=True)
def fetch_consumer():
    """ckanext-harvest's fetch consumer, the records waiting imported a batch at a time in
    one transaction (harvesting/batches.py; one at a time, each record's commits made
    durable at its end and before its dataset is indexed: harvesting/commits.py). Exits
    when Redis goes away: run it through `ckan datasud harvest-consumer fetch`."""
    from ckanext.datasud.harvesting import queueing

    queueing.consume_fetch_queue()


@datasud.command("harvest-consumer")
@click.argument("kind", type=click.Choice(CONSUMERS))
@click.option("--processes", type=click.IntRange(1, 64), default=None,
              help="consumer processes (fetch: ckanext.datasud.harvest.fetch_consumers; gather: 1)")
def harvest_consumer(kind: str, processes: Optional[int]):
    """Run ckanext-harvest's gather or fetch consumer, in one process or several, and
    start each again whenever it stops (Redis down or restarted: ckanext-harvest's
    consumer exits), waiting 1, 2, 4… up to 60 seconds between attempts, back to 1 s
    once a consumer ran a minute. SIGTERM and SIGINT stop the consumers and this command.

    Several fetch consumers import the records of a job side by side (ckanext-harvest
    gives each queued record to one consumer): a first harvest goes about twice as fast
    with two on two cores (README, Harvesting)."""
    import signal
    import threading

    if processes is None:
        processes = tk.config.get("ckanext.datasud.harvest.fetch_consumers") if kind == "fetch" else 1
    stopping = threading.Event()
    children: dict[int, subprocess.Popen] = {}

    def stop(signum, frame):
        stopping.set()
        for child in list(children.values()):
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    slots = [threading.Thread(target=_supervise, args=(kind, slot, children, stopping), daemon=True)
             for slot in range(processes)]
    for thread in slots:
        thread.start()
    while any(thread.is_alive() for thread in slots):
        for thread in slots:
            thread.join(0.5)
    for child in children.values():
        if child.poll() is None:
            child.wait(30)


def _supervise(kind: str, slot: int, children: dict, stopping) -> None:
    """One consumer process, started again with back-off until ``stopping`` is set."""
    import time

    delay = BACKOFF_FIRST
    while not stopping.is_set():
        started = time.monotonic()
        child = children[slot] = subprocess.Popen(consumer_command(kind))
        if stopping.is_set():  # a stop that came while it was starting
            child.terminate()
        click.echo(f"harvest {kind} consumer started (pid {child.pid})", err=True)
        code = child.wait()
        if stopping.is_set():
            break
        if time.monotonic() - started > HEALTHY_AFTER:
            delay = BACKOFF_FIRST
        click.echo(f"harvest {kind} consumer stopped (exit code {code}); starting it again in {delay:.0f} s",
                   err=True)
        stopping.wait(delay)
        delay = min(delay * 2, BACKOFF_MAX)


@datasud.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--env-file", type=click.Path(dir_okay=False), help="the instance's secrets file to include")
@click.option("--config-dir", type=click.Path(file_okay=False), help="configuration files to include")
def backup_command(archive: str, env_file: str | None, config_dir: str | None):
    """Database, uploaded files and configuration in one archive (bin/datasud backup)."""
    from pathlib import Path

    from ckanext.datasud import backup

    try:
        done = backup.backup(Path(archive), Path(env_file) if env_file else None,
                             Path(config_dir) if config_dir else None)
    except backup.BackupError as e:
        click.secho(f"backup failed: {e}", fg="red", err=True)
        sys.exit(1)
    click.echo(f"backed up database {done['database']} and {done['files']} uploaded files into {done['archive']}")


@datasud.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--env-file", type=click.Path(dir_okay=False),
              help="the instance's secrets file, which gets the archive's CKAN_SECRET_KEY")
def restore_command(archive: str, env_file: str | None):
    """Restore an archive of `ckan datasud backup` into this empty instance (then run
    `ckan db upgrade` and `ckan search-index rebuild`, as bin/datasud restore does)."""
    from pathlib import Path

    from ckanext.datasud import backup

    try:
        done = backup.restore(Path(archive), Path(env_file) if env_file else None)
    except backup.BackupError as e:
        click.secho(f"restore failed: {e}", fg="red", err=True)
        sys.exit(1)
    click.echo(f"restored database {done['database']} and {done['files']} uploaded files "
               f"(backup of {done['created']}, site {done['site_id']})")
    for name in done["secrets"]:
        click.echo(f"{name} restored from the archive into {env_file}")


@datasud.command("warm-catalogue")
@click.pass_context
def warm_catalogue_command(ctx):
    """Serialize and keep every published dataset's Turtle for the DCAT catalogue
    (dcat_fragments.py) and its page's JSON-LD: after a restore, a Redis flush or a
    deployment."""
    from ckanext.datasud.dcat_endpoints import warm_catalogue
    # the app and a request: the anonymous visitor's search and the pages' JSON-LD need them
    with ctx.meta["flask_app"].test_request_context():
        click.echo(f"{warm_catalogue()} datasets kept")


@datasud.group("csw")
def csw_group():
    """The INSPIRE discovery service (pycsw): its configuration, its records."""


@csw_group.command("config")
@click.argument("path")
def csw_config(path: str):
    """Write pycsw's configuration file to PATH (from this portal's settings)."""
    from ckanext.datasud.csw import configuration
    try:
        configuration.write(path)
    except ValueError as e:
        click.secho(str(e), fg="red", err=True)
        sys.exit(1)
    click.echo(f"pycsw configuration written to {path}")


@csw_group.command("sync")
def csw_sync():
    """Give the discovery service every published geographic dataset, and delete the
    records of the others."""
    from ckanext.datasud.csw import sync
    if not sync.enabled():
        click.secho("ckanext.datasud.csw.service_url is not set: the discovery service is off", fg="red", err=True)
        sys.exit(1)
    try:
        counts = sync.sync_all()
    except sync.ServiceError as e:
        click.secho(str(e), fg="red", err=True)
        sys.exit(1)
    click.echo(f"discovery service: {counts.get('replaced', 0)} records written, {counts.get('deleted', 0)} deleted")
