"""Actions of the validation workflow (exported through logic/action.py).

Every transition locks the dataset's workflow row (``SELECT … FOR UPDATE``), checks the
state it starts from, and records who did what, so that two reviewers deciding at the
same moment leave one consistent history: the second is refused with a clear error.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.dialects.postgresql import insert

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.datasud import workflow
from ckanext.datasud.model import Review, WorkflowState

__all__ = [
    "datasud_workflow_submit", "datasud_workflow_legal_opinion", "datasud_workflow_committee_decision",
    "datasud_workflow_commission_vote", "datasud_workflow_withdraw", "datasud_workflow_show",
    "datasud_workflow_queue",
]

_ = tk._
log = logging.getLogger(__name__)

def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown."""
    return message


STATE_LABELS = {
    "draft": N_("draft"), "submitted": N_("awaiting the legal opinion"),
    "committee": N_("awaiting the steering committee"), "commission": N_("awaiting the Commission permanente vote"),
    "published": N_("published"), "withdrawn": N_("withdrawn"),
}


def state_of(package_id: str) -> str:
    row = model.Session.get(WorkflowState, package_id)
    return row.state if row else "draft"


def _package(data_dict) -> model.Package:
    reference = tk.get_or_bust(data_dict, "id")
    package = model.Package.get(reference) if isinstance(reference, str) else None  # a number, a list: none
    if package is None or package.state == "deleted" or package.type != "dataset":
        raise tk.ObjectNotFound(_("Dataset not found"))
    return package


def _locked_state(package: model.Package) -> WorkflowState:
    """The workflow row of the dataset, created if needed, locked until commit."""
    model.Session.execute(insert(WorkflowState.__table__).values(
        package_id=package.id, state="draft", version=0, modified=dt.datetime.utcnow(),
    ).on_conflict_do_nothing(index_elements=["package_id"]))
    return (model.Session.query(WorkflowState).filter_by(package_id=package.id)
            .populate_existing().with_for_update().one())


def _required(data_dict: dict, key: str, message: str) -> str:
    value = (data_dict.get(key) or "").strip() if isinstance(data_dict.get(key), str) else data_dict.get(key)
    if not value:
        raise tk.ValidationError({key: [message]})
    return value


def _one_of(data_dict: dict, key: str, allowed: tuple[str, ...]) -> str:
    value = data_dict.get(key)
    if value not in allowed:
        raise tk.ValidationError({key: [_('Unknown value: "{value}". Allowed values: {allowed}.').format(
            value=value or "", allowed=", ".join(allowed))]})
    return value


def _apply(context, data_dict, name: str, decision: str | None = None, vote_required: bool = False,
           details: dict | None = None) -> dict[str, Any]:
    package = _package(data_dict)
    transition = workflow.TRANSITIONS[name]
    user = context.get("user")
    if not workflow.can_act(user, transition, package):
        raise tk.NotAuthorized(_("You cannot do this step of the validation of this dataset."))

    row = _locked_state(package)
    if row.state not in transition.sources:
        current = row.state
        model.Session.rollback()
        raise tk.ValidationError({"state": [_(
            'This step is not possible now: the dataset is "{state}".').format(state=_(STATE_LABELS[current]))]})
    to_state = workflow.target(name, decision, vote_required)
    if to_state == "published" and not workflow.may_publish(package):
        model.Session.rollback()
        from ckanext.datasud.conventions import refusal_message
        org = model.Group.get(package.owner_org)
        raise tk.ValidationError({"state": [refusal_message(org.title if org else "")]})

    user_obj = model.User.get(user)
    review = Review(package_id=package.id, transition=name, from_state=row.state, to_state=to_state,
                    decision=decision, comment=(data_dict.get("comment") or "").strip(),
                    document_url=(data_dict.get("document_url") or "").strip(), details=details or {},
                    user_id=user_obj.id if user_obj else user)
    model.Session.add(review)
    if name == "committee_decision" and decision == "validated":
        row.commission_vote_required = "yes" if vote_required else "no"
    row.state = to_state
    row.version += 1
    row.modified = dt.datetime.utcnow()
    # Published means public; any other state means private (organisation and reviewers only).
    package.private = to_state != "published"
    model.Session.commit()

    from ckan.lib.search import rebuild
    rebuild(package.id)
    queue_notifications(review.id)
    return _show(package)


def queue_notifications(review_id: str) -> None:
    """Queue the e-mails of a transition (a Celery task; the transition never waits on SMTP,
    nor on Redis: while the broker is down the task waits in the outbox, outbox.py)."""
    try:
        from ckanext.datasud import outbox
        from ckanext.datasud.tasks import notify_transition
        outbox.send(notify_transition, [review_id])
    except Exception:  # noqa: BLE001 - nothing may undo a recorded decision
        log.exception("could not queue the notifications of review %s", review_id)


