"""CSRF for visitors who are not logged in.

CKAN 2.11 exempts a request from CSRF checks when its user was looked for in the
API-token header (``login_via_auth_header``), and it looks there for every request
that has no session cookie: so every anonymous POST skips the check, with or without a
token header. That leaves the forms a visitor posts unprotected: login (an attacker's
page logs the victim into the attacker's account: "login CSRF"), registration, password
reset, and any of our own forms open to visitors.

Here the check runs again, after CKAN's, for a POST (PUT, PATCH, DELETE) to a page (not
the Action API) that carried no API token: the same check (Flask-WTF's ``protect``,
400 « The CSRF token is missing. ») that a logged-in user's POST gets. API calls with a
token stay exempt (a browser never sends the token by itself), and anonymous API calls
need none (they carry no credentials to abuse).
"""
from __future__ import annotations

from flask import g, request

import ckan.plugins.toolkit as tk

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def checked_in_view(view):
    """Mark a view that checks the token itself (to answer with its own form, keeping
    what the visitor typed, rather than an error page)."""
    view.datasud_checks_csrf = True
    return view


def stateless(view):
    """Mark a view whose POSTs act on nobody's behalf (they read no session and change
    nothing, e.g. a CSW GetRecords in XML): a visitor's POST needs no token."""
    view.datasud_checks_csrf = True
    return view


def carries_api_token() -> bool:
    header = tk.config.get("apitoken_header_name") or "Authorization"
    return bool(request.headers.get(header) or request.headers.get("Authorization"))


def protect_anonymous_forms():
    if request.method not in UNSAFE_METHODS or not getattr(g, "_csrf_exempt_view", False):
        return None
    if (request.blueprint or "").split(".")[0] == "api" or carries_api_token():
        return None
    from flask import current_app
    csrf = current_app.extensions.get("csrf")
    if csrf is None or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "datasud_checks_csrf", False):
        return None  # a 404 or 405 follows, or the view checks the token itself
    csrf.protect()  # raises CSRFError: 400
    return None


def refused(error):
    """The page of a refused token, in the visitor's language (Flask-WTF's reason,
    « The CSRF token is missing. », is English and says nothing of what to do)."""
    import ckan.lib.base as base
    return base.render("error_document_template.html", {
        "code": 400, "name": tk._("Form refused"),
        "content": tk._("The form expired or was not sent from this site's page: reload the page and "
                        "send it again."),
        "show_login_redirect_link": False}), 400


def install(app) -> None:
    from flask_wtf.csrf import CSRFError
    app.before_request(protect_anonymous_forms)
    app.register_error_handler(CSRFError, refused)
