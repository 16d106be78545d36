"""The Turtle catalogue from each dataset's serialized fragment, kept in Redis (and the
dataset page's schema.org JSON-LD, kept the same way).

A page of ``/catalog.ttl`` (100 datasets) cost about 2 s, almost all of it building
each dataset's RDF graph through the profiles and rdflib's Turtle serialiser (which
grows faster than linearly with the graph): about 7 minutes for a catalogue of 20,000
datasets, read in full by every harvester at every run.

Here each dataset is serialized **on its own** (its graph built by the same profiles, in
a graph of its own, written by :mod:`turtle` — about 0.9 ms against rdflib's 3.5 ms for
one dataset — with its organisation read once per page, the record its stamp is made
from) and the Turtle text kept in a Redis hash per format and profile choice, under a
*stamp*: a digest of everything the text is made from — the dataset
dictionary as the search index returns it (every change to a dataset, its resources,
its publication, reindexes it), the live record of its organisation (the publisher's
name, SIREN, kind and website are read from it), the site URL, the profiles and the
versions of the code that writes it. A page is the catalogue's own triples (its
title, paging, ``dcat:dataset`` links: rdflib as before) followed by the fragments, with
their ``@prefix`` lines merged; a fragment is only reused when its stamp is the one
computed now, so a changed dataset is never served as it was. The datasets of a page
are still the ``package_search`` of the caller: the cache decides how a dataset is
written, never which datasets are listed.

The same triples as a single graph, written differently: nodes shared by several
datasets (an organisation, a theme, a licence) are described in each fragment (the
same triples again, which RDF reads as one). Fragments use only the prefixes the
profiles bind; a part whose prefixes still clash with another's (the catalogue's head is
rdflib's, which names unknown namespaces ``ns1``, ``ns2``… per graph) is written as
N-Triples, which is Turtle without prefixes. Without Redis every fragment is computed
(never stale).
"""
from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import logging
import re
import zlib
from importlib.metadata import PackageNotFoundError, version
from typing import Callable, Optional

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckanext.dcat.processors import RDFSerializer
from ckanext.dcat.utils import catalog_uri, dataset_uri
from rdflib import ConjunctiveGraph, Graph, Literal
from rdflib.namespace import DCAT, XSD
from rdflib.plugins.stores.memory import SimpleMemory
import simplejson

from ckanext.datasud import redis_client, turtle

log = logging.getLogger(__name__)

#: Bump when the way fragments are written changes (old fragments are then recomputed).
FORMAT_VERSION = "2"  # 2: written by turtle.py
_PREFIX = re.compile(r"^@prefix (\S*): <([^>]*)> \.$")


class _WritableGraph(ConjunctiveGraph):
    """ckanext-dcat's graph, whose IRIs are made writable in every RDF syntax when it is
    serialized (a partner's link with a space or a ``|``: :func:`turtle.make_iris_writable`)."""

    def serialize(self, *args, **kwargs):
        turtle.make_iris_writable(self)
        return super().serialize(*args, **kwargs)


# CKAN's own timestamps (metadata_created, a resource's last_modified...): no time zone,
# seconds, maybe a fraction.
_CKAN_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?")


class QuickTimestamps:
    """Mixed into each profile class :class:`Serializer` uses: CKAN's own timestamps
    written as ckanext-dcat writes them (``xsd:dateTime``, ``datetime.isoformat()`` of the
    value) without going through dateutil's parser, which was an eighth of a dataset's
    Turtle (eight timestamps a dataset); any other value goes the profile's own way."""

    def _add_date_triple(self, subject, predicate, value, _type=Literal):
        if isinstance(value, str) and _CKAN_TIMESTAMP.fullmatch(value):
            try:
                written = dt.datetime.fromisoformat(value).isoformat()
            except ValueError:  # 30 February...: the profile's own way (a plain literal)
                pass
            else:
                self.g.add((subject, predicate, _type(written, datatype=XSD.dateTime)))
                return
        super()._add_date_triple(subject, predicate, value, _type)


