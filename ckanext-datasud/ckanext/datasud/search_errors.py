"""Search errors as the portal tells them: in French, in plain words, never with Solr's
internals (the query CKAN built, with its permission-label filter; Solr's parser
messages; Solr's URL). CVE-2024-41674 was CKAN echoing them.

- ``package_search`` (chained, registered from logic/action.py): Solr parameters a client
  has no business choosing (``wt``, a query parser through ``defType``) are refused up
  front; a query Solr or CKAN refuses becomes :class:`SearchRefused`, a
  ``SearchQueryError``: the Action API answers 400, the dataset search page 400 with the
  same French message, other pages (the DCAT catalogue) the error page of
  :func:`refused_page`. An *unavailable* Solr (no connection, time-out) is not the
  caller's error: it goes through unchanged, for ``degraded.py`` (503).
- :func:`sanitise_api_error` (on every Action API answer): whatever search error is left
  (a search error of another action, a failed write: ``Search Index Error``) loses
  Solr's text for :func:`search_failed_message` or :func:`index_failed_message`; a
  document Solr refused (HTTP 4xx, e.g. a field too long to index) is the caller's data:
  a 400 with :func:`index_refused_message`. Runs after ``degraded.py``'s own answer hook (Flask runs
  them last registered first), which turns unavailability into a 503.
- error pages of forms (a write Solr refused) never show the details of a 500:
  ``templates/error_document_template.html``.

Messages are English msgids translated by the extension's catalogue; ``degraded.py``
may import them.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan.lib.search import SearchError, SearchIndexError, SearchQueryError
from flask import Blueprint, Response, g, has_request_context, request

log = logging.getLogger(__name__)

__all__ = ["package_search"]

# Registered with the other blueprints by views.py: it only has app-wide hooks.
search_errors = Blueprint("datasud_search_errors", __name__)

API_PREFIX = "/api/"
# Query parsers a client may choose with defType (CKAN and ckanext-spatial use these)
QUERY_PARSERS = ("dismax", "edismax", "lucene")
# A query Solr refused as malformed: an HTTP 4xx answer (pysolr's wording)
_REFUSED_BY_SOLR = re.compile(r"Solr responded with an error \(HTTP 4\d\d\)")
# CKAN's own refusals of what Solr would run (local params, magic fields, parameters)
_REFUSED_BY_CKAN = re.compile(
    r"^(Magic fields are not supported|Query parsers are not supported|Local parameters"
    r"|Could not parse incoming local parameters|Invalid search parameters|Invalid \"sort\" parameter)")


def search_refused_message() -> str:
    return tk._("This search could not be understood. Check its brackets, quotes and field names "
                "(e.g. title:lycées), or search with plain words.")


def parameter_refused_message(name: str) -> str:
    return tk._('The search parameter "{name}" is not accepted.').format(name=name)


def search_failed_message() -> str:
    return tk._("The search failed. Please try again; if it happens again, contact the DataSud team.")


def index_failed_message() -> str:
    return tk._("The search index refused this change: nothing was saved. Please try again; "
                "if it happens again, contact the DataSud team.")


def index_refused_message() -> str:
    return tk._("The search index refused this dataset (a field may be too long): nothing was saved. "
                "Check its fields and try again.")


class _Plain(str):
    """A message shown as is: CKAN's Action API quotes ``repr`` of a query error's args."""

    def __repr__(self) -> str:
        return str(self)


class SearchRefused(SearchQueryError):
    """A search refused as the caller's error, with a French message and nothing of Solr."""

    def __init__(self, message: Optional[str] = None):
        super().__init__(_Plain(message or search_refused_message()))

    @property
    def message(self) -> str:
        return str(self.args[0])


def _causes(exc: Optional[BaseException]):
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def refused_query(exc: BaseException) -> bool:
    """Whether a search error is the caller's: a query CKAN or Solr refused (not an
    unreachable Solr, nor a Solr failing on its side)."""
    import pysolr
    if isinstance(exc, SearchQueryError):
        return True
    for link in _causes(exc):
        text = str(link.args[0]) if link.args else ""
        if isinstance(link, pysolr.SolrError):
            return bool(_REFUSED_BY_SOLR.search(text))
        if isinstance(link, SearchError) and _REFUSED_BY_CKAN.match(text):
            return True
    return False


def check_parameters(data_dict: dict[str, Any]) -> None:
    """Refuse the Solr parameters a client has no business choosing."""
    wt = data_dict.get("wt")
    if wt is not None and str(wt).strip().lower() != "json":
        raise SearchRefused(parameter_refused_message("wt"))
    def_type = data_dict.get("defType")
    if def_type is not None and str(def_type).strip() not in QUERY_PARSERS:
        raise SearchRefused(parameter_refused_message("defType"))


def _remember(refused: SearchRefused) -> SearchRefused:
    """The message the Action API's answer gets (CKAN prefixes it in English)."""
    if has_request_context():
        g.datasud_search_refused = refused.message
    return refused


@tk.chained_action
@tk.side_effect_free
def package_search(up_func, context, data_dict):
    try:
        check_parameters(data_dict)
        return up_func(context, data_dict)
    except SearchRefused as e:
        raise _remember(e)
    except Exception as e:
        import pysolr
        if isinstance(e, (SearchError, pysolr.SolrError)) and refused_query(e):
            log.info("search refused: %s", e)
            raise _remember(SearchRefused()) from e
        raise


# --- Answers ------------------------------------------------------------------------

def api_error_of(response: Response) -> tuple[Optional[dict], Optional[dict]]:
    """The body and the ``error`` object of an Action API error answer (CKAN's JSON
    envelope), or ``(None, None)`` when the answer is not one."""
    if not response.is_json:
        return None, None
    try:
        body = json.loads(response.get_data(as_text=True))
    except ValueError:
        return None, None
    error = body.get("error") if isinstance(body, dict) else None
    return (body, error) if isinstance(error, dict) else (None, None)


def sanitise_api_error(response: Response) -> Response:
    """An Action API error about search keeps its status and CKAN's envelope, with a
    French message instead of Solr's internals."""
    if not request.path.startswith(API_PREFIX) or response.status_code < 400:
        return response
    body, error = api_error_of(response)
    if error is None:
        return response
    kind = error.get("__type")
    if kind == "Search Query Error":
        # ours, without CKAN's English prefix; or CKAN's, which may quote the query
        error["message"] = g.get("datasud_search_refused") or search_refused_message()
    elif kind == "Search Error":
        error["message"] = search_failed_message()
    elif kind == "Search Index Error":
        if _REFUSED_BY_SOLR.search(str(error.get("message", ""))):
            # Solr refused the document itself (e.g. a field too long to index): the
            # caller's data, not an unavailable service
            error["message"] = index_refused_message()
            response.status_code = 400
        else:
            error["message"] = index_failed_message()
    else:
        return response
    response.set_data(json.dumps(body))
    return response


@search_errors.after_app_request
def _after_request(response: Response) -> Response:
    return sanitise_api_error(response)


@search_errors.app_errorhandler(SearchRefused)
def refused_page(exc: SearchRefused):
    """A page whose search was refused (e.g. ``/catalog.ttl?q=…``): a French 400."""
    if request.path.startswith(API_PREFIX):
        body = {"success": False, "error": {"__type": "Search Query Error", "message": exc.message}}
        return Response(json.dumps(body), status=400, content_type="application/json;charset=utf-8")
    return tk.render("error_document_template.html", {
        "code": 400, "name": tk._("Bad request"), "content": exc.message}), 400
