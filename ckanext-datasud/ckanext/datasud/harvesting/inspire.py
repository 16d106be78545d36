"""INSPIRE metadata (ISO 19139) read the way DataSud needs it, and checked.

ckanext-spatial's ``ISODocument`` reads most of a record; what it misses or reads too
narrowly is read here from the XML: keywords written as ``gmx:Anchor`` (INSPIRE themes
by URI), the thesaurus of each keyword group, the data quality conformance result, the
spatial resolution with its unit, and the constraints split between limitations on
public access and conditions for access and use (where the licence is).

What partners' records really hold, absorbed with a warning naming the record, the field
and the value rather than refused: translations (``gmd:PT_FreeText``: :func:`localised`
keeps one language, French, else English, else the record's own), GML 3.2 as well as
GML 3.1 (:func:`with_gml31` for the XML schema check, :func:`temporal_extent` reads both),
bounding boxes with their corners swapped or out of range (:func:`bounding_boxes`), and
online resources typed by their protocol and name (:func:`online_resources`: format,
data or documentation, the record's own page, intranet-only hosts left out).

Service records (``gmd:hierarchyLevel`` « service », ``srv:SV_ServiceIdentification``:
a partner's WMS, WFS or Atom feed, :func:`is_service`) are imported like the others, as a
dataset whose resources are the service's addresses: its ``gmd:onLine`` links, else the
connect points of its operations (``srv:containsOperations``). What INSPIRE asks of
datasets only (a lineage, an INSPIRE theme) is not asked of them; their classification
keyword (ISO 19119, ``infoMapAccessService``...) is asked instead, and the service type
(``srv:serviceType``: view, download...) becomes a French keyword (« service de
consultation »...) in place of the taxonomy's codes.

INSPIRE checks (:class:`InspireValidator`, registered with ckanext-spatial through
``ISpatialHarvester.get_validators``; the stock harvester only checks the ISO 19139 XML
schema). INSPIRE makes each of these elements mandatory; DataSud refuses a record only
when it cannot make a dataset of it:

errors (the record is refused, nothing is imported):
    no title (``gmd:title``): required by INSPIRE and by DataSud's schema;
warnings (the record is imported, the job report tells the partner what to fix):
    no abstract (the description repeats the title), no lineage (datasets), no
    conformity result for the INSPIRE interoperability regulation (conformity left
    empty), no keyword of the GEMET INSPIRE themes thesaurus (datasets: no INSPIRE
    theme; DataSud themes come from the ISO topic categories or the source's default
    themes), no keyword of the classification of spatial data services (services), no
    geographic bounding box
    (not found by map search), no point of contact of the resource with organisation
    and e-mail, no conditions for access and use (no licence: "not specified" unless
    the source has a default licence).
"""
from __future__ import annotations

import copy
import datetime as dt
import fnmatch
import json
import re
import unicodedata
from typing import Any, Iterable, Optional
from urllib.parse import parse_qsl, urlsplit

from ckanext.spatial.validation.validation import BaseValidator
from lxml import etree

from ckanext.datasud import vocabularies
from ckanext.datasud.harvesting import mapping, values
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


# --- Languages and GML versions ----------------------------------------------------------

GMD = NS["gmd"]
GCO = NS["gco"]
GML31, GML32 = NS["gml"], NS["gml32"]
_LANGUAGES = {"fr": "fr", "fre": "fr", "fra": "fr", "french": "fr", "francais": "fr",
              "en": "en", "eng": "en", "english": "en", "anglais": "en",
              "ca": "ca", "cat": "ca", "catalan": "ca", "es": "es", "spa": "es", "esp": "es", "spanish": "es",
              "de": "de", "ger": "de", "deu": "de", "german": "de", "it": "it", "ita": "it", "italian": "it",
              "oc": "oc", "oci": "oc", "pt": "pt", "por": "pt", "nl": "nl", "dut": "nl", "nld": "nl",
              "sv": "sv", "swe": "sv"}
PREFERRED_LANGUAGES = ("fr", "en")  # DataSud is read in French; English before any other


def language_code(value: Optional[str]) -> str:
    """``fr``, ``en``, ``ca``... for an ISO 639-2 code (``fre``, ``fra``), a two-letter
    code or a locale id (``#FR``, ``locale-fre``, ``FR_fr``); ``""`` when unknown."""
    for word in reversed(normalise((value or "").replace("_", " ")).split()):
        if word in _LANGUAGES:
            return _LANGUAGES[word]
    return ""


