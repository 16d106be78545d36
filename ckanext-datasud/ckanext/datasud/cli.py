"""``ckan datasud ...`` commands (registered by ``tk.blanket.cli``)."""
from __future__ import annotations

import sys

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
