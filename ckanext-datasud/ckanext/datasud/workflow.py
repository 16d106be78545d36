"""The validation workflow before publication (programme Open PACA, 2012):

1. the dataset is submitted to the legal service for an opinion;
2. the political steering committee validates it (and says whether a vote is needed);
3. optionally, the Commission permanente votes it;

and only then is it published. The state machine is declared here, once; actions
(logic/action.py) apply it.

    draft ──submit──▶ submitted ──legal_opinion──▶ committee ──committee_decision──▶ published
      ▲                                                │  (validated, vote needed)        │
      │                                                ▼                                  │
      ├──────── rejected / changes requested ─── commission ──commission_vote──▶ published │
      │                                                                                   │
      └──────────── submit (again) ◀── withdrawn ◀──────────── withdraw ◀─────────────────┘
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.datasud import conventions, groups

# Roles: a CKAN group per role, managed in the UI by sysadmins (names configurable).
ROLE_OPTIONS = {
    "legal": "ckanext.datasud.workflow.legal_group",
    "committee": "ckanext.datasud.workflow.committee_group",
    "commission": "ckanext.datasud.workflow.commission_group",
}

LEGAL_OPINIONS = ("favourable", "favourable_with_reservations", "unfavourable")
COMMITTEE_DECISIONS = ("validated", "rejected", "changes_requested")
COMMISSION_VOTES = ("adopted", "rejected")


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    role: str  # who acts: "partner" (the organisation's editors), or a reviewer role


TRANSITIONS = {
    "submit": Transition("submit", ("draft", "withdrawn"), "partner"),
    "legal_opinion": Transition("legal_opinion", ("submitted",), "legal"),
    "committee_decision": Transition("committee_decision", ("committee",), "committee"),
    "commission_vote": Transition("commission_vote", ("commission",), "commission"),
    "withdraw": Transition("withdraw", ("published",), "partner_or_committee"),
}


def target(transition: str, decision: Optional[str] = None, vote_required: bool = False) -> str:
    """The state a transition leads to, given its decision."""
    if transition == "submit":
        return "submitted"
    if transition == "legal_opinion":
        return "committee"  # the opinion informs the committee, whatever it is
    if transition == "committee_decision":
        if decision == "validated":
            return "commission" if vote_required else "published"
        return "draft"
    if transition == "commission_vote":
        return "published" if decision == "adopted" else "draft"
    if transition == "withdraw":
        return "withdrawn"
    raise ValueError(transition)


def has_role(user_name: Optional[str], role: str) -> bool:
    """Sysadmins hold every role; reviewers are the members of the role's group."""
    if not user_name:
        return False
    user = model.User.get(user_name)
    if user is None or user.state != "active":
        return False
    if user.sysadmin:
        return True
    return groups.is_member(user, tk.config.get(ROLE_OPTIONS[role]))


def is_reviewer(user_name: Optional[str]) -> bool:
    return any(has_role(user_name, role) for role in ROLE_OPTIONS)


def can_act(user_name: Optional[str], transition: Transition, package: model.Package) -> bool:
    import ckan.authz as authz
    is_editor = bool(package.owner_org) and authz.has_user_permission_for_group_or_org(
        package.owner_org, user_name, "create_dataset")
    if transition.role == "partner":
        return is_editor or has_role(user_name, "committee")
    if transition.role == "partner_or_committee":
        return is_editor or has_role(user_name, "committee")
    return has_role(user_name, transition.role)


def may_publish(package: model.Package) -> bool:
    return conventions.may_publish(package.owner_org)


# --- Notifications (sent by the Celery task datasud.notify_transition) -----------------

NEXT_ROLE = {"submitted": "legal", "committee": "committee", "commission": "commission"}


def role_members_emails(role: str) -> list[str]:
    users = groups.member_users(tk.config.get(ROLE_OPTIONS[role]))
    return sorted({u.email for u in users if u.state == "active" and u.email})


def notify(review_id: str) -> int:
    """E-mail, in French, the reviewers of the next step and the submitter of the dataset.
    Returns how many messages were sent."""
    from flask_babel import force_locale
    from ckan.lib.mailer import mail_recipient
    from ckanext.datasud.model import Review

    review = model.Session.get(Review, review_id)
    if review is None:
        return 0
    package = model.Package.get(review.package_id)
    url = tk.url_for("dataset.read", id=package.name, _external=True)
    sent = 0
    with force_locale(tk.config.get("ckan.locale_default")):
        from ckanext.datasud.logic.workflow_action import STATE_LABELS
        state = tk._(STATE_LABELS[review.to_state])
        role = NEXT_ROLE.get(review.to_state)
        if role:
            subject = tk._("[DataSud] To validate: {title}").format(title=package.title)
            body = tk._("Hello,\n\nThe dataset \"{title}\" is {state}: it waits for your decision.\n\n{url}\n\n"
                        "-- DataSud").format(title=package.title, state=state, url=url)
            for address in role_members_emails(role):
                mail_recipient(address, address, subject, body)
                sent += 1
        submit = (model.Session.query(Review).filter_by(package_id=package.id, transition="submit")
                  .order_by(Review.created.desc()).first())
        submitter = model.User.get(submit.user_id) if submit else None
        if review.transition != "submit" and submitter is not None and submitter.email:
            subject = tk._("[DataSud] {title}: {state}").format(title=package.title, state=state)
            body = tk._("Hello,\n\nThe dataset \"{title}\" is now {state}.\n\nDecision: {decision}\n"
                        "Comment: {comment}\n\n{url}\n\n-- DataSud").format(
                title=package.title, state=state, decision=review.decision or "-",
                comment=review.comment or "-", url=url)
            mail_recipient(submitter.fullname or submitter.name, submitter.email, subject, body)
            sent += 1
    return sent
