"""INSPIRE metadata (ISO 19139) read the way DataSud needs it, and checked.

ckanext-spatial's ``ISODocument`` reads most of a record; what it misses or reads too
narrowly is read here from the XML: keywords written as ``gmx:Anchor`` (INSPIRE themes
by URI), the thesaurus of each keyword group, the data quality conformance result, the
spatial resolution with its unit, and the constraints split between limitations on
public access and conditions for access and use (where the licence is).

INSPIRE checks (:class:`InspireValidator`, registered with ckanext-spatial through
``ISpatialHarvester.get_validators``; the stock harvester only checks the ISO 19139 XML
schema). INSPIRE makes each of these elements mandatory; DataSud refuses a record only
when it cannot make a dataset of it:

errors (the record is refused, nothing is imported):
    no title (``gmd:title``): required by INSPIRE and by DataSud's schema;
warnings (the record is imported, the job report tells the partner what to fix):
    no abstract (the description repeats the title), no lineage, no conformity result
    for the INSPIRE interoperability regulation (conformity left empty), no keyword of
    the GEMET INSPIRE themes thesaurus (no INSPIRE theme; DataSud themes come from the
    ISO topic categories or the source's default themes), no geographic bounding box
    (not found by map search), no point of contact of the resource with organisation
    and e-mail, no conditions for access and use (no licence: "not specified" unless
    the source has a default licence).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from typing import Any, Optional

from ckanext.spatial.validation.validation import BaseValidator

from ckanext.datasud import vocabularies
from ckanext.datasud.licences import licence_id_for

NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "srv": "http://www.isotc211.org/2005/srv",
    "gml": "http://www.opengis.net/gml",
    "gml32": "http://www.opengis.net/gml/3.2",
    "xlink": "http://www.w3.org/1999/xlink",
}
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
IDENT = "gmd:identificationInfo/*"

WARNING_PREFIX = "Avertissement INSPIRE : "


def _xpath(node, path: str) -> list:
    return node.xpath(path, namespaces=NS)


def _root(xml):
    return xml.getroot() if hasattr(xml, "getroot") else xml


def _text(node) -> str:
    """The text of a character string property (gco:CharacterString, gmx:Anchor...)."""
    if node is None:
        return ""
    if node.text and node.text.strip():
        return " ".join(node.text.split())
    for child in node:
        if isinstance(child.tag, str) and child.text and child.text.strip():
            return " ".join(child.text.split())
    return ""


def _first_text(node, path: str) -> str:
    for found in _xpath(node, path):
        text = _text(found)
        if text:
            return text
    return ""


def normalise(text: str) -> str:
    """Lower-case ASCII words: accents, case, punctuation and dashes do not matter."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text).split())


# INSPIRE theme labels (French and English, as the GEMET thesaurus gives them) → URI
_THEME_LABELS: dict[str, str] = {}
for _term in vocabularies.INSPIRE_THEMES:
    _THEME_LABELS[normalise(_term.fr)] = _term.value
    _THEME_LABELS[normalise(_term.en)] = _term.value
_INSPIRE_THEME_URI = re.compile(r"^https?://inspire\.ec\.europa\.eu/theme/([a-z]{2})/?$", re.IGNORECASE)


def inspire_theme_uri(label: str, href: str = "", thesaurus: str = "") -> Optional[str]:
    """The INSPIRE theme URI of a keyword: an anchor to the theme's URI, or a label of
    the GEMET INSPIRE themes thesaurus (French or English)."""
    match = _INSPIRE_THEME_URI.match((href or "").strip())
    if match:
        uri = vocabularies.INSPIRE_THEME + match.group(1).lower()
        return uri if uri in vocabularies.values("inspire_themes") else None
    if "inspire" in normalise(thesaurus):
        return _THEME_LABELS.get(normalise(label))
    return None


# --- Reading -------------------------------------------------------------------------

def keywords(xml) -> list[dict[str, str]]:
    """Every keyword of the resource: its text, its anchor's URI, its thesaurus."""
    found = []
    for group in _xpath(_root(xml), f"{IDENT}/gmd:descriptiveKeywords/gmd:MD_Keywords"):
        title_nodes = _xpath(group, "gmd:thesaurusName/gmd:CI_Citation/gmd:title")
        thesaurus = _text(title_nodes[0]) if title_nodes else ""
        if title_nodes:
            for child in title_nodes[0]:
                thesaurus += " " + (child.get(XLINK_HREF) or "")
        for keyword in _xpath(group, "gmd:keyword/*"):
            text = " ".join((keyword.text or "").split())
            href = (keyword.get(XLINK_HREF) or "").strip()
            if text or href:
                found.append({"text": text, "href": href, "thesaurus": thesaurus.strip()})
    return found


