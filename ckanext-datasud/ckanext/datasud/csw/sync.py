"""Keeping the discovery service (pycsw) equal to what the portal publishes.

A dataset has a record in the service when an anonymous visitor can see it (active,
public, a dataset and not a harvest source) and it has an extent; otherwise its record
is deleted. The decision is taken on the dataset as stored, when the task runs (after
the commit), so a withdrawal or a deletion is never missed because of the order of
events; ``sync_all`` reconciles everything (nightly, and ``ckan datasud csw sync``).

The service is driven through CSW-T (Transaction: Delete, then Insert) at
``ckanext.datasud.csw.service_url``, which only 127.0.0.1 may use.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Optional

import requests
from lxml import etree

import ckan.plugins.toolkit as tk

from ckanext.datasud.csw import iso19139

log = logging.getLogger(__name__)

CSW = "http://www.opengis.net/cat/csw/2.0.2"
OGC = "http://www.opengis.net/ogc"
TIMEOUT = 30
PAGE = 100


class ServiceError(Exception):
    """The discovery service refused a request or did not answer."""


def service_url() -> str:
    return (tk.config.get("ckanext.datasud.csw.service_url") or "").strip()


def enabled() -> bool:
    return bool(service_url())


def _post(body: bytes, url: Optional[str] = None) -> etree._Element:
    try:
        response = requests.post(url or service_url(), data=body, timeout=TIMEOUT,
                                 headers={"Content-Type": "application/xml; charset=UTF-8"})
    except requests.RequestException as e:
        raise ServiceError(f"the discovery service does not answer: {e}") from e
    try:
        root = etree.fromstring(response.content)
    except etree.XMLSyntaxError as e:
        raise ServiceError(f"the discovery service answered {response.status_code}, not XML") from e
    if etree.QName(root).localname == "ExceptionReport":
        text = " ".join(t.strip() for t in root.itertext() if t.strip())
        raise ServiceError(f"the discovery service refused the request: {text[:500]}")
    return root


def _transaction(operation: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>'
            f'<csw:Transaction xmlns:csw="{CSW}" xmlns:ogc="{OGC}" service="CSW" version="2.0.2">'
            f'{operation}</csw:Transaction>').encode()


def _delete_operation(identifier: str) -> str:
    from xml.sax.saxutils import escape
    return (f'<csw:Delete><csw:Constraint version="1.1.0"><ogc:Filter><ogc:PropertyIsEqualTo>'
            f'<ogc:PropertyName>apiso:Identifier</ogc:PropertyName><ogc:Literal>{escape(identifier)}</ogc:Literal>'
            f'</ogc:PropertyIsEqualTo></ogc:Filter></csw:Constraint></csw:Delete>')


def _count(root: etree._Element, what: str) -> int:
    node = root.find(f".//{{{CSW}}}{what}")
    return int(node.text) if node is not None and (node.text or "").strip().isdigit() else 0


def delete(identifier: str, url: Optional[str] = None) -> int:
    """Delete the record of ``identifier``; how many were deleted (0 or 1)."""
    return _count(_post(_transaction(_delete_operation(identifier)), url), "totalDeleted")


def replace(record: bytes, url: Optional[str] = None) -> None:
    """Insert a record, replacing the one of the same identifier."""
    root = etree.fromstring(record)
    identifier = root.findtext(f"{{{iso19139.NS['gmd']}}}fileIdentifier/{{{iso19139.NS['gco']}}}CharacterString")
    delete(identifier, url)
    body = record.split(b"?>", 1)[1] if record.startswith(b"<?xml") else record
    answer = _post(_transaction(f"<csw:Insert>{body.decode('utf-8')}</csw:Insert>"), url)
    if _count(answer, "totalInserted") != 1:
        raise ServiceError(f"the discovery service did not insert the record of {identifier}")


def record_ids(url: Optional[str] = None) -> set[str]:
    """The identifiers of every record the service holds (paged GetRecords)."""
    ids: set[str] = set()
    start = 1
    while True:
        body = (f'<?xml version="1.0" encoding="UTF-8"?>'
                f'<csw:GetRecords xmlns:csw="{CSW}" service="CSW" version="2.0.2" resultType="results" '
                f'startPosition="{start}" maxRecords="{PAGE}"><csw:Query typeNames="csw:Record">'
                f'<csw:ElementSetName>brief</csw:ElementSetName></csw:Query></csw:GetRecords>').encode()
        root = _post(body, url)
        results = root.find(f".//{{{CSW}}}SearchResults")
        if results is None:
            raise ServiceError("the discovery service answered GetRecords without results")
        for node in results.iter("{http://purl.org/dc/elements/1.1/}identifier"):
            ids.add((node.text or "").strip())
        following = int(results.get("nextRecord") or 0)
        if following <= 0 or following <= start:
            return ids
        start = following


# --- What the portal publishes ----------------------------------------------------------

def public_dataset(dataset_id: str) -> Optional[dict[str, Any]]:
    """The dataset as ``package_show`` gives it, when an anonymous visitor may see it."""
    try:
        dataset = tk.get_action("package_show")({"ignore_auth": True, "use_cache": False}, {"id": dataset_id})
    except tk.ObjectNotFound:
        return None
    if dataset.get("private") or dataset.get("state") != "active" or dataset.get("type") != "dataset":
        return None
    return dataset


def record_of(dataset: dict[str, Any]) -> bytes:
    licence = None
    if dataset.get("license_title") or dataset.get("license_id"):
        licence = {"title": dataset.get("license_title") or dataset.get("license_id"),
                   "url": dataset.get("license_url") or ""}
    return iso19139.record(dataset, tk.config.get("ckan.site_url", ""), licence)


def sync_dataset(dataset_id: str, url: Optional[str] = None) -> str:
    """Make the service say what the portal publishes of one dataset: « replaced »,
    « deleted » or « absent »."""
    dataset = public_dataset(dataset_id)
    if dataset is not None and iso19139.is_geographic(dataset):
        replace(record_of(dataset), url)
        return "replaced"
    return "deleted" if delete(dataset["id"] if dataset else dataset_id, url) else "absent"


def sync_datasets(dataset_ids: Iterable[str], url: Optional[str] = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for dataset_id in dataset_ids:
        outcome = sync_dataset(dataset_id, url)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def published_geographic_ids() -> set[str]:
    """Ids of the public datasets with an extent (ckanext-spatial indexes its bounding
    box as ``minx``...``maxy``), from Solr, paged."""
    ids: set[str] = set()
    start = 0
    while True:
        result = tk.get_action("package_search")({"ignore_auth": True}, {
            "q": "*:*", "fq": "+dataset_type:dataset +maxx:[* TO *]", "fl": "id", "rows": 1000, "start": start,
            "sort": "id asc", "include_private": False, "include_drafts": False})
        rows = result["results"]
        ids.update(row["id"] for row in rows)
        start += len(rows)
        if not rows or start >= result["count"]:
            return ids


def sync_all(url: Optional[str] = None) -> dict[str, int]:
    """Reconcile: every published geographic dataset replaced, every other record deleted."""
    wanted = published_geographic_ids()
    extra = record_ids(url) - wanted
    counts = sync_datasets(sorted(wanted), url)
    for identifier in sorted(extra):
        delete(identifier, url)
    counts["deleted"] = counts.get("deleted", 0) + len(extra)
    return counts


def queue(dataset_ids: set[str]) -> None:
    """After a commit that changed these datasets: their records are synced by Celery
    (the task carries the service's URL, as this process's configuration gives it)."""
    if not enabled():
        return
    from ckanext.datasud import outbox, tasks
    outbox.send(tasks.csw_sync, args=[sorted(dataset_ids), service_url()])
