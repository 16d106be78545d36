"""Blueprints of DataSud (registered by ``tk.blanket.blueprints``).

- ``/licence``: the licence page;
- ``/partenaires``: the partners with a convention in force (public);
- ``/organization/conventions/<id>``: an organisation's conventions (programme team and
  the organisation's admins), with the forms to record, change and delete them
  (programme team); ``/partenaires/conventions/document/<file>``: a scanned convention
  stored on DataSud (programme team and the partner's admins);
- ``/dataset/<id>/resource/<resource_id>/telecharger``: a counted download
  (``download_views.py``);
- the key figures of the home page (``datasud_key_figures()`` in templates, given to
  every template by a context processor of this blueprint: ``home/index.html`` calls it).
"""
from __future__ import annotations

import logging
import os
from typing import Any, Optional

from flask import Blueprint, send_file
from werkzeug.security import safe_join

import ckan.plugins.toolkit as tk
from ckan.common import current_user

from ckanext.datasud import dates, licences as licences_
from ckanext.datasud.helpers import datasud_label
from ckanext.datasud.model import CONVENTION_KINDS, CONVENTION_STATUSES
from ckanext.datasud.security import files as user_files

log = logging.getLogger(__name__)

datasud = Blueprint("datasud", __name__)

from ckanext.datasud.harvesting.views import harvesting  # noqa: E402,F401 - registered with ours
from ckanext.datasud.search_errors import search_errors  # noqa: E402,F401 - its app-wide hooks
from ckanext.datasud.download_views import datasud_downloads  # noqa: E402,F401 - counted downloads
from ckanext.datasud.pages_views import datasud_pages  # noqa: E402,F401 - about, glossary, contact...
from ckanext.datasud.dcat_endpoints import datasud_dcat  # noqa: E402,F401 - DCAT requests refused in French

__all__ = ["datasud", "harvesting", "search_errors", "datasud_downloads", "datasud_pages", "datasud_dcat"]

_ = tk._


# --- The licence page ---------------------------------------------------------------

def _public_dataset_counts() -> tuple[dict[str, int], int]:
    """How many public datasets use each licence id (Solr facet on ``license_id``),
    and how many public datasets there are in all."""
    result = tk.get_action("package_search")(
        {"ignore_auth": True},
        {"q": "*:*", "rows": 0, "include_private": False, "include_drafts": False,
         "facet": "true", "facet.field": ["license_id"], "facet.limit": -1, "facet.mincount": 1},
    )
    counts = {licence_id: int(count)
              for licence_id, count in result.get("facets", {}).get("license_id", {}).items()}
    return counts, int(result.get("count", 0))


def licence() -> str:
    """The licence page: the Licence Ouverte 2.0 in plain French, and every licence offered."""
    counts, total = _public_dataset_counts()
    rows: list[dict[str, Any]] = []
    for entry in licences_.licences():
        rows.append({
            "id": entry["id"],
            "title": entry["title"],
            "url": entry.get("url") or "",
            "count": counts.get(entry["id"], 0),
            "default": entry["id"] == licences_.DEFAULT_LICENCE_ID,
            "search_url": tk.h.url_for("dataset.search", license_id=entry["id"]),
        })
    default = next((row for row in rows if row["default"]), None)
    return tk.render("datasud/licence.html", extra_vars={
        "licences": rows,
        "default_licence": default,
        "total_public": total,
    })


datasud.add_url_rule("/licence", view_func=licence, endpoint="licence")


# --- Labels and dates ---------------------------------------------------------------

def kind_labels() -> dict[str, str]:
    """What a convention is about, as shown to people (vocabulary ``convention_kinds``)."""
    return {kind: datasud_label("convention_kinds", kind) for kind in CONVENTION_KINDS}


def status_labels() -> dict[str, str]:
    """Where a convention is in its life cycle (vocabulary ``convention_statuses``)."""
    return {status: datasud_label("convention_statuses", status) for status in CONVENTION_STATUSES}


# Bootstrap colour of each status badge
STATUS_CLASSES = {
    "draft": "bg-secondary",
    "in_force": "bg-success",
    "suspended": "bg-warning text-dark",
    "expired": "bg-light text-dark border",
    "terminated": "bg-danger",
}


# --- The partners page --------------------------------------------------------------

def _context() -> dict[str, Any]:
    return {"user": current_user.name}


def partners() -> str:
    """The partners with a convention in force: who they are, since when, what they publish."""
    items = tk.get_action("datasud_partner_list")(_context(), {})
    for partner in items:
        partner["since_display"] = dates.short_date(partner.get("convention_since"))
        partner["url"] = tk.h.url_for("organization.read", id=partner["name"])
    return tk.render("datasud/partners.html", extra_vars={"partners": items})


datasud.add_url_rule("/partenaires", view_func=partners, endpoint="partners")


