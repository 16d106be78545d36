"""How the portal answers when Solr is unavailable (refused connection, time-out).

CKAN reads most of its pages from Solr (home, search, organisations) and writes every
dataset change to it inside the database transaction: with Solr down a write is rolled
back (nothing reaches PostgreSQL, which is what we want), but every page answered a 500.
What this module installs on CKAN's Flask app:

- pages: a French « recherche indisponible » page with what PostgreSQL alone can show
  (the latest public datasets, the partners), HTTP 503 with ``Retry-After`` — except
  the home page, which answers 200 with the same content and notice (it is the
  portal's front door); dataset pages read PostgreSQL and keep working;
- the Action API: a JSON 503 with a French message instead of CKAN's 409/500 (reads
  that need Solr, and writes, which stored nothing);
- a failed write from a form: the same page, 503, saying nothing was saved.

Only *unavailability* is handled here (no connection, time-out); a query Solr refuses is
the caller's error, a 400 (see ``search_errors.py``).
"""
from __future__ import annotations

import json
import logging
import re
import socket
from typing import Any, Iterator, Optional

import requests
from flask import Response, g, has_request_context, request
from werkzeug.exceptions import InternalServerError

import ckan.plugins.toolkit as tk

from ckanext.datasud import search_errors

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 60
API_PREFIX = "/api/"
HOME_ENDPOINTS = ("home.index", "dcat.read_catalog")  # ckanext-dcat negotiates "/"
# Pages that list datasets from Solr (besides every "<type>.search")
SEARCH_PAGE_ENDPOINTS = ("organization.read", "group.read", "dataset.search")
# CKAN's Action API error types that may hide an unavailable Solr.
API_SEARCH_ERROR_TYPES = ("Search Connection Error", "Search Error", "Search Index Error")

# How pysolr and CKAN word an unreachable Solr (the start of their messages, never the
# query, which a client chooses and CKAN quotes before the error).
_UNAVAILABLE = re.compile(
    r"^(?:SolrError\()?\\?['\"]?(?:"
    r"Failed to connect to server"
    r"|Connection to server .*? timed out"
    r"|Could not connect to Solr"
    r"|Solr returned an error while searching"
    r"|Unable to connect to the search server"
    r")"
)


