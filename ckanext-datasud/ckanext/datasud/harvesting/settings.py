"""What each harvest source says, besides its URL, type and partner.

The settings live in the source's ``config`` (JSON), where ckanext-harvest keeps every
harvester's options; the harvesters declare them through ``extra_schema()`` so the
source form shows them as fields and validates them with French messages.

``publication_mode``
    ``reference`` (records link to the partner's site; the default) or ``download``
    (data files are copied to DataSud's storage after import, and kept in sync);
``validation``
    ``workflow`` (each new record goes through the validation workflow; the default)
    or ``convention`` (records are pre-validated by the partner's convention and
    published directly, with a line in their history saying so);
``default_themes``
    DataSud themes given to records whose own themes map to none;
``default_licence``
    licence of records that state none (without it, such records are kept as
    "not specified" and reported: never silently Licence Ouverte);
``publisher`` (DCAT)
    only the records of this publisher (its name or URI) are harvested;
``cql`` (CSW)
    a CQL constraint sent with GetRecords;
``organizations_filter_include`` (CKAN)
    only these organisations of the remote portal;
``record_url_template`` (CSW)
    the page of a record on the partner's site, ``{identifier}`` replaced.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

import ckan.plugins.toolkit as tk

from ckanext.datasud import vocabularies

PUBLICATION_MODES = ("reference", "download")
VALIDATION_MODES = ("workflow", "convention")
SCHEDULES = ("MANUAL", "DAILY", "WEEKLY")  # ckanext-harvest's frequency values we offer


def _one_of(allowed: tuple[str, ...], message: str):
    def validator(value):
        if value in (None, ""):
            return allowed[0]
        if value not in allowed:
            raise tk.Invalid(message)
        return value
    return validator


def _themes(value):
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip().startswith("[") else value.replace(",", " ").split()
        except ValueError:
            raise tk.Invalid("Thèmes par défaut illisibles.")
    unknown = [v for v in value if v not in vocabularies.THEMES_BY_SLUG]
    if unknown:
        raise tk.Invalid("Thème inconnu : {0}.".format(", ".join(unknown)))
    return list(value)


def _licence(value):
    if value in (None, ""):
        return ""
    from ckanext.datasud.licences import licence_id_for
    licence_id = licence_id_for(value)
    if not licence_id:
        raise tk.Invalid("Licence inconnue : {0}.".format(value))
    return licence_id


def _text(value):
    return "" if value is None else str(value).strip()


def _record_url_template(value):
    value = _text(value)
    if value and not (value.startswith(("http://", "https://")) and "{identifier}" in value):
        raise tk.Invalid("Le modèle doit être une adresse http(s) contenant {identifier}.")
    return value


def extra_schema(*filters: str) -> dict[str, list]:
    """The source fields every DataSud harvester declares, plus its own filters."""
    schema = {
        "publication_mode": [_one_of(PUBLICATION_MODES, "Mode inconnu : « reference » ou « download ».")],
        "validation": [_one_of(VALIDATION_MODES, "Validation inconnue : « workflow » ou « convention ».")],
        "default_themes": [_themes],
        "default_licence": [_licence],
    }
    per_filter = {"publisher": [_text], "cql": [_text], "organizations_filter_include": [_list],
                  "record_url_template": [_record_url_template]}
    for name in filters:
        schema[name] = per_filter[name]
    ignore_missing = tk.get_validator("ignore_missing")
    return {key: [ignore_missing, *validators] for key, validators in schema.items()}


def _list(value):
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        return [v for v in value.replace(",", " ").split() if v]
    return list(value)


@dataclass(frozen=True)
class SourceSettings:
    source_id: str
    source_type: str
    title: str
    url: str
    owner_org: Optional[str]
    publication_mode: str = "reference"
    validation: str = "workflow"
    default_themes: tuple[str, ...] = ()
    default_licence: str = ""
    publisher: str = ""
    record_url_template: str = ""

    @property
    def prevalidated(self) -> bool:
        return self.validation == "convention"

    @classmethod
    def from_config(cls, config: Optional[str], **source: Any) -> "SourceSettings":
        try:
            values = json.loads(config) if config else {}
        except ValueError:
            values = {}
        if not isinstance(values, dict):
            values = {}

        def safe(validator, value, default):
            try:
                return validator(value)
            except tk.Invalid:
                return default

        return cls(
            **source,
            publication_mode=safe(_one_of(PUBLICATION_MODES, ""), values.get("publication_mode"), "reference"),
            validation=safe(_one_of(VALIDATION_MODES, ""), values.get("validation"), "workflow"),
            default_themes=tuple(safe(_themes, values.get("default_themes"), [])),
            default_licence=safe(_licence, values.get("default_licence"), ""),
            publisher=_text(values.get("publisher")),
            record_url_template=safe(_record_url_template, values.get("record_url_template"), ""),
        )

    @classmethod
    def of(cls, source) -> "SourceSettings":
        """Settings of a ``HarvestSource`` (ckanext-harvest's model object)."""
        from ckan import model
        package = model.Package.get(source.id)
        return cls.from_config(
            source.config, source_id=source.id, source_type=source.type, title=source.title or "",
            url=source.url, owner_org=package.owner_org if package is not None else None)
