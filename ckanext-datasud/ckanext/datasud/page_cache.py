"""A response cache for anonymous readers (issue 14, item 5).

The pages and read-only API calls citizens and developers use most — the home page,
the search page, a dataset's page, a partner's page, and the Action API's
``package_search``, ``package_show``, ``organization_list``/``_show``… — are the same
for every anonymous reader until the catalogue changes. This cache keeps their answers
in Redis (shared by every web worker and machine of the portal), keyed on:

- the **catalogue version** (``catalogue_cache.version()``), read *before* the view
  runs: a dataset published, withdrawn, made private, updated or deleted moves the
  version at its commit, and an answer computed before that is never served again
  (not even for a second). An answer computed while a change commits is stored under
  the older version, which nobody reads any more;
- the request: language (CKAN's URL prefix), scheme, host, path and query string, and
  the ``Accept`` and ``Accept-Language`` headers (DCAT content negotiation answers
  Turtle or JSON-LD on the same URL).

Only requests that are certainly anonymous are served from or stored in the cache:
``GET``, **no cookie at all** (so no session, no remember-me, no flash message), no
``Authorization`` nor API key header, and no user identified by CKAN. A logged-in user
always gets a freshly computed page. Only ``200`` answers are stored, and not when the
view set a cookie, ``Cache-Control: private/no-store``, a ``Vary`` on anything but the
headers above, put anything but the CSRF token in the session, or streamed its answer;
nor an answer over ``MAX_BODY`` bytes.

CKAN's pages carry a CSRF token (``<meta name="_csrf_token">``, the search form's
hidden input) bound to the visitor's new session: the stored page holds a placeholder
instead, replaced at each hit by a token of the visitor's own session (Flask-WTF's
``generate_csrf``), which CKAN then sends as the session cookie, as it does for a page
computed for that visitor. Headers added after the view (security headers, CORS,
``Cache-Control``, the session cookie) are added again at each hit by the same hooks.

Entries expire after ``ckanext.datasud.page_cache.seconds`` (300; 0 switches the cache
off): download counts move without a catalogue change until the background fold adds
them. Without Redis nothing is cached. The ``X-DataSud-Cache`` header says ``hit`` or
``miss`` (``bypass``: not eligible).
"""
from __future__ import annotations

import hashlib
import logging
import json
import zlib
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from flask import Response, g, request, session

from ckanext.datasud import catalogue_cache, redis_client

log = logging.getLogger(__name__)

__all__ = ["install", "eligible", "CACHED_ENDPOINTS", "CACHED_ACTIONS"]

#: The pages cached (Flask endpoints).
CACHED_ENDPOINTS = frozenset({
    "home.index", "dataset.search", "dataset.read", "dataset.resource_read", "resource.read",
    "organization.index", "organization.read", "group.index", "group.read",
    # ckanext-dcat's content negotiation serves / and /dataset/<id> (HTML unless asked
    # otherwise), and the catalogue's pages /catalog.<format>
    "dcat.read_catalog", "dcat.read_dataset",
})
#: The Action API's read-only calls cached (``api.action``'s ``logic_function``).
CACHED_ACTIONS = frozenset({
    "package_search", "package_show", "organization_list", "organization_show", "group_list",
    "group_show", "tag_list", "license_list", "resource_show", "datasud_most_downloaded",
    "datasud_key_figures", "datasud_partner_list", "site_read", "status_show",
})
#: Request headers the answer may vary on (in the key), besides Cookie (never present).
KEYED_HEADERS = ("Accept", "Accept-Language")
#: Larger answers are not stored.
MAX_BODY = 2 * 1024 * 1024
#: What a stored page holds instead of the CSRF token of the session it was computed for.
TOKEN_PLACEHOLDER = b"\x00datasud-csrf-token\x00"
#: Response headers not stored (set again at each answer).
_UNSTORED_HEADERS = {"set-cookie", "content-length", "date", "x-datasud-cache"}
_VARY_OK = {"cookie", "accept", "accept-language", "accept-encoding"}
#: What rendering a page tells CKAN's ``set_cache_control_headers_for_response``.
_ENVIRON_FLAGS = ("__no_cache__", "__limit_cache_by_cookie__")
_G_KEY = "_datasud_page_cache_key"


def _seconds() -> int:
    return max(0, tk.asint(tk.config.get("ckanext.datasud.page_cache.seconds", 300) or 0))


def api_token_header() -> str:
    # CKAN's declared option (``apikey_header_name`` is its legacy name, mapped to it)
    return tk.config.get("apitoken_header_name") or "Authorization"


