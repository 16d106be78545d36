"""Partner conventions: the rules built on them (who publishes) and their expiry."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.datasud import groups, vocabularies
from ckanext.datasud.model import Convention, ConventionNotice, PublicationOverride

log = logging.getLogger(__name__)

REMINDER_DAYS = (60, 30)


def today() -> dt.date:
    return dt.date.today()


def organization_of(value: str) -> Optional[model.Group]:
    group = model.Group.get(value) if value else None
    if group is None or not group.is_organization or group.state != "active":
        return None
    return group


def convention_in_force(organization_id: str, day: Optional[dt.date] = None) -> Optional[Convention]:
    return (Convention.in_force_query(day).filter(Convention.organization_id == organization_id)
            .order_by(Convention.starts_on).first())


def partner_since(organization_id: str, day: Optional[dt.date] = None) -> Optional[dt.date]:
    """Since when the organisation has been a partner without interruption up to ``day``:
    the start of the earliest convention of the chain of conventions in force."""
    current = convention_in_force(organization_id, day)
    return current.starts_on if current else None


def override_for(organization_id: str) -> Optional[PublicationOverride]:
    return model.Session.get(PublicationOverride, organization_id)


def may_publish(organization_id: Optional[str]) -> bool:
    """Whether the organisation's datasets may be made public."""
    if not organization_id:
        return False
    return convention_in_force(organization_id) is not None or override_for(organization_id) is not None


def refusal_message(organization_title: str) -> str:
    return tk._("{organization} has no convention in force with the Région: its datasets cannot be made public. "
                "The programme team can record its convention.").format(organization=organization_title)


def programme_team(user_name: Optional[str]) -> bool:
    """Sysadmins, the users named in ckanext.datasud.programme_team, and the members of the
    group named in ckanext.datasud.programme_team_group manage conventions."""
    if not user_name:
        return False
    user = model.User.get(user_name)
    if user is None:
        return False
    if user.sysadmin:
        return True
    if user.name in tk.config.get("ckanext.datasud.programme_team"):
        return True
    return groups.is_member(user, tk.config.get("ckanext.datasud.programme_team_group"))


def programme_team_emails() -> list[str]:
    names = set(tk.config.get("ckanext.datasud.programme_team"))
    users = [model.User.get(n) for n in names]
    users += groups.member_users(tk.config.get("ckanext.datasud.programme_team_group"))
    return sorted({u.email for u in users if u is not None and u.email and u.state == "active"})


def expire_and_remind(day: Optional[dt.date] = None, send=None) -> dict[str, int]:
    """The daily job: conventions past their end become `expired`; the programme team is
    told 60 and 30 days before an end date. Safe to run twice: a reminder is recorded
    (datasud_convention_notice) and never sent again."""
    day = day or today()
    send = send or send_reminder
    expired = 0
    for convention in model.Session.query(Convention).filter(
            Convention.status.in_(("in_force", "suspended")), Convention.ends_on.isnot(None),
            Convention.ends_on < day):
        convention.status = "expired"
        convention.modified = dt.datetime.utcnow()
        convention.modified_by = "datasud-expiry"
        expired += 1
    model.Session.commit()

    reminded = 0
    recipients = programme_team_emails()
    for days in REMINDER_DAYS:
        for convention in model.Session.query(Convention).filter(
                Convention.status == "in_force", Convention.ends_on.isnot(None),
                Convention.ends_on > day, Convention.ends_on <= day + dt.timedelta(days=days)):
            already = model.Session.query(ConventionNotice).filter_by(
                convention_id=convention.id, days_before=days, ends_on=convention.ends_on).count()
            # the 30-day reminder makes the 60-day one pointless when it comes first
            if already or (days == 60 and convention.ends_on <= day + dt.timedelta(days=30)):
                continue
            notice = ConventionNotice(convention_id=convention.id, days_before=days, ends_on=convention.ends_on)
            model.Session.add(notice)
            model.Session.flush()
            try:
                if recipients:
                    send(convention, (convention.ends_on - day).days, recipients)
            except Exception:
                # not recorded as sent: the next run (or Celery's retry) sends it again
                model.Session.rollback()
                raise
            model.Session.commit()
            reminded += 1
    return {"expired": expired, "reminded": reminded}


def send_reminder(convention: Convention, days: int, recipients: list[str]) -> None:
    """E-mail the programme team, in the portal's language (French)."""
    from flask_babel import force_locale

    with force_locale(tk.config.get("ckan.locale_default")):
        _send_reminder(convention, days, recipients)


def _send_reminder(convention: Convention, days: int, recipients: list[str]) -> None:
    from ckan.lib.mailer import mail_recipient

    org = model.Group.get(convention.organization_id)
    subject = tk._("[DataSud] The convention {reference} with {organization} ends on {date}").format(
        reference=convention.reference, organization=org.title, date=convention.ends_on.strftime("%d/%m/%Y"))
    body = tk._(
        "Hello,\n\nThe convention {reference} ({kind}) between the Région and {organization} ends on {date}, "
        "in {days} days. Without a new convention in force, {organization} will no longer be able to publish "
        "datasets or run its harvest sources.\n\n{url}\n\n-- DataSud").format(
        reference=convention.reference, organization=org.title,
        kind=vocabularies.label("convention_kinds", convention.kind, tk.config.get("ckan.locale_default")),
        date=convention.ends_on.strftime("%d/%m/%Y"), days=days,
        url=tk.url_for("datasud.conventions", id=org.name, _external=True))
    for address in recipients:
        mail_recipient(address, address, subject, body)
