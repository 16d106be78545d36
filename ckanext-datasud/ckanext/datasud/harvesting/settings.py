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
    the page of a record on the partner's site, ``{identifier}`` replaced;
``excluded_hosts`` (CSW)
    hosts (``intranet.ddt-84.i2``) or domains (``*.i2``) whose online resources are not
    imported: links only the partner's internal network reaches;
``rdf_format`` (DCAT)
    the syntax of the catalogue (ckanext-dcat's setting: ``xml``, ``turtle``,
    ``json-ld``, ``n3`` or ``nt``) when its server announces a wrong media type; empty:
    detected.

A source saved again keeps its stored settings: an update that does not give one keeps
it (a given empty value resets it to its default), see :func:`merge`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional

import ckan.plugins.toolkit as tk

from ckanext.datasud import vocabularies

PUBLICATION_MODES = ("reference", "download")
VALIDATION_MODES = ("workflow", "convention")
SCHEDULES = ("MANUAL", "DAILY", "WEEKLY")  # ckanext-harvest's frequency values we offer
RDF_FORMATS = ("xml", "turtle", "json-ld", "n3", "nt")  # rdflib's names, as ckanext-dcat passes them
# other spellings partners write in the configuration
RDF_FORMAT_ALIASES = {"rdf/xml": "xml", "rdfxml": "xml", "rdf": "xml", "application/rdf+xml": "xml",
                      "ttl": "turtle", "text/turtle": "turtle", "jsonld": "json-ld", "json": "json-ld",
                      "application/ld+json": "json-ld", "text/n3": "n3", "ntriples": "nt",
                      "n-triples": "nt", "application/n-triples": "nt"}


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
    if not isinstance(value, (list, tuple)):
        raise tk.Invalid("Thèmes par défaut illisibles.")
    value = [v for v in value if v not in (None, "")]  # the form's empty hidden field
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


_HOST_PATTERN = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


def _hosts(value):
    """``excluded_hosts``: host names or ``*.domain`` patterns, lower case, in a list
    (a string is split on spaces, commas and new lines)."""
    if value in (None, "", []):
        return []
    items = re.split(r"[\s,;]+", value) if isinstance(value, str) else [str(v) for v in value]
    hosts = [item.strip().lower().rstrip(".") for item in items if item and item.strip()]
    wrong = [host for host in hosts if not _HOST_PATTERN.match(host)]
    if wrong:
        raise tk.Invalid("Hôte invalide : {0} (un nom d'hôte, ex. intranet.ddt-84.i2, ou *.domaine, ex. "
                         "*.i2).".format(", ".join(wrong)))
    return hosts


def _rdf_format(value):
    """ckanext-dcat's ``rdf_format``: one of rdflib's syntax names; empty: detected."""
    value = _text(value).lower()
    value = RDF_FORMAT_ALIASES.get(value, value)
    if value and value not in RDF_FORMATS:
        raise tk.Invalid("Format du catalogue inconnu : « {0} » (xml, turtle, json-ld, n3 ou nt ; "
                         "vide : détecté).".format(value))
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
                  "record_url_template": [_record_url_template], "rdf_format": [_rdf_format],
                  "excluded_hosts": [_hosts]}
    for name in filters:
        schema[name] = per_filter[name]
    ignore_missing = tk.get_validator("ignore_missing")
    return {key: [ignore_missing, *validators] for key, validators in schema.items()}


def clean(validators: list, value: Any) -> Any:
    """A setting's value as stored: its ``extra_schema`` validators after
    ``ignore_missing`` (``tk.Invalid`` with the French message when refused)."""
    for validator in validators[1:]:
        value = validator(value)
    return value


def effective(schema: dict[str, list], config: dict[str, Any]) -> dict[str, Any]:
    """Every setting of ``schema`` as the harvest uses it: the stored value, else the
    default (what the validators make of no value)."""
    result = {}
    for key, validators in schema.items():
        try:
            result[key] = clean(validators, config.get(key))
        except tk.Invalid:
            result[key] = clean(validators, None)
    return result


def merge(schema: dict[str, list], stored: dict[str, Any], config: Optional[dict[str, Any]],
          fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The configuration to store when a source is saved, and the settings refused.

    ``stored`` is the configuration so far ({} for a new source), ``config`` the one
    given with the save (``None``: not given), ``fields`` the settings given as fields.
    A setting of ``schema`` comes from the fields, else from the given configuration,
    else from the stored one (a field that only repeats the stored value yields to a
    change in the given configuration): an update that leaves a setting out keeps it, a
    given empty value resets it to its default. Other keys (advanced options) come from the
    given configuration, else from the stored one. Refused settings (field -> value as
    given) are left out, for the form to report them."""
    base = stored if config is None else config
    result = {key: value for key, value in base.items() if key not in schema}
    for key, value in stored.items():
        if key in schema:
            try:
                result[key] = clean(schema[key], value)
            except tk.Invalid:
                pass  # an old, unreadable value: its default
    given = {key: value for key, value in (config or {}).items() if key in schema}
    for key, value in fields.items():
        # package_patch repeats every stored setting as a field: a field repeating the
        # stored value leaves the change the given configuration makes
        if key in schema and not (key in given and _same(schema[key], value, result.get(key))):
            given[key] = value
    refused = {}
    for key, value in given.items():
        try:
            value = clean(schema[key], value)
        except tk.Invalid:
            refused[key] = value
            continue
        if value in ("", [], None):
            result.pop(key, None)
        else:
            result[key] = value
    return result, refused


def _same(validators: list, value: Any, stored: Any) -> bool:
    try:
        return clean(validators, value) == clean(validators, stored)
    except tk.Invalid:
        return False


def advanced(config: Optional[str], schema: dict[str, list]) -> str:
    """The configuration without the settings the form shows as fields (the « advanced
    configuration » text area); unreadable JSON is shown as it is."""
    try:
        values = json.loads(config) if config else {}
    except ValueError:
        return config or ""
    if not isinstance(values, dict):
        return config or ""
    rest = {key: value for key, value in values.items() if key not in schema}
    return json.dumps(rest, ensure_ascii=False, indent=1) if rest else ""


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
    rdf_format: str = ""
    excluded_hosts: tuple[str, ...] = ()

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
            rdf_format=safe(_rdf_format, values.get("rdf_format"), ""),
            excluded_hosts=tuple(safe(_hosts, values.get("excluded_hosts"), [])),
        )

    @classmethod
    def of(cls, source) -> "SourceSettings":
        """Settings of a ``HarvestSource`` (ckanext-harvest's model object)."""
        from ckan import model
        package = model.Package.get(source.id)
        return cls.from_config(
            source.config, source_id=source.id, source_type=source.type, title=source.title or "",
            url=source.url, owner_org=package.owner_org if package is not None else None)
