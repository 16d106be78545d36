"""The DCAT endpoints as harvesters read them (chained to ckanext-dcat's actions).

ckanext-dcat serves ``/catalog.{ttl,rdf,xml,jsonld,n3}``, ``/dataset/{id}.{ttl,rdf,…}``
and, with content negotiation, ``/`` and ``/dataset/{id}`` (``Accept: text/turtle``…),
through the actions ``dcat_catalog_show``, ``dcat_catalog_search`` and
``dcat_dataset_show``. Chained here (registered from ``logic/action.py``):

- **only published datasets**: the catalogue is a ``package_search`` as the caller with
  ``include_private`` and ``include_drafts`` off (public = validated and published,
  ``logic/publication.py``), harvest sources left out; a dataset the caller may not see
  is "not found" (404), as its page is, not "forbidden";
- ``modified_since`` as harvesters send it: a date, or a date and time with or without
  its offset (``2024-01-01``, ``…T10:00:00Z``, ``…+02:00``; stock ckanext-dcat appended
  a ``Z`` to an offset and Solr refused the query), compared in UTC;
- Hydra paging (``hydra:next``, ``first``, ``last``, ``totalItems``) whose page URLs
  are the catalogue's own URL with its parameters URL-encoded (stock ckanext-dcat wrote
  them raw: a ``+02:00`` offset or a ``q`` with spaces broke the next page), whatever the
  door (the Action API too); page size ``ckanext.dcat.datasets_per_page`` (100);
- DataSud's profile always runs last: ``?profiles=euro_dcat_ap_2`` (DCAT-AP 2) or
  ``euro_dcat_ap_3`` (the default, DCAT-AP 3) choose the base profile only;
- a request that cannot be answered (a page that is not a positive number, an unreadable
  date, an unknown format or profile) is a 400 with a French message in plain text
  (:class:`CatalogueRequestRefused`, handled by the blueprint ``datasud_dcat``), never a
  500 or ckanext-dcat's English 409.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import math
import re
import time
from typing import Any, Optional
from urllib.parse import urlencode

from dateutil.parser import parse as parse_date
from flask import Blueprint, Response, has_request_context, request

import ckan.plugins.toolkit as tk
from ckanext.dcat.utils import CONTENT_TYPES, catalog_uri

from ckanext.datasud import dataset_page, dcat_fragments, redis_client
from ckanext.datasud.dcat import DCAT_AP_VERSION

__all__ = ["dcat_catalog_show", "dcat_catalog_search", "dcat_dataset_show"]
# (the actions, chained from logic/action.py; warm_catalogue and queue_warm_catalogue are not
# actions: tasks.py, cli.py and the plugin call them)

_ = tk._
log = logging.getLogger(__name__)

#: The profile run after the base one (ckanext/datasud/dcat.py).
DATASUD_PROFILE = "datasud"
#: Base profiles a client may choose with ``?profiles=`` (DCAT-AP 2 or 3).
BASE_PROFILES = ("euro_dcat_ap_3", "euro_dcat_ap_2")
DEFAULT_PER_PAGE = 100
#: Formats written from each dataset's cached fragment (dcat_fragments.py).
TURTLE = ("ttl",)
#: Far beyond any catalogue; a larger page number is refused rather than sent to Solr.
MAX_PAGE = 100000
# An offset whose "+" a client left unencoded in the URL arrives as a space.
_SPACE_OFFSET = re.compile(r" (\d\d:?\d\d)$")

datasud_dcat = Blueprint("datasud_dcat", __name__)


class CatalogueRequestRefused(Exception):
    """A catalogue or dataset RDF request that cannot be answered: a 400, in French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@datasud_dcat.app_errorhandler(CatalogueRequestRefused)
def refused(exc: CatalogueRequestRefused):
    return Response(exc.message + "\n", status=400, content_type="text/plain; charset=utf-8")


@datasud_dcat.after_app_request
def vary_on_accept(response: Response) -> Response:
    """``/`` and ``/dataset/<id>`` answer HTML or RDF by the Accept header (ckanext-dcat's
    content negotiation): a cache between the portal and its visitors must know it."""
    if request.endpoint in ("dcat.read_catalog", "dcat.read_dataset", "dcat.read_dataset_series"):
        response.vary.add("Accept")
    return response