# --- The key figures of the home page -----------------------------------------------

def key_figures() -> Optional[dict[str, Any]]:
    """``datasud_key_figures``, or None (the block is then left out) when a service
    it counts on does not answer: the home page must not fail for it."""
    from ckanext.datasud import catalogue_cache, home
    try:
        return catalogue_cache.cached(
            "key_figures", lambda: tk.get_action("datasud_key_figures")(_context(), {}), home.cache_seconds())
    except Exception:  # noqa: BLE001 - logged; the home page renders without the block
        log.exception("the key figures of the home page could not be computed")
        return None


@datasud.app_context_processor
def _template_globals() -> dict[str, Any]:
    # a function: computed only by the templates that call it (home/index.html)
    return {"datasud_key_figures": key_figures}


# --- An organisation's conventions --------------------------------------------------

FORM_FIELDS = ("reference", "kind", "status", "signed_on", "starts_on", "ends_on",
               "signatories", "document_url", "scope_notes")


def _organization(id: str) -> dict[str, Any]:
    try:
        org = tk.get_action("organization_show")(
            {**_context(), "for_view": True}, {"id": id, "include_datasets": False})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, _("Organisation not found"))
    if org.get("state") != "active":
        return tk.abort(404, _("Organisation not found"))
    return org


def _allowed(action: str, org: dict[str, Any]) -> bool:
    try:
        tk.check_access(action, _context(), {"organization_id": org["id"]})
    except tk.NotAuthorized:
        return False
    return True


def _require(action: str, org: dict[str, Any]) -> None:
    if not _allowed(action, org):
        tk.abort(403, _("Only the programme team and the organisation's admins see its conventions.")
                 if action == "datasud_convention_list"
                 else _("Only the DataSud programme team manages partner conventions."))


def _convention(org: dict[str, Any], convention_id: str) -> dict[str, Any]:
    try:
        convention = tk.get_action("datasud_convention_show")(_context(), {"id": convention_id})
    except tk.ObjectNotFound:
        return tk.abort(404, _("Convention not found"))
    except tk.NotAuthorized:
        return tk.abort(403, _("Only the programme team and the organisation's admins see its conventions."))
    if convention["organization_id"] != org["id"]:
        return tk.abort(404, _("Convention not found"))
    return convention


