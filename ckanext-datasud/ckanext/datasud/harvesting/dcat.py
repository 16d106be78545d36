"""Partners' DCAT catalogues (RDF/XML, Turtle, JSON-LD; DCAT-AP 1, 2, 3; Hydra paging),
through ckanext-dcat's RDF harvester and its IDCATRDFHarvester hooks.

What DataSud changes: every download goes through :mod:`.safety`; records are mapped
into DataSud's schema (:mod:`.mapping`); unchanged records are skipped (content
digest, where stock rewrites every dataset at every run); a source may keep only one
publisher's records; removed records are withdrawn (:mod:`.records`).
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import ckan.plugins as p
from ckanext.dcat.harvesters.rdf import DCATRDFHarvester
from ckanext.dcat.interfaces import IDCATRDFHarvester

from ckanext.datasud.harvesting import download, mapping, records, safety
from ckanext.datasud.harvesting.base import DataSudHarvesterMixin

log = logging.getLogger(__name__)

XML_FORMATS = ("xml", "application/rdf+xml", "text/xml", "application/xml", "pretty-xml")
JSONLD_FORMATS = ("json-ld", "application/ld+json", "application/json")


class DataSudDCATHarvester(DataSudHarvesterMixin, DCATRDFHarvester):
    p.implements(IDCATRDFHarvester, inherit=True)

    source_filters = ("publisher",)

    def info(self):
        return {
            "name": "datasud_dcat",
            "title": "Catalogue DCAT",
            "description": "Catalogue DCAT-AP d'un partenaire (RDF/XML, Turtle ou JSON-LD, paginé Hydra).",
        }

    # Downloads: bounded, checked, in French.
    def _get_content_and_type(self, url, harvest_job, page=1, content_type=None):
        try:
            fetched = safety.fetch(url, headers={
                "Accept": "text/turtle, application/rdf+xml, application/ld+json;q=0.9, */*;q=0.5"})
            content = fetched.text()
            rdf_format = content_type or fetched.content_type or None
            if rdf_format in ("text/plain", "application/octet-stream", ""):
                rdf_format = None
            stripped = content.lstrip()
            if (rdf_format or "") in XML_FORMATS or stripped.startswith("<"):
                safety.check_xml(fetched.content)
            elif (rdf_format or "") in JSONLD_FORMATS or stripped.startswith(("{", "[")):
                safety.check_jsonld(content)
                rdf_format = rdf_format if rdf_format not in (None, "application/json") else "json-ld"
            return content, rdf_format
        except safety.HarvestFetchError as e:
            self._save_gather_error(str(e), harvest_job)
            return None, None

    def _get_existing_dataset(self, guid):
        """The dataset of a guid, private ones included (drafts, withdrawn records)."""
        datasets = self._read_datasets_from_db(guid)
        if not datasets:
            return None
        context = {"ignore_auth": True, "user": self._get_user_name()}
        return p.toolkit.get_action("package_show")(context, {"id": datasets[0][0]})

    def _mark_datasets_for_deletion(self, guids_in_source, harvest_job):
        """Records gone upstream are withdrawn at import; but a catalogue that suddenly
        lists nothing is more likely broken than emptied: nothing is withdrawn then."""
        if not guids_in_source and records.has_current_records(harvest_job.source.id):
            self._save_gather_error(records.EMPTY_CATALOGUE, harvest_job)
            return []
        return super()._mark_datasets_for_deletion(guids_in_source, harvest_job)

    # Import: check the record maps to DataSud's schema before the stock import runs.
    def import_record(self, harvest_object):
        if records.skip_if_unchanged(harvest_object):
            return "unchanged"  # reported "not modified"; the dataset is not even read
        try:
            record = json.loads(harvest_object.content or "")
        except ValueError:
            self._save_object_error("Enregistrement illisible.", harvest_object, "Import")
            return False
        try:
            mapping.to_datasud(record, records.current())
        except ValueError as e:
            self._save_object_error(str(e), harvest_object, "Import")
            return False
        return super().import_record(harvest_object)

    # IDCATRDFHarvester
    def after_parsing(self, rdf_parser, harvest_job):
        if not records.is_datasud_source(harvest_job.source.type) or rdf_parser is None:
            return rdf_parser, []
        settings = records.SourceSettings.of(harvest_job.source)
        return _Records(rdf_parser, settings.publisher), []

    def before_create(self, harvest_object, dataset_dict, temp_dict):
        if records.current() is None:
            return
        records.remember_digest(harvest_object, records.digest(harvest_object.content, records.current()))
        _map(dataset_dict, records.current(), package_id=None)

    def after_create(self, harvest_object, dataset_dict, temp_dict):
        if records.current() is None:
            return None
        records.after_import(dataset_dict["id"], created=True)
        download.after_import(dataset_dict["id"])
        return None

    def before_update(self, harvest_object, dataset_dict, temp_dict):
        if records.current() is None:
            return
        package_id = dataset_dict["id"]
        if records.unchanged(harvest_object, package_id, harvest_object.content):
            dataset_dict.clear()  # the stock harvester then reports the record "not modified"
            return
        _map(dataset_dict, records.current(), package_id=package_id)

    def after_update(self, harvest_object, dataset_dict, temp_dict):
        if records.current() is None:
            return None
        records.after_import(dataset_dict["id"], created=False)
        download.after_import(dataset_dict["id"])
        return None


def _map(dataset_dict: dict[str, Any], settings, package_id) -> None:
    """Replace, in place, the stock profile's dict by DataSud's dataset."""
    keep = {k: dataset_dict[k] for k in ("id", "name") if dataset_dict.get(k)}
    mapped = mapping.to_datasud(dataset_dict, settings)
    records.warn(*mapped.pop(mapping.WARNINGS, []))
    mapped.update(keep)
    mapped["private"] = records.target_private(package_id)
    if package_id:
        download.keep_local_copies(package_id, mapped)
    dataset_dict.clear()
    dataset_dict.update(mapped)


class _Records:
    """The parser as the stock gather stage uses it, yielding only the records this source
    keeps (its publisher filter), each with a title key (a record without title is then
    refused at import with its own error, not the whole job)."""

    def __init__(self, parser, publisher: str):
        self._parser = parser
        self._publisher = (publisher or "").strip().lower()

    def __getattr__(self, name):
        return getattr(self._parser, name)

    def _keeps(self, dataset: dict[str, Any]) -> bool:
        if not self._publisher:
            return True
        extras = {e["key"]: e.get("value") for e in dataset.get("extras") or []}
        names = [extras.get("publisher_name"), extras.get("publisher_uri"), dataset.get("publisher_name")]
        for publisher in dataset.get("publisher") or []:
            names += [publisher.get("name"), publisher.get("uri")]
        return any(self._publisher == (n or "").strip().lower() for n in names)

    def datasets(self):
        for dataset in self._parser.datasets():
            if not self._keeps(dataset):
                continue
            if not (dataset.get("title") or "").strip():
                extras = {e["key"]: e.get("value") for e in dataset.get("extras") or []}
                ref = extras.get("uri") or extras.get("identifier") or json.dumps(dataset, sort_keys=True)
                dataset["title"] = ""
                dataset.setdefault("name", "sans-titre-" + hashlib.sha1(ref.encode()).hexdigest()[:12])
            yield dataset

