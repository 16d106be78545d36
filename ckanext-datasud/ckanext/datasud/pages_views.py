"""The portal's own pages (issue 12, item 5), French only like ``/licence``:

- ``/a-propos`` (DataSud's mission and objectives; CKAN's ``/about`` shows the same
  page through the ``home/about.html`` override, so no English marketing text is left),
- ``/glossaire``, ``/mentions-legales``, ``/accessibilite``,
- ``/contact``: a form e-mailing the programme team. The e-mail is a Celery task queued
  through the outbox (a visitor never waits for SMTP, and a broker down loses nothing);
  the CSRF token is checked by the view itself (``csrf_valid``); messages sent are
  limited per client address (``ckanext.datasud.contact.per_address`` per ``contact.window`` seconds, 429
  past it); a honeypot field, hidden from people, catches the robots that fill every
  field: they get the thank-you page and nothing is sent.
"""
from __future__ import annotations

import hashlib
import logging
import re
from typing import Any, Optional

from flask import Blueprint, current_app, request
from redis.exceptions import RedisError

import ckan.plugins.toolkit as tk

from ckanext.datasud import dates
from ckanext.datasud.security import csrf, throttling

log = logging.getLogger(__name__)

datasud_pages = Blueprint("datasud_pages", __name__)

_ = tk._

#: The field robots fill and people do not see (named to tempt a form-filling robot).
HONEYPOT = "website"
#: ``/contact?sujet=partenariat``: the subjects links may preset.
PRESET_SUBJECTS = {"partenariat": "Devenir partenaire de DataSud",
                   "accessibilite": "Signaler un problème d’accessibilité"}
MAX_LENGTHS = {"name": 100, "email": 254, "subject": 150, "message": 5000}
MIN_MESSAGE = 10
#: One address, no spaces or line breaks (nothing that could add a mail header).
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _static(template: str):
    """A view rendering one of the static pages."""
    def view() -> str:
        return tk.render(f"datasud/pages/{template}.html")
    view.__name__ = template
    return view


for _path, _template in (("/a-propos", "a_propos"), ("/glossaire", "glossaire"),
                         ("/mentions-legales", "mentions_legales"), ("/accessibilite", "accessibilite")):
    datasud_pages.add_url_rule(_path, view_func=_static(_template), endpoint=_template)


# --- The contact form ------------------------------------------------------------------

def recipients() -> list[str]:
    """The programme team's address (``ckanext.datasud.contact.email``), or else the
    e-mails of the programme team's accounts, so a message always has somewhere to go."""
    configured = tk.aslist(tk.config.get("ckanext.datasud.contact.email"))
    if configured:
        return configured
    from ckanext.datasud.conventions import programme_team_emails
    return programme_team_emails()


def validate(data: dict[str, str]) -> dict[str, str]:
    """French error per field (empty when the message can be sent)."""
    errors: dict[str, str] = {}
    for field in ("name", "email", "subject", "message"):
        if not data[field]:
            errors[field] = _("Please fill in this field.")
        elif len(data[field]) > MAX_LENGTHS[field]:
            errors[field] = _("At most {count} characters.").format(count=MAX_LENGTHS[field])
    if "email" not in errors and not EMAIL_RE.match(data["email"]):
        errors["email"] = _("Enter a valid e-mail address, such as nom@exemple.fr.")
    if "message" not in errors and len(data["message"]) < MIN_MESSAGE:
        errors["message"] = _("Your message is too short (at least {count} characters).").format(count=MIN_MESSAGE)
    return errors


def _window() -> tuple[int, int]:
    return (max(0, tk.asint(tk.config.get("ckanext.datasud.contact.per_address") or 0)),
            max(1, tk.asint(tk.config.get("ckanext.datasud.contact.window") or 3600)))


def _key() -> str:
    """The counter of this client address (hashed: no address kept in Redis)."""
    digest = hashlib.sha256(throttling.client_address().encode()).hexdigest()[:32]
    return ":".join(["datasud", str(tk.config.get("ckan.site_id")), "contact", digest])


