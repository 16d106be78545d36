"""What DataSud's three harvesters (DCAT, CSW, CKAN) share, as a mixin placed before
the stock harvester class: source settings as form fields, the partner's convention,
withdrawal instead of deletion, and French messages in job reports."""
from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any, Optional

import ckan.plugins.toolkit as tk

from ckanext.datasud.harvesting import indexing, mapping, names, records, settings as source_settings

log = logging.getLogger(__name__)

indexing.install()  # each imported dataset indexed once, one Solr commit per job

# The stock harvesters' messages, as partners read them in reports.
_FRENCH = [
    (r"^Create validation Error: (.*)$", r"Enregistrement refusé à la création : \1"),
    (r"^Update validation Error: (.*)$", r"Enregistrement refusé à la mise à jour : \1"),
    (r"^Error parsing the RDF file: (.*)$", r"Catalogue illisible (RDF mal formé) : \1"),
    (r"^Error importing dataset (.*?): (.*?) / .*$", r"Erreur à l'import du jeu de données \1 : \2"),
    (r"^Error when processsing dataset: (.*?) / .*$", r"Erreur à la lecture d'un enregistrement : \1"),
    (r"^Could not get a unique identifier for dataset: .*$",
     "Enregistrement sans identifiant (ni URI ni dct:identifier) : ignoré."),
    (r"^Empty content for object .*$", "Enregistrement vide."),
    (r"^Could not parse content for object .*$", "Enregistrement illisible."),
    (r"^Error contacting the CSW server: (.*)$", r"Serveur CSW injoignable : \1"),
    (r"^Error gathering the identifiers from the CSW server \[(.*)\]$",
     r"Impossible de lister les fiches du serveur CSW : \1"),
    (r"^No records received from the CSW server$", "Le serveur CSW n'a renvoyé aucune fiche."),
    (r"^Error getting the CSW record with GUID (.*)$", r"Impossible de lire la fiche \1 sur le serveur CSW."),
    (r"^Empty record for GUID (.*)$", r"Fiche \1 vide sur le serveur CSW."),
    (r"^Unable to get content for URL: (.*?):.*$", r"Impossible de lire \1."),
    (r"^No packages received for URL: (.*)$", r"Le portail CKAN n'a renvoyé aucun jeu de données (\1)."),
    (r"^Remote file is too big.*$", "La réponse du serveur dépasse la taille autorisée."),
]


STOCK_VALIDATION_ERRORS = ("Create validation Error: ", "Update validation Error: ")


def french(message: str) -> str:
    text = str(message).strip()
    for pattern, replacement in _FRENCH:
        if re.match(pattern, text, flags=re.S):
            return re.sub(pattern, replacement, text, flags=re.S)
    return text


def portal_language():
    """Translations in the portal's language (French) for what runs outside a request
    (the harvest consumers): no effect without a Flask context."""
    from flask_babel import force_locale
    return force_locale(tk.config.get("ckan.locale_default") or "fr")


class DataSudHarvesterMixin:
    """Put before the stock harvester in the bases of each DataSud harvester."""

    #: filters this harvester offers besides the common settings
    source_filters: tuple[str, ...] = ()

    def extra_schema(self) -> dict[str, list]:
        return source_settings.extra_schema(*self.source_filters)

    def validate_config(self, config: Optional[str]) -> str:
        values: dict[str, Any] = {}
        if config:
            try:
                values = json.loads(config)
            except ValueError as e:
                raise ValueError(f"Configuration illisible (JSON attendu) : {e}")
            if not isinstance(values, dict):
                raise ValueError("La configuration doit être un objet JSON.")
        for key, validators in self.extra_schema().items():
            if key in values:
                try:
                    for validator in validators[1:]:  # after ignore_missing
                        values[key] = validator(values[key])
                except tk.Invalid as e:
                    raise ValueError(f"{key} : {e.error}")
        config = json.dumps(values) if values else config
        return super().validate_config(config) or config

    @classmethod
    def _gen_new_name(cls, title, existing_name=None, append_type=None):
        # the stock name, looked up through an index (:mod:`.names`)
        return names.new_name(title, existing_name=existing_name, append_type=append_type)

    def _save_gather_error(self, message, job):
        return super()._save_gather_error(french(message), job)

    def _save_object_error(self, message, obj, stage="Fetch", line=None):
        # The stock DCAT import reports a refused dataset by its error summary (« Resources:
        # Package resource(s) invalid »), from its except clause: name the fields instead.
        error = sys.exc_info()[1]
        if isinstance(error, tk.ValidationError) and str(message).startswith(STOCK_VALIDATION_ERRORS):
            message = mapping.validation_message(error, self.refused_dataset(obj))
        return super()._save_object_error(french(message), obj, stage, line)

    def refused_dataset(self, harvest_object) -> Optional[dict[str, Any]]:
        """The dataset the stock import gave package_create/update for an object (DCAT: its
        record mapped again, resources in the same order), to name what was refused."""
        try:
            record = json.loads(harvest_object.content or "")
        except (TypeError, ValueError):
            return None
        if not isinstance(record, dict) or records.current() is None:
            return None
        try:
            return mapping.to_datasud(record, records.current())
        except ValueError:
            return record

    # Withdraw, never delete, what is gone upstream; run imports with the source settings.
    # Each dataset is indexed once, when its import is over (:mod:`.indexing`).
    def import_stage(self, harvest_object):
        with indexing.one_index_per_record():
            return self._import_stage(harvest_object)

    def _import_stage(self, harvest_object):
        if self._get_object_extra(harvest_object, "status") == "delete":
            return records.withdraw(harvest_object)
        # in the portal's language: the schema's messages land in the report as they are
        with portal_language(), records.importing(harvest_object):
            result = self.import_record(harvest_object)
            # what was absorbed (records.warn), after the import: saving commits
            for message in records.warnings():
                self._save_object_error(message, harvest_object, "Validation")
            return result

    def import_record(self, harvest_object):
        return super().import_stage(harvest_object)

    def _get_object_extra(self, harvest_object, key):
        for extra in harvest_object.extras:
            if extra.key == key:
                return extra.value
        return None
