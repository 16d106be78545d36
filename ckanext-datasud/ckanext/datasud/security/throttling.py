"""Login throttling, API rate limits and request size limits (issue 10, item 7;
CVE-2023-50248). Counters are fixed windows in Redis (``ckan.redis.url``), shared by
every web worker and host; all limits are options of ``config_declaration.yaml``
(``ckanext.datasud.throttle.*``, ``ckanext.datasud.max_body_kb``; 0 turns one off).

- **Logins** (CKAN 2.11 has no login throttling of its own): failed logins are
  counted per account (whether named by its user name or its e-mail address) and per
  address; past either limit, the login form answers 429 with ``Retry-After`` and a
  French message, without checking the password, until the window ends. A successful
  login clears its account's count (not its address's).
- **API**: requests to ``/api/…`` (except the JavaScript translations every page
  loads) are counted per user when authenticated (API token or session: all of a
  user's tokens share one budget) and per address otherwise (an invalid token counts
  as anonymous, so random tokens do not buy new budgets); past the limit, a JSON 429
  in the API's error format with ``Retry-After``.
- **Addresses**: the peer's address, or, behind ``trusted_proxies`` reverse proxies,
  the address the outermost trusted proxy saw (``X-Forwarded-For`` is otherwise
  ignored: anyone can write it).
- **Request size** (CVE-2023-50248): bodies other than file uploads (JSON, URL-encoded
  forms) are refused past ``max_body_kb`` before being read, as is every non-file field
  of a multipart form; file uploads past ``ckan.max_resource_size`` (and 1 MB of
  form around the file) are refused with a 413 too.
- If Redis cannot be reached, requests are not throttled (and a warning is logged):
  the portal stays usable, the sessions' own failure aside.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Any, Optional

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.common import current_user
from flask import g, jsonify, request
from redis.exceptions import RedisError

from ckanext.datasud import redis_client

log = logging.getLogger(__name__)

MB = 1024 * 1024
#: API endpoints not rate-limited: the translations of CKAN's JavaScript, loaded by pages.
UNCOUNTED_API_ENDPOINTS = {"api.i18n_js_translations"}


def install(app) -> None:
    """Register this module's request hooks on CKAN's Flask app."""
    app.config["MAX_CONTENT_LENGTH"] = upload_limit()
    app.config["MAX_FORM_MEMORY_SIZE"] = body_limit()
    # right after CKAN's own first hook (which its last hook expects to have run), before
    # anything reads the body (CSRF reads forms)
    hooks = app.before_request_funcs.setdefault(None, [])
    first = next((i for i, hook in enumerate(hooks) if hook.__name__ == "ckan_before_request"), -1)
    hooks.insert(first + 1, limit_request_body)
    app.before_request(throttle_logins)
    app.before_request(throttle_api)
    app.after_request(count_login_failure)


# --- Options ------------------------------------------------------------------------------

def _option(name: str) -> int:
    return max(0, tk.asint(tk.config.get(f"ckanext.datasud.throttle.{name}") or 0))


def body_limit() -> Optional[int]:
    kb = tk.asint(tk.config.get("ckanext.datasud.max_body_kb") or 0)
    return kb * 1024 if kb > 0 else None


def upload_limit() -> int:
    """The largest request: a file upload of ``ckan.max_resource_size`` MB and the form around it."""
    return (tk.asint(tk.config.get("ckan.max_resource_size") or 10) + 1) * MB


def client_address() -> str:
    """The client's address: the peer's, or the one the outermost of
    ``trusted_proxies`` reverse proxies saw."""
    peer = request.environ.get("REMOTE_ADDR") or "unknown"
    trusted = _option("trusted_proxies")
    if not trusted:
        return peer
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
    chain = forwarded + [peer]
    return chain[-(trusted + 1)] if len(chain) > trusted else chain[0]


# --- Fixed-window counters in Redis --------------------------------------------------------

def _key(*parts: str) -> str:
    return ":".join(["datasud", str(tk.config.get("ckan.site_id")), "throttle", *parts])


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def count(key: str, window: int) -> tuple[int, int]:
    """Count one more hit in the window of ``key``: (hits so far, seconds left)."""
    pipe = redis_client.connection().pipeline()
    pipe.set(key, 0, ex=window, nx=True)
    pipe.incr(key)
    pipe.ttl(key)
    _, hits, ttl = pipe.execute()
    return int(hits), max(int(ttl), 1)


def peek(key: str) -> tuple[int, int]:
    pipe = redis_client.connection().pipeline()
    pipe.get(key)
    pipe.ttl(key)
    hits, ttl = pipe.execute()
    return int(hits or 0), max(int(ttl), 1)


def too_many_requests_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return tk._("Too many attempts. Try again in {minutes} minute(s).").format(minutes=minutes)


# --- Request size ---------------------------------------------------------------------------

def limit_request_body() -> Any:
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    limit = body_limit()
    if request.mimetype == "multipart/form-data" or limit is None:
        limit = upload_limit()  # file uploads; their other fields: MAX_FORM_MEMORY_SIZE
    request.max_content_length = limit  # also bounds a body sent without Content-Length
    if request.content_length is not None and request.content_length > limit:
        message = tk._("The request is too large (at most {size} KB).").format(size=limit // 1024)
        if request.path.startswith("/api/"):
            return _api_error(413, "Request Entity Too Large", message)
        tk.abort(413, message)
    return None


# --- Logins ---------------------------------------------------------------------------------

def _is_login_attempt() -> bool:
    return request.method == "POST" and request.endpoint == "user.login"


def account_of(login: Any) -> str:
    """The account a login names, by name or by e-mail, so that both share one count."""
    login = str(login or "").strip()
    user = (model.User.by_name(login) or model.User.by_email(login)) if login else None
    return f"user:{user.id}" if user is not None else f"login:{login.casefold()}"


def throttle_logins() -> Any:
    if not _is_login_attempt():
        return None
    per_account, per_address = _option("login_failures_per_account"), _option("login_failures_per_address")
    if not (per_account or per_address):
        return None
    keys = {"account": (_key("login", "account", _digest(account_of(request.form.get("login")))), per_account),
            "address": (_key("login", "address", _digest(client_address())), per_address)}
    try:
        for key, limit in keys.values():
            hits, ttl = peek(key)
            if limit and hits >= limit:
                log.warning("Login refused (throttled): %s failures for %s", hits, key)
                tk.h.flash_error(too_many_requests_message(ttl))
                return tk.render("user/login.html", {}), 429, {"Retry-After": str(ttl)}
    except RedisError:
        log.warning("Login throttling skipped: Redis unavailable")
        return None
    g.datasud_login_keys = keys
    return None


def count_login_failure(response):
    keys = g.pop("datasud_login_keys", None)
    if not keys:
        return response
    window = max(_option("login_window"), 1)
    try:
        if current_user.is_authenticated:
            redis_client.connection().delete(keys["account"][0])
        else:
            for key, _limit in keys.values():
                count(key, window)
    except RedisError:
        log.warning("Failed login not counted: Redis unavailable")
    return response


# --- API ------------------------------------------------------------------------------------

def _api_error(status: int, kind: str, message: str, headers: Optional[dict] = None):
    response = jsonify({"help": request.url, "success": False, "error": {"__type": kind, "message": message}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def throttle_api() -> Any:
    if request.blueprint != "api" or request.endpoint in UNCOUNTED_API_ENDPOINTS:
        return None
    if current_user.is_authenticated:
        key, limit = _key("api", "user", str(current_user.id)), _option("api_requests_per_user")
    else:
        key, limit = _key("api", "address", _digest(client_address())), _option("api_requests_per_address")
    if not limit:
        return None
    try:
        hits, ttl = count(key, max(_option("api_window"), 1))
    except RedisError:
        log.warning("API rate limit skipped: Redis unavailable")
        return None
    if hits > limit:
        message = tk._("Too many requests: at most {limit} API calls every {window} seconds. "
                       "Try again in {seconds} seconds.").format(
            limit=limit, window=_option("api_window"), seconds=ttl)
        return _api_error(429, "Too Many Requests", message, {"Retry-After": str(ttl)})
    return None
