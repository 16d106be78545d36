"""Who sees an unpublished dataset: CKAN's permission labels (its organisation's members,
its creator, sysadmins), plus the reviewers while it waits for their decision."""
from __future__ import annotations

from ckan.lib.plugins import DefaultPermissionLabels

REVIEW_LABEL = "datasud-review"
REVIEW_STATES = ("submitted", "committee", "commission")


class ReviewPermissionLabels(DefaultPermissionLabels):

    def get_dataset_labels(self, dataset_obj):
        labels = super().get_dataset_labels(dataset_obj)
        if dataset_obj.private:
            from ckanext.datasud.logic.workflow_action import state_of
            if state_of(dataset_obj.id) in REVIEW_STATES:
                labels.append(REVIEW_LABEL)
        return labels

    def get_user_dataset_labels(self, user_obj):
        labels = super().get_user_dataset_labels(user_obj)
        if user_obj is not None:
            from ckanext.datasud import workflow
            if workflow.is_reviewer(user_obj.name):
                labels.append(REVIEW_LABEL)
        return labels
