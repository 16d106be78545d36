"""Who sees an unpublished dataset: CKAN's permission labels (its organisation's members,
its creator, sysadmins), plus the reviewers while it waits for their decision.

A harvest source (a dataset of type ``harvest``: its partner's catalogue URL, settings and
last job's errors) is never public: its organisation's members and the programme team see
it, whatever its ``private`` flag (package_show, package_search, the /harvest pages)."""
from __future__ import annotations

from typing import Any, Optional

import ckan.model as model
from ckan.lib.plugins import DefaultPermissionLabels

REVIEW_LABEL = "datasud-review"
REVIEW_STATES = ("submitted", "committee", "commission")
PROGRAMME_LABEL = "datasud-programme"
HARVEST_SOURCE_TYPE = "harvest"


def user_object(user: Any) -> Optional[model.User]:
    """The user CKAN gives the permission labels, as a ``model.User`` (``None`` for a visitor).

    Callers pass what they have: ``current_user`` (a ``model.User``, or flask-login's
    anonymous user), or ``g.userobj``, which CKAN's activity views pass and which is an
    empty string for a visitor; a user name is looked up."""
    if user is None or getattr(user, "is_anonymous", False):
        return None
    if isinstance(user, str):
        return model.User.get(user) if user else None
    return user


class ReviewPermissionLabels(DefaultPermissionLabels):

    def get_dataset_labels(self, dataset_obj):
        if dataset_obj.type == HARVEST_SOURCE_TYPE:
            owner = (f"member-{dataset_obj.owner_org}" if dataset_obj.owner_org
                     else f"creator-{dataset_obj.creator_user_id}")
            return [owner, PROGRAMME_LABEL]
        labels = super().get_dataset_labels(dataset_obj)
        if dataset_obj.private:
            from ckanext.datasud.logic.workflow_action import state_of
            if state_of(dataset_obj.id) in REVIEW_STATES:
                labels.append(REVIEW_LABEL)
        return labels

    def get_user_dataset_labels(self, user_obj):
        user = user_object(user_obj)
        labels = super().get_user_dataset_labels(user)
        if user is not None:
            from ckanext.datasud import conventions, workflow
            if workflow.is_reviewer(user.name):
                labels.append(REVIEW_LABEL)
            if conventions.programme_team(user.name):
                labels.append(PROGRAMME_LABEL)
        return labels