def refuse(field: str, message: str):
    """Refuse a request: a French 400 in plain text on the RDF endpoints, the Action
    API's own validation error (409, ``{field: [message]}``) through the API
    (``/api/3/action/dcat_catalog_show?page=x``), which turns any other exception into a 500."""
    if has_request_context() and request.path.startswith("/api/"):
        raise tk.ValidationError({field: [message]})
    raise CatalogueRequestRefused(message)


def per_page() -> int:
    return max(1, tk.asint(tk.config.get("ckanext.dcat.datasets_per_page", DEFAULT_PER_PAGE)))


def page_number(value: Any) -> int:
    if value in (None, ""):
        return 1
    try:
        page = int(str(value).strip())
    except ValueError:
        page = 0
    if not 1 <= page <= MAX_PAGE:
        refuse("page", _('The parameter "page" must be a whole number from 1 to {max}.')
                                      .format(max=MAX_PAGE))
    return page


def modified_since_utc(value: Any) -> Optional[dt.datetime]:
    """``modified_since`` as a naive UTC date and time (``None`` when not given)."""
    if value in (None, ""):
        return None
    text = _SPACE_OFFSET.sub(r"+\1", str(value).strip())
    try:
        moment = parse_date(text)
    except (ValueError, OverflowError):
        refuse("modified_since", _(
            'The parameter "modified_since" must be an ISO 8601 date, e.g. 2024-01-31 or '
            '2024-01-31T08:00:00Z.'))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def rdf_format(value: Any) -> str:
    fmt = str(value or "xml").strip().lower()
    if fmt not in CONTENT_TYPES:
        refuse("format", _("Unknown format \"{format}\": DCAT metadata is served as {formats}.")
                                      .format(format=fmt[:20], formats=", ".join(sorted(CONTENT_TYPES))))
    return fmt


def profiles(value: Any) -> list[str]:
    """The base profile asked for (DCAT-AP 3 by default), DataSud's after it."""
    if isinstance(value, str):
        value = value.split(",")
    asked = [str(p).strip() for p in (value or []) if str(p).strip() and str(p).strip() != DATASUD_PROFILE]
    unknown = [p for p in asked if p not in BASE_PROFILES]
    if unknown or len(asked) > 1:
        refuse("profiles", _('The parameter "profiles" accepts one of: {profiles}.')
                                      .format(profiles=", ".join(BASE_PROFILES)))
    configured = tk.config.get("ckanext.dcat.rdf.profiles", "").split()
    base = asked or [p for p in configured if p != DATASUD_PROFILE] or [BASE_PROFILES[0]]
    return base + [DATASUD_PROFILE]


def published_datasets(context: dict, data_dict: dict, page: int, since: Optional[dt.datetime],
                       rows: Optional[int] = None) -> dict:
    """One page of the published datasets, last modified first (a package_search as the
    caller: what the caller may not see publicly never comes back); ``rows`` a page
    (``per_page()`` by default)."""
    n = rows or per_page()
    # Published only, whatever the caller's fq says (CKAN leaves out its own state filter
    # when fq names one: "fq=+state:deleted" must not list deleted datasets).
    fq_list = ["+capacity:public", "+state:active", "-dataset_type:harvest", "-dataset_type:showcase"]
    if since is not None:
        fq_list.append(f"metadata_modified:[{since.strftime('%Y-%m-%dT%H:%M:%S')}Z TO *]")
    search = {
        "q": data_dict.get("q") or "*:*",
        "fq": data_dict.get("fq") or "",
        "fq_list": fq_list,
        "rows": n,
        "start": n * (page - 1),
        "sort": "metadata_modified desc, name asc",
        "include_private": False,
        "include_drafts": False,
    }
    return tk.get_action("package_search")(dict(context), search)


def page_url(fmt: str, data_dict: dict, since: Optional[dt.datetime], page: int) -> str:
    """The URL of one page of the catalogue, every parameter URL-encoded."""
    path = tk.config.get("ckanext.dcat.catalog_endpoint", "/catalog.{_format}").replace("{_format}", fmt)
    params: list[tuple[str, str]] = []
    if since is not None:
        params.append(("modified_since", since.strftime("%Y-%m-%dT%H:%M:%SZ")))
    for key in ("q", "fq"):
        if data_dict.get(key):
            params.append((key, str(data_dict[key])))
    if data_dict.get("profiles"):
        asked = data_dict["profiles"]
        params.append(("profiles", asked if isinstance(asked, str) else ",".join(asked)))
    params.append(("page", str(page)))
    return catalog_uri().rstrip("/") + path + "?" + urlencode(params, safe=":,")


