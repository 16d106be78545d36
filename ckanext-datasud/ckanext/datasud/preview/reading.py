"""Reading a stored data file into a preview: the first rows of a table, a GeoJSON's
summary, a PDF's check. Every file is untrusted: what cannot be read gives a
:class:`Preview` with a ``problem`` code (translated by the plugin), never an exception.

Nothing here renders HTML: cells are plain strings, escaped by the templates.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import itertools
import json
import logging
import math
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Optional
from urllib.parse import urlsplit

import ckan.plugins.toolkit as tk

log = logging.getLogger(__name__)

__all__ = [
    "TABLE", "SPREADSHEET", "GEOJSON", "PDF", "Preview", "kind_of", "stored_path", "max_size",
    "max_rows", "read", "read_table", "read_spreadsheet", "read_geojson", "read_pdf",
    "PROBLEMS", "preview_of",
]

# Kinds of preview
TABLE, SPREADSHEET, GEOJSON, PDF = "table", "spreadsheet", "geojson", "pdf"

# What a resource's format, media type or file extension says about its kind.
_FORMATS = {
    "csv": TABLE, "tsv": TABLE, "text/csv": TABLE, "text/tab-separated-values": TABLE,
    "xlsx": SPREADSHEET,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": SPREADSHEET,
    "geojson": GEOJSON, "application/geo+json": GEOJSON, "application/vnd.geo+json": GEOJSON,
    "pdf": PDF, "application/pdf": PDF,
}
_EXTENSIONS = {".csv": TABLE, ".tsv": TABLE, ".xlsx": SPREADSHEET, ".geojson": GEOJSON, ".pdf": PDF}

# Why a preview is not shown (the plugin gives each its French message).
PROBLEMS = ("elsewhere", "missing", "too_big", "empty", "binary", "not_csv", "not_xlsx", "xlsx_too_big",
            "not_geojson", "no_geometry", "not_wgs84", "not_pdf")

MAX_COLUMNS = 50        # columns shown; the others are counted
MAX_CELL = 300          # characters shown of a cell
SNIFF_CHARS = 16384     # characters the CSV dialect is guessed from
XLSX_EXPANSION = 20     # an XLSX may hold at most this many times max_size uncompressed
XLSX_RATIO = 200        # and no member compressed more than this (zip bombs)
XLSX_SCAN_ROWS = 5000   # empty rows skipped at most before giving up looking for more


@dataclass
class Preview:
    """What the resource page shows of a file."""

    kind: str
    problem: Optional[str] = None       # one of PROBLEMS, or None when previewable
    size: int = 0                       # bytes of the stored file
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    more_rows: bool = False             # rows (or features) beyond those shown
    total_rows: Optional[int] = None    # data rows (or features) in all, when known
    more_columns: bool = False          # columns beyond MAX_COLUMNS, not shown
    delimiter: Optional[str] = None     # CSV: the separator found
    encoding: Optional[str] = None      # CSV: the encoding read
    sheet: Optional[str] = None         # XLSX: the sheet shown
    sheets: int = 0                     # XLSX: sheets in the workbook
    bbox: Optional[list[float]] = None  # GeoJSON: [west, south, east, north]

    @property
    def ok(self) -> bool:
        return self.problem is None


# --- Which files, how much ----------------------------------------------------------------

def max_size() -> int:
    return tk.config.get("ckanext.datasud.preview.max_size")


def max_rows() -> int:
    return max(1, tk.config.get("ckanext.datasud.preview.rows"))


def kind_of(resource: dict) -> Optional[str]:
    """The preview kind of a resource, from its format, else its media type, else the
    extension of its file name; None when we do not preview it."""
    for value in (resource.get("format"), resource.get("mimetype")):
        value = (value or "").strip().lower()
        if value.startswith("."):
            value = value[1:]
        if value in _FORMATS:
            return _FORMATS[value]
    path = urlsplit(resource.get("url") or "").path.lower()
    return _EXTENSIONS.get(os.path.splitext(path)[1])


def stored_path(resource: dict) -> Optional[str]:
    """Where the resource's file is in DataSud's storage (an upload or a copy made in
    download mode), or None for a link to another site."""
    if resource.get("url_type") != "upload" or not resource.get("id"):
        return None
    from ckan.lib import uploader

    upload = uploader.get_resource_uploader(resource)
    if not getattr(upload, "storage_path", None):
        return None
    try:
        return upload.get_path(resource["id"])
    except tk.ValidationError:
        return None


def read(kind: str, path: str, limit: Optional[int] = None, rows: Optional[int] = None,
         delimiter: Optional[str] = None) -> Preview:
    """The preview of the stored file ``path`` read as ``kind``."""
    limit = max_size() if limit is None else limit
    rows = max_rows() if rows is None else rows
    try:
        size = os.path.getsize(path)
    except OSError:
        return Preview(kind, "missing")
    if size > limit:
        return Preview(kind, "too_big", size)
    if size == 0:
        return Preview(kind, "empty", 0)
    if kind == SPREADSHEET:
        preview = read_spreadsheet(path, rows, limit)
    elif kind == PDF:
        with open(path, "rb") as stream:
            preview = read_pdf(stream.read(1024))
    else:
        with open(path, "rb") as stream:
            data = stream.read(limit + 1)
        if kind == GEOJSON:
            preview = read_geojson(data, rows)
        else:
            preview = read_table(data, rows, delimiter)
    preview.size = size
    return preview


# --- CSV / TSV ---------------------------------------------------------------------------

def _decode(data: bytes) -> tuple[Optional[str], Optional[str]]:
    """The text and its encoding: UTF-8 (with or without BOM), UTF-16 with a BOM, else
    Windows-1252 (Latin-1 for the bytes it leaves undefined)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            return None, None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            return None, None
    if b"\x00" in data:
        return None, None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "ISO-8859-1"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MARKUP = re.compile(r"\s*<(?:!doctype|html|head|body|script|\?xml|svg|!--|[a-z][a-z0-9]*[\s>/])", re.IGNORECASE)