def record_languages(xml) -> tuple[str, dict[str, str]]:
    """The record's main language (of the metadata, else of the resource) and its other
    locales (``#id`` → language)."""
    root = _root(xml)
    main = ""
    for node in _xpath(root, "gmd:language/gmd:LanguageCode|gmd:language/gco:CharacterString|"
                             f"{IDENT}/gmd:language/gmd:LanguageCode|{IDENT}/gmd:language/gco:CharacterString"):
        main = language_code(node.get("codeListValue") or node.text)
        if main:
            break
    locales = {}
    for locale in _xpath(root, "gmd:locale/gmd:PT_Locale"):
        codes = _xpath(locale, "gmd:languageCode/gmd:LanguageCode")
        code = language_code(codes[0].get("codeListValue") or codes[0].text) if codes else ""
        locale_id = locale.get("id") or ""
        if locale_id:
            locales["#" + locale_id] = code or language_code(locale_id)
    return main, locales


def chosen_language(main: str, locales: dict[str, str]) -> str:
    """French when the record has it, else English, else its main language."""
    available = {main, *locales.values()}
    return next((language for language in PREFERRED_LANGUAGES if language in available), main)


def localised(xml) -> tuple[Any, str]:
    """A copy of the record where every translated text (``gmd:PT_FreeText``) is replaced
    by one text in the chosen language (:func:`chosen_language`; the main text when
    there is no translation in it), and that language. Readers of the copy (the stock
    ``ISODocument`` as ours) then see one language: titles, abstracts and keywords are
    never a mix of Catalan and English."""
    root = copy.deepcopy(_root(xml))
    main, locales = record_languages(root)
    language = chosen_language(main, locales)
    for free_text in list(root.iter(f"{{{GMD}}}PT_FreeText")):
        prop = free_text.getparent()
        translations: dict[str, str] = {}
        for string in free_text.iterfind(f"{{{GMD}}}textGroup/{{{GMD}}}LocalisedCharacterString"):
            locale = (string.get("locale") or "").strip()
            code = locales.get(locale) or language_code(locale)
            if string.text and string.text.strip():
                translations.setdefault(code, string.text.strip())
        main_node = next((child for child in prop if isinstance(child.tag, str) and child is not free_text), None)
        main_text = (main_node.text or "").strip() if main_node is not None else ""
        if language != main and translations.get(language):
            chosen = translations[language]
        else:
            chosen = main_text or next((translations[code] for code in PREFERRED_LANGUAGES
                                        if translations.get(code)), next(iter(translations.values()), ""))
        prop.remove(free_text)
        if main_node is None:
            main_node = etree.SubElement(prop, f"{{{GCO}}}CharacterString")
        main_node.text = chosen
    return root, language


def with_gml31(xml):
    """A copy of the record with GML 3.2 elements and attributes (current IGN records:
    ``gml:TimePeriod gml:id=...`` in ``http://www.opengis.net/gml/3.2``) in the GML 3.1
    namespace that the ISO 19139 XML schema imports: the schema check then judges the
    rest of the record, not its GML version. The record itself when it has no GML 3.2."""
    root = _root(xml)
    if not any(isinstance(node.tag, str) and node.tag.startswith(f"{{{GML32}}}") for node in root.iter()):
        return root
    root = copy.deepcopy(root)
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag.startswith(f"{{{GML32}}}"):
            node.tag = f"{{{GML31}}}" + node.tag[len(GML32) + 2:]
        for name in [n for n in node.attrib if n.startswith(f"{{{GML32}}}")]:
            node.set(f"{{{GML31}}}" + name[len(GML32) + 2:], node.attrib.pop(name))
    etree.cleanup_namespaces(root)
    return root


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


def is_service(xml) -> bool:
    """A service's metadata (INSPIRE network service: WMS, WFS, Atom...), not a dataset's."""
    root = _root(xml)
    levels = [v.strip().lower() for v in root.xpath("gmd:hierarchyLevel/gmd:MD_ScopeCode/@codeListValue",
                                                    namespaces=NS)]
    if levels:
        return levels[0] == "service"
    return bool(_xpath(root, "gmd:identificationInfo/srv:SV_ServiceIdentification"))


