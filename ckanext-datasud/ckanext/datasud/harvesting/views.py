"""Partners' harvest pages: the « Moissonnage » tab of an organisation (its sources,
their settings and the history of their jobs, a button to run one now) and the report
of a job (counts, each record's error). Imported by ``views.py`` so that
``tk.blanket.blueprints`` registers the blueprint."""
from __future__ import annotations

import logging
from typing import Any

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckanext.harvest.logic import HarvestJobExists
from ckanext.harvest.model import HarvestJob, HarvestSource
from flask import Blueprint

from ckanext.datasud.harvesting import jobs, reports
from ckanext.datasud.logic.auth import reads_partner_harvest

_ = tk._
log = logging.getLogger(__name__)
harvesting = Blueprint("datasud_harvest", __name__)

# the Action API's 503 when the harvest queue is down (harvest_job_create)
harvesting.after_app_request(jobs.unavailable_api_answer)

def _context() -> dict[str, Any]:
    return {"model": model, "session": model.Session, "user": tk.g.user}


def _organization(id: str) -> dict[str, Any]:
    try:
        org = tk.get_action("organization_show")(_context(), {"id": id, "include_datasets": False})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, _("Organisation not found"))
    if not reads_partner_harvest(tk.g.user, org["id"]):
        return tk.abort(403, _("Only the organisation's members see its harvest sources."))
    return org


def _may_run(org_id: str) -> bool:
    return bool(tk.g.user) and (authz.is_sysadmin(tk.g.user) or
                                authz.has_user_permission_for_group_or_org(org_id, tk.g.user, "manage_group"))


def sources(id: str):
    """The « Moissonnage » tab: sources, settings, job history."""
    org = _organization(id)
    return tk.render("datasud/harvest_sources.html", extra_vars={
        "group_dict": org, "group_type": "organization", "organization": org,
        "sources": reports.sources_of(org["id"]), "may_run": _may_run(org["id"]),
    })


def run_now(id: str, source_id: str):
    """Start a job of a source now (the partner's admins, sysadmins)."""
    org = _organization(id)
    source = model.Session.get(HarvestSource, source_id)
    package = model.Package.get(source_id)
    if source is None or package is None or package.owner_org != org["id"]:
        return tk.abort(404, _("Harvest source not found"))
    if not _may_run(org["id"]):
        return tk.abort(403, _("Only the organisation's admins start a harvest."))
    try:
        tk.get_action("harvest_job_create")({**_context(), "ignore_auth": True}, {"source_id": source_id})
        tk.h.flash_success(_("The harvest is queued: its report appears below when it is done."))
    except tk.ValidationError as e:
        messages = [m for values in e.error_dict.values() for m in (values if isinstance(values, list) else [values])]
        tk.h.flash_error(" ".join(str(m) for m in messages) or _("This harvest cannot start now."))
    except jobs.HarvestQueueUnavailable as e:
        tk.h.flash_error(str(e))
    except HarvestJobExists:
        tk.h.flash_error(_("A harvest of this source is already queued or running."))
    except Exception:  # noqa: BLE001 - logged; its text is not for the partner
        log.exception("harvest job of source %s not started", source_id)
        tk.h.flash_error(_("This harvest cannot start now."))
    return tk.redirect_to("datasud_harvest.sources", id=org["name"])


def job(job_id: str):
    """The report of a job: counts, the catalogue's errors, each record's error."""
    harvest_job = model.Session.get(HarvestJob, job_id)
    package = model.Package.get(harvest_job.source_id) if harvest_job is not None else None
    if package is None or not package.owner_org:
        return tk.abort(404, _("Harvest job not found"))
    org = _organization(package.owner_org)
    return tk.render("datasud/harvest_job.html", extra_vars={
        "group_dict": org, "group_type": "organization", "organization": org,
        "report": reports.job_report(job_id), "source": model.Session.get(HarvestSource, harvest_job.source_id),
    })


harvesting.add_url_rule("/organization/moissonnage/<id>", view_func=sources, endpoint="sources")
harvesting.add_url_rule("/organization/moissonnage/<id>/<source_id>/run", view_func=run_now, endpoint="run",
                        methods=["POST"])
harvesting.add_url_rule("/moissonnage/job/<job_id>", view_func=job, endpoint="job")
