"""Harvested values as DataSud's schema stores them: media types, formats, checksums, web
addresses, keywords and dates, whatever form partners' catalogues give them in.

Partners write these values in many forms (IANA URIs for media types, bare hexadecimal
checksums, blank-node ids as landing pages, keywords with slashes, French dates); the
schema accepts one form of each. Each function here returns the value in the schema's
form, or ``None`` when nothing usable is left, and a French note (``None`` when the
value was kept as written or only put in canonical form) saying what was changed or
dropped. :mod:`.mapping` turns each note into a warning naming the record, the field
and the value (``mapping.warning``), so that a detail never refuses a record.

Pure functions (no CKAN, no database): the keyword rule :func:`tag` is also the one
DataSud's schema enforces on every dataset (``logic/validators.py``).
"""
from __future__ import annotations

import calendar
import datetime as dt
import html
import re
from html.parser import HTMLParser
from typing import Iterable, Optional
from urllib.parse import urlsplit

Noted = tuple[Optional[str], Optional[str]]  # (kept value or None, French note or None)

# --- Plain text ------------------------------------------------------------------------

# An HTML tag, as the schema's ``datasud_no_html`` refuses it (titles, names, contacts).
HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def plain_text(value: Optional[str]) -> Noted:
    """A title or a name without HTML tags (exports from CMSs and ArcGIS Hub carry
    ``<b>``, ``<br>``, ``<p>``): the tags are removed, their entities read, the spaces
    collapsed."""
    if value is None:
        return None, None
    text = str(value)
    if not HTML_TAG.search(text):
        return text, None
    cleaned = HTML_TAG.sub(" ", text)
    cleaned = HTML_TAG.sub(" ", html.unescape(cleaned))  # "&lt;b&gt;" written as text
    cleaned = " ".join(cleaned.split())
    return (cleaned or None), "balises HTML retirées (elles ne sont pas permises dans ce champ)."


# A Markdown autolink, <https://…> or <mailto:…> or <name@host.tld>: not an HTML tag.
AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^<>\s]+|[^<>\s@/]+@[^<>\s@]+\.[A-Za-z]{2,})>", re.IGNORECASE)


