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
"""
from __future__ import annotations

from typing import Optional

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.datasud.harvesting import safety
from ckanext.datasud.harvesting.settings import SCHEDULES

__all__ = ["harvest_source_create", "harvest_source_update"]


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


@tk.chained_action
def harvest_source_create(up_func, context, data_dict):
    # (the stock action only checks package_create's auth, not its own)
    tk.check_access("harvest_source_create", context, data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def harvest_source_update(up_func, context, data_dict):
    tk.check_access("harvest_source_update", context, data_dict)
    return up_func(context, data_dict)
