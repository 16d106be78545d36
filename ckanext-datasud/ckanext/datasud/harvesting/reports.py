"""What partners read about their harvest sources: each job's counts (new, updated,
unchanged, withdrawn, errors, imported with warnings), each record's error and
warning in French, and where a harvested dataset comes from."""
from __future__ import annotations

from typing import Any, Optional

import ckan.model as model
from ckanext.harvest.model import (HarvestGatherError, HarvestJob, HarvestObject, HarvestObjectError,
                                   HarvestSource)
from sqlalchemy import func, or_

from ckanext.datasud.harvesting.inspire import WARNING_PREFIX as INSPIRE_WARNING
from ckanext.datasud.harvesting.mapping import WARNING_PREFIX as MAPPING_WARNING
from ckanext.datasud.harvesting.settings import SourceSettings

WARNING_PREFIXES = (INSPIRE_WARNING, MAPPING_WARNING)

# ckanext-harvest's report_status → DataSud's words
COUNTS = (("added", "new"), ("updated", "updated"), ("not modified", "unchanged"), ("deleted", "withdrawn"),
          ("errored", "errors"))


def is_warning(message: Optional[str]) -> bool:
    """A message about something absorbed (the record was imported), not an error."""
    return (message or "").startswith(WARNING_PREFIXES)


def job_counts(job_id: str) -> dict[str, int]:
    """A job's records per outcome (new, updated, unchanged, withdrawn, errors: the records
    refused and the catalogue's errors) and ``with_warnings``: the records imported (new or
    updated) with at least one warning."""
    rows = dict(model.Session.query(HarvestObject.report_status, func.count(HarvestObject.id))
                .filter(HarvestObject.harvest_job_id == job_id).group_by(HarvestObject.report_status).all())
    counts = {ours: rows.get(theirs, 0) for theirs, ours in COUNTS}
    counts["errors"] += sum(1 for (message,) in model.Session.query(HarvestGatherError.message)
                            .filter_by(harvest_job_id=job_id) if not is_warning(message))
    counts["with_warnings"] = (
        model.Session.query(func.count(func.distinct(HarvestObject.id)))
        .join(HarvestObjectError, HarvestObjectError.harvest_object_id == HarvestObject.id)
        .filter(HarvestObject.harvest_job_id == job_id, HarvestObject.report_status.in_(("added", "updated")),
                or_(*[HarvestObjectError.message.startswith(prefix, autoescape=True)
                      for prefix in WARNING_PREFIXES]))
        .scalar() or 0)
    return counts


def _job(job: HarvestJob) -> dict[str, Any]:
    return {"id": job.id, "status": job.status, "created": job.created, "finished": job.finished,
            "counts": job_counts(job.id)}


def sources_of(organization_id: str, jobs_per_source: int = 10) -> list[dict[str, Any]]:
    """The active harvest sources of a partner, with their settings and latest jobs."""
    query = (model.Session.query(HarvestSource).join(model.Package, model.Package.id == HarvestSource.id)
             .filter(model.Package.owner_org == organization_id, model.Package.state == "active",
                     HarvestSource.active == True)  # noqa: E712
             .order_by(HarvestSource.title))
    result = []
    for source in query:
        jobs = (model.Session.query(HarvestJob).filter_by(source_id=source.id)
                .order_by(HarvestJob.created.desc()).limit(jobs_per_source).all())
        package = model.Package.get(source.id)
        result.append({"id": source.id, "name": package.name, "title": source.title or package.title,
                       "url": source.url, "type": source.type, "frequency": source.frequency or "MANUAL",
                       "next_run": source.next_run, "settings": SourceSettings.of(source),
                       "jobs": [_job(job) for job in jobs]})
    return result


def job_report(job_id: str) -> Optional[dict[str, Any]]:
    """A job's counts and every message: the catalogue's errors (gather), each refused
    record's errors, and apart the warnings of the records imported; each record's entry
    has its guid, and the name and title of its dataset when there is one."""
    job = model.Session.get(HarvestJob, job_id)
    if job is None:
        return None
    gather, records, warnings = [], [], []
    for (message,) in (model.Session.query(HarvestGatherError.message)
                       .filter_by(harvest_job_id=job_id).order_by(HarvestGatherError.created)):
        if is_warning(message):  # about the catalogue, not a record (e.g. a data service skipped)
            warnings.append({"guid": "", "message": message, "stage": "Gather", "dataset": None, "title": None})
        else:
            gather.append(message)
    query = (model.Session.query(HarvestObjectError, HarvestObject)
             .join(HarvestObject, HarvestObject.id == HarvestObjectError.harvest_object_id)
             .filter(HarvestObject.harvest_job_id == job_id).order_by(HarvestObjectError.created))
    for error, obj in query:
        package = model.Package.get(obj.package_id) if obj.package_id else None
        imported = package is not None and package.state != "deleted"
        entry = {"guid": obj.guid, "message": error.message, "stage": error.stage,
                 "dataset": package.name if imported else None, "title": package.title if imported else None}
        # a warning (a value dropped or normalised, a missing INSPIRE element) does not stop the import
        (warnings if is_warning(error.message) else records).append(entry)
    return {"job": _job(job), "source_id": job.source_id, "gather_errors": gather, "record_errors": records,
            "warnings": warnings}


def origin(package_id: str) -> Optional[dict[str, Any]]:
    """Where a harvested dataset comes from (its latest harvest record), or ``None``."""
    row = (model.Session.query(HarvestObject, HarvestSource)
           .join(HarvestSource, HarvestSource.id == HarvestObject.harvest_source_id)
           .filter(HarvestObject.package_id == package_id)
           .order_by(HarvestObject.gathered.desc()).first())
    if row is None:
        return None
    obj, source = row
    return {"source_id": source.id, "source_title": source.title, "source_url": source.url,
            "guid": obj.guid, "harvested": obj.import_finished or obj.gathered}
