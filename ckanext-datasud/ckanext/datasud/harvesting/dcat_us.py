"""DCAT-US catalogues (Project Open Data's ``data.json``) read as DCAT.

ArcGIS Hub sites offer their catalogue first as DCAT-US 1.1 (``<site>/data.json``,
``<site>/api/feed/dcat-us/1.1.json``), and so do Socrata, DKAN and many US portals; older
ones serve DCAT-US 1.0, a bare list of datasets. It is plain JSON: its ``@context`` is the
remote ``https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld``, which DataSud
never fetches (:func:`.safety.check_jsonld` refuses remote contexts).

:func:`graph` writes such a catalogue as the RDF graph that context describes (DCAT and
Dublin Core terms, the same predicates), so that the rest of the harvest — ckanext-dcat's
profiles, DataSud's mapping with its French warnings, digests, withdrawals — is the one of
every DCAT catalogue. A few values are given the shape DCAT-AP readers expect, without
judging them (the mapping does, and warns):

- ``spatial`` as a bounding box (``"west,south,east,north"``, ArcGIS Hub's) becomes a
  ``dcat:bbox`` polygon; a GeoJSON geometry a ``locn:geometry``; anything else a place
  name;
- ``temporal`` (``"start/end"``, either side possibly ``None`` or empty) becomes a
  ``dct:PeriodOfTime``;
- ``publisher`` and ``contactPoint`` become an agent with its name and a contact with its
  e-mail address (``mailto:`` added when missing);
- every URL-valued field whose value is not a web address stays a literal.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable, Optional

import rdflib
from rdflib import BNode, Literal, URIRef
from ckanext.dcat.profiles import DCAT, DCT, FOAF, GEOJSON_IMT, GSP, LOCN, RDF, SKOS, VCARD

GEOJSON = URIRef(GEOJSON_IMT)

POD = "project-open-data.cio.gov"
# Keys of a DCAT-US dataset that no JSON-LD document of DCAT-AP has at its top level.
_DATASET_KEYS = {"accessLevel", "distribution", "identifier", "keyword", "contactPoint", "bureauCode",
                 "programCode", "landingPage"}
_NUMBER = r"\s*(-?\d+(?:\.\d+)?)\s*"
_BOX = re.compile(rf"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$")
_NO_DATE = {"", "none", "null", "..", "unknown"}


def _is_dataset_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(item, dict) and "title" in item and _DATASET_KEYS & item.keys() for item in value)


def is_catalogue(document: Any) -> bool:
    """Whether a parsed JSON document is a DCAT-US catalogue: an object with a
    ``dataset`` list that declares Project Open Data's schema, or has no JSON-LD context
    at all and DCAT-US datasets; or a bare list of DCAT-US datasets (1.0)."""
    if isinstance(document, list):
        return _is_dataset_list(document)
    if not isinstance(document, dict) or not isinstance(document.get("dataset"), list):
        return False
    declared = " ".join(str(document.get(key) or "") for key in ("@context", "conformsTo", "describedBy"))
    if POD in declared:
        return True
    if "@context" in document or "@graph" in document:  # JSON-LD of another vocabulary
        return False
    return not document["dataset"] or _is_dataset_list(document["dataset"])


def parse(text: str) -> Optional[Any]:
    """The JSON document of ``text`` when it is a DCAT-US catalogue, else ``None`` (not
    JSON, or JSON of another kind)."""
    if not text or text.lstrip("\ufeff \t\r\n")[:1] not in ("{", "["):
        return None
    try:
        document = json.loads(text.lstrip("\ufeff"))
    except (ValueError, RecursionError):
        return None
    return document if is_catalogue(document) else None


def graph(document: Any, url: str) -> rdflib.ConjunctiveGraph:
    """The DCAT graph of a DCAT-US catalogue (see :func:`is_catalogue`) read at ``url``."""
    g = rdflib.ConjunctiveGraph()
    catalogue = URIRef(url)
    g.add((catalogue, RDF.type, DCAT.Catalog))
    entries = document if isinstance(document, list) else document.get("dataset") or []
    if isinstance(document, dict):
        _literal(g, catalogue, DCT.title, document.get("title"))
        _literal(g, catalogue, DCT.description, document.get("description"))
    for entry in entries:
        if isinstance(entry, dict):
            g.add((catalogue, DCAT.dataset, _dataset(g, entry)))
    return g


def _dataset(g: rdflib.Graph, entry: dict[str, Any]) -> rdflib.term.Node:
    identifier = _text(entry.get("identifier"))
    node = URIRef(identifier) if _web(identifier) else BNode()
    g.add((node, RDF.type, DCAT.Dataset))
    if identifier:
        g.add((node, DCT.identifier, Literal(identifier)))
    for key, predicate in (("title", DCT.title), ("description", DCT.description), ("issued", DCT.issued),
                           ("modified", DCT.modified), ("accessLevel", DCT.accessRights), ("rights", DCT.rights),
                           ("accrualPeriodicity", DCT.accrualPeriodicity)):
        _literal(g, node, predicate, entry.get(key))
    for keyword in _keywords(entry.get("keyword")):
        g.add((node, DCAT.keyword, Literal(keyword)))
    for theme in _texts(entry.get("theme")):
        g.add((node, DCAT.theme, Literal(theme)))
    for language in _texts(entry.get("language")):
        g.add((node, DCT.language, Literal(language)))
    for key, predicate in (("license", DCT.license), ("landingPage", DCAT.landingPage),
                           ("references", DCT.references), ("conformsTo", DCT.conformsTo)):
        for value in _texts(entry.get(key)):
            g.add((node, predicate, _link(value)))
    _publisher(g, node, entry.get("publisher"))
    _contact(g, node, entry.get("contactPoint"))
    _spatial(g, node, entry.get("spatial"))
    _temporal(g, node, entry.get("temporal"))
    distributions = entry.get("distribution") or []
    for distribution in [distributions] if isinstance(distributions, dict) else distributions:
        if isinstance(distribution, dict):
            g.add((node, DCAT.distribution, _distribution(g, distribution)))
    return node


def _distribution(g: rdflib.Graph, entry: dict[str, Any]) -> BNode:
    node = BNode()
    g.add((node, RDF.type, DCAT.Distribution))
    for key, predicate in (("title", DCT.title), ("description", DCT.description), ("format", DCT["format"]),
                           ("mediaType", DCAT.mediaType)):
        _literal(g, node, predicate, entry.get(key))
    for key, predicate in (("downloadURL", DCAT.downloadURL), ("accessURL", DCAT.accessURL),
                           ("conformsTo", DCT.conformsTo), ("describedBy", FOAF.page)):
        for value in _texts(entry.get(key)):
            g.add((node, predicate, _link(value)))
    return node


def _publisher(g: rdflib.Graph, node, value: Any) -> None:
    name = _text(value.get("name")) if isinstance(value, dict) else _text(value)
    if not name:
        return
    agent = BNode()
    g.add((node, DCT.publisher, agent))
    g.add((agent, RDF.type, FOAF.Organization))
    g.add((agent, FOAF.name, Literal(name)))


def _contact(g: rdflib.Graph, node, value: Any) -> None:
    if not isinstance(value, dict):
        return
    name, email = _text(value.get("fn")), _text(value.get("hasEmail"))
    if not (name or email):
        return
    contact = BNode()
    g.add((node, DCAT.contactPoint, contact))
    g.add((contact, RDF.type, VCARD.Kind))
    if name:
        g.add((contact, VCARD.fn, Literal(name)))
    if email:
        g.add((contact, VCARD.hasEmail, URIRef(email if email.lower().startswith("mailto:") else f"mailto:{email}")))


def _spatial(g: rdflib.Graph, node, value: Any) -> None:
    text = json.dumps(value) if isinstance(value, dict) else _text(value)
    if not text:
        return
    place = BNode()
    g.add((node, DCT.spatial, place))
    g.add((place, RDF.type, DCT.Location))
    box = _BOX.match(text)
    if box:
        west, south, east, north = box.groups()
        polygon = f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}))"
        g.add((place, DCAT.bbox, Literal(polygon, datatype=GSP.wktLiteral)))
    elif text.startswith("{"):
        g.add((place, LOCN.geometry, Literal(text, datatype=GEOJSON)))
    else:
        g.add((place, SKOS.prefLabel, Literal(text)))


def _temporal(g: rdflib.Graph, node, value: Any) -> None:
    text = _text(value)
    if not text:
        return
    start, _, end = text.partition("/")
    start, end = start.strip(), end.strip()
    if start.upper().startswith("R"):  # a repeating interval "R/start/duration": its start only
        start, end = end.partition("/")[0].strip(), ""
    if start.lower() in _NO_DATE and end.lower() in _NO_DATE:
        return
    period = BNode()
    g.add((node, DCT.temporal, period))
    g.add((period, RDF.type, DCT.PeriodOfTime))
    if start.lower() not in _NO_DATE:
        g.add((period, DCAT.startDate, Literal(start)))
    if end.lower() not in _NO_DATE and not end.upper().startswith("P"):  # not a duration
        g.add((period, DCAT.endDate, Literal(end)))


def _literal(g: rdflib.Graph, node, predicate, value: Any) -> None:
    text = _text(value)
    if text:
        g.add((node, predicate, Literal(text)))


def _link(value: str):
    return URIRef(value) if _web(value) else Literal(value)


def _web(value: Optional[str]) -> bool:
    return bool(value) and re.match(r"^https?://\S+$", value, re.IGNORECASE) is not None


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return str(value).strip()


def _keywords(value: Any) -> Iterable[str]:
    """DCAT-US keywords are a list; one string instead (``"routes, voirie"``) is that
    list written out, split on its commas."""
    if isinstance(value, str):
        return [keyword for keyword in (part.strip() for part in value.split(",")) if keyword]
    return _texts(value)


def _texts(value: Any) -> Iterable[str]:
    """The strings of a value given as one string or a list of them."""
    values = value if isinstance(value, list) else [value]
    return [text for text in (_text(v) for v in values) if text]