def revalidate(context, package: model.Package, fields: list[str]) -> None:
    """A published dataset whose licence, publication mode or producer changed goes back
    to the legal service, unpublished, with a line in its history."""
    row = _locked_state(package)
    user_obj = model.User.get(context.get("user"))
    review = Review(
        package_id=package.id, transition="revalidation", from_state=row.state, to_state="submitted",
        decision="changed", comment=", ".join(fields), details={"changed": fields},
        user_id=user_obj.id if user_obj else context.get("user") or "")
    model.Session.add(review)
    row.state, row.version, row.modified = "submitted", row.version + 1, dt.datetime.utcnow()
    package.private = True
    model.Session.commit()
    from ckan.lib.search import rebuild
    rebuild(package.id)
    queue_notifications(review.id)


def _show(package: model.Package) -> dict[str, Any]:
    row = model.Session.get(WorkflowState, package.id)
    history = (model.Session.query(Review).filter_by(package_id=package.id)
               .order_by(Review.created, Review.id).all())
    users = {u.id: u for u in model.Session.query(model.User).filter(
        model.User.id.in_({r.user_id for r in history}))} if history else {}
    return {
        "id": package.id, "name": package.name,
        "state": row.state if row else "draft",
        "commission_vote_required": (row.commission_vote_required == "yes") if row and row.commission_vote_required
        else None,
        "history": [{
            "transition": r.transition, "from_state": r.from_state, "to_state": r.to_state,
            "decision": r.decision, "comment": r.comment, "document_url": r.document_url,
            "details": r.details or {}, "user": users[r.user_id].name if r.user_id in users else r.user_id,
            "created": r.created.isoformat(),
        } for r in history],
    }


def datasud_workflow_submit(context, data_dict):
    """Submit a dataset for validation: it goes to the legal service (state ``submitted``).

    The editors and admins of the dataset's organisation, the steering committee and
    sysadmins, from the states
    ``draft`` or ``withdrawn``. This is the only way a dataset becomes public: it is
    published once the steering committee (and, if needed, the Commission permanente) has
    validated it. The legal service's reviewers are e-mailed.

    :param id: the dataset (id or name)
    :type id: string

    :returns: the dataset's workflow, as ``datasud_workflow_show`` gives it
    :rtype: dict
    :raises ObjectNotFound: (404) no dataset ``id``
    :raises NotAuthorized: (403) the caller may not take this step for this dataset
    :raises ValidationError: (409) ``state``: the dataset is not a draft nor withdrawn
    """
    return _apply(context, data_dict, "submit")


def datasud_workflow_legal_opinion(context, data_dict):
    """The legal service's opinion on a submitted dataset (members of the legal service's
    group, sysadmins). The dataset goes to the steering committee (state ``committee``).

    :param id: the dataset (id or name)
    :type id: string
    :param opinion: ``favourable``, ``favourable_with_reservations`` or ``unfavourable``
    :type opinion: string
    :param comment: the reasons (required unless the opinion is ``favourable``)
    :type comment: string
    :param document_url: a document supporting the opinion (optional)
    :type document_url: string

    :returns: the dataset's workflow, as ``datasud_workflow_show`` gives it
    :rtype: dict
    :raises ObjectNotFound: (404) no dataset ``id``
    :raises NotAuthorized: (403) the caller may not take this step for this dataset
    :raises ValidationError: (409) ``opinion`` unknown, ``comment`` missing, ``state``: the dataset is not submitted
    """
    opinion = _one_of(data_dict, "opinion", workflow.LEGAL_OPINIONS)
    if opinion != "favourable":
        _required(data_dict, "comment", _("Give the reasons of this opinion."))
    return _apply(context, data_dict, "legal_opinion", decision=opinion)


def datasud_workflow_committee_decision(context, data_dict):
    """The steering committee's decision on a dataset it has (members of the committee's
    group, sysadmins): ``validated`` publishes it, unless the Commission permanente must
    vote first (state ``commission``); ``changes_requested`` and ``rejected`` send it back
    to its organisation (state ``draft``).

    :param id: the dataset (id or name)
    :type id: string
    :param decision: ``validated``, ``changes_requested`` or ``rejected``
    :type decision: string
    :param commission_vote_required: with ``validated``: whether the Commission permanente
        must vote before publication (default false)
    :type commission_vote_required: bool
    :param comment: what must change, or why it is rejected (required unless validated)
    :type comment: string
    :param document_url: a document supporting the decision (optional)
    :type document_url: string

    :returns: the dataset's workflow, as ``datasud_workflow_show`` gives it
    :rtype: dict
    :raises ObjectNotFound: (404) no dataset ``id``
    :raises NotAuthorized: (403) the caller may not take this step for this dataset
    :raises ValidationError: (409) ``decision`` unknown, ``comment`` missing, ``state``: not before the committee; the organisation has no convention in force
    """
    decision = _one_of(data_dict, "decision", workflow.COMMITTEE_DECISIONS)
    if decision != "validated":
        _required(data_dict, "comment", _("Say what must change, or why the dataset is rejected."))
    vote = tk.asbool(data_dict.get("commission_vote_required", False))
    return _apply(context, data_dict, "committee_decision", decision=decision, vote_required=vote,
                  details={"commission_vote_required": vote} if decision == "validated" else None)


