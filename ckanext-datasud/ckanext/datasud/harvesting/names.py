"""Names of harvested datasets, made unique as ckanext-harvest makes them, through an
index.

ckanext-harvest's ``_ensure_name_is_unique`` finds the names already taken with
``name ILIKE 'ideal%'``, which no index answers: each gathered record read the whole
``package`` table (20,000 rows at 20,000 datasets), at every harvest, since a record
harvested again has its name taken by its own dataset. CKAN's dataset names are lower
case (``name_validator``: ``[a-z0-9_-]``), so ``LIKE`` finds the same names, and
migration 0009's ``text_pattern_ops`` index answers it (a range scan of the names that
start with the ideal one). The names given are ckanext-harvest's: the ideal name from the
title, else the first free number appended (or random hexadecimal digits).
"""
from __future__ import annotations

import re
import uuid
from typing import Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.munge import munge_title_to_name
from ckan.model import PACKAGE_NAME_MAX_LENGTH

MAX_NUMBER_APPENDED = 999
HEX_DIGITS_APPENDED = 5


def new_name(title: str, existing_name: Optional[str] = None, append_type: Optional[str] = None) -> Optional[str]:
    """A free dataset name made from ``title`` (``existing_name``: the dataset's own
    name, which stays free for it); ``None`` when every numbered name is taken."""
    append_type = append_type or tk.config.get("ckanext.harvest.default_dataset_name_append") or "number-sequence"
    ideal = re.sub("-+", "-", munge_title_to_name(title))[:PACKAGE_NAME_MAX_LENGTH]
    if existing_name == ideal:
        return ideal
    if append_type == "number-sequence":
        appended = len(str(MAX_NUMBER_APPENDED))
    elif append_type == "random-hex":
        appended = HEX_DIGITS_APPENDED
    else:
        raise NotImplementedError(f"append_type cannot be {append_type}")
    taken = taken_names(ideal[:PACKAGE_NAME_MAX_LENGTH - appended])
    taken.discard(existing_name)
    if ideal not in taken:
        return ideal
    if existing_name and existing_name.startswith(ideal):
        return existing_name  # already a numbered name of this title: kept
    if append_type == "random-hex":
        return ideal[:PACKAGE_NAME_MAX_LENGTH - appended] + uuid.uuid4().hex[:appended]
    for counter in range(1, MAX_NUMBER_APPENDED + 1):
        candidate = ideal[:PACKAGE_NAME_MAX_LENGTH - len(str(counter))] + str(counter)
        if candidate not in taken:
            return candidate
    return None


def taken_names(prefix: str) -> set[str]:
    """The dataset names starting with ``prefix`` (``_`` in it matches any character, as
    in ckanext-harvest's query)."""
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%") + "%"
    return {name for (name,) in model.Session.query(model.Package.name).filter(model.Package.name.like(pattern))}