def _chain(exc: Optional[BaseException]) -> Iterator[BaseException]:
    """The exception, what it was raised from or while handling, and so on."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "original_exception", None) or exc.__cause__ or exc.__context__


def unavailable_message(text: str) -> bool:
    """Whether an error text of pysolr/CKAN says Solr could not be reached in time."""
    text = (text or "").strip()
    for part in (text, text.rpartition(" Error: ")[2], text.partition("search index: ")[2],
                 text.partition("Solr returned an error: ")[2], text.partition("Search error: (")[2]):
        if part and _UNAVAILABLE.match(part.strip()):
            return True
    return False


def solr_unavailable(exc: Optional[BaseException]) -> bool:
    """Whether an exception (or one it comes from) means Solr is unreachable."""
    from ckan.lib.search import SearchError, SearchIndexError, SolrConnectionError
    import pysolr

    for link in _chain(exc):
        if isinstance(link, SolrConnectionError):
            return True
        if isinstance(link, (requests.ConnectionError, requests.Timeout, socket.timeout, ConnectionRefusedError)):
            return True
        if isinstance(link, (SearchError, SearchIndexError, pysolr.SolrError)) and \
                unavailable_message(str(link.args[0]) if link.args else ""):
            return True
    return False


def message() -> str:
    return tk._("Search is temporarily unavailable. Please try again in a few minutes.")


def write_message() -> str:
    return tk._("Search is temporarily unavailable: nothing was saved. Please try again in a few minutes.")


def is_home() -> bool:
    return request.path in ("", "/") and request.endpoint in HOME_ENDPOINTS


def is_write() -> bool:
    return request.method not in ("GET", "HEAD", "OPTIONS")


# --- What PostgreSQL alone can show -------------------------------------------------

def latest_public_datasets(limit: int = 10) -> list[dict[str, Any]]:
    import ckan.model as model
    try:
        rows = (model.Session.query(model.Package)
                .filter(model.Package.state == "active", model.Package.private == False,  # noqa: E712
                        model.Package.type == "dataset")
                .order_by(model.Package.metadata_modified.desc()).limit(limit).all())
        return [{"name": p.name, "title": p.title or p.name, "notes": p.notes or "",
                 "organization": p.owner_org and (model.Group.get(p.owner_org).title
                                                  if model.Group.get(p.owner_org) else "")}
                for p in rows]
    except Exception:  # noqa: BLE001 - the page must render even then
        model.Session.rollback()
        log.exception("could not list the latest datasets from the database")
        return []


def partners() -> list[dict[str, str]]:
    import ckan.model as model
    try:
        rows = (model.Session.query(model.Group)
                .filter(model.Group.state == "active", model.Group.is_organization == True)  # noqa: E712
                .order_by(model.Group.title).all())
        return [{"name": g.name, "title": g.title or g.name} for g in rows]
    except Exception:  # noqa: BLE001
        model.Session.rollback()
        log.exception("could not list the partners from the database")
        return []


def organization_of(pkg: dict[str, Any]) -> dict[str, Any]:
    """``h.get_organization`` for a dataset page: CKAN counts the organisation's datasets
    in Solr; unreachable, the page shows what the dataset carries of its organisation."""
    organization = pkg.get("organization") or {}
    if not organization.get("id"):
        return {}
    try:
        return tk.h.get_organization(organization["id"])
    except Exception as e:  # noqa: BLE001
        if not solr_unavailable(e):
            raise
        log.warning("Solr unavailable: organisation of dataset %s shown without its counts", pkg.get("name"))
        return dict(organization)


# --- Answers --------------------------------------------------------------------------

def page(exc: Optional[BaseException] = None):
    """The « recherche indisponible » page (200 on the home page, else 503)."""
    log.warning("Solr unavailable on %s %s: %s", request.method, request.path, exc)
    if request.path.startswith(API_PREFIX):
        return api_response(request.path)
    home = is_home() and not is_write()
    status = 200 if home else 503
    body = tk.render("datasud/search_unavailable.html", {
        "message": write_message() if is_write() else message(),
        "datasets": latest_public_datasets(), "partners": partners(), "home": home,
    })
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def api_response(path: str, help_url: Optional[str] = None) -> Response:
    """The Action API's JSON 503 (CKAN's envelope: help, success, error)."""
    body = {"success": False, "error": {
        "__type": "Search Unavailable", "message": write_message() if is_write() else message()}}
    if help_url:
        body = {"help": help_url, **body}
    response = Response(json.dumps(body), status=503, content_type="application/json;charset=utf-8")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class SolrFailureSeen(logging.Handler):
    """pysolr logs every connection failure and time-out before raising; some of CKAN's
    views then swallow the error (the dataset search page renders « Une erreur est
    survenue », the home page an empty list). This handler notes, for the current
    request, that Solr was unreachable, so that :func:`_after_request` answers for it."""

    def __init__(self):
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if has_request_context() and unavailable_message(record.getMessage()):
                g.datasud_solr_unavailable = True
        except Exception:  # noqa: BLE001 - never break logging
            pass


def search_page() -> bool:
    endpoint = request.endpoint or ""
    return is_home() or endpoint.endswith(".search") or endpoint in SEARCH_PAGE_ENDPOINTS


def _after_request(response: Response) -> Response:
    if request.path.startswith(API_PREFIX):
        return _api_answer(response)
    if g.get("datasud_solr_unavailable") and response.status_code == 200 and not is_write() \
            and (response.content_type or "").startswith("text/html") and search_page():
        return page()
    return response


def _api_answer(response: Response) -> Response:
    """CKAN's Action API catches search errors itself (409/500): those that mean Solr is
    unreachable become a 503 with a French message."""
    if response.status_code not in (409, 500):
        return response
    body, error = search_errors.api_error_of(response)
    if error is None or error.get("__type") not in API_SEARCH_ERROR_TYPES:
        return response
    if error["__type"] != "Search Connection Error" and not unavailable_message(str(error.get("message", ""))):
        return response
    log.warning("Solr unavailable on API %s %s: %s", request.method, request.path, error.get("message"))
    return api_response(request.path, body.get("help"))


def install(app) -> None:
    """Register this module's error handlers on CKAN's Flask app."""
    import pysolr
    from ckan.lib.search import SearchError, SearchIndexError, SolrConnectionError

    server_error = app.error_handler_spec.get(None, {}).get(500, {}).get(InternalServerError)
    kinds = (SolrConnectionError, SearchError, SearchIndexError, pysolr.SolrError)
    # handlers registered before ours (e.g. search_errors.py for refused queries) keep
    # answering for what is not unavailability
    previous = {kind: app.error_handler_spec.get(None, {}).get(None, {}).get(kind) for kind in kinds}

    def on_search_failure(exc):
        if solr_unavailable(exc):
            return page(exc)
        for kind in type(exc).__mro__:
            if previous.get(kind) is not None:
                return previous[kind](exc)
        if server_error is not None:
            return server_error(InternalServerError(original_exception=exc))
        raise exc

    def on_server_error(exc: InternalServerError):
        if solr_unavailable(exc):
            return page(exc)
        if server_error is not None:
            return server_error(exc)
        return exc

    for kind in kinds:
        app.register_error_handler(kind, on_search_failure)
    app.register_error_handler(InternalServerError, on_server_error)
    app.after_request(_after_request)
    solr_logger = logging.getLogger("pysolr")
    if not any(isinstance(h, SolrFailureSeen) for h in solr_logger.handlers):
        solr_logger.addHandler(SolrFailureSeen())
    # CKAN's logging.config.fileConfig disables the loggers created before it (pysolr's):
    # its connection failures are worth logging anyway, and SolrFailureSeen needs them.
    solr_logger.disabled = False
