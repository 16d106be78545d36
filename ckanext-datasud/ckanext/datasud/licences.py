"""The licences DataSud offers, and how harvested metadata names them.

The list itself is CKAN's licence register (``model.Package.get_license_register()``),
loaded from ``licenses_group_url`` (``config/licenses.json``). Each entry there carries,
besides CKAN's keys, the DataSud keys:

``uri``
    the URI published in DCAT (``dct:license``); empty for ``notspecified``;
``spdx``
    the SPDX identifier, when the licence has one;
``aliases``
    the other ways harvested or imported metadata write the licence: the ids of
    data.gouv.fr and of the former DataSud (``lov2``, ``fr-lo``, ``odc-odbl``…), CKAN's
    default ids (``cc-by``, ``cc-zero``…), titles, and URLs.

:func:`licence_id_for` maps any of those (and the ``id``, ``url``, ``uri`` and SPDX
id and URL of each entry) to our licence id. Matching is exact after normalisation
(case, accents, whitespace and punctuation in names; scheme, ``www.``, query, trailing
slash and Creative Commons' ``legalcode``/``deed`` pages in URLs): there is no fuzzy
matching, and an unknown value gives ``None`` for the caller to keep as "not specified"
and report. Two extra guards refuse a match that contradicts the value itself (an ODbL
value can only be ODbL; a ShareAlike, NonCommercial or NoDerivatives value can never be
plain CC-BY), so a wrong alias in licenses.json cannot repeat the former platform's
ODbL → CC-BY mistake.

The Licence Ouverte ids follow data.gouv.fr's licence list
(https://www.data.gouv.fr/api/1/datasets/licenses/): ``fr-lo`` is "Licence Ouverte /
Open Licence", the 2011 text (version 1.0, ``…/2014/05/Licence_Ouverte.pdf``), and
``lov2`` is "Licence Ouverte / Open Licence version 2.0" (2017). So a name without a
version ("Licence Ouverte", "Licence Ouverte / Open Licence", "Open Licence") is the
official name of version 1.0 and maps to ``etalab-1.0``. Names whose version is
disputed between sources ("Licence Ouverte (Etalab)", "Licence Etalab": 2.0 on
data.gouv.fr, 1.0 in udata's OpenDataSoft harvester) are left out and give ``None``.
"""
from __future__ import annotations

import functools
import logging
import re
import unicodedata
from typing import Any, Optional
from urllib.parse import urlsplit

import ckan.model as model

log = logging.getLogger(__name__)

DEFAULT_LICENCE_ID = "etalab-2.0"
NOT_SPECIFIED_ID = "notspecified"

# An URL, with or without its scheme ("opendatacommons.org/licenses/odbl/1-0" too).
_URL_START = re.compile(r"^(?:https?:)?//|^www\.|^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/", re.IGNORECASE)
_SEPARATORS = re.compile(r"[^a-z0-9.]+")
# Pages of a Creative Commons licence that name the same licence as its main page.
_CC_SUBPAGE = re.compile(r"/(?:legalcode|deed)(?:\.[a-z-]+)?$")
_SPDX_SUFFIX = re.compile(r"\.(?:html|json|txt)$")


def _strip_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise(value: Any) -> Optional[str]:
    """The matching key of a licence value (``None`` for an empty or non-text value).

    URLs become ``url:host/path`` (lower case, no scheme, no ``www.``, no query or
    fragment, no trailing slash or ``index.html``); names become lower-case ASCII words
    separated by single spaces (dots kept, for versions such as ``2.0``).
    """
    if not isinstance(value, str):
        return None
    text = _strip_accents(value).strip().lower().replace("\u2019", "'")
    if not text:
        return None
    if _URL_START.match(text):
        if text.startswith("//"):
            text = "http:" + text
        elif not text.startswith(("http:", "https:")):
            text = "http://" + text
        parts = urlsplit(text)
        host = parts.netloc
        if host.startswith("www."):
            host = host[len("www."):]
        path = re.sub(r"/+", "/", parts.path)
        path = re.sub(r"/index\.html?$", "", path).rstrip("/")
        if host == "creativecommons.org":
            path = _CC_SUBPAGE.sub("", path).rstrip("/")
        elif host == "spdx.org":
            path = _SPDX_SUFFIX.sub("", path)
        return f"url:{host}{path}" if host else None
    words = _SEPARATORS.sub(" ", text).strip(" .")
    words = re.sub(r"\s*\.\s*", ".", words).strip(".")
    words = " ".join(words.split())
    return words or None


