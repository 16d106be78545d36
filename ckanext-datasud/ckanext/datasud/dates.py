"""Dates for people, in one place: the formats the portal's pages write.

- :func:`long_date`: « 2 décembre 2026 » in the reader's language (CKAN's
  ``render_datetime`` with hours forces the English order "MMMM d, YYYY" whatever the
  language: « décembre 2, 2026 »);
- :func:`long_datetime`: « 2 décembre 2026 à 14:05 »;
- :func:`short_date`: « 02/12/2026 » (tables of conventions and partners).

Each takes what is stored (a date, a date and time, an ISO string with or without time
and offset, as harvested dates have them): empty when there is none, and shown as stored
when it cannot be read (a harvested oddity is never a 500).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Optional, Union

from dateutil.parser import isoparse

import ckan.plugins.toolkit as tk

__all__ = ["long_date", "long_datetime", "short_date", "reader_language"]


def reader_language() -> str:
    """The page's language; French outside a request."""
    try:
        return tk.h.lang() or "fr"
    except Exception:  # noqa: BLE001 - outside a request
        return "fr"


def _read(value: Any) -> Union[dt.date, dt.datetime]:
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    return isoparse(str(value).strip())


def _written(value: Any, write: Callable[[Union[dt.date, dt.datetime]], str]) -> str:
    """``write(value read)``; empty for no value, the value as stored when unreadable."""
    if not value:
        return ""
    try:
        moment = _read(value)
    except (ValueError, OverflowError, TypeError):
        return str(value)
    return write(moment)


def long_date(value: Any, lang: Optional[str] = None) -> str:
    from babel.dates import format_date

    def write(moment):
        day = moment.date() if isinstance(moment, dt.datetime) else moment
        return format_date(day, format="long", locale=lang or reader_language())
    return _written(value, write)


def long_datetime(value: Any) -> str:
    from ckan.lib.formatters import localised_nice_date

    def write(moment):
        if not isinstance(moment, dt.datetime):
            moment = dt.datetime.combine(moment, dt.time())
        return localised_nice_date(moment, show_date=True, with_hours=True, format=tk._("d MMMM y 'at' HH:mm"))
    return _written(value, write)


def short_date(value: Any) -> str:
    return _written(value, lambda moment: moment.strftime("%d/%m/%Y"))