class _MarkdownWriter(HTMLParser):
    """HTML written out as Markdown text: paragraphs and line breaks, list items, links;
    every other tag dropped, its text kept (scripts' and styles' dropped too)."""

    BLOCKS = {"p", "div", "section", "article", "header", "footer", "blockquote", "pre", "table", "tr",
              "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
    HIDDEN = {"script", "style", "head", "title", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.link: Optional[tuple[str, list[str]]] = None

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "a" and self.link is None:
            href = (dict(attrs).get("href") or "").strip()
            if re.match(r"^(https?://|mailto:)\S+$", href, re.IGNORECASE):
                self.link = (href, [])

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.link is not None:
            href, words = self.link
            self.link = None
            text = " ".join("".join(words).split())
            self.parts.append(href if not text or text == href else f"[{text}]({href})")

    def handle_data(self, data):
        if self.hidden:
            return
        text = re.sub(r"\s+", " ", data)
        (self.link[1] if self.link is not None else self.parts).append(text)

    def text(self) -> str:
        if self.link is not None:
            self.handle_endtag("a")
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def description(value: Optional[str]) -> Noted:
    """A description as the dataset page renders it (Markdown): one written in HTML
    (ArcGIS Hub's, CMSs') is written out as text, its paragraphs, line breaks, list items
    and links kept, its other tags dropped (CKAN would drop them all, paragraphs run
    together)."""
    if value is None:
        return None, None
    text = str(value)
    if not HTML_TAG.search(AUTOLINK.sub("", text)):  # Markdown, its <https://…> links included
        return text, None
    writer = _MarkdownWriter()
    writer.feed(AUTOLINK.sub(r"\1", text))
    writer.close()
    written = writer.text()
    if written.split() == text.split():  # "a < b > c": text, not tags
        return text, None
    return (written or None), "description en HTML réécrite en texte (paragraphes, listes et liens gardés)."


# --- Media types and formats ---------------------------------------------------------

# "type/subtype", as the schema's ``datasud_media_type`` accepts it (logic/validators.py).
MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$", re.IGNORECASE)
# The IANA register's URIs of media types (DCAT-AP 2/3's form), http or https, www or not.
IANA_URI = re.compile(r"^https?://(?:www\.)?iana\.org/assignments/media-types/(.+?)/*$", re.IGNORECASE)
EU_FILE_TYPE = re.compile(r"^https?://publications\.europa\.eu/resource/authority/file-type/(.+?)/*$",
                          re.IGNORECASE)

# Common media types → the format label CKAN (and our DCAT export, dcat.FILE_TYPES) uses.
FORMAT_OF_MEDIA_TYPE = {
    "text/csv": "CSV", "text/tab-separated-values": "TSV", "application/json": "JSON",
    "application/geo+json": "GeoJSON", "application/vnd.geo+json": "GeoJSON", "application/xml": "XML",
    "text/xml": "XML", "text/html": "HTML", "application/pdf": "PDF", "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS", "application/zip": "ZIP",
    "application/x-zip-compressed": "ZIP", "application/x-shapefile": "SHP", "application/x-esri-shape": "SHP",
    "application/vnd.google-earth.kml+xml": "KML", "application/vnd.google-earth.kmz": "KMZ",
    "application/geopackage+sqlite3": "GPKG", "application/rdf+xml": "RDF", "text/turtle": "TTL",
    "text/plain": "TXT", "application/msword": "DOC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.oasis.opendocument.text": "ODT", "image/png": "PNG", "image/jpeg": "JPEG",
    "image/tiff": "TIFF", "application/gml+xml": "GML", "application/ld+json": "JSON-LD",
}


def media_type(value: Optional[str]) -> Noted:
    """``text/csv`` for ``text/csv``, ``TEXT/CSV; charset=utf-8`` or the IANA URI
    ``https://www.iana.org/assignments/media-types/text/csv``; ``None`` with a note for
    anything that is not a media type (a format name, an EU file-type URI...)."""
    text = (value or "").strip()
    if not text:
        return None, None
    match = IANA_URI.match(text)
    candidate = match.group(1) if match else text.split(";", 1)[0].strip()
    if MEDIA_TYPE.match(candidate):
        return candidate.lower(), None
    return None, "type de média illisible (attendu : type/sous-type, ex. text/csv) : il est ignoré."


def format_label(value: Optional[str]) -> str:
    """A format label (``CSV``) for a label, a media type or a URI of the EU file-type
    authority or of the IANA register; ``""`` when there is none."""
    text = (value or "").strip()
    if not text:
        return ""
    match = EU_FILE_TYPE.match(text)
    if match:
        return match.group(1).replace("_", " ")
    iana = IANA_URI.match(text)
    if iana or (MEDIA_TYPE.match(text.split(";", 1)[0].strip()) and "://" not in text):
        kind = (iana.group(1) if iana else text.split(";", 1)[0].strip()).lower()
        return FORMAT_OF_MEDIA_TYPE.get(kind) or kind.rsplit("/", 1)[-1].upper()
    return text


# --- Checksums -----------------------------------------------------------------------

# Algorithms the schema's ``datasud_checksum`` stores (``<algorithm>:<hex>``), with the
# length of their hexadecimal value.
CHECKSUM_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
ALGORITHM_BY_LENGTH = {length: name for name, length in CHECKSUM_LENGTHS.items()}
HEX = re.compile(r"^[0-9a-f]+$")


def checksum_algorithm(value: Optional[str]) -> Optional[str]:
    """``sha1`` for ``spdx:checksumAlgorithm_sha1`` (as URI or name), ``SHA-1``, ``sha1``...;
    the name as written (lower case, no punctuation) when not one the schema stores."""
    text = (value or "").strip()
    if not text:
        return None
    name = re.split(r"[#/:]", text)[-1]
    name = re.sub(r"^checksumAlgorithm_", "", name, flags=re.IGNORECASE)
    return re.sub(r"[^a-z0-9]", "", name.lower()) or None


def checksum(value: Optional[str], algorithm: Optional[str] = None) -> Noted:
    """A checksum in the schema's form ``<algorithm>:<hex>`` (``sha1:…``, ``sha256:…``,
    ``sha512:…``, ``md5:…``), from a prefixed value or a bare hexadecimal value and its
    algorithm (``spdx:algorithm``); without algorithm, the only one of that length (with a
    note). ``None`` with a note when the value or the algorithm cannot be stored."""
    text = re.sub(r"\s", "", value or "").lower()
    if not text:
        return None, None
    named = checksum_algorithm(algorithm)
    prefix, sep, rest = text.partition(":")
    if sep:
        named, text = checksum_algorithm(prefix), rest
    if not HEX.match(text):
        return None, "somme de contrôle illisible (valeur hexadécimale attendue) : elle est ignorée."
    if named is None:
        guessed = ALGORITHM_BY_LENGTH.get(len(text))
        if guessed is None:
            return None, "somme de contrôle sans algorithme, de longueur inconnue : elle est ignorée."
        return f"{guessed}:{text}", f"algorithme non indiqué, déduit de la longueur de la valeur : {guessed}."
    if named not in CHECKSUM_LENGTHS:
        return None, (f"algorithme de somme de contrôle non pris en charge ({named} ; acceptés : "
                      f"{', '.join(CHECKSUM_LENGTHS)}) : elle est ignorée.")
    if len(text) != CHECKSUM_LENGTHS[named]:
        return None, (f"une somme {named} compte {CHECKSUM_LENGTHS[named]} chiffres hexadécimaux, celle-ci "
                      f"{len(text)} : elle est ignorée.")
    return f"{named}:{text}", None


# --- Web addresses -------------------------------------------------------------------

WEB_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)  # datasud_url's rule too
# rdflib's blank-node ids ("N" + 32 hex digits; "n" + 32 hex digits + "b" + a number from its
# Turtle parser) and the "_:" notation of Turtle, N-Triples and JSON-LD
BLANK_NODE = re.compile(r"^(_:\S*|[Nn][0-9a-f]{32}(b\d+)?)$")
SERVICE_QUERY = re.compile(r"(^|&)(service=(wms|wfs|wcs|wmts|csw|wps|sos)|request=getcapabilities)(&|$)",
                           re.IGNORECASE)
SERVICE_PATH = re.compile(r"/(wms|wfs|wcs|wmts|csw|ows|wps)(/|$)", re.IGNORECASE)


def web_url(value: Optional[str]) -> Noted:
    """An http(s) address as the schema stores it (what a browser would follow), or
    ``None`` with a note: a blank-node id, an address with a space or a control character,
    another scheme (``ftp:``, ``file:``, ``urn:``...)."""
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        return None, None
    if BLANK_NODE.match(text):
        return None, "identifiant de nœud anonyme (blank node), pas une adresse web : il est ignoré."
    if any(ord(c) < 32 or ord(c) == 127 for c in text) or re.search(r"\s", text):
        return None, "adresse web contenant des espaces ou des caractères de contrôle : elle est ignorée."
    if not WEB_URL.match(text):
        return None, "adresse web invalide (http:// ou https:// attendu) : elle est ignorée."
    return text, None


def is_service_endpoint(url: str) -> bool:
    """Whether an address is an OGC service (WMS, WFS...) rather than a page to read."""
    parts = urlsplit(url)
    return bool(SERVICE_QUERY.search(parts.query) or SERVICE_PATH.search(parts.path))


LOCAL_ADDRESS_NOTE = ("adresse locale du serveur du partenaire (localhost), pas une page publique : elle n'est "
                      "pas reprise.")


def is_local_address(url: str) -> bool:
    """An address only the partner's own server can follow (``http://localhost:8080/…``:
    GeoNetwork's base URL left unconfigured)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def landing_page(candidates: Iterable[Optional[str]]) -> tuple[Optional[str], list[tuple[str, str]]]:
    """The landing page among a record's ``dcat:landingPage`` values: the first usable
    address that is a page rather than a service endpoint (a WMS, a WFS), else the first
    usable one; and ``(value, note)`` for each unusable value, dropped."""
    usable, notes = [], []
    for candidate in candidates:
        if candidate in (None, ""):
            continue
        kept, note = web_url(str(candidate))
        if kept and is_local_address(kept):
            kept, note = None, LOCAL_ADDRESS_NOTE
        if kept and kept not in usable:
            usable.append(kept)
        elif note:
            notes.append((str(candidate), note))
    pages = [u for u in usable if not is_service_endpoint(u)]
    return (pages or usable or [None])[0], notes


# --- Keywords (tags) -------------------------------------------------------------------

TAG_MAX_LENGTH = 100  # CKAN's tag table (ckan.model.tag.MAX_TAG_LENGTH)
# What a DataSud keyword cannot hold: control characters, < and > (markup), and " and \
# (CKAN's search page quotes a tag facet as tags:"<value>" without escaping).
TAG_FORBIDDEN = re.compile(r'[<>"\\\x00-\x1f\x7f-\x9f]')


def tag(text: Optional[str]) -> Optional[str]:
    """A keyword as DataSud stores it, kept as written (apostrophes, slashes, commas,
    accents...): forbidden characters become spaces, whitespace is collapsed, a keyword
    longer than 100 characters is cut at a word boundary; ``None`` when nothing is left.

    The schema accepts exactly the keywords ``k`` for which ``tag(k) == k``."""
    collapsed = " ".join(TAG_FORBIDDEN.sub(" ", str(text or "")).split())
    if len(collapsed) > TAG_MAX_LENGTH:
        cut = collapsed[:TAG_MAX_LENGTH + 1].rsplit(" ", 1)[0]
        collapsed = (cut if 0 < len(cut) <= TAG_MAX_LENGTH else collapsed[:TAG_MAX_LENGTH]).rstrip(" ,;:/-")
    return collapsed or None


def tag_problem(text: str) -> Optional[str]:
    """Why ``text`` is not a DataSud keyword (English, for the schema's message), or
    ``None`` when it is one."""
    if not text or not text.strip():
        return "empty"
    if len(text) > TAG_MAX_LENGTH:
        return "too long"
    if TAG_FORBIDDEN.search(text):
        return "forbidden character"
    return None


def tags(names: Iterable[Optional[str]]) -> tuple[list[str], list[tuple[str, str]]]:
    """A record's keywords as DataSud stores them (:func:`tag`), without case-insensitive
    duplicates; and ``(value, note)`` for each keyword shortened or changed."""
    kept: list[str] = []
    seen: set[str] = set()
    notes: list[tuple[str, str]] = []
    for name in names:
        written = " ".join(str(name or "").split())
        cleaned = tag(written)
        if cleaned is None:
            if written:
                notes.append((written, "mot-clé sans caractère utilisable : il est ignoré."))
            continue
        if len(written) > TAG_MAX_LENGTH:
            notes.append((written, f"mot-clé de plus de {TAG_MAX_LENGTH} caractères, raccourci en « {cleaned} »."))
        elif cleaned != written:
            notes.append((written, f"caractères non admis (< > \" \\ ou de contrôle) remplacés : « {cleaned} »."))
        if cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            kept.append(cleaned)
    return kept, notes


# --- Dates ---------------------------------------------------------------------------

MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1, "fevrier": 2, "février": 2, "fevr": 2, "févr": 2,
    "fev": 2, "fév": 2, "feb": 2, "february": 2, "mars": 3, "mar": 3, "march": 3, "avril": 4, "avr": 4,
    "apr": 4, "april": 4, "mai": 5, "may": 5, "juin": 6, "jun": 6, "june": 6, "juillet": 7, "juil": 7,
    "jul": 7, "july": 7, "aout": 8, "août": 8, "aug": 8, "august": 8, "septembre": 9, "sept": 9, "sep": 9,
    "september": 9, "octobre": 10, "oct": 10, "october": 10, "novembre": 11, "nov": 11, "november": 11,
    "decembre": 12, "décembre": 12, "dec": 12, "déc": 12, "december": 12,
}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})$")
YEAR_FIRST = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})$")
DATE_WITH_ZONE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:?\d{2})$")  # xsd:date may carry one
COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
YEAR_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
YEAR = re.compile(r"^(\d{4})$")
NAMED_MONTH = re.compile(r"^(?:(\d{1,2})(?:er)?\s+)?([^\W\d_]+)\.?\s+(\d{4})$")
NAMED_MONTH_US = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")


def _day(year: int, month: int, day: Optional[int], end: bool) -> Optional[dt.date]:
    """The date, or for a month given without day its first (its last for an end)."""
    if not (1 <= month <= 12):
        return None
    if day is None:
        day = calendar.monthrange(year, month)[1] if end else 1
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:  # 06/05/09: this century unless it would be in the future
        year += 2000 if year <= dt.date.today().year % 100 + 1 else 1900
    return year


def _read(text: str, end: bool) -> tuple[Optional[dt.date], str]:
    """A non-ISO date and how it was read (``day``, ``ambiguous``, ``us``, ``partial``)."""
    match = NUMERIC_DATE.match(text)
    if match:
        first, second, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
        if first <= 12 < second:  # 05/23/2009: only a US date reads
            return _day(year, first, second, end), "us"
        kind = "ambiguous" if first <= 12 and second <= 12 and first != second else "day"
        return _day(year, second, first, end), kind
    for pattern in (YEAR_FIRST, COMPACT):
        match = pattern.match(text)
        if match:
            return _day(int(match.group(1)), int(match.group(2)), int(match.group(3)), end), "day"
    match = YEAR_MONTH.match(text)
    if match:
        return _day(int(match.group(1)), int(match.group(2)), None, end), "partial"
    match = MONTH_YEAR.match(text)
    if match:
        return _day(int(match.group(2)), int(match.group(1)), None, end), "partial"
    match = YEAR.match(text)
    if match:
        return _day(int(match.group(1)), 12 if end else 1, None, end), "partial"
    match = NAMED_MONTH.match(text.lower())
    if match and match.group(2) in MONTHS:
        day = int(match.group(1)) if match.group(1) else None
        return _day(int(match.group(3)), MONTHS[match.group(2)], day, end), "day" if day else "partial"
    match = NAMED_MONTH_US.match(text.lower())
    if match and match.group(1) in MONTHS:
        return _day(int(match.group(3)), MONTHS[match.group(1)], int(match.group(2)), end), "day"
    return None, ""


def date(value: Optional[str], end: bool = False) -> Noted:
    """An ISO 8601 date (``2009-05-06``), or date-time when it has a time of day, for a
    date in the forms partners write: ISO (a midnight time is dropped), ``06/05/2009``,
    ``6.5.2009``, ``20090506``, ``6 mai 2009`` (French day first), ``05/23/2009`` (US,
    only when the day cannot be a month), ``mai 2009``, ``2009-05``, ``2009`` (the first
    day of the period, its last for an ``end``). ``None`` with a note when unreadable."""
    text = (str(value) if value is not None else "").strip()
    if not text:
        return None, None
    zoned = DATE_WITH_ZONE.match(text)
    if zoned:
        text = zoned.group(1)
    if ISO_DATE.match(text) or ISO_DATE_TIME.match(text):
        try:
            if ISO_DATE.match(text):
                return dt.date.fromisoformat(text).isoformat(), None
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None, "date impossible : elle est ignorée."
        if moment.time() == dt.time(0, 0):
            return moment.date().isoformat(), None
        return moment.isoformat(), None
    read, kind = _read(text, end)
    if read is None:
        return None, "date illisible (attendu : AAAA-MM-JJ, ou JJ/MM/AAAA) : elle est ignorée."
    iso = read.isoformat()
    if kind == "us":
        return iso, f"date au format américain (mois/jour/année), lue comme le {iso}."
    if kind == "ambiguous":
        return iso, f"date ambiguë lue au format français (jour/mois/année) : {iso}."
    if kind == "partial":
        return iso, f"date incomplète, comptée comme le {iso}."
    return iso, f"date hors format ISO 8601, lue comme le {iso}."


# --- Update frequency ------------------------------------------------------------------

def _folded(text: str) -> str:
    """Lower case, without accents, apostrophes or punctuation, single spaces."""
    import unicodedata
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


# Other names of the EU frequencies (codes of the EU table stored as URIs): ISO 19115's
# MD_MaintenanceFrequencyCode (INSPIRE records), English words, French words and
# adjectives in both genders, OpenDataFrance's SCDL labels; folded by ``_folded``.
FREQUENCY_ALIASES = {
    "CONT": ("continual", "continuous", "continuously updated", "en continu", "continu", "continue",
             "continuel", "continuelle", "temps reel", "real time"),
    "DAILY": ("day", "quotidien", "quotidienne", "journalier", "journaliere", "tous les jours",
              "quotidienne ou plusieurs fois par jour"),
    "WEEKLY": ("week", "hebdomadaire", "chaque semaine", "hebdomadaire ou plusieurs fois par semaine"),
    "MONTHLY": ("month", "mensuel", "mensuelle", "chaque mois", "mensuelle ou plusieurs fois par mois"),
    "QUARTERLY": ("trimestriel", "trimestrielle", "chaque trimestre"),
    "ANNUAL_2": ("biannually", "biannual", "semiannual", "semi annual", "semestriel", "semestrielle",
                 "deux fois par an"),
    "ANNUAL": ("annually", "yearly", "year", "annuel", "annuelle", "chaque annee", "tous les ans"),
    "BIENNIAL": ("biennially", "biennal", "biennale", "tous les deux ans"),
    "IRREG": ("irregular", "as needed", "asneeded", "irregulier", "irreguliere", "ponctuel", "ponctuelle",
              "a la demande", "selon les besoins"),
    "NEVER": ("notplanned", "not planned", "jamais", "aucune", "donnees figees", "jamais donnees figees"),
    "UNKNOWN": ("inconnu", "inconnue", "non renseignee", "unknown"),
}


# ISO 8601 repeating intervals, as DCAT-US (Project Open Data) writes accrualPeriodicity.
ISO_FREQUENCIES = {
    "R/PT1S": "CONT", "R/PT1M": "CONT", "R/PT1H": "CONT",
    "R/P1D": "DAILY", "R/P1W": "WEEKLY", "R/P7D": "WEEKLY", "R/P1M": "MONTHLY", "R/P3M": "QUARTERLY",
    "R/P6M": "ANNUAL_2", "R/P1Y": "ANNUAL", "R/P12M": "ANNUAL", "R/P2Y": "BIENNIAL",
}


def frequency(value: Optional[str]) -> Optional[str]:
    """The EU frequency URI DataSud stores for ``value``: that URI (any case, a trailing
    slash; another vocabulary's URI is read by its last segment), its code (``ANNUAL``, ``annual``), its French or English label in the
    vocabulary (« Annuelle », « Annual »), or another name of it (``FREQUENCY_ALIASES``:
    « annuel », ISO 19115's ``annually``, the SCDL's « Mensuelle ou plusieurs fois par
    mois »), an ISO 8601 repeating interval (DCAT-US's ``R/P1M``); ``None`` when nothing
    matches."""
    from ckanext.datasud import vocabularies
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if re.match(r"^https?://", text, re.IGNORECASE):
        # the EU table's URI, or another vocabulary's (Dublin Core's
        # http://purl.org/cld/freq/monthly, INSPIRE's …/MaintenanceFrequency/annually)
        text = text.rstrip("/").rsplit("/", 1)[-1]
    known = {term.value.rsplit("/", 1)[-1]: term for term in vocabularies.FREQUENCIES}
    iso = ISO_FREQUENCIES.get(re.sub(r"\s+", "", text).upper())
    if iso:
        return known[iso].value
    if text.upper() in known:
        return known[text.upper()].value
    folded = _folded(text)
    for code, term in known.items():
        names = {_folded(term.fr), _folded(term.en), _folded(code), *FREQUENCY_ALIASES.get(code, ())}
        if folded in names:
            return term.value
    return None


def frequency_names() -> list[str]:
    """What the frequency field accepts, as an error message lists it: each EU code with
    its French label."""
    from ckanext.datasud import vocabularies
    return [f"{term.value.rsplit('/', 1)[-1]} ({term.fr})" for term in vocabularies.FREQUENCIES]
