"""Who may do what with reuses (exported through logic/auth.py).

Anyone logged in declares a reuse; everyone reads the published ones; a pending or
rejected reuse is seen by the programme team and its declarant only; the programme team
(``reuses.is_programme_team``: as for conventions) moderates; the declarant may delete
their reuse while it is pending, the programme team at any time.
"""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.datasud import reuses
from ckanext.datasud.model import Reuse

__all__ = [
    "datasud_reuse_create", "datasud_reuse_show", "datasud_reuse_list", "datasud_reuse_moderate",
    "datasud_reuse_delete",
]

_ = tk._


def _reuse(data_dict) -> Reuse | None:
    reuse_id = (data_dict or {}).get("id")
    return model.Session.get(Reuse, reuse_id) if isinstance(reuse_id, str) and reuse_id else None


@tk.auth_allow_anonymous_access
def datasud_reuse_create(context, data_dict):
    if reuses.user_id_of(context.get("user")):
        return {"success": True}
    return {"success": False, "msg": _("Log in to declare a reuse.")}


@tk.auth_allow_anonymous_access
def datasud_reuse_show(context, data_dict):
    reuse = _reuse(data_dict)
    if reuse is None or reuse.state == "published" or reuses.may_see_unpublished(reuse, context.get("user")):
        return {"success": True}
    return {"success": False, "msg": _("This reuse is not published.")}


@tk.auth_allow_anonymous_access
def datasud_reuse_list(context, data_dict):
    state = (data_dict or {}).get("state") or "published"
    if state == "published" or reuses.user_id_of(context.get("user")):
        return {"success": True}
    return {"success": False, "msg": _("Log in to see the reuses waiting for moderation.")}


@tk.auth_allow_anonymous_access
def datasud_reuse_moderate(context, data_dict):
    if reuses.is_programme_team(context.get("user")):
        return {"success": True}
    return {"success": False, "msg": _("Only the DataSud programme team moderates reuses.")}


@tk.auth_allow_anonymous_access
def datasud_reuse_delete(context, data_dict):
    user_name = context.get("user")
    if reuses.is_programme_team(user_name):
        return {"success": True}
    reuse = _reuse(data_dict)
    if reuse is not None and reuse.state == "pending" and reuse.user_id == (reuses.user_id_of(user_name) or "-"):
        return {"success": True}
    return {"success": False, "msg": _("Only the programme team, or its declarant while it waits for "
                                       "moderation, may delete a reuse.")}