def pagination_info(query: dict, fmt: str, data_dict: dict, since: Optional[dt.datetime], page: int) -> dict:
    count = int(query["count"])
    if count == 0:
        return {}
    n = per_page()
    last = max(1, math.ceil(count / n))
    info = {"count": count, "items_per_page": n,
            "current": page_url(fmt, data_dict, since, page),
            "first": page_url(fmt, data_dict, since, 1),
            "last": page_url(fmt, data_dict, since, last)}
    if page < last:
        info["next"] = page_url(fmt, data_dict, since, page + 1)
    if 1 < page <= last:
        info["previous"] = page_url(fmt, data_dict, since, page - 1)
    return info


def _catalogue(context: dict, data_dict: dict) -> str:
    fmt = rdf_format(data_dict.get("format"))
    page = page_number(data_dict.get("page"))
    since = modified_since_utc(data_dict.get("modified_since"))
    chosen = profiles(data_dict.get("profiles"))
    query = published_datasets(context, data_dict, page, since)
    paging = pagination_info(query, fmt, data_dict, since, page)
    token = DCAT_AP_VERSION.set(dcat_ap_version(chosen))
    try:
        if fmt in TURTLE and dcat_fragments.enabled() and not tk.asbool(
                tk.config.get("ckanext.dcat.expose_subcatalogs")):
            this_page = CataloguePage(fmt, chosen, data_dict.get("q") or "", data_dict.get("fq") or "",
                                      since.isoformat() if since else None, page, per_page())
            last_page = max(1, math.ceil(int(query["count"]) / per_page()))
            if read_ahead_state(this_page) is not None:
                read_ahead_after(this_page, last_page)  # a harvester's export under way: keep pages ahead

            def before_computing(_missing: int) -> bool:
                read_ahead_after(this_page, last_page)
                return wait_for_read_ahead(this_page)

            return dcat_fragments.catalogue_turtle(chosen, query["results"], paging, fmt, before_computing)
        return dcat_fragments.Serializer(profiles=chosen).serialize_catalog({}, query["results"], _format=fmt,
                                                                            pagination_info=paging)
    finally:
        DCAT_AP_VERSION.reset(token)


def dcat_ap_version(chosen: list[str]) -> str:
    return "2" if chosen[0] == "euro_dcat_ap_2" else "3"


@tk.chained_action
@tk.side_effect_free
def dcat_catalog_show(up_func, context, data_dict):
    tk.check_access("dcat_catalog_show", context, data_dict)
    return _catalogue(context, data_dict)


@tk.chained_action
@tk.side_effect_free
def dcat_catalog_search(up_func, context, data_dict):
    tk.check_access("dcat_catalog_search", context, data_dict)
    return _catalogue(context, data_dict)


@tk.chained_action
def dcat_dataset_show(up_func, context, data_dict):
    """One dataset in RDF, as its page shows it: not found (404) for who may not see it;
    written as ckanext-dcat's action does, with DataSud's serializer (:mod:`dcat_fragments`:
    profiles found once, IRIs every syntax can hold, Turtle by :mod:`turtle`)."""
    fmt = rdf_format(data_dict.get("format"))
    chosen = profiles(data_dict.get("profiles"))
    token = DCAT_AP_VERSION.set(dcat_ap_version(chosen))
    try:
        tk.check_access("dcat_dataset_show", context, data_dict)
        dataset_dict = tk.get_action("package_show")(context, data_dict)
        return dcat_fragments.Serializer(profiles=chosen).serialize_dataset(dataset_dict, _format=fmt)
    except tk.NotAuthorized:
        raise tk.ObjectNotFound(_("Dataset not found"))
    finally:
        DCAT_AP_VERSION.reset(token)


