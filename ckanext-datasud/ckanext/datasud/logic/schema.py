"""Validation schemas of DataSud's own actions."""
from __future__ import annotations

import datetime as dt

import ckan.plugins.toolkit as tk
from ckan.lib.navl.dictization_functions import missing

from ckanext.datasud.logic import validators as v
from ckanext.datasud.model import CONVENTION_KINDS, CONVENTION_STATUSES

_ = tk._


def one_of(values):
    def validator(value):
        if value not in values:
            raise tk.Invalid(_('Unknown value: "{value}". Allowed values: {allowed}.').format(
                value=value, allowed=", ".join(values)))
        return value
    return validator


def date_value(value):
    if value in (None, "", missing):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    parsed = v.parse_date(value)
    return parsed.date() if isinstance(parsed, dt.datetime) else parsed


def organization_exists(value):
    from ckanext.datasud.conventions import organization_of
    org = organization_of(value)
    if org is None:
        raise tk.Invalid(_('Unknown organisation: "{value}".').format(value=value))
    return org.id


def end_not_before_start(key, data, errors, context):
    end, start = data.get(key), data.get(("starts_on",))
    try:
        start = date_value(start)
    except tk.Invalid:
        return  # reported on starts_on
    if end and start and end < start:
        errors[key].append(_("The end date ({end}) is before the start date ({start}).").format(
            end=end.isoformat(), start=start.isoformat()))


def convention_schema() -> dict:
    not_empty = tk.get_validator("not_empty")
    ignore_missing = tk.get_validator("ignore_missing")
    unicode_safe = tk.get_validator("unicode_safe")
    default = tk.get_validator("default")
    return {
        "organization_id": [not_empty, unicode_safe, organization_exists],
        "reference": [not_empty, unicode_safe, v.datasud_no_html],
        "kind": [not_empty, unicode_safe, one_of(CONVENTION_KINDS)],
        "status": [default("draft"), unicode_safe, one_of(CONVENTION_STATUSES)],
        "signed_on": [ignore_missing, date_value],
        "starts_on": [not_empty, date_value],
        "ends_on": [ignore_missing, date_value, end_not_before_start],
        "signatories": [ignore_missing, unicode_safe, v.datasud_no_html],
        "document_url": [ignore_missing, unicode_safe, v.datasud_document_url],
        "scope_notes": [ignore_missing, unicode_safe],
    }


def convention_update_schema() -> dict:
    schema = convention_schema()
    schema["id"] = [tk.get_validator("not_empty"), tk.get_validator("unicode_safe")]
    return schema


def override_schema() -> dict:
    not_empty = tk.get_validator("not_empty")
    unicode_safe = tk.get_validator("unicode_safe")
    return {
        "organization_id": [not_empty, unicode_safe, organization_exists],
        "reason": [not_empty, unicode_safe, v.datasud_no_html],
    }
