"""Validators of DataSud's schemas (registered by ``tk.blanket.validators``).

Messages are English msgids translated into French by the extension's catalogue
(i18n/fr), so API clients and form users get field-level errors in French.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.lib.navl.dictization_functions import Missing, missing

from ckanext.datasud import vocabularies
from ckanext.datasud.harvesting import values as harvested_values

__all__ = [
    "datasud_choices", "datasud_required_list", "datasud_themes_required", "datasud_email", "datasud_url", "datasud_document_url",
    "datasud_resource_url",
    "datasud_landing_page", "datasud_licence", "datasud_date", "datasud_temporal_end",
    "datasud_geojson", "datasud_spatial_code", "datasud_siren", "datasud_no_html",
    "datasud_positive_number", "datasud_positive_integer", "datasud_checksum",
    "datasud_media_type", "datasud_document_kind", "datasud_frequency",
    # DataSud's keyword rule replaces CKAN's, for every dataset (see tag_name_validator)
    "tag_name_validator", "tag_length_validator", "datasud_tag_string",
]

_ = tk._
Invalid = tk.Invalid


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is used."""
    return message


def _empty(value: Any) -> bool:
    return value is missing or value is None or value == "" or value == [] or isinstance(value, Missing)


def _as_list(value: Any) -> list[str]:
    if _empty(value):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise Invalid(_("Invalid list of values."))
        else:
            value = [v for v in text.split(",")] if "," in text else [text]
    if not isinstance(value, (list, tuple)):
        raise Invalid(_("Invalid list of values."))
    return [str(v).strip() for v in value if str(v).strip()]


def datasud_choices(vocabulary: str):
    """A value (or, for a multiple field, a list of values) of a DataSud vocabulary.

    Lists are stored as a JSON list, as ckanext-scheming's multiple fields are.
    """
    allowed = vocabularies.values(vocabulary)

    def validator(key, data, errors, context):
        value = data.get(key)
        if _empty(value):
            return
        multiple = vocabulary == "themes"
        try:
            values = _as_list(value) if multiple else [str(value).strip()]
        except Invalid as e:
            errors[key].append(e.error)
            return
        unknown = [v for v in values if v not in allowed]
        if unknown:
            errors[key].append(_('Unknown value: "{value}". Allowed values: {allowed}.').format(
                value=", ".join(unknown), allowed=", ".join(sorted(allowed))))
            return
        if multiple:
            # keep the vocabulary's order, without duplicates
            data[key] = json.dumps([v for v in (c["value"] for c in vocabularies.VOCABULARIES[vocabulary]())
                                    if v in values])
        else:
            data[key] = values[0]

    validator.__name__ = f"datasud_choices_{vocabulary}"
    return validator


def datasud_frequency(value):
    """The update frequency, stored as its EU vocabulary URI; given as that URI, its code
    (``ANNUAL``, ``annual``), its French or English label (« Annuelle », « annuel ») or
    another usual name of it (``harvesting/values.py``: the API and the harvesters read it
    alike)."""
    if _empty(value):
        return value
    uri = harvested_values.frequency(value if isinstance(value, str) else None)
    if uri is None:
        raise Invalid(_('Unknown value: "{value}". Accepted values: the code, its French label or its EU URI '
                        '(http://publications.europa.eu/resource/authority/frequency/<code>): {allowed}.').format(
            value=value, allowed=", ".join(harvested_values.frequency_names())))
    return uri


def datasud_required_list(key, data, errors, context):
    try:
        values = _as_list(data.get(key))
    except Invalid:
        return  # reported by the choices validator
    if not values:
        errors[key].append(_("Choose at least one value."))
        raise tk.StopOnError


def datasud_themes_required(key, data, errors, context):
    """Themes are required, except in a dataset a harvest imports: a partner's record
    whose themes map to none of DataSud's (and whose source has no default themes) is
    imported without themes, with a warning in the job report, rather than refused."""
    from ckanext.datasud.harvesting import records
    if records.current() is None:
        datasud_required_list(key, data, errors, context)
    elif _empty(data.get(key)):
        data[key] = "[]"  # stored as the empty list ckanext-scheming's multiple fields read


EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def datasud_email(value):
    if _empty(value):
        return value
    value = value.strip()
    if not EMAIL.match(value) or len(value) > 254:
        raise Invalid(_('Invalid email address: "{value}".').format(value=value))
    return value


URL = harvested_values.WEB_URL
# A path of this site (a stored scanned convention): no scheme, no other host
SITE_PATH = re.compile(r"^/(?![/\\])[^\s\\]*$")


def _web_address(value) -> str:
    """An http(s) URL as it will be stored, or Invalid: no other scheme (javascript:,
    data:, vbscript:, file:...), whatever its case, spaces, control characters or HTML
    entities; a link is what a browser would follow."""
    if not isinstance(value, str) or not URL.match(value.strip()) or any(
            ord(c) < 32 or ord(c) == 127 for c in value.strip()):
        raise Invalid(_('Invalid web address: "{value}" (it must start with http:// or https://).')
                      .format(value=value))
    return value.strip()


def datasud_url(value):
    if _empty(value):
        return value
    return _web_address(value)


def datasud_document_url(value):
    """A scanned convention: a web address, or the path of a document stored here."""
    if _empty(value):
        return value
    if isinstance(value, str) and SITE_PATH.match(value.strip()):
        return value.strip()
    return _web_address(value)


def datasud_resource_url(key, data, errors, context):
    """A resource's link: an http(s) URL. An uploaded file's ``url`` is its file name
    (``url_type`` ``upload``): CKAN serves it."""
    value = data.get(key)
    if _empty(value) or data.get(key[:-1] + ("url_type",)) == "upload":
        return
    try:
        data[key] = _web_address(value)
    except Invalid as e:
        errors[key].append(e.error)
        raise tk.StopOnError


def datasud_landing_page(key, data, errors, context):
    """The producer's page of the data: a URL, mandatory in reference mode."""
    value = data.get(key)
    mode = data.get(("publication_mode",))
    if _empty(value) or not str(value).strip():
        data[key] = ""
        if mode == "reference":
            errors[key].append(_("A record in reference mode must give the address of the data's "
                                 "page on the producer's site."))
            raise tk.StopOnError
        return
    try:
        data[key] = datasud_url(value)
    except Invalid as e:
        errors[key].append(e.error)
        raise tk.StopOnError


def datasud_licence(value):
    if _empty(value):
        return value
    from ckan import model
    register = model.Package.get_license_register()
    if value not in register:
        raise Invalid(_('Unknown licence: "{value}". Allowed licences: {allowed}.').format(
            value=value, allowed=", ".join(register.keys())))
    return value


def parse_date(value) -> dt.date | dt.datetime:
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    text = str(value).strip()
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
        try:
            return parse(text.replace("Z", "+00:00"))
        except ValueError:
            continue
    raise Invalid(_('Invalid date: "{value}" (expected YYYY-MM-DD).').format(value=text))


def datasud_date(value):
    """An ISO 8601 date (YYYY-MM-DD) or date-time, stored as given in ISO form."""
    if _empty(value):
        return value
    parsed = parse_date(value)
    return parsed.isoformat()


def datasud_temporal_end(key, data, errors, context):
    """The end of the temporal coverage is not before its start."""
    end, start = data.get(key), data.get(("temporal_start",))
    if _empty(end) or _empty(start) or errors.get(("temporal_start",)):
        return
    try:
        start_date, end_date = parse_date(start), parse_date(end)
    except Invalid:
        return
    as_date = lambda d: d.date() if isinstance(d, dt.datetime) else d  # noqa: E731
    if as_date(end_date) < as_date(start_date):
        errors[key].append(_("The end of the temporal coverage ({end}) is before its start ({start}).")
                           .format(end=as_date(end_date).isoformat(), start=as_date(start_date).isoformat()))


GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                  "GeometryCollection"}