# --- Reading ahead: the next pages written by Celery while this one is -------------------
# A harvester reads the catalogue page after page. When a page finds datasets whose
# Turtle is not kept (Redis emptied, the code that writes it changed, a catalogue of new
# datasets), a Celery worker is asked to write the next pages' (as many as
# ckanext.datasud.dcat.read_ahead_pages, 2: one per worker process); from then on each
# page the harvester reads asks for those after it, so Celery's workers stay ahead on
# every core while the web serves what they kept. A page is asked for once (a
# claim in Redis: queued, running, done); the web waits for a page Celery is writing
# (at most READ_AHEAD_WAIT_SECONDS) rather than write it twice, and writes itself what
# is still missing, or a page whose task has not started (a worker busy elsewhere).
# What Celery writes is stamped like any fragment: a dataset changed meanwhile is
# written again, never served as it was. Without Redis or Celery the page is written on
# request, as before.

@dataclasses.dataclass(frozen=True)
class CataloguePage:
    """One page of the catalogue as an anonymous harvester asks for it."""
    fmt: str
    profiles: list[str]
    q: str
    fq: str
    modified_since: Optional[str]  # ISO 8601, UTC
    page: int
    rows: int

    def next(self) -> "CataloguePage":
        return dataclasses.replace(self, page=self.page + 1)

    def claim_key(self) -> str:
        text = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return (f"datasud:{tk.config.get('ckan.site_id')}:dcat-read-ahead:"
                f"{hashlib.sha1(text.encode('utf-8')).hexdigest()}")


READ_AHEAD_CLAIM_SECONDS = 120
READ_AHEAD_WAIT_SECONDS = 5.0
#: Pages read ahead at most per READ_AHEAD_WINDOW_SECONDS and site: a harvester reads one
#: or two a second; clients varying ``q`` or ``modified_since`` page after page cannot fill
#: Celery's queue (the e-mails, file copies and reindexing go through it too).
READ_AHEAD_PER_WINDOW = 30
READ_AHEAD_WINDOW_SECONDS = 10
QUEUED, RUNNING, DONE = "queued", "running", "done"


def _read_ahead_on() -> bool:
    return tk.asbool(tk.config.get("ckanext.datasud.dcat.read_ahead"))


def pages_ahead() -> int:
    return max(1, tk.asint(tk.config.get("ckanext.datasud.dcat.read_ahead_pages") or 1))


def read_ahead_after(page: CataloguePage, last_page: int) -> None:
    """Queue the writing of the pages after ``page`` (``ckanext.datasud.dcat.read_ahead_pages``
    of them, as many as Celery has processes, none past ``last_page``): while the
    harvester waits for one, the others are written on the other cores."""
    for number in range(page.page + 1, min(last_page, page.page + pages_ahead()) + 1):
        read_ahead(dataclasses.replace(page, page=number))


def read_ahead(next_page: CataloguePage) -> bool:
    """Queue the writing of ``next_page``'s Turtle on Celery, once (True when queued)."""
    if not _read_ahead_on():
        return False
    from ckanext.datasud import tasks
    try:
        redis = redis_client.connection()
        if redis.exists(next_page.claim_key()):
            return False  # asked for already
        window = (f"datasud:{tk.config.get('ckan.site_id')}:dcat-read-ahead-window:"
                  f"{int(time.time()) // READ_AHEAD_WINDOW_SECONDS}")
        pipe = redis.pipeline()
        pipe.incr(window)
        pipe.expire(window, READ_AHEAD_WINDOW_SECONDS * 2)
        if pipe.execute()[0] > READ_AHEAD_PER_WINDOW:
            return False  # enough pages read ahead for now: this one is written when asked for
        if not redis.set(next_page.claim_key(), QUEUED, nx=True, ex=READ_AHEAD_CLAIM_SECONDS):
            return False  # asked for meanwhile
        tasks.write_catalogue_page.apply_async(args=[dataclasses.asdict(next_page)], retry=False)
    except Exception:  # noqa: BLE001 - a cache's help: the page is written when asked for
        log.warning("could not read catalogue page %d ahead", next_page.page, exc_info=True)
        return False
    return True


def read_ahead_state(page: CataloguePage) -> Optional[str]:
    """``queued``, ``running`` or ``done`` when this page was read ahead, else None."""
    if not _read_ahead_on():
        return None
    try:
        state = redis_client.connection().get(page.claim_key())
    except Exception:  # noqa: BLE001
        return None
    return state.decode() if isinstance(state, bytes) else state


