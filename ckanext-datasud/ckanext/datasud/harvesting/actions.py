"""Harvest sources as DataSud wants them (chained to ckanext-harvest's actions):

- a source belongs to a partner (an organisation): its records are that partner's;
- its schedule is manual, daily or weekly;
- its URL is public (no private, loopback or link-local address: see :mod:`.safety`).

A source is a dataset of type ``harvest``: ``harvest_source_create/update/patch`` and
``package_create/update/patch/revise`` all write it. The checks therefore run on what is
about to be stored, from the dataset hooks (:func:`check_stored_source`, called by
logic/publication.py), whatever the door; the chained ``harvest_source_*`` actions add
the authorisation checks the stock ones leave to the dataset actions.

Runs are refused without a convention in force (``harvest_job_create``, logic/action.py).

DataSud's source settings (:mod:`.settings`) live in the source's JSON ``config``.
ckanext-harvest stores only what a save gives (and drops the settings given as fields
when a ``config`` is given too): :func:`merge_settings`, called by the chained
``package_create``/``package_update`` (every door), folds them into the stored
configuration; :func:`harvest_source_show` returns each with its effective value.
"""
from __future__ import annotations

import json
from typing import Any, Optional

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.datasud.harvesting import safety, settings
from ckanext.datasud.harvesting.settings import SCHEDULES

__all__ = ["harvest_source_create", "harvest_source_update", "harvest_source_show", "harvest_job_show"]


def check_source(owner_org: Optional[str], frequency: Optional[str], url: Optional[str]) -> None:
    """A source's partner, schedule and URL, as stored (French messages)."""
    errors: dict[str, list[str]] = {}
    owner = model.Group.get(owner_org) if owner_org else None
    if owner is None or not owner.is_organization or owner.state != "active":
        errors["owner_org"] = ["Une source de moissonnage appartient à un partenaire : choisissez l'organisation."]
    if (frequency or "MANUAL") not in SCHEDULES:
        errors["frequency"] = ["Fréquence proposée : manuelle, quotidienne ou hebdomadaire."]
    try:
        safety.check_url(url or "")
    except safety.HarvestFetchError as e:
        errors["url"] = [str(e)]
    if errors:
        raise tk.ValidationError(errors)


def check_stored_source(package: model.Package) -> None:
    """The source as ``package_create``/``package_update`` are about to commit it: the
    package's organisation and URL (ckanext-harvest copies it stripped), its frequency
    extra (validated upper-case; kept from the source when the call does not give it)."""
    frequency = package.extras.get("frequency")
    if frequency is None:
        from ckanext.harvest.model import HarvestSource
        source = HarvestSource.get(package.id) if package.id else None
        frequency = source.frequency if source is not None else None
    check_source(package.owner_org, frequency, (package.url or "").strip())


def settings_schema(source_type: Optional[str]) -> dict[str, list]:
    """The settings a harvester declares (``extra_schema()``), {} for an unknown type."""
    from ckanext.harvest.queue import get_harvester
    harvester = get_harvester(source_type) if source_type else None
    if harvester is None or not hasattr(harvester, "extra_schema"):
        return {}
    return harvester.extra_schema()


def every_setting() -> dict[str, list]:
    """The settings of every harvester (the source form shows them all)."""
    import ckan.plugins as p
    from ckanext.harvest.interfaces import IHarvester
    schema: dict[str, list] = {}
    for harvester in p.PluginImplementations(IHarvester):
        if hasattr(harvester, "extra_schema"):
            schema.update(harvester.extra_schema())
    return schema


def _stored_config(source_id: Optional[str]) -> tuple[Optional[str], dict[str, Any]]:
    """The type and configuration of a stored source (the harvesters read this one)."""
    from ckanext.harvest.model import HarvestSource
    source = HarvestSource.get(source_id) if source_id else None
    if source is None:
        return None, {}
    try:
        values = json.loads(source.config) if source.config else {}
    except ValueError:
        values = {}
    return source.type, values if isinstance(values, dict) else {}


def merge_settings(data_dict: dict[str, Any], source_id: Optional[str] = None) -> None:
    """Before a harvest source is created or updated (``source_id``): its DataSud
    settings, given as fields or in ``config``, folded over the stored configuration (see
    :func:`settings.merge`), into ``data_dict["config"]``, or back as fields when there is
    nothing else to store. A refused setting stays a field:
    ckanext-harvest's schema reports it with its French message. An unreadable ``config``
    is left to ckanext-harvest's check."""
    stored_type, stored = _stored_config(source_id)
    schema = settings_schema(data_dict.get("source_type") or stored_type)
    if not schema:
        return
    config: Optional[dict[str, Any]] = None
    if "config" in data_dict:
        given = data_dict["config"]
        try:
            config = given if isinstance(given, dict) else (json.loads(given) if given else {})
        except (TypeError, ValueError):
            return
        if not isinstance(config, dict):
            return
    fields = {key: data_dict.pop(key) for key in list(schema) if key in data_dict}
    merged, refused = settings.merge(schema, stored, config, fields)
    data_dict.update(refused)
    if config or any(key not in schema for key in merged) or (stored and not merged):
        data_dict["config"] = json.dumps(merged, ensure_ascii=False) if merged else ""
    else:
        # settings only: as fields, which ckanext-harvest folds into the configuration
        # itself (a configuration given too would win; its same-URL check then sees none,
        # as when no configuration is given)
        data_dict.pop("config", None)
        data_dict.update(merged)


@tk.chained_action
@tk.side_effect_free
def harvest_source_show(up_func, context, data_dict):
    """A source with each of its harvester's settings as a top-level key (as
    ckanext-harvest returns the configuration's keys), defaults included."""
    source = up_func(context, data_dict)  # found by id or url, read as package_show allows
    tk.check_access("harvest_source_show", context, {"id": source["id"]})
    # the configuration the harvesters read (the dataset's copy can lag behind it when the
    # settings were given as fields only)
    stored_type, config = _stored_config(source["id"])
    if config and not source.get("config"):
        source["config"] = json.dumps(config, ensure_ascii=False)
    for key, value in settings.effective(settings_schema(source.get("source_type") or stored_type),
                                         config).items():
        source[key] = value
    return source


@tk.chained_action
@tk.side_effect_free
def harvest_job_show(up_func, context, data_dict):
    """A job with DataSud's counts: ``errored`` counts the records refused and the
    catalogue's errors, not the records imported with a warning (ckanext-harvest counts
    every record that has any message); ``with_warnings`` counts those."""
    job = up_func(context, data_dict)
    if isinstance(job.get("stats"), dict):
        from ckanext.datasud.harvesting import reports
        counts = reports.job_counts(job["id"])
        job["stats"]["errored"] = counts["errors"]
        job["stats"]["with_warnings"] = counts["with_warnings"]
    return job


@tk.chained_action
def harvest_source_create(up_func, context, data_dict):
    # (the stock action only checks package_create's auth, not its own)
    tk.check_access("harvest_source_create", context, data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def harvest_source_update(up_func, context, data_dict):
    tk.check_access("harvest_source_update", context, data_dict)
    return up_func(context, data_dict)
