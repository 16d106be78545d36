"""Authorisation of DataSud's actions (registered by ``tk.blanket.auth_functions``).

Conventions are managed by the programme team (sysadmins, the users of
``ckanext.datasud.programme_team``, the members of ``ckanext.datasud.programme_team_group``);
an organisation's admins read their own; everyone sees the partners in force.
"""
from __future__ import annotations

import ckan.authz as authz
import ckan.plugins.toolkit as tk

from ckanext.datasud import conventions

__all__ = [
    "datasud_convention_create", "datasud_convention_update", "datasud_convention_delete",
    "datasud_convention_show", "datasud_convention_list", "datasud_partner_list", "datasud_key_figures",
    "datasud_publication_override_set", "datasud_publication_override_delete",
    "datasud_workflow_show", "datasud_workflow_queue", "package_show", "package_update",
    "harvest_source_list", "harvest_source_show", "harvest_source_show_status", "harvest_job_show",
    "harvest_job_list", "harvest_object_show", "harvest_log_list", "member_list",
]

_ = tk._


def _programme_team(context) -> dict:
    if conventions.programme_team(context.get("user")):
        return {"success": True}
    return {"success": False, "msg": _("Only the DataSud programme team manages partner conventions.")}


def datasud_convention_create(context, data_dict):
    return _programme_team(context)


def datasud_convention_update(context, data_dict):
    return _programme_team(context)


def datasud_convention_delete(context, data_dict):
    return _programme_team(context)


def _team_or_org_admin(context, data_dict) -> dict:
    if conventions.programme_team(context.get("user")):
        return {"success": True}
    org = conventions.organization_of((data_dict or {}).get("organization_id") or "")
    if org is not None and authz.has_user_permission_for_group_or_org(org.id, context.get("user"), "admin"):
        return {"success": True}
    return {"success": False, "msg": _("Only the programme team and the organisation's admins see its conventions.")}


@tk.auth_allow_anonymous_access
def datasud_convention_show(context, data_dict):
    return _team_or_org_admin(context, data_dict)


@tk.auth_allow_anonymous_access
def datasud_convention_list(context, data_dict):
    return _team_or_org_admin(context, data_dict)


@tk.auth_allow_anonymous_access
def datasud_partner_list(context, data_dict):
    return {"success": True}


@tk.auth_allow_anonymous_access
def datasud_key_figures(context, data_dict):
    return {"success": True}


def datasud_publication_override_set(context, data_dict):
    return {"success": False, "msg": _("Only sysadmins can let an organisation publish without a convention.")}


def datasud_publication_override_delete(context, data_dict):
    return {"success": False, "msg": _("Only sysadmins can let an organisation publish without a convention.")}


@tk.auth_allow_anonymous_access
def datasud_workflow_show(context, data_dict):
    """A dataset's validation history: its organisation's members, the reviewers, sysadmins."""
    from ckanext.datasud import workflow
    import ckan.model as model
    user = context.get("user")
    package = model.Package.get((data_dict or {}).get("id") or "")
    if workflow.is_reviewer(user):
        return {"success": True}
    if package is not None and package.owner_org and authz.has_user_permission_for_group_or_org(
            package.owner_org, user, "read"):
        return {"success": True}
    return {"success": False, "msg": _("Only the organisation's members and the reviewers see this history.")}


def datasud_workflow_queue(context, data_dict):
    return {"success": bool(context.get("user"))}


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def package_show(next_auth, context, data_dict):
    """Reviewers read the unpublished datasets that wait for their decision."""
    result = next_auth(context, data_dict)
    if result.get("success"):
        return result
    from ckanext.datasud import workflow
    from ckanext.datasud.logic.workflow_action import state_of
    from ckanext.datasud.permissions import REVIEW_STATES
    import ckan.model as model
    package = context.get("package") or model.Package.get((data_dict or {}).get("id") or "")
    if package is not None and state_of(package.id) in REVIEW_STATES and workflow.is_reviewer(context.get("user")):
        return {"success": True}
    return result


@tk.chained_auth_function
def package_update(next_auth, context, data_dict):
    """A harvested dataset is read-only (its partner changes it in its own catalogue);
    the harvest itself, and sysadmins, still write it."""
    import ckan.model as model
    from ckanext.datasud.harvesting.reports import origin
    package = context.get("package") or model.Package.get((data_dict or {}).get("id") or "")
    if package is not None and not authz.is_sysadmin(context.get("user")):
        harvested = origin(package.id)
        if harvested is not None:
            return {"success": False, "msg": _(
                'This dataset is harvested from the catalogue "{source}": change it there, DataSud updates it '
                "at the next harvest.").format(source=harvested["source_title"])}
    return next_auth(context, data_dict)