def limited() -> int:
    """Seconds to wait when this address already sent its share of messages, else 0.
    Redis unreachable: not limited (the form stays usable)."""
    limit, _window_ = _window()
    if not limit:
        return 0
    try:
        hits, ttl = throttling.peek(_key())
    except RedisError:
        log.warning("contact form: Redis unreachable, not rate-limited")
        return 0
    return ttl if hits >= limit else 0


def count_sent() -> None:
    limit, window = _window()
    if limit:
        try:
            throttling.count(_key(), window)
        except RedisError:
            log.warning("contact form: Redis unreachable, message not counted")


def queue_message(data: dict[str, str]) -> None:
    """Queue the e-mail to the programme team (kept in the outbox if Redis is down); the
    recipients are the web app's configuration, the one the visitor's request saw."""
    from ckanext.datasud import outbox, tasks
    outbox.send(tasks.send_contact_message, kwargs={
        "name": data["name"], "email": data["email"], "subject": data["subject"],
        "message": data["message"], "address": throttling.client_address(), "to": recipients()})


def csrf_valid() -> bool:
    """The form's CSRF token checked here: CKAN's own check skips every request without
    a logged-in session (it takes them for API-token requests), i.e. every visitor of
    this form."""
    from flask_wtf.csrf import CSRFError
    try:
        current_app.extensions["csrf"].protect()
    except CSRFError as e:
        log.info("contact form: CSRF token refused (%s)", e.description)
        return False
    return True


def _form_data() -> dict[str, str]:
    return {field: (request.form.get(field) or "").strip() for field in MAX_LENGTHS}


def _render(data: dict[str, str], errors: dict[str, str], status: int = 200, notice: str = ""):
    return tk.render("datasud/pages/contact.html", extra_vars={
        "data": data, "errors": errors, "notice": notice, "honeypot": HONEYPOT}), status


@csrf.checked_in_view
def contact():
    """GET: the form (subject preset by ``?sujet=``); POST: checked, limited, queued."""
    if request.method == "GET":
        subject = PRESET_SUBJECTS.get(request.args.get("sujet", ""), "")
        return _render({"name": "", "email": "", "subject": subject, "message": ""}, {})
    data = _form_data()
    if not csrf_valid():
        return _render(data, {}, 400, _("The form expired or was not sent from this page: please send it again."))
    wait = limited()
    if wait:
        return _render(data, {}, 429, throttling.too_many_requests_message(wait))
    if request.form.get(HONEYPOT):
        log.info("contact form: honeypot filled by %s, message dropped", throttling.client_address())
        return tk.render("datasud/pages/contact_sent.html")
    errors = validate(data)
    if errors:
        return _render(data, errors, 400)
    queue_message(data)
    count_sent()
    return tk.render("datasud/pages/contact_sent.html")


datasud_pages.add_url_rule("/contact", view_func=contact, endpoint="contact", methods=["GET", "POST"])


def send(name: str, email: str, subject: str, message: str, address: str = "",
         to: Optional[list[str]] = None) -> int:
    """Run by the Celery task: one e-mail to each of the programme team's addresses,
    answering to the visitor (``Reply-To``). Returns how many were sent."""
    from flask_babel import force_locale
    from ckan.lib.mailer import mail_recipient

    sent = 0
    with force_locale(tk.config.get("ckan.locale_default") or "fr"):
        title = _("[DataSud contact] {subject}").format(subject=subject)
        body = _("Message sent from the contact form of DataSud by {name} <{email}> (address {address}):").format(
            name=name, email=email, address=address or "?") + "\n\n" + message + "\n"
    to = to or recipients()
    if not to:
        log.error("contact form: no programme team address (ckanext.datasud.contact.email), message of %s lost", email)
    for recipient in to:
        mail_recipient(recipient, recipient, title, body, headers={"Reply-To": email})
        sent += 1
    return sent


# --- Dates in French order ------------------------------------------------------------------

@datasud_pages.app_context_processor
def _date_globals() -> dict[str, Any]:
    """``datasud_datetime`` for every template (the validation history uses it)."""
    return {"datasud_datetime": dates.long_datetime}