def datasud_geojson(value):
    """A GeoJSON geometry in WGS 84, valid, as ckanext-spatial indexes it."""
    if _empty(value):
        return value
    try:
        geometry = json.loads(value) if isinstance(value, str) else value
    except ValueError as e:
        raise Invalid(_("Invalid GeoJSON: this is not JSON ({error}).").format(error=e.msg))
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        raise Invalid(_("Invalid GeoJSON: a geometry is expected (Point, Polygon, MultiPolygon, ...)."))
    from shapely.geometry import shape
    try:
        geom = shape(geometry)
    except Exception as e:  # noqa: BLE001 - shapely raises several kinds
        raise Invalid(_("Invalid GeoJSON: {error}.").format(error=str(e) or type(e).__name__))
    if geom.is_empty:
        raise Invalid(_("Invalid GeoJSON: the geometry is empty."))
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise Invalid(_("Invalid GeoJSON: coordinates must be longitudes and latitudes in WGS 84."))
    if not geom.is_valid:
        from shapely.validation import explain_validity
        raise Invalid(_("Invalid GeoJSON: invalid geometry ({reason}).").format(reason=explain_validity(geom)))
    return json.dumps(geometry, separators=(",", ":"))


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def siren_ok(value: str) -> bool:
    return bool(re.fullmatch(r"\d{9}", value)) and luhn_ok(value)


def datasud_siren(value):
    if _empty(value):
        return value
    value = re.sub(r"\s", "", str(value))
    if not siren_ok(value):
        raise Invalid(_('Invalid SIREN number: "{value}" (9 digits with a valid check digit are expected).')
                      .format(value=value))
    return value


SPATIAL_CODES = {
    "commune": (re.compile(r"^(\d{5}|2[AB]\d{3})$"),
                N_("Invalid municipality INSEE code: 5 characters expected (e.g. 13055 for Marseille).")),
    "departement": (re.compile(r"^(0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])$"),
                    N_("Invalid department code: e.g. 13 (Bouches-du-Rhône), 2A, 974.")),
    "region": (re.compile(r"^\d{2}$"), N_("Invalid region code: 2 digits expected (93 for Provence-Alpes-Côte d'Azur).")),
}


def datasud_spatial_code(key, data, errors, context):
    """The INSEE code (commune, département, région) or SIREN (EPCI) of the covered territory."""
    value = data.get(key)
    if _empty(value):
        return
    value = re.sub(r"\s", "", str(value)).upper()
    data[key] = value
    level = data.get(("spatial_level",))
    if _empty(level) or not level:
        errors[key].append(_("Give the level of the geographic coverage with its code."))
        return
    if level == "epci":
        if not siren_ok(value):
            errors[key].append(_('Invalid SIREN number: "{value}" (9 digits with a valid check digit are expected).')
                               .format(value=value))
        return
    pattern, message = SPATIAL_CODES.get(level, (None, None))
    if pattern is not None and not pattern.match(value):
        errors[key].append(_(message))


HTML = harvested_values.HTML_TAG


def datasud_no_html(value):
    if isinstance(value, str) and HTML.search(value):
        raise Invalid(_("HTML tags are not allowed here."))
    return value


def datasud_positive_number(value):
    if _empty(value):
        return value
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        raise Invalid(_('Invalid number: "{value}".').format(value=value))
    if number <= 0:
        raise Invalid(_("A positive number is expected."))
    return number


def datasud_positive_integer(value):
    if _empty(value):
        return value
    try:
        number = int(str(value).strip())
    except ValueError:
        raise Invalid(_('Invalid number: "{value}".').format(value=value))
    if number < 0:
        raise Invalid(_("A positive number is expected."))
    return number


CHECKSUM = re.compile(r"^(md5|sha1|sha256|sha512):([0-9a-f]+)$")
CHECKSUM_LENGTHS = harvested_values.CHECKSUM_LENGTHS


def datasud_checksum(value):
    if _empty(value):
        return value
    text = value.strip().lower()
    match = CHECKSUM.match(text)
    if not match or len(match.group(2)) != CHECKSUM_LENGTHS[match.group(1)]:
        raise Invalid(_('Invalid checksum: "{value}" (expected e.g. sha256: followed by 64 hexadecimal digits).')
                      .format(value=value))
    return text