# INSPIRE's spatial data service types (``srv:serviceType``), as the directive names
# them in French (article 11: services de recherche, de consultation, de téléchargement,
# de transformation, permettant d'appeler des services de données géographiques).
SERVICE_TYPES = {
    "discovery": "service de recherche",
    "view": "service de consultation",
    "download": "service de téléchargement",
    "transformation": "service de transformation",
    "invoke": "service d'appel de services",
    "other": "autre service",
}
# A keyword of the classification of spatial data services (ISO 19119's taxonomy:
# ``infoMapAccessService``, ``humanCatalogueViewer``...): a code, not a word for citizens.
_SERVICE_CLASSIFICATION = re.compile(r"^(info|human|geographic|system|spatial|thematic|temporal|metadata|"
                                     r"comEncoding|comGeographicCompression|comGeographicFormatConversion|"
                                     r"comMessaging|comRemoteFileAndExecutableManagement|chain)[A-Z]\w*$")


def service_type(xml) -> Optional[str]:
    """``view``, ``download``... (``srv:serviceType``, lower case), ``None`` when absent."""
    return _first_text(_root(xml), f"{IDENT}/srv:serviceType").strip().lower() or None


def _service_classification(keyword: dict[str, str]) -> bool:
    """A keyword of the classification of spatial data services: its code, its anchor in
    INSPIRE's registry (``SpatialDataServiceCategory``), or its thesaurus."""
    thesaurus = normalise(keyword["thesaurus"])
    return (_service_code(keyword) or "SpatialDataServiceCategory" in keyword["href"] or "19119" in thesaurus
            or "classification of spatial data services" in thesaurus
            or "classification des services de donnees" in thesaurus)


def _service_code(keyword: dict[str, str]) -> bool:
    return bool(_SERVICE_CLASSIFICATION.match(keyword["text"].strip()))


def inspire_themes(xml) -> list[str]:
    uris: list[str] = []
    for keyword in keywords(xml):
        uri = inspire_theme_uri(keyword["text"], keyword["href"], keyword["thesaurus"])
        if uri and uri not in uris:
            uris.append(uri)
    return uris


_INSPIRE_SPECIFICATION = ("1089 2010", "976 2009", "inspire", "2007 2 ce", "2007 2 ec")


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


BOX_PATH = (f"{IDENT}/gmd:extent/gmd:EX_Extent/gmd:geographicElement/gmd:EX_GeographicBoundingBox|"
            f"{IDENT}/srv:extent/gmd:EX_Extent/gmd:geographicElement/gmd:EX_GeographicBoundingBox")
_CORNERS = ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude")


def bounding_boxes(xml) -> tuple[list[tuple[float, float, float, float]], list[tuple[str, str]]]:
    """The record's bounding boxes as ``(west, east, south, north)`` in WGS 84, and what
    was done to the others as ``(value, French note)``: corners given the wrong way round
    (west > east, south > north, as six Géo-IDE records do) are swapped; a box out of
    range (a latitude beyond 90°: projected coordinates) or unreadable is dropped."""
    boxes, notes = [], []
    for box in _xpath(_root(xml), BOX_PATH):
        written = [_first_text(box, f"gmd:{name}") for name in _CORNERS]
        shown = "ouest {0}, est {1}, sud {2}, nord {3}".format(*(w or "?" for w in written))
        try:
            west, east, south, north = (float(w.replace(",", ".")) for w in written)
        except ValueError:
            notes.append((shown, "emprise illisible (quatre nombres attendus) : elle est ignorée."))
            continue
        if not (all(-180 <= x <= 180 for x in (west, east)) and all(-90 <= y <= 90 for y in (south, north))):
            notes.append((shown, "emprise hors des limites du WGS 84 (longitudes entre -180 et 180, latitudes "
                                 "entre -90 et 90 ; coordonnées projetées ?) : elle est ignorée."))
            continue
        if west > east and west - east >= 180:
            notes.append((shown, "emprise à cheval sur l'antiméridien, non prise en charge : elle est ignorée."))
            continue
        swapped = []
        if west > east:
            west, east = east, west
            swapped.append("ouest et est")
        if south > north:
            south, north = north, south
            swapped.append("sud et nord")
        if swapped:
            notes.append((shown, f"bornes inversées ({' ; '.join(swapped)}) : elles sont échangées."))
        boxes.append((west, east, south, north))
    return boxes, notes


