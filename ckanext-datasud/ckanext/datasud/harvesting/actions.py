"""Harvest sources as DataSud wants them (chained to ckanext-harvest's actions):

- a source belongs to a partner (an organisation): its records are that partner's;
- its schedule is manual, daily or weekly;
- its URL is public (no private, loopback or link-local address: see :mod:`.safety`).

Runs are refused without a convention in force (``harvest_job_create``, logic/action.py).
"""
from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.datasud.harvesting import safety
from ckanext.datasud.harvesting.settings import SCHEDULES

__all__ = ["harvest_source_create", "harvest_source_update"]


def _check_source(data_dict: dict) -> None:
    errors: dict[str, list[str]] = {}
    if not data_dict.get("owner_org"):
        errors["owner_org"] = ["Une source de moissonnage appartient à un partenaire : choisissez l'organisation."]
    frequency = (data_dict.get("frequency") or "MANUAL").upper()
    if frequency not in SCHEDULES:
        errors["frequency"] = ["Fréquence proposée : manuelle, quotidienne ou hebdomadaire."]
    else:
        data_dict["frequency"] = frequency
    try:
        safety.check_url(data_dict.get("url") or "")
    except safety.HarvestFetchError as e:
        errors["url"] = [str(e)]
    if errors:
        raise tk.ValidationError(errors)


@tk.chained_action
def harvest_source_create(up_func, context, data_dict):
    # (the stock action only checks package_create's auth, not its own)
    tk.check_access("harvest_source_create", context, data_dict)
    _check_source(data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def harvest_source_update(up_func, context, data_dict):
    tk.check_access("harvest_source_update", context, data_dict)
    _check_source(data_dict)
    return up_func(context, data_dict)
