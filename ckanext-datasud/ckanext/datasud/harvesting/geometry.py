"""Geometries as partners write them in RDF (GeoDCAT-AP ``locn:geometry``, DCAT
``dcat:bbox`` / ``dcat:centroid``): WKT (``gsp:wktLiteral``, with or without a leading
CRS URI), GeoJSON (``gsp:geoJSONLiteral``) or GML (``gsp:gmlLiteral``: an envelope, a
polygon or a point), always turned into a GeoJSON geometry in WGS 84 longitude/latitude.

A WKT or GML value whose CRS is EPSG:4326 gives latitude first (the EPSG axis order):
it is swapped. Whatever cannot be read, or falls outside WGS 84, gives ``None``: the
caller warns.
"""
from __future__ import annotations

import json
import re
from typing import Any, Optional
from xml.etree import ElementTree

from shapely import wkt
from shapely.geometry import mapping, shape

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                  "GeometryCollection")
_CRS_PREFIX = re.compile(r"^\s*<([^>]*)>\s*")


def _latitude_first(crs: str) -> bool:
    """Whether a CRS URI or name gives latitude first (EPSG:4326, not OGC's CRS84)."""
    crs = (crs or "").upper()
    return "4326" in crs and "CRS84" not in crs


def _swapped(geometry: dict[str, Any]) -> dict[str, Any]:
    def swap(coords):
        if coords and isinstance(coords[0], (int, float)):
            return [coords[1], coords[0], *coords[2:]]
        return [swap(c) for c in coords]
    return {"type": geometry["type"], "coordinates": swap(geometry["coordinates"])}


def _checked(geometry: Any) -> Optional[dict[str, Any]]:
    """The geometry if it is a valid one in WGS 84 longitude/latitude, else ``None``."""
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        return None
    try:
        geom = shape(geometry)
    except Exception:  # noqa: BLE001 - shapely raises several kinds
        return None
    if geom.is_empty or not geom.is_valid:
        return None
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return None
    return json.loads(json.dumps(mapping(geom)))  # tuples → lists


def _from_wkt(text: str) -> Optional[dict[str, Any]]:
    crs = ""
    match = _CRS_PREFIX.match(text)
    if match:
        crs, text = match.group(1), text[match.end():]
    try:
        geometry = mapping(wkt.loads(text))
    except Exception:  # noqa: BLE001 - shapely raises several kinds
        return None
    geometry = json.loads(json.dumps(geometry))
    return _swapped(geometry) if _latitude_first(crs) else geometry


def _numbers(text: str) -> list[float]:
    return [float(n) for n in (text or "").replace(",", " ").split()]


def _pairs(numbers: list[float]) -> list[list[float]]:
    return [numbers[i:i + 2] for i in range(0, len(numbers) - 1, 2)]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _from_gml(text: str) -> Optional[dict[str, Any]]:
    """An envelope, a polygon (its exterior ring) or a point, GML 2, 3.1 or 3.2."""
    if "<!" in text:  # no DTD, no entity in a geometry
        return None
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None
    crs = root.get("srsName") or ""
    elements = {_local(e.tag): e for e in reversed(list(root.iter()))}
    geometry = None
    try:
        if "lowerCorner" in elements and "upperCorner" in elements:
            (x1, y1), (x2, y2) = _numbers(elements["lowerCorner"].text), _numbers(elements["upperCorner"].text)
            geometry = {"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}
        elif "posList" in elements or "coordinates" in elements and _local(root.tag) != "Point":
            node = elements.get("posList")
            ring = _pairs(_numbers(node.text)) if node is not None else \
                [_numbers(p.replace(",", " ")) for p in elements["coordinates"].text.split()]
            geometry = {"type": "Polygon", "coordinates": [ring]}
        elif "pos" in elements or "coordinates" in elements:
            node = elements.get("pos") if "pos" in elements else elements["coordinates"]
            geometry = {"type": "Point", "coordinates": _numbers(node.text)[:2]}
    except (TypeError, ValueError):
        return None
    if geometry is None:
        return None
    return _swapped(geometry) if _latitude_first(crs) else geometry


def to_geojson(value: Any) -> Optional[dict[str, Any]]:
    """A GeoJSON geometry for a WKT, GeoJSON or GML value, else ``None``."""
    text = str(value or "").strip()
    if not text:
        return None
    if text.startswith("{"):
        try:
            return _checked(json.loads(text))
        except ValueError:
            return None
    crs = _CRS_PREFIX.match(text)
    if text.startswith("<") and not (crs and crs.group(1).startswith(("http", "urn:"))):
        return _checked(_from_gml(text))
    return _checked(_from_wkt(text))