def bounding_box(xml) -> Optional[dict[str, Any]]:
    """The GeoJSON geometry (WGS 84) enclosing the record's usable bounding boxes
    (:func:`bounding_boxes`): a polygon, or a point when the box has no area; ``None``
    without a usable box."""
    boxes, _notes = bounding_boxes(xml)
    if not boxes:
        return None
    west, east = min(b[0] for b in boxes), max(b[1] for b in boxes)
    south, north = min(b[2] for b in boxes), max(b[3] for b in boxes)
    if west == east or south == north:
        return {"type": "Point", "coordinates": [west, south]}
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                [west, south]]]}


_TEMPORAL = (f"{IDENT}/gmd:extent/gmd:EX_Extent/gmd:temporalElement/*/gmd:extent/*|"
             f"{IDENT}/srv:extent/gmd:EX_Extent/gmd:temporalElement/*/gmd:extent/*")


def _position(node, names: tuple[str, ...]) -> Optional[str]:
    """The first dated position among ``names`` (local names, any GML version), an
    indeterminate one (``now``, ``unknown``) being none."""
    for name in names:
        for found in node.xpath(f".//*[local-name()='{name}']"):
            text = (found.text or "").strip()
            if text and not found.get("indeterminatePosition"):
                return text
    return None


def temporal_extent(xml) -> tuple[Optional[str], Optional[str]]:
    """The temporal extent's first begin and end as written, in GML 3.1 or 3.2
    (``gml:TimePeriod`` with ``beginPosition``/``endPosition`` or ``begin``/``end``
    instants, or a ``gml:TimeInstant``)."""
    for extent in _xpath(_root(xml), _TEMPORAL):
        if not isinstance(extent.tag, str) or extent.tag.split("}")[0].lstrip("{") not in (GML31, GML32):
            continue
        local = extent.tag.rsplit("}", 1)[-1]
        if local == "TimeInstant":
            instant = _position(extent, ("timePosition",))
            if instant:
                return instant, instant
            continue
        begin = _position(extent, ("beginPosition",)) or next(
            (_position(b, ("timePosition",)) for b in extent.xpath("*[local-name()='begin']")), None)
        end = _position(extent, ("endPosition",)) or next(
            (_position(e, ("timePosition",)) for e in extent.xpath("*[local-name()='end']")), None)
        if begin or end:
            return begin, end
    return None, None


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


def tags(xml) -> list[dict[str, str]]:
    """The keywords as written (apostrophes, slashes...), by DataSud's keyword rule
    (:func:`.values.tag`), without case-insensitive duplicates."""
    result, seen = [], set()
    service = is_service(xml)
    written = [k["text"] for k in keywords(xml) if not (service and _service_code(k))]
    if service:
        written.append(SERVICE_TYPES.get(service_type(xml) or "", ""))
    for text in written:
        name = values.tag(text)
        if name and name.lower() not in seen:
            seen.add(name.lower())
            result.append({"name": name})
    return result


# --- Online resources ------------------------------------------------------------------

ONLINE_PATH = ("gmd:distributionInfo/gmd:MD_Distribution/gmd:transferOptions/gmd:MD_DigitalTransferOptions/"
               "gmd:onLine/gmd:CI_OnlineResource|"
               "gmd:distributionInfo/gmd:MD_Distribution/gmd:distributor/gmd:MD_Distributor/"
               "gmd:distributorTransferOptions/gmd:MD_DigitalTransferOptions/gmd:onLine/gmd:CI_OnlineResource")

# Services, by their protocol (``OGC:WMS-1.3.0-http-get-map``, ``ESRI:REST``...), normalised.
_SERVICES = [(re.compile(pattern), label) for pattern, label in (
    (r"\bwmts\b|web map tile", "WMTS"), (r"\bwms\b|web map service", "WMS"),
    (r"\bwfs\b|web feature service", "WFS"), (r"\bwcs\b|web coverage", "WCS"), (r"\bsos\b", "SOS"),
    (r"ogc ?api features", "OGC API Features"), (r"\batom\b", "ATOM"),
    (r"\besri (rest|arcgis)\b|\barcgis (rest|server|mapserver|featureserver)\b", "ESRI REST"))]
