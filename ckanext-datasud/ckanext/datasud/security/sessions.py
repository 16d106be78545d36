"""Sessions, the remember-me cookie and CSRF (issue 10, items 4 and 5).

- **Server-side sessions.** The sessions live in Redis (``SESSION_TYPE = redis`` in the
  configuration: Flask-Session through CKAN's own ``CKANRedisSessionInterface``, on
  ``ckan.redis.url``); the cookie only carries a random id, and expires when idle
  (``PERMANENT_SESSION_LIFETIME``). CKAN gives the session a new id at login, so an id
  planted before the login never becomes an authenticated session (session fixation,
  CVE-2025-64100); an id Redis does not know is replaced.
- **Bound to the password.** At login the session records a stamp of the user's
  credentials (an HMAC of the password hash). A request whose session carries another
  stamp than the user's current one — the password was changed by the user, reset by
  e-mail or by a sysadmin — ends that session. The session that changed its own
  password carries on (it is re-stamped in the same request); all others end.
- **Redis down**: sessions cannot be read nor kept, so everyone browses anonymously
  (pages still answer; logins do not hold) instead of every page failing; the session
  store's client gives up after ``ckanext.datasud.sessions.redis_timeout`` seconds
  instead of blocking a web worker on a frozen Redis.
- **Logout** drops the user from the session (flask-login), deletes the session from
  Redis under its old id (a captured cookie then opens an anonymous session) and
  revokes the user's remember-me grant.
- **Remember me.** flask-login's cookie is ``<user id>|<HMAC of it>``: the same value
  on every device, valid for as long as the secret key, whatever its expiry date says.
  It is only honoured while the user has a *remember-me grant* in Redis: created at a
  login with "remember me" for at most ``REMEMBER_COOKIE_DURATION`` seconds (the login
  form's own duration is capped), bound to the credentials stamp, deleted at logout.
  The grant is per user (the cookie cannot tell devices apart): logging out on one
  device ends "remember me" on all of them.
- **CSRF.** Extensions' views check their token (``ckan.csrf_protection.ignore_extensions
  = false``). ckanext-harvest's views that change a source (refresh, clear, delete, stop
  a job) also act on a plain GET, which no token protects: they answer only POST (the
  buttons of its pages post through CKAN's ``confirm-action`` module, with the token).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import Any, Optional

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.config.middleware.common_middleware import CKANRedisSessionInterface
from redis import Redis
from flask import current_app, g, request, session
from flask_login import user_logged_in, user_logged_out, user_loaded_from_cookie
from flask_login.utils import decode_cookie
from redis.exceptions import RedisError
from werkzeug.exceptions import MethodNotAllowed

from ckanext.datasud import redis_client

log = logging.getLogger(__name__)

#: Session key of the credentials stamp of the logged-in user.
CREDENTIALS_STAMP = "_datasud_credentials"

#: What CKAN's login form sends for "remember me": milliseconds.
REMEMBER_VALUE = re.compile(r"[0-9]{1,12}")

#: ckanext-harvest's views that change a harvest source, and their URL rules: POST only.
HARVEST_ACTIONS = {
    "harvester.refresh": "/harvest/refresh/<id>",
    "harvester.clear": "/harvest/clear/<id>",
    "harvester.delete": "/harvest/delete/<id>",
    "harvester.job_abort": "/harvest/<source>/job/<id>/abort",
}


class DegradableRedisSessionInterface(CKANRedisSessionInterface):
    """CKAN's Redis sessions, with a client that times out, and that, when Redis cannot
    be reached, opens an empty (anonymous) session and keeps nothing, instead of failing
    the request."""

    def __init__(self, app, serializer):
        timeout = max(1, tk.asint(tk.config.get("ckanext.datasud.sessions.redis_timeout") or 2))
        app.config["SESSION_REDIS"] = Redis.from_url(
            tk.config["ckan.redis.url"], socket_timeout=timeout, socket_connect_timeout=timeout)
        super().__init__(app)
        self.serializer = serializer

    def open_session(self, app, request):
        try:
            return super().open_session(app, request)
        except RedisError:
            log.warning("Session not read: Redis unavailable")
            return self.session_class(sid=self._generate_sid(self.sid_length), permanent=self.permanent)

    def save_session(self, app, session, response) -> None:
        try:
            super().save_session(app, session, response)
        except RedisError:
            log.warning("Session not kept: Redis unavailable")

    def regenerate(self, session) -> None:
        try:
            super().regenerate(session)
        except RedisError:
            log.warning("Old session not deleted: Redis unavailable")
            session.sid = self._generate_sid(self.sid_length)  # a new id all the same
            session.modified = True


def install(app) -> None:
    """Register this module's request hooks on CKAN's Flask app."""
    if type(app.session_interface) is CKANRedisSessionInterface:
        app.session_interface = DegradableRedisSessionInterface(app, app.session_interface.serializer)
    # Before CKAN's own hook identifies the user (flask-login reads the session and the
    # remember-me cookie there): stale sessions and revoked cookies are dropped first.
    app.before_request_funcs.setdefault(None, []).insert(0, end_stale_sessions)
    app.before_request(refuse_harvest_actions_on_get)
    app.before_request(refuse_odd_remember_me)
    app.after_request(restamp_after_own_password_change)
    user_logged_in.connect(on_login)
    user_logged_out.connect(on_logout)
    user_loaded_from_cookie.connect(on_login_from_cookie)
    for endpoint, rule in HARVEST_ACTIONS.items():
        if endpoint in app.view_functions:
            app.add_url_rule(rule, endpoint=endpoint, methods=["POST"])


# --- Credentials stamps and remember-me grants -------------------------------------------

def credentials_stamp(user: model.User) -> str:
    """A digest that changes whenever the user's password changes (each new password
    hash has a new salt, even for the same password)."""
    secret = str(tk.config.get("SECRET_KEY") or current_app.secret_key)
    message = f"{user.id}\n{user.password or ''}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _grant_key(user_id: str) -> str:
    return f"datasud:{tk.config.get('ckan.site_id')}:remember:{user_id}"


def remember_seconds() -> int:
    """How long "remember me" lasts: what the login asked for, at most
    ``REMEMBER_COOKIE_DURATION``."""
    longest = int(tk.config.get("REMEMBER_COOKIE_DURATION") or 0)
    asked = session.get("_remember_seconds")
    try:
        asked = int(float(asked)) if asked is not None else longest
    except (TypeError, ValueError):
        asked = longest
    return max(0, min(asked, longest))


def grant_remember_me(user: model.User, seconds: int) -> None:
    if seconds <= 0:
        return
    try:
        redis_client.connection().set(_grant_key(user.id), credentials_stamp(user), ex=seconds)
    except RedisError:
        log.warning("Could not record the remember-me grant of %s: Redis unavailable", user.name)


def revoke_remember_me(user_id: str) -> None:
    try:
        redis_client.connection().delete(_grant_key(user_id))
    except RedisError:
        log.warning("Could not revoke the remember-me grant of %s: Redis unavailable", user_id)


def remember_me_is_granted(cookie: str) -> bool:
    """Whether the remember-me cookie may log its user in: a genuine cookie, a user
    that exists, a grant in Redis for the user's current credentials."""
    user_id = decode_cookie(cookie)
    if not user_id:
        return False
    user = model.User.get(user_id)
    if user is None:
        return False
    try:
        granted = redis_client.connection().get(_grant_key(user.id))
    except RedisError:
        return False
    return granted is not None and hmac.compare_digest(granted.decode(), credentials_stamp(user))


