"""Membership of the CKAN groups that give DataSud roles (programme team, reviewers)."""
from __future__ import annotations

from typing import Optional

import ckan.model as model


def _active_members(group: model.Group):
    return model.Session.query(model.Member).filter(
        model.Member.group_id == group.id, model.Member.table_name == "user", model.Member.state == "active")


def is_member(user: model.User, group_name: Optional[str]) -> bool:
    """Whether the user is an active member of the group (not an organisation) so named."""
    group = model.Group.get(group_name or "")
    if group is None or group.is_organization:
        return False
    return _active_members(group).filter(model.Member.table_id == user.id).count() > 0


def member_users(group_name: Optional[str]) -> list[model.User]:
    """The users who are active members of the group so named."""
    group = model.Group.get(group_name or "")
    if group is None:
        return []
    return [u for u in (model.User.get(m.table_id) for m in _active_members(group)) if u is not None]