# Formats named in a resource's name, description or protocol (normalised text).
_NAMED_FORMATS = [(re.compile(pattern), label) for pattern, label in (
    (r"\bshape ?files?\b|\bshp\b", "SHP"), (r"\bmif\b|\bmid\b", "MIF/MID"), (r"\bmapinfo\b|\btab\b", "TAB"),
    (r"\bgeojson\b", "GeoJSON"), (r"\bgeopackage\b|\bgpkg\b", "GPKG"), (r"\bkmz\b", "KMZ"),
    (r"\bkml\b", "KML"), (r"\bcsv\b", "CSV"), (r"\bpdf\b", "PDF"), (r"\bxlsx\b|\bexcel\b", "XLSX"),
    (r"\bxls\b", "XLS"), (r"\bods\b", "ODS"), (r"\bdxf\b", "DXF"), (r"\bdwg\b", "DWG"),
    (r"\becw\b", "ECW"), (r"\bjp2\b|jpeg 2000", "JP2"), (r"\bgeotiff\b|\btiff?\b", "TIFF"),
    (r"\bgml\b", "GML"), (r"\bzip\b|\bzippe\b", "ZIP"), (r"\bjson\b", "JSON"),
    (r"\bodt\b", "ODT"), (r"\bdocx?\b|\bword\b", "DOC"))]
# A download's file extension.
_EXTENSIONS = {"zip": "ZIP", "7z": "7Z", "gz": "GZ", "csv": "CSV", "pdf": "PDF", "shp": "SHP", "geojson": "GeoJSON",
               "json": "JSON", "xlsx": "XLSX", "xls": "XLS", "ods": "ODS", "kml": "KML", "kmz": "KMZ",
               "gpkg": "GPKG", "gml": "GML", "tif": "TIFF", "tiff": "TIFF", "ecw": "ECW", "jp2": "JP2",
               "dxf": "DXF", "dwg": "DWG", "odt": "ODT", "doc": "DOC", "docx": "DOCX", "txt": "TXT", "xml": "XML"}
DOCUMENT_FORMATS = ("PDF", "DOC", "DOCX", "ODT", "HTML")
# What a documentation's name says it is (normalised text) → DataSud's document kind.
_DOCUMENT_WORDS = [(re.compile(pattern), kind) for pattern, kind in (
    (r"\bdeliberation", "deliberation"), (r"\bconvention\b", "convention"), (r"\barrete\b", "arrete"),
    (r"\brapport|\bnotice\b|\bnote de presentation|\betude\b", "rapport"),
    (r"\bdocumentation\b|\bguide\b|\bcahier des charges\b|\bspecifications?\b|\bmode d emploi\b|"
     r"\bplaquette\b|\bdescriptif\b|\bdictionnaire des donnees\b", "autre"))]
# A link saying it downloads the data is data, whatever its protocol.
_DATA_WORDS = re.compile(r"\btelecharge|\bdownload|\bextraction\b")
_METADATA_WORDS = re.compile(r"\b(vue|fiche|view)\b.*\b(metadonnees?|metadata)\b|"
                             r"\b(metadonnees?|metadata)\b.*\b(html|xml|record)\b")
_METADATA_URL = re.compile(r"catalog\.search#/metadata/|xml\.metadata\.get|metadata\.show|md\.format\.|"
                           r"/api/records/[^/?#]+/?(formatters/[^/?#]+/?)?([?#]|$)|request=getrecordbyid",
                           re.IGNORECASE)
_XML_VIEW = re.compile(r"\bxml\b|formatters/xml|xml\.metadata|getrecordbyid|md\.format\.xml", re.IGNORECASE)


def _host_excluded(host: str, excluded: Iterable[str]) -> Optional[str]:
    """The pattern of ``excluded`` (a host, or ``*.i2`` for a whole domain) matching ``host``."""
    host = host.lower().rstrip(".")
    for pattern in excluded:
        pattern = pattern.lower().rstrip(".")
        if host == pattern or fnmatch.fnmatchcase(host, pattern) or \
                (pattern.startswith("*.") and host == pattern[2:]):
            return pattern
    return None


