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