def inspire_themes(xml) -> list[str]:
    uris: list[str] = []
    for keyword in keywords(xml):
        uri = inspire_theme_uri(keyword["text"], keyword["href"], keyword["thesaurus"])
        if uri and uri not in uris:
            uris.append(uri)
    return uris


_INSPIRE_SPECIFICATION = ("1089 2010", "inspire", "2007 2 ce", "2007 2 ec")


def conformity(xml) -> Optional[str]:
    """``conformant``, ``not-conformant`` or ``not-evaluated`` for the conformance result
    about the INSPIRE interoperability regulation; ``None`` without one."""
    results = _xpath(_root(xml), "gmd:dataQualityInfo/gmd:DQ_DataQuality/gmd:report/*/gmd:result/"
                                 "gmd:DQ_ConformanceResult")
    for result in results:
        specification = normalise(_first_text(result, "gmd:specification/gmd:CI_Citation/gmd:title"))
        if not any(marker in specification for marker in _INSPIRE_SPECIFICATION):
            continue
        value = normalise(_first_text(result, "gmd:pass"))
        if value in ("true", "1"):
            return "conformant"
        if value in ("false", "0"):
            return "not-conformant"
        return "not-evaluated"  # gco:nilReason, or empty
    return None


_METRES = {"m": 1.0, "meter": 1.0, "meters": 1.0, "metre": 1.0, "metres": 1.0, "metre s": 1.0, "9001": 1.0,
           "km": 1000.0, "kilometer": 1000.0, "kilometers": 1000.0, "kilometre": 1000.0, "kilometres": 1000.0,
           "9036": 1000.0, "cm": 0.01, "centimetre": 0.01, "centimeter": 0.01, "1033": 0.01}


def resolution_in_metres(xml) -> Optional[float]:
    """The first spatial resolution given as a distance, in metres (a distance in an
    unknown unit, and equivalent scales, are left out)."""
    for distance in _xpath(_root(xml), f"{IDENT}/gmd:spatialResolution/gmd:MD_Resolution/gmd:distance/"
                                       "gco:Distance"):
        try:
            value = float((distance.text or "").strip().replace(",", "."))
        except ValueError:
            continue
        unit = normalise(distance.get("uom") or "m")
        factor = _METRES.get(unit) or _METRES.get(unit.rsplit(" ", 1)[-1])
        if factor and value > 0:
            return round(value * factor, 6)
    return None


def constraints(xml) -> dict[str, list[dict[str, str]]]:
    """``use``: conditions for access and use (where the licence is); ``access``:
    limitations on public access. Each entry: its text and its anchor's URI."""
    result: dict[str, list[dict[str, str]]] = {"use": [], "access": []}
    for constraint in _xpath(_root(xml), f"{IDENT}/gmd:resourceConstraints/*"):
        for limitation in _xpath(constraint, "gmd:useLimitation/*"):
            _add(result["use"], limitation)
        if _xpath(constraint, "gmd:useConstraints"):
            kind = "use"
        elif _xpath(constraint, "gmd:accessConstraints"):
            kind = "access"
        else:
            kind = "use"
        for other in _xpath(constraint, "gmd:otherConstraints/*"):
            _add(result[kind], other)
    return result


def _add(entries: list, node) -> None:
    text = " ".join((node.text or "").split())
    href = (node.get(XLINK_HREF) or "").strip()
    if text or href:
        entries.append({"text": text, "href": href})


_URL = re.compile(r"https?://[^\s<>\"')]+")


def licence(xml) -> tuple[Optional[str], Optional[str]]:
    """Our licence id from the conditions for access and use, else the first condition
    as written (a licence DataSud does not know); ``(None, None)`` without conditions."""
    use = constraints(xml)["use"]
    for entry in use:
        candidates = [entry["href"], entry["text"]] + _URL.findall(entry["text"])
        candidates += [entry["text"][:m.start()].strip(" -–—:,;") for m in _URL.finditer(entry["text"])]
        for candidate in candidates:
            licence_id = licence_id_for(candidate) if candidate else None
            if licence_id and licence_id != "notspecified":
                return licence_id, None
    for entry in use:
        if entry["text"] or entry["href"]:
            return None, entry["text"] or entry["href"]
    return None, None