def eligible() -> bool:
    """Whether this request may be answered from, and stored in, the cache."""
    if request.method != "GET" or request.cookies or request.headers.get("Cookie"):
        return False
    if request.headers.get("Authorization") or request.headers.get(api_token_header()) \
            or request.headers.get("X-CKAN-API-Key"):
        return False
    if g.get("userobj") or g.get("user") or tk.current_user.is_authenticated:
        return False
    endpoint = request.endpoint or ""
    if endpoint == "api.action":
        return (request.view_args or {}).get("logic_function") in CACHED_ACTIONS
    return endpoint in CACHED_ENDPOINTS


def _key(version: int) -> str:
    parts = [str(version), request.environ.get("CKAN_LANG") or "", request.scheme, request.host,
             request.full_path]
    parts += [request.headers.get(name, "") for name in KEYED_HEADERS]
    digest = hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
    return f"datasud:{tk.config.get('ckan.site_id')}:page:{version}:{digest}"


def _csrf_field() -> str:
    return tk.config.get("WTF_CSRF_FIELD_NAME") or "_csrf_token"


def serve_from_cache() -> Optional[Response]:
    """``before_request``: answer from the cache, or note the key to store under."""
    if _seconds() <= 0 or not eligible():
        return None
    version = catalogue_cache.version()
    if version is None:
        return None
    key = _key(version)
    try:
        stored = redis_client.connection().get(key)
    except Exception:  # noqa: BLE001 - Redis gone since version(): compute
        log.warning("page cache unavailable (Redis)", exc_info=True)
        return None
    setattr(g, _G_KEY, key)
    if stored is None:
        return None
    try:
        head, body = zlib.decompress(stored).split(b"\n", 1)
        status, headers, flags = json.loads(head)
    except Exception:  # noqa: BLE001 - unreadable entry: compute (and store again)
        return None
    if TOKEN_PLACEHOLDER in body:
        from flask_wtf.csrf import generate_csrf
        body = body.replace(TOKEN_PLACEHOLDER, generate_csrf().encode("ascii"))
    for flag in flags:  # what the view told CKAN's Cache-Control hook (ckan/lib/base.py)
        request.environ[flag] = True
    response = Response(body, status=status, headers=headers)
    response.headers["X-DataSud-Cache"] = "hit"
    setattr(g, _G_KEY, None)  # nothing to store
    return response


def _storable(response: Response) -> bool:
    if response.status_code != 200 or response.direct_passthrough or response.is_streamed:
        return False
    if response.headers.get("Set-Cookie"):
        return False
    cache_control = (response.headers.get("Cache-Control") or "").lower()
    if "private" in cache_control or "no-store" in cache_control:
        return False
    vary = {v.strip().lower() for v in (response.headers.get("Vary") or "").split(",") if v.strip()}
    if not vary <= _VARY_OK:
        return False
    if any(name not in (_csrf_field(), "_permanent") for name in session.keys()):
        return False  # a flash message, a user...: this answer is this visitor's
    return True


def store_in_cache(response: Response) -> Response:
    """``after_request`` (runs before CKAN's own, which then add their headers): keep
    an eligible answer."""
    key = g.get(_G_KEY)
    if not key:
        if "X-DataSud-Cache" not in response.headers and _seconds() > 0:
            response.headers["X-DataSud-Cache"] = "bypass"
        return response
    setattr(g, _G_KEY, None)
    response.headers["X-DataSud-Cache"] = "miss"
    try:
        if not _storable(response):
            return response
        body = response.get_data()
        if len(body) > MAX_BODY:
            return response
        token = g.get(_csrf_field())
        if token:
            body = body.replace(token.encode("ascii"), TOKEN_PLACEHOLDER)
        headers = [(name, value) for name, value in response.headers.items()
                   if name.lower() not in _UNSTORED_HEADERS]
        flags = [flag for flag in _ENVIRON_FLAGS if request.environ.get(flag)]
        head = json.dumps([response.status_code, headers, flags]).encode("utf-8")  # no newline in JSON
        entry = zlib.compress(head + b"\n" + body, 3)
        redis_client.connection().set(key, entry, ex=_seconds())
    except Exception:  # noqa: BLE001 - the answer goes out anyway
        log.warning("could not store a page in the cache", exc_info=True)
    return response


def install(app) -> None:
    """Register the hooks: the lookup after CKAN's and DataSud's other ``before_request``
    hooks (the user is identified, throttling counted), the store before the other
    ``after_request`` hooks (Flask runs those in reverse order of registration)."""
    app.before_request(serve_from_cache)
    app.after_request(store_in_cache)


def stats() -> dict[str, Any]:
    """Entries of this site in Redis (for the benchmark's report)."""
    try:
        pattern = f"datasud:{tk.config.get('ckan.site_id')}:page:*"
        count = sum(1 for _ in redis_client.connection().scan_iter(pattern, count=1000))
    except Exception:  # noqa: BLE001
        return {"entries": None}
    return {"entries": count}