def _binary(text: str) -> bool:
    """Control characters in more than 1 % of the first characters: not text."""
    sample = text[:SNIFF_CHARS]
    return len(_CONTROL.findall(sample)) > max(2, len(sample) // 100)


def _sniff(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=";,\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in ";,\t|"}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _cell(value: str) -> str:
    value = value.strip()
    return value if len(value) <= MAX_CELL else value[:MAX_CELL - 1] + "…"


def _table(kind: str, records: Iterable[list[str]], rows: int) -> Preview:
    """The header (first non-empty record) and the first ``rows`` records, ragged rows
    padded, columns beyond MAX_COLUMNS counted; the records after them counted."""
    records = (r for r in records if any((c or "").strip() for c in r))
    header = next(records, None)
    preview = Preview(kind)
    if header is None:
        preview.problem = "empty"
        return preview
    width = len(header)
    shown = list(itertools.islice(records, rows))
    width = max([width] + [len(r) for r in shown])
    extra = 0
    for _record in records:
        extra += 1
    preview.more_columns = width > MAX_COLUMNS
    width = min(width, MAX_COLUMNS)
    preview.columns = [_cell(c) for c in header[:width]] + [""] * (width - len(header))
    preview.rows = [[_cell(c) for c in r[:width]] + [""] * (width - len(r)) for r in shown]
    preview.more_rows = extra > 0
    preview.total_rows = len(shown) + extra
    return preview


def read_table(data: bytes, rows: int, delimiter: Optional[str] = None) -> Preview:
    """A CSV or TSV file's first rows."""
    text, encoding = _decode(data)
    if text is None or _binary(text):
        return Preview(TABLE, "binary")
    if not text.strip():
        return Preview(TABLE, "empty")
    if _MARKUP.match(text):
        return Preview(TABLE, "not_csv")  # an HTML or XML page saved as .csv
    delimiter = delimiter or _sniff(text[:SNIFF_CHARS])
    try:
        preview = _table(TABLE, csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), rows)
    except csv.Error as error:  # a field beyond csv's limit, a stray NUL…
        log.info("CSV not previewed: %s", error)
        return Preview(TABLE, "not_csv")
    preview.delimiter, preview.encoding = delimiter, encoding
    return preview


# --- XLSX ---------------------------------------------------------------------------------

def _safe_workbook(path: str, limit: int) -> Optional[str]:
    """Why the file is not a workbook we open (a problem code), else None: not a zip, no
    workbook part, or more than XLSX_EXPANSION × limit once uncompressed (the sizes a
    zip declares bound what zipfile will inflate), or a member compressed beyond
    XLSX_RATIO (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "not_xlsx"
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        return "not_xlsx"
    if sum(m.file_size for m in members) > XLSX_EXPANSION * max(limit, 1 << 20):
        return "xlsx_too_big"
    for member in members:
        if member.file_size > (1 << 20) and member.file_size > XLSX_RATIO * max(member.compress_size, 1):
            return "xlsx_too_big"
    return None


def _spreadsheet_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M:%S" if value.second else "%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def _sheet_records(sheet) -> Iterator[list[str]]:
    empty = 0
    for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
        record = [_spreadsheet_value(v) for v in values]
        while record and not record[-1]:  # read-only sheets pad rows to the widest
            record.pop()
        if record:
            empty = 0
            yield record
        else:
            empty += 1
            if empty > XLSX_SCAN_ROWS:  # a sheet declaring a million empty rows
                return


def read_spreadsheet(path: str, rows: int, limit: Optional[int] = None) -> Preview:
    """The first sheet of an XLSX workbook: its first rows (cached values of formulas)."""
    limit = max_size() if limit is None else limit
    problem = _safe_workbook(path, limit)
    if problem:
        return Preview(SPREADSHEET, problem)
    import openpyxl  # defusedxml installed: openpyxl parses without entities

    # a file object: openpyxl refuses a path without an .xlsx extension (the storage's)
    with open(path, "rb") as stream:
        try:
            workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except Exception as error:  # noqa: BLE001 - an untrusted file: any failure is "unreadable"
            log.info("XLSX not previewed: %r", error)
            return Preview(SPREADSHEET, "not_xlsx")
        try:
            return _first_sheet(workbook, rows)
        except Exception as error:  # noqa: BLE001 - same: broken XML inside the zip, bad styles…
            log.info("XLSX not previewed: %r", error)
            return Preview(SPREADSHEET, "not_xlsx")
        finally:
            workbook.close()


def _first_sheet(workbook, rows: int) -> Preview:
    sheets = workbook.worksheets
    if not sheets:
        return Preview(SPREADSHEET, "empty")
    sheet = sheets[0]
    records = _sheet_records(sheet)
    header = next(records, None)
    if header is None:
        return Preview(SPREADSHEET, "empty")
    shown = list(itertools.islice(records, rows))
    more = next(records, None) is not None
    preview = _table(SPREADSHEET, [header] + shown, rows)
    preview.more_rows = more
    preview.total_rows = None if more else len(shown)
    preview.sheet, preview.sheets = sheet.title, len(sheets)
    return preview


# --- GeoJSON ------------------------------------------------------------------------------

_GEOMETRIES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
               "GeometryCollection"}


def _positions(geometry: Any) -> Iterator[tuple[float, float]]:
    """Every position of a GeoJSON geometry (a ValueError for anything malformed)."""
    stack = [geometry]
    while stack:
        item = stack.pop()
        if item is None:
            continue
        if not isinstance(item, dict) or item.get("type") not in _GEOMETRIES:
            raise ValueError("not a geometry")
        if item["type"] == "GeometryCollection":
            stack.extend(item.get("geometries") or [])
            continue
        coordinates = [item.get("coordinates")]
        while coordinates:
            value = coordinates.pop()
            if not isinstance(value, list) or not value:
                raise ValueError("bad coordinates")
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
                if len(value) < 2 or not all(math.isfinite(v) for v in value):
                    raise ValueError("bad position")
                yield float(value[0]), float(value[1])
            else:
                coordinates.extend(value)


def _property(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def read_geojson(data: bytes, rows: int) -> Preview:
    """A GeoJSON file checked (every position a longitude/latitude) and summarised."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return Preview(GEOJSON, "not_geojson")
    if not isinstance(document, dict):
        return Preview(GEOJSON, "not_geojson")
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
    elif kind == "Feature":
        features = [document]
    elif kind in _GEOMETRIES:
        features = [{"type": "Feature", "geometry": document, "properties": {}}]
    else:
        return Preview(GEOJSON, "not_geojson")
    if not isinstance(features, list) or not all(isinstance(f, dict) and f.get("type") == "Feature"
                                                 for f in features):
        return Preview(GEOJSON, "not_geojson")
    west = south = math.inf
    east = north = -math.inf
    try:
        for feature in features:
            for lon, lat in _positions(feature.get("geometry")):
                west, east = min(west, lon), max(east, lon)
                south, north = min(south, lat), max(north, lat)
    except ValueError:
        return Preview(GEOJSON, "not_geojson")
    if west == math.inf:
        return Preview(GEOJSON, "no_geometry")
    if west < -180 or east > 180 or south < -90 or north > 90:
        return Preview(GEOJSON, "not_wgs84")  # projected coordinates (Lambert 93…)
    columns: list[str] = []
    for feature in features[:rows]:
        properties = feature.get("properties")
        for key in properties if isinstance(properties, dict) else ():
            if key not in columns:
                columns.append(key)
    preview = Preview(GEOJSON, bbox=[west, south, east, north])
    preview.more_columns = len(columns) > MAX_COLUMNS
    columns = columns[:MAX_COLUMNS]
    preview.columns = [_cell(str(c)) for c in columns]
    for feature in features[:rows]:
        properties = feature.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        preview.rows.append([_cell(_property(properties.get(c))) for c in columns])
    preview.total_rows = len(features)
    preview.more_rows = len(features) > rows
    return preview


# --- PDF ----------------------------------------------------------------------------------

def read_pdf(head: bytes) -> Preview:
    """A PDF is shown by the browser: checked only by its header (in its first 1024 bytes)."""
    return Preview(PDF, None if b"%PDF-" in head[:1024] else "not_pdf")


# --- Cached per web worker ----------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def _read(kind: str, path: str, mtime_ns: int, size: int, limit: int, rows: int,
          delimiter: Optional[str]) -> Preview:
    # mtime and size in the key: a replaced file is read again
    return read(kind, path, limit, rows, delimiter)


def preview_of(resource: dict) -> Preview:
    """The preview of a resource's stored file (kept per web worker while the file is
    unchanged: the page does not parse the file at each view)."""
    kind = kind_of(resource) or TABLE
    path = stored_path(resource)
    if path is None:
        return Preview(kind, "missing")
    try:
        stat = os.stat(path)
    except OSError:
        return Preview(kind, "missing")
    tsv = (resource.get("format") or "").strip().lower() in ("tsv", "text/tab-separated-values") \
        or path.lower().endswith(".tsv") or (resource.get("url") or "").lower().endswith(".tsv")
    return _read(kind, path, stat.st_mtime_ns, stat.st_size, max_size(), max_rows(),
                 "\t" if tsv else None)