# --- Partners' harvest details: the organisation's members, the programme team, sysadmins
# (harvest sources themselves are hidden by their permission labels: permissions.py, so
# package_show, harvest_source_show/_show_status, package_search and the /harvest pages
# follow; the job reports of our own pages: harvesting/views.py)

def reads_partner_harvest(user: str | None, organization_id: str | None) -> bool:
    """Whether the user may read a partner's harvest sources, jobs and records."""
    if conventions.programme_team(user):
        return True
    return bool(user and organization_id) and authz.has_user_permission_for_group_or_org(
        organization_id, user, "read")


def _harvest_refused() -> dict:
    return {"success": False, "msg": _("Only the organisation's members see its harvest sources.")}


def _source_organization(source_id: str | None) -> str | None:
    import ckan.model as model
    package = model.Package.get(source_id or "")
    return package.owner_org if package is not None else None


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def harvest_source_list(next_auth, context, data_dict):
    """ckanext-harvest lists every source to visitors: the programme team lists them all,
    a partner's members those of their organisation."""
    user = context.get("user")
    if not conventions.programme_team(user) and not reads_partner_harvest(
            user, (data_dict or {}).get("organization_id")):
        return _harvest_refused()
    return next_auth(context, data_dict)


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def harvest_source_show(next_auth, context, data_dict):
    result = next_auth(context, data_dict)
    if result.get("success") and not reads_partner_harvest(
            context.get("user"), _source_organization((data_dict or {}).get("id"))):
        return _harvest_refused()
    return result


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def harvest_source_show_status(next_auth, context, data_dict):
    return harvest_source_show(next_auth, context, data_dict)


def _job_source(context, data_dict) -> str | None:
    from ckanext.harvest.model import HarvestJob
    job = context.get("job") or HarvestJob.get((data_dict or {}).get("id") or "")
    return job.source_id if job is not None else None


@tk.chained_auth_function
def harvest_job_show(next_auth, context, data_dict):
    """A job's report: the source's editors (ckanext-harvest), and its partner's members
    and the programme team, who read it on the « Moissonnage » tab."""
    source_id = _job_source(context, data_dict)
    if source_id is not None and reads_partner_harvest(context.get("user"), _source_organization(source_id)):
        return {"success": True}
    return next_auth(context, data_dict)


@tk.chained_auth_function
def harvest_job_list(next_auth, context, data_dict):
    if reads_partner_harvest(context.get("user"), _source_organization((data_dict or {}).get("source_id"))):
        return {"success": True}
    return next_auth(context, data_dict)


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def harvest_object_show(next_auth, context, data_dict):
    """A harvested record as the partner's catalogue gave it (ckanext-harvest shows it to
    everyone, unpublished datasets' included): the partner's members, the programme team."""
    import ckan.model as model
    from ckanext.harvest.model import HarvestObject
    data_dict = data_dict or {}
    obj = HarvestObject.get(data_dict["id"]) if data_dict.get("id") else None
    if obj is None and data_dict.get("dataset_id"):
        package = model.Package.get(data_dict["dataset_id"])
        obj = model.Session.query(HarvestObject).filter(HarvestObject.package_id == package.id).first() \
            if package is not None else None
    organization_id = _source_organization(obj.harvest_source_id) if obj is not None else None
    if not reads_partner_harvest(context.get("user"), organization_id):
        return _harvest_refused()
    return next_auth(context, data_dict)


@tk.chained_auth_function
def harvest_log_list(next_auth, context, data_dict):
    """The harvesters' log, all sources mixed: sysadmins only. (ckanext-harvest declares no
    rule of its own: its plugin registers the action itself as the auth function.)"""
    return {"success": False, "msg": _("Only sysadmins read the harvest log.")}


# --- Members of groups: user details are not public (ckan.auth.public_user_details)

@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def member_list(next_auth, context, data_dict):
    """Who belongs to a group or an organisation (the legal service, the committee, the
    Commission, a partner's team): its own members and the programme team, unless
    ``ckan.auth.public_user_details`` says user details are public. Datasets of a group
    stay listed for everyone."""
    import ckan.model as model
    data_dict = data_dict or {}
    object_type = data_dict.get("object_type")
    if object_type not in (None, "", "user") or tk.config.get("ckan.auth.public_user_details"):
        return next_auth(context, data_dict)
    group = model.Group.get(data_dict.get("id") or "")
    user = context.get("user")
    if group is not None and not conventions.programme_team(user) and not (
            user and authz.has_user_permission_for_group_or_org(group.id, user, "read")):
        return {"success": False, "msg": _("Only the group's members see who belongs to it.")}
    return next_auth(context, data_dict)


from ckanext.datasud.logic.reuse_auth import *  # noqa: E402,F401,F403 - reuses
from ckanext.datasud.logic import reuse_auth as _reuse_auth  # noqa: E402

__all__ += _reuse_auth.__all__