@functools.lru_cache(maxsize=None)
def _with_quick_timestamps(profile_class: type) -> type:
    return type(profile_class.__name__, (QuickTimestamps, profile_class), {})


class FragmentStore(SimpleMemory):
    """The store of one dataset's graph: rdflib's SimpleMemory (no named graphs to keep
    track of; rdflib's default store spent a fifth of a dataset's Turtle on them), its
    matches listed before they are handed out, as the default store does, since the
    profiles add to the graph while they go through it."""

    def triples(self, triple_pattern, context=None):
        return iter(list(super().triples(triple_pattern, context)))


class Serializer(RDFSerializer):
    """ckanext-dcat's serializer, its profile classes found once per process (finding
    them scans every installed package's entry points: ~40 ms per catalogue page), with
    :class:`QuickTimestamps`, its IRIs writable in every syntax, one dataset's Turtle
    written by :mod:`turtle`."""

    _found: dict[tuple[str, ...], list] = {}

    def _load_profiles(self, profile_names):
        key = tuple(profile_names)
        if key not in self._found:
            self._found[key] = [_with_quick_timestamps(c) for c in super()._load_profiles(profile_names)]
        return list(self._found[key])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.g = _WritableGraph()

    def serialize_dataset(self, dataset_dict, _format="xml", context=None):
        """One dataset; in Turtle, written by :mod:`turtle`."""
        if _format not in ("ttl", "turtle"):
            return super().serialize_dataset(dataset_dict, _format=_format, context=context)
        self.graph_from_dataset(dataset_dict)
        return turtle.serialize(self.g)


def enabled() -> bool:
    return tk.asbool(tk.config.get("ckanext.datasud.dcat.fragment_cache"))


@functools.lru_cache(maxsize=1)
def _versions() -> str:
    found = []
    for name in ("ckanext-datasud", "ckanext-dcat", "rdflib"):
        try:
            found.append(version(name))
        except PackageNotFoundError:
            found.append("?")
    return ",".join(found)


def _hash_key(fmt: str, profiles: list[str]) -> str:
    return f"datasud:{tk.config.get('ckan.site_id')}:dcat-fragments:{fmt}:{','.join(profiles)}"


@dataclasses.dataclass(frozen=True)
class Organisation:
    """An organisation as the profiles write it (the partner as publisher or creator)."""
    id: str
    name: str
    title: str
    extras: dict[str, str]


_page_organisations: contextvars.ContextVar[Optional[dict[str, Organisation]]] = contextvars.ContextVar(
    "datasud_dcat_page_organisations", default=None)


def _organisation_records(ids: set[str]) -> dict[str, tuple[Organisation, str]]:
    """Each organisation's live record and the same as text, for stamps (one query)."""
    if not ids:
        return {}
    rows = (model.Session.query(model.Group.id, model.Group.name, model.Group.title, model.Group.state,
                                model.GroupExtra.key, model.GroupExtra.value, model.GroupExtra.state)
            .outerjoin(model.GroupExtra, model.GroupExtra.group_id == model.Group.id)
            .filter(model.Group.id.in_(ids)).all())
    found: dict[str, list] = {}
    for gid, name, title, state, key, value, extra_state in rows:
        found.setdefault(gid, [name, title, state]).append((key, value, extra_state))
    return {gid: (Organisation(gid, parts[0], parts[1], {k: v for k, v, _ in parts[3:] if k is not None}),
                  json.dumps(parts, sort_keys=True, default=str))
            for gid, parts in found.items()}


def organisation(org_id: str) -> Optional[Organisation]:
    """An organisation as the text being written is stamped with: the record read once
    for the whole page (:func:`_kept_texts`), else read now."""
    page = _page_organisations.get()
    if page is not None and org_id in page:
        return page[org_id]
    found = _organisation_records({org_id}).get(org_id)
    return found[0] if found else None