def bounding_box(xml) -> Optional[dict[str, Any]]:
    """The GeoJSON geometry (WGS 84) enclosing the record's bounding boxes: a polygon, or
    a point when the box has no area; ``None`` without a usable box."""
    boxes = []
    for box in _xpath(_root(xml), f"{IDENT}/gmd:extent/gmd:EX_Extent/gmd:geographicElement/"
                                  "gmd:EX_GeographicBoundingBox|"
                                  f"{IDENT}/srv:extent/gmd:EX_Extent/gmd:geographicElement/"
                                  "gmd:EX_GeographicBoundingBox"):
        try:
            west, east, south, north = (float(_first_text(box, f"gmd:{name}").replace(",", ".")) for name in
                                        ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude",
                                         "northBoundLatitude"))
        except ValueError:
            continue
        if -180 <= west <= east <= 180 and -90 <= south <= north <= 90:
            boxes.append((west, east, south, north))
    if not boxes:
        return None
    west, east = min(b[0] for b in boxes), max(b[1] for b in boxes)
    south, north = min(b[2] for b in boxes), max(b[3] for b in boxes)
    if west == east or south == north:
        return {"type": "Point", "coordinates": [west, south]}
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                [west, south]]]}


def point_of_contact(xml) -> dict[str, str]:
    """The resource's point of contact (organisation, e-mail), the metadata contact when
    the resource has none."""
    for path in (f"{IDENT}/gmd:pointOfContact/gmd:CI_ResponsibleParty", "gmd:contact/gmd:CI_ResponsibleParty"):
        for party in _xpath(_root(xml), path):
            name = _first_text(party, "gmd:organisationName") or _first_text(party, "gmd:individualName")
            email = _first_text(party, "gmd:contactInfo/gmd:CI_Contact/gmd:address/gmd:CI_Address/"
                                       "gmd:electronicMailAddress")
            if name or email:
                return {"name": name, "email": email, "resource": path.startswith(IDENT)}
    return {}


def publisher(xml) -> str:
    for party in _xpath(_root(xml), f"{IDENT}/gmd:pointOfContact/gmd:CI_ResponsibleParty"):
        role = party.xpath("gmd:role/gmd:CI_RoleCode/@codeListValue", namespaces=NS)
        if role and role[0] == "publisher":
            return _first_text(party, "gmd:organisationName")
    return ""