def resource_format(url: str, protocol: str, text: str, distribution_formats: list[str]) -> str:
    """A resource's format label from its protocol (a service, a media type), its
    address (``SERVICE=WFS``, a file extension), its name and description, else the
    record's only distribution format; ``""`` when nothing says."""
    said = normalise(protocol)
    for pattern, label in _SERVICES:
        if pattern.search(said):
            return label
    if values.MEDIA_TYPE.match(protocol.strip()):
        label = values.FORMAT_OF_MEDIA_TYPE.get(protocol.strip().lower())
        if label:
            return label
    parts = urlsplit(url)
    service = next((v for k, v in parse_qsl(parts.query) if k.lower() == "service"), "")
    if service.upper() in ("WMS", "WFS", "WCS", "WMTS"):
        return service.upper()
    extension = parts.path.rsplit("/", 1)[-1].rsplit(".", 1)[-1].lower() if "." in parts.path.rsplit("/", 1)[-1] \
        else ""
    if extension in _EXTENSIONS:
        return _EXTENSIONS[extension]
    for words in (normalise(text), said):
        for pattern, label in _NAMED_FORMATS:
            if pattern.search(words):
                return label
    labels = {label for value in distribution_formats for pattern, label in _NAMED_FORMATS
              if pattern.search(normalise(value))}
    return labels.pop() if len(labels) == 1 and "download" in said else ""


def resource_kind(fmt: str, protocol: str, function: str, text: str) -> tuple[str, Optional[str]]:
    """``("data", None)``, or ``("document", <kind>)`` for documentation: a document
    format (PDF, a web page...), or a link whose name says it is a notice, a report, an
    order..."""
    said = normalise(text)
    link = "link" in normalise(protocol) or function == "information"
    documentation = fmt in DOCUMENT_FORMATS or (
        not fmt and (link or any(pattern.search(said) for pattern, _kind in _DOCUMENT_WORDS)))
    if not documentation or (not fmt and _DATA_WORDS.search(said)):
        return "data", None
    kind = next((kind for pattern, kind in _DOCUMENT_WORDS if pattern.search(said)), "autre")
    return "document", kind


def online_resources(xml, excluded_hosts: Iterable[str] = ()) -> tuple[list[dict[str, Any]], Optional[str],
                                                                     list[tuple[str, str, str]]]:
    """The record's online resources (``gmd:onLine``) as DataSud resources, each with its
    format and kind (data, documentation); the record's own HTML page (its metadata view
    on the partner's catalogue: « Vue HTML des métadonnées », GeoNetwork's
    ``catalog.search#/metadata/<uuid>``), which is the landing page, not data; and
    ``(field, value, French note)`` for each resource left out (an intranet host the
    source excludes, an address that is not http(s))."""
    root = _root(xml)
    distribution_formats = [_text(n) for n in _xpath(root, "gmd:distributionInfo/gmd:MD_Distribution/"
                                                          "gmd:distributionFormat/gmd:MD_Format/gmd:name")]
    resources: list[dict[str, Any]] = []
    page: Optional[str] = None
    notes: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for online in _xpath(root, ONLINE_PATH):
        url = _first_text(online, "gmd:linkage/gmd:URL") or _first_text(online, "gmd:linkage")
        if not url or url in seen:
            continue
        seen.add(url)
        protocol = _first_text(online, "gmd:protocol")
        # GeoNetwork's uploaded files: <gmd:name><gmx:MimeFileType type="application/zip">
        mime = (online.xpath("gmd:name/gmx:MimeFileType/@type", namespaces=NS) or [""])[0].strip().lower()
        if mime in values.FORMAT_OF_MEDIA_TYPE and (not protocol or protocol.upper().startswith("WWW:")):
            protocol = mime
        name, description = _first_text(online, "gmd:name"), _first_text(online, "gmd:description")
        function = (online.xpath("gmd:function/gmd:CI_OnLineFunctionCode/@codeListValue", namespaces=NS) or [""])[0]
        text = f"{name} {description}"
        refused = _refused_address(url, excluded_hosts)
        if refused:
            notes.append(("gmd:onLine", url, refused))
            continue
        if _METADATA_WORDS.search(normalise(text)) or _METADATA_URL.search(url):
            if page is None and not _XML_VIEW.search(f"{text} {url}"):
                page = url
            continue  # the record itself, not data
        fmt = resource_format(url, protocol, text, distribution_formats)
        kind, document_kind = resource_kind(fmt, protocol, function, text)
        entry = {"url": url, "name": name or description or None, "description": description if name else "",
                 "format": fmt, "resource_type": kind}
        if document_kind:
            entry["document_kind"] = document_kind
        if values.FORMAT_OF_MEDIA_TYPE.get(protocol.strip().lower()):
            entry["mimetype"] = protocol.strip().lower()
        resources.append(entry)
    if not resources and is_service(root):
        resources += _connect_points(root, excluded_hosts, seen, notes)
    return resources, page, notes