# --- Request hooks --------------------------------------------------------------------------

def end_stale_sessions() -> None:
    """End a session whose user changed password (or vanished); ignore (and delete) a
    remember-me cookie that has no grant."""
    user_id = session.get("_user_id")
    if user_id is not None:
        user = model.User.get(user_id)
        stamp = session.get(CREDENTIALS_STAMP)
        if user is None or not isinstance(stamp, str) or not hmac.compare_digest(stamp, credentials_stamp(user)):
            session.clear()  # deleted from Redis when the response is sent
        else:
            g.datasud_credentials_stamp = stamp
    if session.get("_user_id") is None:
        cookie = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
        if cookie and session.get("_remember") != "clear" and not remember_me_is_granted(cookie):
            # flask-login then neither reads the cookie nor keeps it: it deletes it
            session["_remember"] = "clear"


def restamp_after_own_password_change(response):
    """The session that changed its own password stays open: its stamp follows."""
    stamp = g.get("datasud_credentials_stamp")
    user_id = session.get("_user_id")
    if request.method == "POST" and stamp and user_id and session.get(CREDENTIALS_STAMP) == stamp:
        user = model.User.get(user_id)
        if user is not None:
            current = credentials_stamp(user)
            if current != stamp:
                session[CREDENTIALS_STAMP] = current
    return response


def refuse_odd_remember_me() -> None:
    """CKAN's login reads "remember me" as a number of milliseconds (its form sends one)
    and fails with a 500 on anything else: a clear 400 instead."""
    if request.method == "POST" and request.endpoint == "user.login":
        remember = request.form.get("remember")
        if remember and not REMEMBER_VALUE.fullmatch(remember):
            tk.abort(400, tk._('Invalid "remember me" value.'))


def refuse_harvest_actions_on_get() -> None:
    if request.method == "GET" and request.endpoint in HARVEST_ACTIONS:
        raise MethodNotAllowed(valid_methods=["POST"], description=tk._(
            "This action changes the harvest source: use the button of its page."))


# --- flask-login signals --------------------------------------------------------------------

def on_login(sender: Any, user: Optional[model.User] = None, **kwargs: Any) -> None:
    if user is None or not isinstance(user, model.User):
        return
    session[CREDENTIALS_STAMP] = credentials_stamp(user)
    if session.get("_remember") == "set":
        seconds = remember_seconds()
        session["_remember_seconds"] = seconds
        grant_remember_me(user, seconds)


def on_logout(sender: Any, user: Optional[model.User] = None, **kwargs: Any) -> None:
    if user is not None and getattr(user, "id", None):
        revoke_remember_me(user.id)
    session.pop(CREDENTIALS_STAMP, None)
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if regenerate is not None:
        regenerate(session)


def on_login_from_cookie(sender: Any, user: Optional[model.User] = None, **kwargs: Any) -> None:
    if user is not None and isinstance(user, model.User):
        session[CREDENTIALS_STAMP] = credentials_stamp(user)