def datasud_workflow_commission_vote(context, data_dict):
    """The Commission permanente's vote on a dataset validated by the committee (members of
    the Commission's group, sysadmins): ``adopted`` publishes it, ``rejected`` sends it
    back to its organisation.

    :param id: the dataset (id or name)
    :type id: string
    :param vote: ``adopted`` or ``rejected``
    :type vote: string
    :param deliberation_number: the number of the deliberation
    :type deliberation_number: string
    :param deliberation_date: its date (YYYY-MM-DD)
    :type deliberation_date: string
    :param comment: a comment (optional)
    :type comment: string
    :param document_url: the deliberation's address (optional)
    :type document_url: string

    :returns: the dataset's workflow, as ``datasud_workflow_show`` gives it
    :rtype: dict
    :raises ObjectNotFound: (404) no dataset ``id``
    :raises NotAuthorized: (403) the caller may not take this step for this dataset
    :raises ValidationError: (409) ``vote`` unknown, ``deliberation_number`` or ``deliberation_date`` missing or invalid, ``state``: no vote awaited
    """
    vote = _one_of(data_dict, "vote", workflow.COMMISSION_VOTES)
    number = _required(data_dict, "deliberation_number", _("Give the number of the deliberation."))
    date = _required(data_dict, "deliberation_date", _("Give the date of the deliberation."))
    from ckanext.datasud.logic.validators import datasud_date
    try:
        date = datasud_date(date)
    except tk.Invalid as e:
        raise tk.ValidationError({"deliberation_date": [e.error]})
    return _apply(context, data_dict, "commission_vote", decision=vote,
                  details={"deliberation_number": number, "deliberation_date": date})


def datasud_workflow_withdraw(context, data_dict):
    """Withdraw a published dataset (its organisation's editors and admins, the steering
    committee, sysadmins): it becomes
    private again (state ``withdrawn``) and can be submitted again later.

    :param id: the dataset (id or name)
    :type id: string
    :param comment: the reason of the withdrawal
    :type comment: string
    :param document_url: a document supporting the withdrawal (optional)
    :type document_url: string

    :returns: the dataset's workflow, as ``datasud_workflow_show`` gives it
    :rtype: dict
    :raises ObjectNotFound: (404) no dataset ``id``
    :raises NotAuthorized: (403) the caller may not take this step for this dataset
    :raises ValidationError: (409) ``comment`` missing, ``state``: the dataset is not published
    """
    _required(data_dict, "comment", _("Give the reason of the withdrawal."))
    return _apply(context, data_dict, "withdraw", decision="withdrawn")


@tk.side_effect_free
def datasud_workflow_show(context, data_dict):
    """The validation state of a dataset and its full history (its organisation's members,
    the reviewers, sysadmins).

    :param id: the dataset (id or name)
    :type id: string

    :returns: ``id``, ``name``, ``state`` (``draft``, ``submitted``, ``committee``,
        ``commission``, ``published`` or ``withdrawn``), ``commission_vote_required``
        (true, false or null) and ``history``: each step with ``transition``,
        ``from_state``, ``to_state``, ``decision``, ``comment``, ``document_url``,
        ``details``, ``user`` and ``created``, oldest first
    :rtype: dict
    :raises ObjectNotFound: (404) no dataset ``id``
    :raises NotAuthorized: (403) the caller may not see this history
    :raises ValidationError: (409) ``id`` missing
    """
    package = _package(data_dict)
    tk.check_access("datasud_workflow_show", context, {"id": package.id})
    return _show(package)


@tk.side_effect_free
def datasud_workflow_queue(context, data_dict):
    """The datasets waiting for the caller's decision, by the caller's roles (legal
    service, steering committee, Commission permanente), longest waiting first. No
    parameters; for a logged-in user (an API token).

    :returns: a list of ``{"id", "name", "state", "modified"}``
    :rtype: list of dicts
    :raises NotAuthorized: (403) an anonymous caller
    """
    tk.check_access("datasud_workflow_queue", context, data_dict)
    user = context.get("user")
    waiting = {state for state, role in (("submitted", "legal"), ("committee", "committee"),
                                         ("commission", "commission")) if workflow.has_role(user, role)}
    query = model.Session.query(WorkflowState).filter(WorkflowState.state.in_(waiting or {""}))
    return [{"id": row.package_id, "name": model.Package.get(row.package_id).name, "state": row.state,
             "modified": row.modified.isoformat()}
            for row in query.order_by(WorkflowState.modified)]


def publish_through_the_workflow(user: str, package_id: str, comment: str = "") -> dict[str, Any]:
    """Run the three steps as ``user`` (a sysadmin holds every role): for demo data and
    tests, which need published datasets; every step is recorded as for a person."""
    context = lambda: {"user": user, "ignore_auth": False}  # noqa: E731
    datasud_workflow_submit(context(), {"id": package_id})
    datasud_workflow_legal_opinion(context(), {"id": package_id, "opinion": "favourable", "comment": comment})
    return datasud_workflow_committee_decision(context(), {"id": package_id, "decision": "validated",
                                                           "comment": comment})