def _present(convention: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
    """A convention as the list shows it."""
    return {
        **convention,
        "kind_label": kind_labels().get(convention["kind"], convention["kind"]),
        "status_label": status_labels().get(convention["status"], convention["status"]),
        "status_class": STATUS_CLASSES.get(convention["status"], "bg-secondary"),
        "signed_on_display": dates.short_date(convention.get("signed_on")),
        "starts_on_display": dates.short_date(convention.get("starts_on")),
        "ends_on_display": dates.short_date(convention.get("ends_on")),
        "edit_url": tk.h.url_for("datasud.convention_edit", id=org["name"], convention_id=convention["id"]),
        "delete_url": tk.h.url_for("datasud.convention_delete", id=org["name"], convention_id=convention["id"]),
    }


def _page_vars(org: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"group_dict": org, "group_type": "organization", "organization": org, **extra}


def conventions_(id: str) -> str:
    """The Conventions tab of an organisation."""
    org = _organization(id)
    _require("datasud_convention_list", org)
    items = tk.get_action("datasud_convention_list")(_context(), {"organization_id": org["id"]})
    return tk.render("datasud/conventions.html", extra_vars=_page_vars(
        org,
        conventions=[_present(c, org) for c in items],
        can_manage=_allowed("datasud_convention_create", org),
        in_force=any(c["in_force"] for c in items),
    ))


def _form_input() -> dict[str, Any]:
    """What the form posted: its fields, and the scanned document when one was sent."""
    form = tk.request.form
    data: dict[str, Any] = {key: (form.get(key) or "").strip() for key in FORM_FIELDS}
    upload = tk.request.files.get("document_upload")
    if upload is not None and upload.filename:
        data["document_upload"] = upload
    if form.get("clear_upload"):
        data["clear_upload"] = "true"
    return data


def _field_labels() -> dict[str, str]:
    return {
        "reference": _("Reference"),
        "kind": _("Kind of convention"),
        "status": _("Status"),
        "signed_on": _("Signed on"),
        "starts_on": _("Start date"),
        "ends_on": _("End date"),
        "signatories": _("Signatories"),
        "document_url": _("Scanned convention"),
        "document_upload": _("Scanned convention"),
        "scope_notes": _("Scope notes (internal)"),
    }


def _render_form(org: dict[str, Any], data: dict[str, Any], errors: dict[str, Any],
                 convention: Optional[dict[str, Any]] = None) -> str:
    labels = _field_labels()
    summary = {labels.get(key, key): ", ".join(str(m) for m in (messages if isinstance(messages, list) else [messages]))
               for key, messages in errors.items()}
    document_url = data.get("document_url") or ""
    return tk.render("datasud/convention_form.html", extra_vars=_page_vars(
        org,
        data={k: v for k, v in data.items() if k not in ("document_upload", "clear_upload")},
        errors=errors,
        error_summary=summary,
        convention=convention,
        kind_options=[{"value": k, "text": kind_labels()[k]} for k in CONVENTION_KINDS],
        status_options=[{"value": s, "text": status_labels()[s]} for s in CONVENTION_STATUSES],
        document_is_upload=user_files.convention_document_name(document_url) is not None,
    ))


def convention_new(id: str):
    """Record a convention of the organisation (programme team)."""
    org = _organization(id)
    _require("datasud_convention_create", org)
    if tk.request.method != "POST":
        return _render_form(org, {"status": "draft", "kind": "partnership"}, {})
    data = _form_input()
    try:
        created = tk.get_action("datasud_convention_create")(_context(), {**data, "organization_id": org["id"]})
    except tk.ValidationError as e:
        return _render_form(org, data, e.error_dict)
    except tk.NotAuthorized:
        return tk.abort(403, _("Only the DataSud programme team manages partner conventions."))
    tk.h.flash_success(_("Convention {reference} recorded.").format(reference=created["reference"]))
    return tk.redirect_to("datasud.conventions", id=org["name"])


def convention_edit(id: str, convention_id: str):
    """Change a convention of the organisation (programme team)."""
    org = _organization(id)
    _require("datasud_convention_update", org)
    convention = _convention(org, convention_id)
    if tk.request.method != "POST":
        return _render_form(org, dict(convention), {}, convention)
    data = _form_input()
    try:
        updated = tk.get_action("datasud_convention_update")(
            _context(), {**data, "id": convention["id"], "organization_id": org["id"]})
    except tk.ValidationError as e:
        return _render_form(org, data, e.error_dict, convention)
    except tk.NotAuthorized:
        return tk.abort(403, _("Only the DataSud programme team manages partner conventions."))
    tk.h.flash_success(_("Convention {reference} updated.").format(reference=updated["reference"]))
    return tk.redirect_to("datasud.conventions", id=org["name"])


def convention_delete(id: str, convention_id: str):
    """Delete a convention (programme team), after a confirmation."""
    org = _organization(id)
    _require("datasud_convention_delete", org)
    convention = _convention(org, convention_id)
    if tk.request.method != "POST":
        return tk.render("datasud/convention_delete.html", extra_vars=_page_vars(
            org, convention=_present(convention, org)))
    if "cancel" in tk.request.form:
        return tk.redirect_to("datasud.conventions", id=org["name"])
    try:
        tk.get_action("datasud_convention_delete")(_context(), {"id": convention["id"]})
    except tk.NotAuthorized:
        return tk.abort(403, _("Only the DataSud programme team manages partner conventions."))
    tk.h.flash_success(_("Convention {reference} deleted.").format(reference=convention["reference"]))
    return tk.redirect_to("datasud.conventions", id=org["name"])


def convention_document(name: str):
    """A scanned convention stored on DataSud, for the programme team and the partner's
    admins only (the storage's static route never serves them: ``security/files.py``)."""
    folder = user_files.upload_folder(user_files.CONVENTION_DOCUMENTS)
    path = safe_join(folder, name) if folder and "/" not in name else None
    if path is None or not os.path.isfile(path) or not user_files.conventions_with_document(name):
        return tk.abort(404, _("Document not found"))
    if not user_files.convention_document_allowed(name, current_user.name or None):
        return tk.abort(403, _("Only the programme team and the organisation's admins see its conventions."))
    return send_file(path, download_name=name)


datasud.add_url_rule("/organization/conventions/<id>", view_func=conventions_, endpoint="conventions")
datasud.add_url_rule("/partenaires/conventions/document/<name>", view_func=convention_document,
                     endpoint="convention_document")
datasud.add_url_rule("/organization/conventions/<id>/new", view_func=convention_new,
                     endpoint="convention_new", methods=["GET", "POST"])
datasud.add_url_rule("/organization/conventions/<id>/<convention_id>/edit", view_func=convention_edit,
                     endpoint="convention_edit", methods=["GET", "POST"])
datasud.add_url_rule("/organization/conventions/<id>/<convention_id>/delete", view_func=convention_delete,
                     endpoint="convention_delete", methods=["GET", "POST"])


# --- The validation workflow ----------------------------------------------------------

WORKFLOW_ACTIONS = {
    # transition: (action, form fields)
    "submit": ("datasud_workflow_submit", ()),
    "legal_opinion": ("datasud_workflow_legal_opinion", ("opinion", "comment")),
    "committee_decision": ("datasud_workflow_committee_decision", ("decision", "commission_vote_required", "comment")),
    "commission_vote": ("datasud_workflow_commission_vote", ("vote", "deliberation_number", "deliberation_date",
                                                             "comment")),
    "withdraw": ("datasud_workflow_withdraw", ("comment",)),
}


def _allowed_transitions(package, state: str) -> list[str]:
    from ckanext.datasud import workflow
    return [name for name, transition in workflow.TRANSITIONS.items()
            if state in transition.sources and workflow.can_act(current_user.name, transition, package)]


def validation(id: str):
    """A dataset's validation: its state, its history, and the steps the user may take."""
    import ckan.model as model
    from flask import request
    package = model.Package.get(id)
    if package is None or package.type != "dataset":
        return tk.abort(404, _("Dataset not found"))
    context = {"user": current_user.name}
    try:
        # a dataset the user may not see is not there for them (as on its own page)
        tk.check_access("package_show", dict(context), {"id": package.id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, _("Dataset not found"))
    try:
        shown = tk.get_action("datasud_workflow_show")(context, {"id": package.id})
    except tk.NotAuthorized:
        return tk.abort(403, _("Only the organisation's members and the reviewers see this history."))
    errors: dict[str, Any] = {}
    if request.method == "POST":
        transition = request.form.get("transition", "")
        if transition not in WORKFLOW_ACTIONS:
            return tk.abort(400, _("Unknown step"))
        action, fields = WORKFLOW_ACTIONS[transition]
        data = {"id": package.id, **{f: request.form.get(f) for f in fields if request.form.get(f) is not None}}
        try:
            tk.get_action(action)(context, data)
            tk.h.flash_success(_("Recorded."))
            return tk.redirect_to("datasud.validation", id=package.name)
        except tk.NotAuthorized as e:
            return tk.abort(403, str(e))
        except tk.ValidationError as e:
            errors = e.error_dict
            shown = tk.get_action("datasud_workflow_show")(context, {"id": package.id})
    from ckanext.datasud.helpers import datasud_workflow_state_label as label
    from ckanext.datasud.model import WORKFLOW_STATES
    try:
        pkg = tk.get_action("package_show")(context, {"id": package.id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, _("Dataset not found"))
    return tk.render("datasud/validation.html", {
        "pkg": pkg, "workflow": shown,
        "state_label": label(shown["state"]), "state_labels": {s: label(s) for s in WORKFLOW_STATES},
        "transitions": _allowed_transitions(package, shown["state"]), "errors": errors,
        "decision_labels": {
            "favourable": _("Favourable"), "favourable_with_reservations": _("Favourable with reservations"),
            "unfavourable": _("Unfavourable"), "validated": _("Validated"), "rejected": _("Rejected"),
            "changes_requested": _("Changes requested"), "adopted": _("Adopted"), "withdrawn": _("Withdraw"),
            "changed": _("Changes needing a new validation")},
    })


def queue():
    """« À valider »: what waits for the user's decision."""
    if not current_user.is_authenticated:
        return tk.redirect_to("user.login")
    from ckanext.datasud.helpers import datasud_workflow_state_label as label
    items = tk.get_action("datasud_workflow_queue")({"user": current_user.name}, {})
    import ckan.model as model
    rows = [{**item, "title": model.Package.get(item["id"]).title, "state_label": label(item["state"])}
            for item in items]
    return tk.render("datasud/queue.html", {"rows": rows})


datasud.add_url_rule("/dataset/<id>/validation", view_func=validation, endpoint="validation",
                     methods=["GET", "POST"])
datasud.add_url_rule("/a-valider", view_func=queue, endpoint="queue")

# --- /catalog.csv: the catalogue in OpenDataFrance's layout (catalog_csv.py)
from ckanext.datasud.catalog_csv import datasud_catalog_csv  # noqa: E402

__all__ += ["datasud_catalog_csv"]


# --- Reuses (reuse_views.py) -------------------------------------------------------------
from ckanext.datasud.reuse_views import datasud_reuses  # noqa: E402
__all__ += ["datasud_reuses"]

# --- DataSud's themes as a SKOS concept scheme (concepts.py); sitemap.xml and robots.txt (sitemap.py)
from ckanext.datasud.concepts import datasud_concepts  # noqa: E402
from ckanext.datasud.sitemap import datasud_sitemap  # noqa: E402
__all__ += ["datasud_concepts", "datasud_sitemap"]

# --- /developpeurs: the API for developers (developer_views.py)
from ckanext.datasud.developer_views import datasud_developers  # noqa: E402

__all__ += ["datasud_developers"]

# --- /csw: the INSPIRE discovery service (csw_views.py, csw/)
from ckanext.datasud.csw_views import datasud_csw  # noqa: E402

__all__ += ["datasud_csw"]
