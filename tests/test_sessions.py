"""Sessions and the remember-me cookie (issue 10, item 5; CVE-2025-64100, session
fixation): sessions kept in Redis with sane cookie flags and lifetimes; a captured
session cookie or remember-me cookie stops working after logout and after a password
change (by the user, by a sysadmin, by any door); the session id changes at login.

Real HTTP requests through CKAN's test client (each client has its own cookie jar: a
"captured" cookie is replayed from another client), real Redis."""
from __future__ import annotations

import configparser
import datetime as dt
from email.utils import parsedate_to_datetime

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("clean_db")

PASSWORD = "Correct-Horse-Battery-42"
HOST = "127.0.0.1"
FIELD = "_csrf_token"


def page_token(response) -> str:
    meta = BeautifulSoup(response.body, "html.parser").select_one(f"meta[name={FIELD}]")
    assert meta is not None and meta["content"]
    return meta["content"]


def log_in(client, user: dict, password: str = PASSWORD, remember: str | None = None):
    data = {"login": user["name"], "password": password, FIELD: page_token(client.get("/user/login"))}
    if remember is not None:
        data["remember"] = remember
    return client.post("/user/login", data=data, follow_redirects=False)


def cookie(client, name: str):
    found = client.get_cookie(name, domain=HOST)
    return found.value if found is not None else None