def stamp(dataset_dict: dict, organisation: str, context: str) -> str:
    text = json.dumps(dataset_dict, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha1("\x1f".join((context, organisation, text)).encode("utf-8")).hexdigest()


def split_turtle(text: str) -> tuple[dict[str, str], str]:
    """A Turtle document's ``@prefix`` lines (name → namespace) and the rest."""
    prefixes: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _PREFIX.match(lines[i])
        if m:
            prefixes[m.group(1)] = m.group(2)
        elif lines[i].strip():
            break
        i += 1
    return prefixes, "\n".join(lines[i:]).strip()


def _encode(stamp_value: str, text: str) -> bytes:
    return zlib.compress(f"{stamp_value}\n{text}".encode("utf-8"), 1)


def _decode(raw: Optional[bytes]) -> tuple[Optional[str], str]:
    if not raw:
        return None, ""
    try:
        value = zlib.decompress(raw).decode("utf-8")
    except (zlib.error, UnicodeDecodeError):
        return None, ""
    head, _, text = value.partition("\n")
    return head, text


def _context(*parts: str) -> str:
    """What every stamp of a kind depends on beside the dataset and its organisation."""
    return "\x1f".join((FORMAT_VERSION, _versions(), tk.config.get("ckan.site_url", ""), *parts))


def _kept_texts(key: str, dataset_dicts: list[dict], context: str,
                compute: Callable[[dict], str],
                before_computing: Optional[Callable[[int], bool]] = None) -> list[str]:
    """Each dataset's text in the Redis hash ``key``, in order: read back when its stamp
    is current, else ``compute(dataset_dict)`` and kept. Redis down: all computed.
    ``before_computing(n)`` is told how many texts are to be computed, before they are
    (when there are some); when it answers True, the kept texts are read again first
    (another process may have written them meanwhile)."""
    records = _organisation_records({d["owner_org"] for d in dataset_dicts if d.get("owner_org")})
    stamps = [stamp(d, records[d["owner_org"]][1] if d.get("owner_org") in records else "", context)
              for d in dataset_dicts]
    ids = [d["id"] for d in dataset_dicts]
    try:
        redis = redis_client.connection()
        stored = redis.hmget(key, ids) if ids else []
    except Exception:  # noqa: BLE001 - Redis down: compute everything, keep nothing
        log.warning("kept texts unavailable (Redis): %s computed in full", key, exc_info=True)
        redis, stored = None, [None] * len(ids)
    texts: list[str] = []
    fresh: dict[str, bytes] = {}
    kept = [_decode(raw) for raw in stored]
    missing = sum(1 for current, (kept_stamp, _) in zip(stamps, kept) if kept_stamp != current)
    if missing and before_computing is not None and before_computing(missing) and redis is not None:
        try:
            kept = [_decode(raw) for raw in redis.hmget(key, ids)]
        except Exception:  # noqa: BLE001 - computed below, as they were missing
            log.warning("kept texts unavailable (Redis): %s computed in full", key, exc_info=True)
    # the profiles write each organisation as read for the stamps: one query per page
    token = _page_organisations.set({gid: record for gid, (record, _) in records.items()})
    try:
        for dataset_dict, current, (kept_stamp, text) in zip(dataset_dicts, stamps, kept):
            if kept_stamp != current:
                text = compute(dataset_dict)
                fresh[dataset_dict["id"]] = _encode(current, text)
            texts.append(text)
    finally:
        _page_organisations.reset(token)
    if fresh and redis is not None:
        try:
            redis.hset(key, mapping=fresh)
        except Exception:  # noqa: BLE001
            log.warning("could not keep %d texts in %s (Redis)", len(fresh), key, exc_info=True)
    return texts


def fragments(profiles: list[str], dataset_dicts: list[dict], fmt: str = "ttl",
              before_computing: Optional[Callable[[int], bool]] = None) -> list[str]:
    """Each dataset's Turtle, in order: from Redis when its stamp is current, else
    serialized now (and kept; ``before_computing`` as :func:`_kept_texts`)."""
    serializer = Serializer(profiles=profiles)
    # DataSud's profile writes the organisation as publisher from the page's record
    # (dcat.py, _organisation): ckanext-dcat's fallback, an organization_show per
    # organisation and process, is not reached
    partner_written = "datasud" in profiles

    def serialize(dataset_dict: dict) -> str:
        # rdflib's ~30 default prefixes are not bound: only the profiles' (cheaper to make)
        serializer.g = Graph(store=FragmentStore(), bind_namespaces="core")
        serializer.graph_from_dataset(dict(dataset_dict, organization=None) if partner_written else dataset_dict)
        return turtle.serialize(serializer.g)
    return _kept_texts(_hash_key(fmt, profiles), dataset_dicts, _context(fmt, ",".join(profiles)), serialize,
                       before_computing)


def kept(kind: str, dataset_dict: dict, compute: Callable[[], str]) -> str:
    """One dataset's text of another ``kind`` (the dataset page's schema.org JSON-LD):
    from Redis while its stamp — the dataset as the page has it, its organisation, the
    language, the code — is current, else ``compute()``, kept."""
    if not enabled() or not dataset_dict.get("id"):
        return compute()
    return _kept_texts(_hash_key(kind, []), [dataset_dict], _context(kind, tk.h.lang() or ""),
                       lambda _dataset: compute())[0]


def structured_data(dataset_dict: dict, profiles: list[str]) -> str:
    """ckanext-dcat's ``structured_data`` helper (the dataset page's JSON-LD, written the
    same way), with :class:`Serializer`: the stock helper finds the profile classes again
    on every page (a third of the JSON-LD's cost)."""
    output = Serializer(profiles=profiles).serialize_dataset(dataset_dict, _format="jsonld")
    try:
        data = json.loads(output)
    except ValueError:
        return output
    return simplejson.dumps(data, sort_keys=True, indent=4, separators=(",", ": "), cls=simplejson.JSONEncoderForHTML)


def catalogue_turtle(profiles: list[str], dataset_dicts: list[dict], pagination_info: dict,
                     fmt: str = "ttl", before_computing: Optional[Callable[[int], bool]] = None) -> str:
    """One page of the catalogue in Turtle: the catalogue's triples, then the datasets'."""
    head = Serializer(profiles=profiles).serialize_catalog({}, [], _format="turtle",
                                                           pagination_info=pagination_info)
    return merge(head, [dataset_uri(d) for d in dataset_dicts],
                 fragments(profiles, dataset_dicts, fmt, before_computing))


def merge(head: str, dataset_uris: list[str], texts: list[str]) -> str:
    """The catalogue's Turtle (``head``), its ``dcat:dataset`` links and each dataset's
    Turtle as one document: one set of ``@prefix`` lines. A fragment naming a prefix
    that another part binds to another namespace is written as N-Triples (no prefix)."""
    prefixes, head_body = split_turtle(head)
    bodies = [head_body]
    if dataset_uris:
        bodies.append(f"<{catalog_uri()}> <{DCAT.dataset}> " + ",\n        ".join(f"<{u}>" for u in dataset_uris)
                      + " .")
    for text in texts:
        own, body = split_turtle(text)
        if any(prefixes.get(name, uri) != uri for name, uri in own.items()):
            graph = ConjunctiveGraph()
            graph.parse(data=text, format="turtle")
            bodies.append(graph.serialize(format="nt").strip())
            continue
        prefixes.update(own)
        bodies.append(body)
    lines = [f"@prefix {name}: <{uri}> ." for name, uri in sorted(prefixes.items())]
    return "\n".join(lines) + "\n\n" + "\n\n".join(b for b in bodies if b) + "\n"