def _refused_address(url: str, excluded_hosts: Iterable[str]) -> Optional[str]:
    """Why a linked address is not imported (French), ``None`` when it is: not a web
    address, or on a host the source excludes (an intranet)."""
    host = (urlsplit(url).hostname or "") if url.lower().startswith(("http://", "https://")) else ""
    if not host or re.search(r"\s", url):
        return "adresse qui n'est pas une adresse web (http:// ou https://) : la ressource n'est pas importée."
    pattern = _host_excluded(host, excluded_hosts)
    if pattern:
        return (f"adresse sur un hôte exclu par la source ({pattern} : réseau interne) : la ressource n'est pas "
                "importée.")
    return None


SERVICE_RESOURCE_NAME = "Service {label} (adresse du service)"


def _connect_points(root, excluded_hosts: Iterable[str], seen: set[str],
                    notes: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """A service record without ``gmd:onLine``: the address of its operations
    (``srv:connectPoint``), GetCapabilities' first, one resource per address."""
    operations = _xpath(root, f"{IDENT}/srv:containsOperations/srv:SV_OperationMetadata")
    operations.sort(key=lambda op: normalise(_first_text(op, "srv:operationName")) != "getcapabilities")
    kind = " ".join(filter(None, [_first_text(root, f"{IDENT}/srv:serviceType"),
                                  _first_text(root, f"{IDENT}/srv:serviceTypeVersion")]))
    found = []
    for operation in operations:
        for point in _xpath(operation, "srv:connectPoint/gmd:CI_OnlineResource"):
            url = _first_text(point, "gmd:linkage/gmd:URL") or _first_text(point, "gmd:linkage")
            if not url or url in seen:
                continue
            seen.add(url)
            refused = _refused_address(url, excluded_hosts)
            if refused:
                notes.append(("srv:connectPoint", url, refused))
                continue
            # the protocol, else the service's type and the address's path (``/atom/...``, ``/wms``)
            said = _first_text(point, "gmd:protocol") or f"{kind} {urlsplit(url).path}"
            fmt = resource_format(url, said, "", [])
            label = fmt or SERVICE_TYPES.get((kind.split() or [""])[0].lower(), "").removeprefix("service ")
            found.append({"url": url, "name": SERVICE_RESOURCE_NAME.format(label=label).replace("  ", " "),
                          "description": _first_text(operation, "srv:operationName"), "format": fmt,
                          "resource_type": "data"})
    return found


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
    def warnings(cls, xml, guid: str = "") -> list[str]:
        """The missing elements, each a warning naming the record (its title and
        ``guid``) and the element."""
        root = _root(xml)
        missing = []
        if not _first_text(root, f"{IDENT}/gmd:abstract"):
            missing.append("pas de résumé (gmd:abstract) : la description du jeu de données reprend son titre.")
        service = is_service(root)
        if not service and not _first_text(root, "gmd:dataQualityInfo/gmd:DQ_DataQuality/gmd:lineage/"
                                                 "gmd:LI_Lineage/gmd:statement"):
            missing.append("pas de généalogie (gmd:lineage) : la généalogie du jeu de données reste vide.")
        if conformity(root) is None:
            regulation = "n° 976/2009 (services en réseau)" if service else "n° 1089/2010"
            missing.append(f"pas de résultat de conformité au règlement (UE) {regulation} "
                           "(gmd:DQ_ConformanceResult) : la conformité INSPIRE n'est pas renseignée.")
        if service and not any(_service_classification(k) for k in keywords(root)):
            missing.append("pas de mot-clé de la classification des services de données géographiques (ISO 19119 : "
                           "infoMapAccessService, infoFeatureAccessService...) : le type du service n'est connu "
                           "que par srv:serviceType.")
        if not service and not inspire_themes(root):
            missing.append("pas de mot-clé du thésaurus « GEMET - INSPIRE themes » : pas de thème INSPIRE ; les "
                           "thèmes DataSud viennent des catégories ISO ou des thèmes par défaut de la source.")
        if not _xpath(root, BOX_PATH):
            missing.append("pas d'emprise géographique (gmd:EX_GeographicBoundingBox) : le jeu de données "
                           "n'apparaît pas dans la recherche cartographique.")
        contact = point_of_contact(root)
        if not (contact.get("resource") and contact.get("name") and contact.get("email")):
            missing.append("pas de point de contact de la ressource avec organisme et courriel "
                           "(gmd:pointOfContact).")
        if not constraints(root)["use"]:
            missing.append("pas de conditions d'accès et d'utilisation (gmd:resourceConstraints) : aucune licence "
                           "n'en est déduite.")
        named = f"fiche {mapping.record_label(_subject(root, guid))} : "
        return [WARNING_PREFIX + named + message for message in missing]


# --- DataSud's record ------------------------------------------------------------------

def record(xml, iso_values: dict[str, Any], package_dict: dict[str, Any], guid: str,
           excluded_hosts: Iterable[str] = ()) -> dict[str, Any]:
    """The harvested record as :func:`mapping.to_datasud` reads it: the stock
    ``package_dict`` (name) and ``iso_values`` of the record in one language
    (:func:`localised`), plus the INSPIRE fields, the online resources typed
    (:func:`online_resources`), the record's own page under ``url`` and the warnings
    about what was absorbed under ``mapping.WARNINGS``."""
    root = _root(xml)
    dates = {d.get("type"): d.get("value") for d in reversed(iso_values.get("dataset-reference-date") or [])}
    revisions = sorted(d.get("value") or "" for d in iso_values.get("dataset-reference-date") or []
                       if d.get("type") == "revision")
    contact = point_of_contact(root)
    licence_id, licence_text = licence(root)
    _boxes, box_notes = bounding_boxes(root)
    geometry = bounding_box(root)
    publisher_name = publisher(root)
    begin, end = temporal_extent(root)
    identifier = iso_values.get("unique-resource-identifier") or ""
    resources, page, resource_notes = online_resources(root, excluded_hosts)
    result: dict[str, Any] = {
        "title": (iso_values.get("title") or "").strip(),
        "notes": (iso_values.get("abstract") or "").strip(),
        "name": package_dict.get("name"),
        "url": page,
        "tags": tags(root),
        "themes": inspire_themes(root) + list(iso_values.get("topic-category") or []),
        "issued": iso_date(dates.get("publication") or dates.get("creation")),
        "modified": iso_date(revisions[-1]) if revisions else None,
        "temporal_start": iso_date(begin),
        "temporal_end": iso_date(end, end=True),
        "provenance": (iso_values.get("lineage") or "").strip() or None,
        "spatial": json.dumps(geometry) if geometry else None,
        "spatial_resolution_in_meters": resolution_in_metres(root),
        "inspire_conformity": conformity(root),
        "frequency": iso_values.get("frequency-of-update") or None,
        "contact": [{"name": contact.get("name"), "email": contact.get("email")}] if contact else [],
        "publisher": [{"name": publisher_name}] if publisher_name else [],
        "resources": resources,
        "extras": [{"key": "guid", "value": guid}] +
                  ([{"key": "identifier", "value": identifier}] if identifier else []),
    }
    if licence_id:
        result["license_id"] = licence_id
    elif licence_text:
        result["license"] = licence_text  # a licence DataSud does not know: kept as written (mapping)
    result = {k: v for k, v in result.items() if v not in (None, "")}
    warnings = [mapping.warning(result, "gmd:EX_GeographicBoundingBox", value, note) for value, note in box_notes]
    warnings += [mapping.warning(result, field, value, note) for field, value, note in resource_notes]
    if warnings:
        result[mapping.WARNINGS] = warnings
    return result


def _subject(root, guid: str) -> dict[str, Any]:
    """The record as :func:`mapping.warning` names it: its title and identifier."""
    return {"title": _first_text(root, f"{IDENT}/gmd:citation/gmd:CI_Citation/gmd:title"),
            "extras": [{"key": "guid", "value": guid}] if guid else []}


def schema_warning(xml, guid: str, profile: str, errors: list[tuple[str, Optional[int]]]) -> str:
    """The warning for a record the XML schema of ``profile`` finds fault with (it is
    imported all the same: partners' catalogues hold many such records): its first
    remark, in the schema's own words, and how many there are."""
    remarks = [(message, line) for message, line in errors if line is not None or not message.endswith(
        "Validation Error")] or [("schéma non respecté", None)]
    message, line = remarks[0]
    return mapping.warning(_subject(_root(xml), guid), f"schéma XML ({profile})", f"ligne {line} : {message}" if line else message,
                           f"fiche non conforme au schéma XML ISO 19139 ({len(remarks)} écart(s), le premier "
                           "cité) : elle est importée quand même ; à corriger dans le catalogue du partenaire.")