def _mark(page: CataloguePage, state: str) -> None:
    try:
        redis_client.connection().set(page.claim_key(), state, xx=True, ex=READ_AHEAD_CLAIM_SECONDS)
    except Exception:  # noqa: BLE001 - the web then writes the page itself
        log.warning("could not mark catalogue page %d %s", page.page, state, exc_info=True)


def wait_for_read_ahead(page: CataloguePage) -> bool:
    """When Celery is writing this page, wait until it is done (at most
    READ_AHEAD_WAIT_SECONDS): True when it finished meanwhile (its texts are to be read
    again)."""
    if read_ahead_state(page) != RUNNING:
        return False
    deadline = time.monotonic() + READ_AHEAD_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.02)
        state = read_ahead_state(page)
        if state != RUNNING:
            return state == DONE
    return False


def write_catalogue_page(page: CataloguePage) -> int:
    """Write and keep the Turtle of one catalogue page's datasets, as the anonymous
    reader's ``package_search`` lists them (Celery, :func:`read_ahead`); returns how
    many datasets the page has."""
    _mark(page, RUNNING)
    token = DCAT_AP_VERSION.set(dcat_ap_version(page.profiles))
    try:
        since = modified_since_utc(page.modified_since) if page.modified_since else None
        results = published_datasets({"ignore_auth": False, "user": ""}, {"q": page.q, "fq": page.fq},
                                     page.page, since, rows=page.rows)["results"]
        dcat_fragments.fragments(page.profiles, results, page.fmt)
    finally:
        DCAT_AP_VERSION.reset(token)
        _mark(page, DONE)
    return len(results)


# --- Keeping every published dataset's Turtle ready (dcat_fragments.py) -----------------

WARM_BATCH = 100


def warm_catalogue(dataset_ids: Optional[list[str]] = None) -> int:
    """Serialize and keep the Turtle of these published datasets (every published one
    when ``None``) as the catalogue's pages will ask for it — the anonymous reader's
    ``package_search`` dictionaries, the default profiles — so that a harvester's export
    finds each dataset kept; and the schema.org JSON-LD of their pages
    (``dataset_page.warm_structured_data``), so that a first visit finds it kept. Run by
    Celery after each committed change (through :func:`queue_warm_catalogue`) and nightly;
    ``ckan datasud warm-catalogue`` by hand. Datasets that are not published are not found
    by the search: nothing is kept for them. Returns how many datasets were looked at."""
    if not dcat_fragments.enabled():
        return 0
    chosen = profiles(None)
    context = {"ignore_auth": False, "user": ""}
    ids = None if dataset_ids is None else sorted(set(dataset_ids))
    done, page = 0, 1
    while True:
        if ids is None:
            results = published_datasets(dict(context), {}, page, None)["results"]
        else:
            batch = ids[(page - 1) * WARM_BATCH:page * WARM_BATCH]
            if not batch:
                break
            quoted = " OR ".join(f'"{i}"' for i in batch)
            results = published_datasets(dict(context), {"fq": f"id:({quoted})"}, 1, None)["results"]
        if ids is None and not results:
            break
        dcat_fragments.fragments(chosen, results, TURTLE[0])
        dataset_page.warm_structured_data([d["id"] for d in results])
        done += len(results)
        page += 1
    return done


def queue_warm_catalogue(dataset_ids: set[str]) -> None:
    """After a commit that changed these datasets: their Turtle is made again by Celery
    (a ``catalogue_cache`` subscriber), not by the next harvester's request."""
    if not dcat_fragments.enabled() or not dataset_ids or not tk.asbool(
            tk.config.get("ckanext.datasud.dcat.warm_after_change")):
        return
    published = _published_among(dataset_ids)
    if not published:  # drafts, submitted or withdrawn datasets are not in the catalogue
        return
    from ckanext.datasud import outbox, tasks
    outbox.send(tasks.warm_catalogue, args=[sorted(published)])


def _published_among(dataset_ids: set[str]) -> list[str]:
    """Which of these datasets the catalogue lists (public and active), read on a
    connection of its own (this runs after the session's commit)."""
    import sqlalchemy as sa
    import ckan.model as model
    package = model.package_table
    with model.meta.engine.connect() as connection:
        rows = connection.execute(sa.select(package.c.id).where(
            package.c.id.in_(sorted(dataset_ids)), package.c.private.is_(False), package.c.state == "active",
            package.c.type != "harvest"))
        return [row[0] for row in rows]