def _keys_of(licence: dict[str, Any]) -> set[str]:
    """Every matching key of one entry of the register."""
    values = [licence.get("id"), licence.get("title"), licence.get("url"), licence.get("uri")]
    spdx = licence.get("spdx")
    if spdx:
        values += [spdx, f"https://spdx.org/licenses/{spdx}"]
    values += list(licence.get("aliases") or [])
    return {key for key in map(normalise, values) if key}


def _contradicts(key: str, licence_id: str) -> bool:
    """Whether the value itself says it is not that licence (a last safety net)."""
    words = set(re.split(r"[^a-z0-9]+", key))
    if ("odbl" in key or "open database licen" in key) and licence_id != "odc-odbl":
        return True
    if licence_id == "cc-by-4.0" and (
        words & {"sa", "nc", "nd", "sharealike", "noncommercial", "noderivatives", "noderivs"}
        or "share alike" in key
        or "by-sa" in key or "by-nc" in key or "by-nd" in key
    ):
        return True
    return False


def _build_alias_table(licences: list[dict[str, Any]]) -> tuple[dict[str, str], dict[str, set[str]]]:
    """The alias table ``{key: licence id}``, and the keys claimed by several licences.

    A key claimed by two licences is ambiguous: it is left out of the table (so it
    gives ``None``) and logged, rather than resolved by the order of the file.
    """
    claims: dict[str, set[str]] = {}
    for licence in licences:
        for key in _keys_of(licence):
            claims.setdefault(key, set()).add(licence["id"])
    table: dict[str, str] = {}
    conflicts: dict[str, set[str]] = {}
    for key, ids in claims.items():
        if len(ids) > 1:
            conflicts[key] = ids
            log.warning("Licence alias %r is claimed by %s: ignored", key, sorted(ids))
            continue
        (licence_id,) = ids
        if _contradicts(key, licence_id):
            conflicts[key] = ids
            log.warning("Licence alias %r contradicts licence %s: ignored", key, licence_id)
            continue
        table[key] = licence_id
    return table, conflicts


def licences() -> list[dict[str, Any]]:
    """The licences of the portal, in the order of licenses.json (dictized)."""
    register = model.Package.get_license_register()
    return [licence.license_dictize() for licence in register.values()]


@functools.lru_cache(maxsize=1)
def _alias_table() -> dict[str, str]:
    table, _conflicts = _build_alias_table(licences())
    return table


def clear_cache() -> None:
    """Forget the alias table (after the licence register changed)."""
    _alias_table.cache_clear()


def licence_id_for(value: Any) -> Optional[str]:
    """Our licence id for a licence as written in harvested or imported metadata.

    ``value`` may be one of our ids, an alias listed in licenses.json (data.gouv.fr's
    ``lov2``/``fr-lo``, SPDX ids, titles…) or a URL (the entry's ``url``/``uri``, SPDX,
    Etalab, Open Data Commons or Creative Commons pages, http or https, with or without
    a trailing slash). Unknown or ambiguous values give ``None``: never a guess.
    """
    key = normalise(value)
    if key is None:
        return None
    licence_id = _alias_table().get(key)
    if licence_id is None or _contradicts(key, licence_id):
        return None
    return licence_id


def licence_uri(licence_id: Optional[str]) -> Optional[str]:
    """The URI of a licence for DCAT (``dct:license``), or ``None`` if it has none."""
    if not licence_id:
        return None
    licence = model.Package.get_license_register().get(licence_id)
    if licence is None:
        return None
    return getattr(licence, "uri", None) or None


def licence_title(licence_id: Optional[str]) -> Optional[str]:
    """The title of a licence, or ``None`` if the portal does not offer it."""
    licence = model.Package.get_license_register().get(licence_id) if licence_id else None
    return licence.title if licence is not None else None