MEDIA_TYPE = harvested_values.MEDIA_TYPE


def datasud_media_type(value):
    if _empty(value):
        return value
    if not MEDIA_TYPE.match(value.strip()):
        raise Invalid(_('Invalid media type: "{value}" (expected e.g. text/csv).').format(value=value))
    return value.strip().lower()


def datasud_document_kind(key, data, errors, context):
    """An administrative document says what kind of document it is."""
    resource_type = data.get(key[:-1] + ("resource_type",))
    if resource_type == "document" and _empty(data.get(key)):
        errors[key].append(_("An administrative document needs its kind (deliberation, agreement, decree, report)."))
        raise tk.StopOnError
    if _empty(data.get(key)):
        data.pop(key, None)
        raise tk.StopOnError


def tag_length_validator(value, context):
    """Replaces CKAN's (2 to 100 characters): a keyword has 1 to 100 characters (the
    length of CKAN's tag table)."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(_("A keyword cannot be empty."))
    if len(value) > harvested_values.TAG_MAX_LENGTH:
        raise Invalid(_('Keyword "{value}" is longer than {max} characters.').format(
            value=value, max=harvested_values.TAG_MAX_LENGTH))
    return value


def tag_name_validator(value, context):
    """Replaces CKAN's rule (letters, digits, spaces, "-", "_" and "." only), which refused
    partners' keywords as they write them ("document d'urbanisme / PLU", "Culture,
    Société, Service"): DataSud keeps any printable text except < > " \\ (markup, and
    CKAN's search page quotes a tag facet without escaping) and control characters;
    whitespace is collapsed. The same rule as the harvesters' (harvesting/values.py,
    ``tag``). Registered under CKAN's name, so that CKAN's tag schemas use it."""
    if not isinstance(value, str):
        raise Invalid(_("A keyword cannot be empty."))
    value = " ".join(value.split())
    problem = harvested_values.tag_problem(value)
    if problem == "empty":
        raise Invalid(_("A keyword cannot be empty."))
    if problem == "too long":
        raise Invalid(_('Keyword "{value}" is longer than {max} characters.').format(
            value=value, max=harvested_values.TAG_MAX_LENGTH))
    if problem:
        raise Invalid(_('Keyword "{value}" contains a character that is not allowed (< > " \\ or a control '
                        'character).').format(value=value))
    return value


def _keywords_of_the_form(text: str, known: list[str]) -> list[str]:
    """The form's comma-separated keywords, a keyword of the dataset that holds commas
    ("Culture, Société, Service", harvested as written) staying one keyword."""
    items = [t.strip() for t in text.split(",")]
    with_commas = sorted({k for k in known if "," in k}, key=lambda k: -k.count(","))
    names, i = [], 0
    while i < len(items):
        for keyword in with_commas:
            parts = [p.strip() for p in keyword.split(",")]
            if items[i:i + len(parts)] == parts:
                names.append(keyword)
                i += len(parts)
                break
        else:
            names.append(items[i])
            i += 1
    return [n for n in names if n]


def datasud_tag_string(key, data, errors, context):
    """The form's comma-separated keywords (CKAN's ``tag_string_convert``, with DataSud's
    keyword rule): each becomes a tag. The edit form joins the dataset's keywords with
    commas: those holding a comma are recognised, not split."""
    value = data.get(key)
    if _empty(value):
        return
    package = context.get("package")
    known = [t.name for t in package.get_tags()] if package is not None and hasattr(package, "get_tags") else []
    names = _keywords_of_the_form(value, known) if isinstance(value, str) else list(value)
    current = max([int(k[1]) for k in data.keys() if len(k) == 3 and k[0] == "tags"] + [-1])
    for number, name in enumerate(names, start=current + 1):
        try:
            data[("tags", number, "name")] = tag_name_validator(tag_length_validator(name, context), context)
        except Invalid as e:
            errors[key].append(e.error)