def client_with(app, **cookies):
    """A new browser holding only these (captured) cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value, domain=HOST)
    return client


def logged_in_as(client) -> str | None:
    """The id of the user a browser is logged in as (CKAN's account menu), or None."""
    page = BeautifulSoup(client.get("/dataset/").body, "html.parser")
    account = page.select_one("div.account.authed[data-me]")
    return account["data-me"] if account is not None else None


def set_cookie_headers(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def expiry_of(header: str) -> dt.datetime:
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "expires":
            return parsedate_to_datetime(value)
    raise AssertionError(f"no expiry in {header}")


@pytest.fixture
def user():
    return ckan_factories.User(password=PASSWORD)


# --- Cookies -------------------------------------------------------------------------------

def test_cookie_flags_and_lifetimes(app, user):
    client = app.test_client()
    response = log_in(client, user, remember="63072000")
    assert response.status_code == 302
    cookies = set_cookie_headers(response)
    now = dt.datetime.now(dt.timezone.utc)

    session_cookie = cookies["ckan"]
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert expiry_of(session_cookie) <= now + dt.timedelta(hours=8, minutes=1)

    remember = cookies["remember_token"]
    assert "HttpOnly" in remember and "SameSite=Lax" in remember and "SameSite=None" not in remember
    assert expiry_of(remember) <= now + dt.timedelta(days=14, minutes=1)


def test_remember_me_cannot_be_stretched(app, user):
    """The login form's duration is the client's: capped at REMEMBER_COOKIE_DURATION,
    server-side as in the cookie."""
    client = app.test_client()
    response = log_in(client, user, remember=str(10 * 365 * 24 * 3600 * 1000))  # ten years
    assert response.status_code == 302
    now = dt.datetime.now(dt.timezone.utc)
    assert expiry_of(set_cookie_headers(response)["remember_token"]) <= now + dt.timedelta(days=14, minutes=1)
    grant = f"datasud:{tk.config['ckan.site_id']}:remember:{user['id']}"
    assert 0 < connect_to_redis().ttl(grant) <= 14 * 24 * 3600


@pytest.mark.parametrize("remember", ["on", "-1e999", "9" * 40, "12; DROP"])
def test_odd_remember_values_are_a_clear_error(app, user, remember):
    client = app.test_client()
    response = log_in(client, user, remember=remember)
    assert response.status_code == 400
    assert logged_in_as(client) is None


@pytest.mark.ckan_config("SESSION_COOKIE_SECURE", True)
@pytest.mark.ckan_config("REMEMBER_COOKIE_SECURE", True)
def test_cookies_are_secure_when_configured(app, user):
    response = log_in(app.test_client(), user, remember="60000")
    cookies = set_cookie_headers(response)
    assert "Secure" in cookies["ckan"] and "Secure" in cookies["remember_token"]


def test_production_cookies_are_secure_and_development_ones_are_not():
    def options(name):
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.read(ROOT / "config" / name)
        return parser["app:main"]

    production, development = options("production.ini"), options("development.ini")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        assert production[key] == "%(CKAN_SESSION_COOKIE_SECURE)s"  # docker-compose: true by default
        assert development[key] == "false"  # http://127.0.0.1
    for ini in (production, development):
        assert ini["SESSION_TYPE"] == "redis"
        assert ini["SESSION_COOKIE_SAMESITE"] == ini["REMEMBER_COOKIE_SAMESITE"] == "Lax"
        assert int(ini["PERMANENT_SESSION_LIFETIME"]) <= 24 * 3600
        assert int(ini["REMEMBER_COOKIE_DURATION"]) <= 30 * 24 * 3600
    compose = (ROOT / "docker-compose.yml").read_text()
    assert 'CKAN_SESSION_COOKIE_SECURE: "${CKAN_SESSION_COOKIE_SECURE:-true}"' in compose


def test_sessions_are_kept_in_redis(app, user):
    client = app.test_client()
    log_in(client, user)
    sid = cookie(client, "ckan")
    key = f"{tk.config['SESSION_KEY_PREFIX']}{sid}"
    redis = connect_to_redis()
    assert redis.exists(key)
    assert 0 < redis.ttl(key) <= 8 * 3600
    assert user["id"] not in sid  # the cookie is an opaque id, not the session's data


# --- Logout --------------------------------------------------------------------------------

def test_logout_ends_a_captured_session_cookie(app, user):
    victim = app.test_client()
    log_in(victim, user)
    captured = cookie(victim, "ckan")
    thief = client_with(app, ckan=captured)
    assert logged_in_as(thief) == user["id"]  # what a stolen cookie gives before logout

    victim.get("/user/_logout")
    assert logged_in_as(victim) is None
    assert logged_in_as(client_with(app, ckan=captured)) is None


def test_logout_ends_a_captured_remember_me_cookie(app, user):
    victim = app.test_client()
    log_in(victim, user, remember="3600000")
    captured = cookie(victim, "remember_token")
    assert captured
    assert logged_in_as(client_with(app, remember_token=captured)) == user["id"]

    victim.get("/user/_logout")
    thief = client_with(app, remember_token=captured)
    response = thief.get("/dataset/")
    assert logged_in_as(thief) is None
    assert "remember_token=;" in " ".join(response.headers.getlist("Set-Cookie"))  # deleted


def test_a_forged_remember_me_cookie_is_refused(app, user):
    client = client_with(app, remember_token=f"{user['id']}|{'0' * 128}")
    assert logged_in_as(client) is None


# --- Password changes ----------------------------------------------------------------------

def test_changing_ones_password_ends_the_other_sessions(app, user):
    elsewhere = app.test_client()
    log_in(elsewhere, user, remember="3600000")
    captured_session, captured_remember = cookie(elsewhere, "ckan"), cookie(elsewhere, "remember_token")

    here = app.test_client()
    log_in(here, user)
    form = BeautifulSoup(here.get(f"/user/edit/{user['name']}").body, "html.parser").select_one("form#user-edit-form")
    data = {field["name"]: field.get("value", "") for field in form.select("input[name]")
            if field.get("type") not in ("checkbox", "file", "submit")}
    data.update({"old_password": PASSWORD, "password1": "Another-Horse-Battery-43",
                 "password2": "Another-Horse-Battery-43", "save": ""})
    assert here.post(f"/user/edit/{user['name']}", data=data, follow_redirects=False).status_code == 302

    assert logged_in_as(here) == user["id"]  # the session that changed it carries on
    assert logged_in_as(elsewhere) is None
    assert logged_in_as(client_with(app, ckan=captured_session)) is None
    assert logged_in_as(client_with(app, remember_token=captured_remember)) is None


def test_a_password_reset_by_a_sysadmin_ends_the_users_sessions(app, user):
    victim = app.test_client()
    log_in(victim, user, remember="3600000")
    captured_session, captured_remember = cookie(victim, "ckan"), cookie(victim, "remember_token")

    sysadmin = ckan_factories.Sysadmin()
    token = ckan_factories.APIToken(user=sysadmin["name"])["token"]
    response = app.post("/api/3/action/user_patch", headers={"Authorization": token},
                        json={"id": user["id"], "password": "Reset-By-The-Admin-44"})
    assert response.status_code == 200, response.body

    assert logged_in_as(victim) is None
    assert logged_in_as(client_with(app, ckan=captured_session)) is None
    assert logged_in_as(client_with(app, remember_token=captured_remember)) is None
    # the new password works
    fresh = app.test_client()
    log_in(fresh, user, password="Reset-By-The-Admin-44")
    assert logged_in_as(fresh) == user["id"]


def test_a_password_set_through_any_door_ends_the_sessions(app, user):
    victim = app.test_client()
    log_in(victim, user)
    site_user = helpers.call_action("get_site_user")["name"]
    helpers.call_action("user_patch", {"user": site_user}, id=user["id"], password="Yet-Another-Password-45")
    assert logged_in_as(victim) is None


def test_other_edits_of_the_user_keep_the_sessions(app, user):
    victim = app.test_client()
    log_in(victim, user)
    site_user = helpers.call_action("get_site_user")["name"]
    helpers.call_action("user_patch", {"user": site_user}, id=user["id"], about="Nouvelle présentation")
    assert logged_in_as(victim) == user["id"]


# --- CVE-2025-64100: session fixation ------------------------------------------------------

def test_a_session_planted_before_login_never_becomes_authenticated(app, user):
    attacker = app.test_client()
    attacker.get("/user/login")  # a genuine session of the portal, with its CSRF token
    planted = cookie(attacker, "ckan")
    assert planted and connect_to_redis().exists(f"{tk.config['SESSION_KEY_PREFIX']}{planted}")

    victim = client_with(app, ckan=planted)
    assert log_in(victim, user).status_code == 302
    assert logged_in_as(victim) == user["id"]
    assert cookie(victim, "ckan") != planted  # a new id at login
    assert logged_in_as(attacker) is None
    assert logged_in_as(client_with(app, ckan=planted)) is None


def test_an_unknown_session_id_is_replaced(app, user):
    victim = client_with(app, ckan="chosen-by-the-attacker")
    assert log_in(victim, user).status_code == 302
    assert cookie(victim, "ckan") != "chosen-by-the-attacker"
    assert logged_in_as(client_with(app, ckan="chosen-by-the-attacker")) is None


# --- Redis down -----------------------------------------------------------------------------

def test_pages_still_answer_when_the_session_store_is_down(app, user):
    import socket
    from redis import Redis

    browser = app.test_client()
    log_in(browser, user)
    assert logged_in_as(browser) == user["id"]

    with socket.socket() as probe:  # a port where nothing listens: Redis refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.flask_app.session_interface.client = Redis(port=port, socket_timeout=1, socket_connect_timeout=1)

    for client in (browser, app.test_client()):
        page = client.get("/dataset/")
        assert page.status_code == 200
        assert logged_in_as(client) is None  # anonymous while the sessions cannot be read
    response = log_in(app.test_client(), user)
    assert response.status_code < 500
