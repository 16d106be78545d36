"""Partners that run a CKAN portal, through ckanext-harvest's CKAN harvester.

The stock harvester imports with CKAN's default schema and keeps every remote field;
DataSud maps each remote dataset into its own schema (:mod:`.mapping`), fetches through
:mod:`.safety`, keeps remote datasets' ids as the stock harvester does (unless the id is
already another source's or a dataset entered on DataSud: that one is never
overwritten, the record gets a new id and a warning), skips datasets not modified
upstream, and withdraws those gone from the remote portal.
"""
from __future__ import annotations

import json
import logging
import uuid
from urllib.parse import urlencode

import ckan.model as model
import sqlalchemy as sa
import ckan.plugins.toolkit as tk
from ckanext.harvest.harvesters.ckanharvester import CKANHarvester, ContentFetchError
from ckanext.harvest.model import HarvestObject

from ckanext.datasud.harvesting import download, mapping, records, safety
from ckanext.datasud.harvesting.base import DataSudHarvesterMixin

log = logging.getLogger(__name__)


class DataSudCKANHarvester(DataSudHarvesterMixin, CKANHarvester):

    source_filters = ("organizations_filter_include",)

    def info(self):
        return {
            "name": "datasud_ckan",
            "title": "Portail CKAN",
            "description": "Les jeux de données d'un autre portail CKAN (API Action).",
        }

    def _get_content(self, url):
        try:
            return safety.fetch(url, headers={"Accept": "application/json"}).text()
        except safety.HarvestFetchError as e:
            raise ContentFetchError(str(e))

    def gather_stage(self, harvest_job):
        ids = super().gather_stage(harvest_job)
        if ids is None:
            return ids
        return list(ids) + self._withdrawn_upstream(harvest_job)

    def _withdrawn_upstream(self, harvest_job) -> list[str]:
        """Objects (status ``delete``) for the datasets no longer on the remote portal;
        the stock gather only lists what changed since the last run."""
        source = harvest_job.source
        self._set_config(source.config)
        base = source.url.rstrip("/") + "/api/action/package_search?"
        include = self.config.get("organizations_filter_include", [])
        fq = " OR ".join(f"organization:{org}" for org in include)
        remote_ids, start = set(), 0
        try:
            while True:
                params = {"fl": "id", "rows": 1000, "start": start}
                if fq:
                    params["fq"] = fq
                page = json.loads(self._get_content(base + urlencode(params)))["result"]["results"]
                remote_ids.update(d["id"] for d in page)
                if len(page) < 1000:
                    break
                start += 1000
        except (ContentFetchError, ValueError, KeyError, TypeError) as e:
            self._save_gather_error(f"Liste complète du portail illisible, aucun retrait ce jour : {e}", harvest_job)
            return []
        if not remote_ids and records.has_current_records(source.id):
            self._save_gather_error(records.EMPTY_CATALOGUE, harvest_job)
            return []
        return records.withdrawal_objects(harvest_job, remote_ids)

    def _dataset_id(self, package_dict, harvest_object) -> tuple[str, bool]:
        """The id of this record's dataset, and whether it exists: the one this source made
        of it; else the remote id (as the stock harvester keeps it), unless a dataset of
        another source or one entered on DataSud already has it: then a new id, with a
        warning (another partner's dataset is never overwritten)."""
        own = records.dataset_of(harvest_object.harvest_source_id, harvest_object.guid)
        if own is not None:
            return own, True
        remote_id = package_dict["id"]
        if model.Package.get(remote_id) is None:
            return remote_id, False
        records.warn(mapping.warning(package_dict, "id", remote_id, records.conflict_text(records.holder(remote_id))))
        return str(uuid.uuid4()), False

    def _create_or_update_package(self, package_dict, harvest_object, package_dict_form="rest"):
        """Create or update the DataSud dataset of a remote dataset (same id)."""
        settings = records.current()
        try:
            dataset = mapping.to_datasud(package_dict, settings)
        except ValueError as e:
            self._save_object_error(str(e), harvest_object, "Import")
            return False
        records.warn(*dataset.pop(mapping.WARNINGS, []))
        dataset["id"], exists = self._dataset_id(package_dict, harvest_object)
        dataset["extras"].append({"key": "guid", "value": harvest_object.guid})
        existing = model.Package.get(dataset["id"]) if exists else None
        user = self._get_user_name()
        context = {"model": model, "session": model.Session, "user": user, "ignore_auth": True}
        try:
            if existing is not None:
                if records.unchanged(harvest_object, existing.id, harvest_object.content):
                    return "unchanged"
                dataset["name"] = existing.name
                dataset["private"] = records.target_private(existing.id)
                download.keep_local_copies(existing.id, dataset)
                tk.get_action("package_update")(context, dataset)
                created = False
            else:
                records.remember_digest(harvest_object, records.digest(harvest_object.content, settings))
                dataset["name"] = self._gen_new_name(package_dict.get("name") or dataset["title"])
                dataset["private"] = records.target_private(None)
                harvest_object.package_id = dataset["id"]
                harvest_object.current = True  # the index lists a dataset under its current object's source
                harvest_object.add()
                # the dataset is indexed with its harvest object (as the stock harvester does)
                model.Session.execute(sa.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED"))
                model.Session.flush()
                tk.get_action("package_create")(context, dataset)
                created = True
        except tk.ValidationError as e:
            model.Session.rollback()
            self._save_object_error(mapping.validation_message(e, dataset), harvest_object, "Import")
            return False
        model.Session.query(HarvestObject).filter(
            HarvestObject.package_id == dataset["id"], HarvestObject.id != harvest_object.id).update(
            {"current": False}, False)
        harvest_object.package_id = dataset["id"]
        harvest_object.current = True
        harvest_object.save()
        records.after_import(dataset["id"], created=created)
        download.after_import(dataset["id"])
        return True