def iso_date(value: Any, end: bool = False) -> Optional[str]:
    """An ISO 8601 date (or date-time) from the dates ISO 19139 records hold: full dates,
    date-times, or only a year or a month (the first, or for an end the last, day)."""
    text = str(value or "").strip()
    if not text:
        return None
    if re.fullmatch(r"\d{4}", text):
        return f"{text}-12-31" if end else f"{text}-01-01"
    month = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if month:
        year, number = int(month.group(1)), int(month.group(2))
        if not 1 <= number <= 12:
            return None
        if not end:
            return f"{text}-01"
        following = dt.date(year + number // 12, number % 12 + 1, 1)
        return (following - dt.timedelta(days=1)).isoformat()
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
        try:
            return parse(text.replace("Z", "+00:00")).isoformat()
        except ValueError:
            continue
    return None


_TAG = re.compile(r"[^\w \-.]+", re.UNICODE)


def tags(xml) -> list[dict[str, str]]:
    """The keywords as CKAN tags (letters, digits, spaces, ``-_.``; 2 to 100 characters)."""
    result, seen = [], set()
    for keyword in keywords(xml):
        name = " ".join(_TAG.sub(" ", keyword["text"]).split()).strip(" -.")[:100].strip()
        if len(name) >= 2 and name.lower() not in seen:
            seen.add(name.lower())
            result.append({"name": name})
    return result


# --- Checks --------------------------------------------------------------------------

class InspireValidator(BaseValidator):
    """The INSPIRE elements of a record: :meth:`is_valid` gives the errors (the record is
    refused), :meth:`warnings` what is missing but does not stop the import."""

    name = "datasud-inspire"
    title = "Éléments obligatoires INSPIRE (DataSud)"

    @classmethod
    def errors(cls, xml) -> list[str]:
        root = _root(xml)
        if not _first_text(root, f"{IDENT}/gmd:citation/gmd:CI_Citation/gmd:title"):
            return ["Fiche sans titre (gmd:title) : elle n'est pas importée. Le titre est obligatoire pour "
                    "INSPIRE comme pour DataSud."]
        return []

    @classmethod
    def is_valid(cls, xml):
        errors = cls.errors(xml)
        return not errors, [(message, None) for message in errors]

    @classmethod
    def warnings(cls, xml) -> list[str]:
        root = _root(xml)
        missing = []
        if not _first_text(root, f"{IDENT}/gmd:abstract"):
            missing.append("pas de résumé (gmd:abstract) : la description du jeu de données reprend son titre.")
        if not _first_text(root, "gmd:dataQualityInfo/gmd:DQ_DataQuality/gmd:lineage/gmd:LI_Lineage/"
                                 "gmd:statement"):
            missing.append("pas de généalogie (gmd:lineage) : la généalogie du jeu de données reste vide.")
        if conformity(root) is None:
            missing.append("pas de résultat de conformité au règlement (UE) n° 1089/2010 "
                           "(gmd:DQ_ConformanceResult) : la conformité INSPIRE n'est pas renseignée.")
        if not inspire_themes(root):
            missing.append("pas de mot-clé du thésaurus « GEMET - INSPIRE themes » : pas de thème INSPIRE ; les "
                           "thèmes DataSud viennent des catégories ISO ou des thèmes par défaut de la source.")
        if bounding_box(root) is None:
            missing.append("pas d'emprise géographique (gmd:EX_GeographicBoundingBox) : le jeu de données "
                           "n'apparaît pas dans la recherche cartographique.")
        contact = point_of_contact(root)
        if not (contact.get("resource") and contact.get("name") and contact.get("email")):
            missing.append("pas de point de contact de la ressource avec organisme et courriel "
                           "(gmd:pointOfContact).")
        if not constraints(root)["use"]:
            missing.append("pas de conditions d'accès et d'utilisation (gmd:resourceConstraints) : aucune licence "
                           "n'en est déduite.")
        return [WARNING_PREFIX + message for message in missing]


# --- DataSud's record ------------------------------------------------------------------

def record(xml, iso_values: dict[str, Any], package_dict: dict[str, Any], guid: str) -> dict[str, Any]:
    """The harvested record as :func:`mapping.to_datasud` reads it: the stock
    ``package_dict`` (resources, name) and ``iso_values``, plus the INSPIRE fields."""
    root = _root(xml)
    dates = {d.get("type"): d.get("value") for d in reversed(iso_values.get("dataset-reference-date") or [])}
    revisions = sorted(d.get("value") or "" for d in iso_values.get("dataset-reference-date") or []
                       if d.get("type") == "revision")
    contact = point_of_contact(root)
    licence_id, licence_text = licence(root)
    geometry = bounding_box(root)
    publisher_name = publisher(root)
    begins, ends = iso_values.get("temporal-extent-begin") or [], iso_values.get("temporal-extent-end") or []
    identifier = iso_values.get("unique-resource-identifier") or ""
    result: dict[str, Any] = {
        "title": (iso_values.get("title") or "").strip(),
        "notes": (iso_values.get("abstract") or "").strip(),
        "name": package_dict.get("name"),
        "tags": tags(root),
        "themes": inspire_themes(root) + list(iso_values.get("topic-category") or []),
        "issued": iso_date(dates.get("publication") or dates.get("creation")),
        "modified": iso_date(revisions[-1]) if revisions else None,
        "temporal_start": iso_date(begins[0]) if begins else None,
        "temporal_end": iso_date(ends[0], end=True) if ends else None,
        "provenance": (iso_values.get("lineage") or "").strip() or None,
        "spatial": json.dumps(geometry) if geometry else None,
        "spatial_resolution_in_meters": resolution_in_metres(root),
        "inspire_conformity": conformity(root),
        "frequency": iso_values.get("frequency-of-update") or None,
        "contact": [{"name": contact.get("name"), "email": contact.get("email")}] if contact else [],
        "publisher": [{"name": publisher_name}] if publisher_name else [],
        "resources": [resource(r) for r in package_dict.get("resources") or []],
        "extras": [{"key": "guid", "value": guid}] +
                  ([{"key": "identifier", "value": identifier}] if identifier else []),
    }
    if licence_id:
        result["license_id"] = licence_id
    elif licence_text:
        result["license"] = licence_text  # a licence DataSud does not know: kept as written (mapping)
    return {k: v for k, v in result.items() if v not in (None, "")}


def resource(stock: dict[str, Any]) -> dict[str, Any]:
    """A resource of the stock package_dict (an online resource of the record), its
    format as a label (``WMS``, ``ZIP``, ``CSV``)."""
    fmt = (stock.get("format") or "").strip()
    if "/" in fmt:  # a media type guessed from the URL
        fmt = fmt.rsplit("/", 1)[-1]
    return {"url": stock.get("url"), "name": stock.get("name"), "description": stock.get("description") or "",
            "format": fmt.upper()}
