"""From a harvested record (as ckanext-dcat's profiles, ckanext-spatial's ISO parser or a
remote CKAN give it) to a dataset of DataSud's schema.

Values whose key is a schema field go into that field, never into extras (with
ckanext-scheming an extra named like a field fails the update, ckan/ckan#8968); the
extras kept are the harvest's own (``guid``, ``uri``, ``identifier``) and the licence as
the source wrote it when it is not one of ours.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk

from ckanext.datasud import vocabularies
from ckanext.datasud.harvesting import geometry, themes
from ckanext.datasud.harvesting import values
from ckanext.datasud.harvesting.settings import SourceSettings
from ckanext.datasud.licences import licence_id_for, licence_title
from ckanext.datasud.logic.validators import SPATIAL_CODES, siren_ok

KEPT_EXTRAS = ("guid", "uri", "identifier")
# Warnings about a record (a value dropped, normalised or guessed): readers may put some
# under this key of the record; to_datasud returns them, with its own, under the same key
# of the dataset; the harvester pops them and hands them to records.warn().
WARNINGS = "__warnings"
WARNING_PREFIX = "Avertissement : "
LICENCE_AS_HARVESTED = "harvested_licence"
# Our register's "Autre licence / licence non précisée": an unknown licence is kept as
# written in the ``harvested_licence`` extra (shown on the page, listed in reports).
NO_LICENCE = "notspecified"
UNKNOWN_LICENCE = NO_LICENCE

EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
IANA_MEDIA_TYPE = "https://www.iana.org/assignments/media-types/"
# Keys a reader may add to a record (the DCAT profile's parse, inspire.record):
# every theme value found (URIs of any vocabulary, labels) and every licence value of the
# dataset itself (dct:license, dct:rights: URIs and labels), best first.
THEME_VALUES = "theme_values"
LICENCE_VALUES = "licence_values"
# Every dcat:landingPage of the record (ckanext-dcat keeps one in ``url``), and its
# keywords as written (ckanext-dcat splits "Culture, Société, Service" on its commas):
# put there by the DCAT profile's parse; to_datasud chooses and cleans (values.py).
LANDING_PAGES = "landing_pages"
KEYWORDS_AS_WRITTEN = "keywords_as_written"
# A bounding box as the record gives it, {"west", "east", "south", "north"} (numbers):
# to_datasud makes it the dataset's extent when the record gives no geometry.
BBOX = "bbox"


def themes_for(values: Iterable[str], keywords: Iterable[str] = ()) -> list[str]:
    """DataSud themes for theme values of any vocabulary :mod:`.themes` knows (DataSud
    theme URIs first and alone, EU, INSPIRE, ISO 19115, HVD, labels), keywords last."""
    return themes.slugs_for(values, keywords)


def inspire_theme_for(values: Iterable[str]) -> Optional[str]:
    return themes.inspire_theme_for(values)


def frequency_for(value: Optional[str]) -> Optional[str]:
    """The EU frequency URI, read as the schema's validator reads it (``values.frequency``)."""
    return values.frequency(str(value)) if value else None


def _json_list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]
    return [str(v) for v in value]


def format_label(value: Optional[str]) -> str:
    """A format label for a label, a media type, an EU file-type or IANA URI."""
    return values.format_label(value)


def record_label(record: dict[str, Any]) -> str:
    """How a warning names a record: its title and its URI or identifier."""
    extras = {e["key"]: e.get("value") for e in record.get("extras") or [] if e.get("key")}
    title = (record.get("title") or "").strip()
    ref = extras.get("uri") or record.get("uri") or extras.get("identifier") or extras.get("guid") or ""
    if title and ref:
        return f"« {title} » ({ref})"
    return f"« {title} »" if title else str(ref or "sans identifiant")


def warning(record: dict[str, Any], field: str, value: Any, text: str) -> str:
    """A French warning naming the record, the field and the value, for the job report."""
    shown = str(value)
    if len(shown) > 200:
        shown = shown[:200] + "…"
    return f"{WARNING_PREFIX}fiche {record_label(record)}, champ {field} = « {shown} » : {text}"


def _first(*values: Any) -> Any:
    for value in values:
        if value not in (None, "", [], {}):
            return value
    return None


def licence(record: dict[str, Any], settings: SourceSettings) -> tuple[str, Optional[str]]:
    """Our licence id for a record, and the licence as harvested when it is not ours.

    Never Licence Ouverte by default: a record without licence takes the source's
    default licence, or stays "not specified"; an unknown licence is "other" (the same
    entry of our register), kept as written."""
    candidates = list(record.get(LICENCE_VALUES) or [])
    candidates += [record.get("license_id"), record.get("license_url"), record.get("license_title"),
                   record.get("license")]
    candidates += [r.get("license") for r in record.get("resources") or []]
    candidates = [c for c in candidates if c not in (None, "")]
    for candidate in candidates:
        licence_id = licence_id_for(candidate)
        if licence_id and licence_id != NO_LICENCE:
            return licence_id, None
    if candidates and any(licence_id_for(c) != NO_LICENCE for c in candidates):
        return UNKNOWN_LICENCE, str(candidates[0])
    return (settings.default_licence or NO_LICENCE), None


def tags(record: dict[str, Any], warnings: list[str]) -> list[dict[str, str]]:
    """The record's keywords as written (the DCAT profile's unsplit ones when it read
    them), by DataSud's keyword rule (values.tag): what it changes is a warning."""
    written = record.get(KEYWORDS_AS_WRITTEN)
    if not isinstance(written, list):
        written = [t.get("name") if isinstance(t, dict) else t for t in record.get("tags") or []]
    kept, notes = values.tags(written)
    warnings.extend(warning(record, "mot-clé", value, note) for value, note in notes)
    return [{"name": name} for name in kept]


DATE_FIELDS = {"issued": "date de publication", "modified": "date de modification",
               "temporal_start": "début de la couverture temporelle",
               "temporal_end": "fin de la couverture temporelle"}


def dates(record: dict[str, Any], dataset: dict[str, Any], warnings: list[str]) -> None:
    """The dataset's dates in ISO 8601 (values.date), French and US forms read, the
    unreadable ones dropped with a warning; an end before its start is dropped too (the
    schema refuses it)."""
    for key, field in DATE_FIELDS.items():
        if dataset.get(key) in (None, ""):
            continue
        written = dataset.pop(key)
        kept, note = values.date(written, end=(key == "temporal_end"))
        if note:
            warnings.append(warning(record, field, written, note))
        if kept:
            dataset[key] = kept
    start, end = dataset.get("temporal_start"), dataset.get("temporal_end")
    if start and end and end[:10] < start[:10]:
        warnings.append(warning(record, DATE_FIELDS["temporal_end"], end,
                                f"antérieure au début ({start}) : elle est ignorée."))
        dataset.pop("temporal_end")


def page_of(record: dict[str, Any], extras: dict[str, Any], landing_page: Optional[str],
            warnings: list[str]) -> Optional[str]:
    """The record's page on the partner's site: the harvester's, else the record's
    landing pages (a page rather than a service endpoint: values.landing_page), else its
    URI when it is a web address. Unusable addresses are dropped with a warning."""
    candidates: list[str] = []
    # the DCAT profile's list holds every landing page (ckanext-dcat's ``url`` is one of them)
    given = record[LANDING_PAGES] if isinstance(record.get(LANDING_PAGES), list) else \
        [record.get("url"), extras.get("landing_page")]
    for found in [landing_page] + given:
        if found and isinstance(found, str) and found not in candidates:
            candidates.append(found)
    page, notes = values.landing_page(candidates)
    warnings.extend(warning(record, "page de la donnée", value, note) for value, note in notes)
    uri = extras.get("uri") or record.get("uri")
    if not page and isinstance(uri, str) and uri.startswith(("http://", "https://")):
        page = values.web_url(uri)[0]
        if page and values.is_local_address(page):
            warnings.append(warning(record, "page de la donnée", uri, values.LOCAL_ADDRESS_NOTE))
            page = None
    return page


def to_datasud(record: dict[str, Any], settings: SourceSettings, landing_page: Optional[str] = None
               ) -> dict[str, Any]:
    """A dataset dict of DataSud's schema for a harvested record (``record`` is not
    modified). Raises ``ValueError`` (French message) for a record that cannot be one."""
    extras = {e["key"]: e.get("value") for e in record.get("extras") or [] if e.get("key")}

    def value(key: str) -> Any:
        return _first(record.get(key), extras.get(key), extras.get("dcat_" + key))

    written_title = (value("title") or "").strip()
    title = (values.plain_text(written_title)[0] or "").strip()
    if not title:
        raise ValueError("Enregistrement sans titre : il n'est pas importé.")
    warnings: list[str] = list(record.get(WARNINGS) or [])
    if title != written_title:
        warnings.append(warning(record, "titre", written_title, values.plain_text(written_title)[1]))
    written_notes = (value("notes") or "").strip()
    notes, note = values.description(written_notes)
    if note:
        warnings.append(warning(record, "description", written_notes, note))
    dataset: dict[str, Any] = {
        "type": "dataset",
        "title": title,
        "name": record.get("name"),
        "notes": (notes or "").strip() or title,
        "owner_org": settings.owner_org,
        "publication_mode": settings.publication_mode,
        "tags": tags(record, warnings),
    }
    theme_values = _json_list(value("theme")) + _json_list(record.get("themes")) + \
        _json_list(extras.get("inspire_theme")) + _json_list(record.get("inspire_theme")) + \
        _json_list(extras.get("topic-category")) + _json_list(extras.get("topic_category")) + \
        _json_list(record.get(THEME_VALUES))
    keywords = [t.get("name") or "" for t in record.get("tags") or [] if isinstance(t, dict)] + \
        _json_list(record.get("keywords_as_written"))
    dataset["themes"] = themes_for(theme_values, keywords)
    unknown = _json_list(record.get(THEME_VALUES))
    if not dataset["themes"] and settings.default_themes and unknown:
        warnings.append(warning(record, "thèmes", ", ".join(unknown),
                                "aucun thème reconnu : les thèmes par défaut de la source sont appliqués."))
    dataset["themes"] = dataset["themes"] or list(settings.default_themes)
    if not dataset["themes"]:
        # imported all the same (the schema lets a harvest leave themes empty): the
        # partner can give the source default themes, the programme team can add some
        warnings.append(warning(record, "thèmes", ", ".join(unknown) or "aucun",
                                "aucun thème DataSud ne correspond et la source n'a pas de thèmes par défaut : "
                                "le jeu de données est importé sans thème. Donnez des thèmes par défaut à la "
                                "source."))
    inspire = inspire_theme_for(theme_values)
    if inspire:
        dataset["inspire_theme"] = inspire

    licence_id, harvested_licence = licence(record, settings)
    dataset["license_id"] = licence_id
    if harvested_licence:
        warnings.append(warning(record, "licence", harvested_licence,
                                "licence non reconnue : le jeu de données est importé avec la licence "
                                f"« {licence_title(licence_id) or licence_id} », le texte d'origine est conservé."))

    for key in ("issued", "modified", "temporal_start", "temporal_end", "version", "provenance",
                "spatial", "spatial_text", "spatial_resolution_in_meters", "contact_name", "contact_email",
                "publisher_name", "granularity", "spatial_level", "spatial_code", "inspire_conformity"):
        found = value(key)
        if found not in (None, ""):
            dataset[key] = found
    temporal = record.get("temporal_coverage") or []
    if temporal and isinstance(temporal, list):
        dataset.setdefault("temporal_start", temporal[0].get("start"))
        dataset.setdefault("temporal_end", temporal[0].get("end"))
    contact = record.get("contact") or []
    if contact and isinstance(contact, list):
        dataset.setdefault("contact_name", contact[0].get("name"))
        dataset.setdefault("contact_email", (contact[0].get("email") or "").replace("mailto:", ""))
    publisher = record.get("publisher") or []
    if publisher and isinstance(publisher, list):
        dataset.setdefault("publisher_name", publisher[0].get("name"))
    if dataset.get("contact_email"):
        dataset["contact_email"] = str(dataset["contact_email"]).replace("mailto:", "")
    for key in ("contact_name", "publisher_name", "spatial_text"):
        if isinstance(dataset.get(key), str):
            kept, note = values.plain_text(dataset[key])
            if note:
                warnings.append(warning(record, key, dataset[key], note))
            dataset[key] = kept
    dates(record, dataset, warnings)
    extent(record, dataset, warnings)
    frequency = frequency_for(value("frequency") or value("accrual_periodicity"))
    if frequency:
        dataset["frequency"] = frequency
    for key in [k for k, v in dataset.items() if v is None]:
        dataset.pop(key)

    # The page of the record on the partner's site: the dataset's landing page.
    page = page_of(record, extras, landing_page, warnings)
    if page:
        dataset["url"] = page
    elif settings.publication_mode == "reference":
        dataset["url"] = settings.url  # at least, the partner's catalogue

    kept = [{"key": k, "value": extras[k] if isinstance(extras[k], str) else json.dumps(extras[k])}
            for k in KEPT_EXTRAS if extras.get(k)]
    if harvested_licence:
        kept.append({"key": LICENCE_AS_HARVESTED, "value": harvested_licence})
    dataset["extras"] = kept
    dataset["resources"] = resources(record, licence_id, warnings)
    dataset[WARNINGS] = warnings
    return dataset


def box_geometry(record: dict[str, Any], box: Any, warnings: list[str]) -> Optional[dict[str, Any]]:
    """The GeoJSON geometry of a bounding box ``{"west", "east", "south", "north"}``: a
    polygon, or a point when it has no area. An obviously inverted box (west > east or
    south > north, swapped it fits WGS 84: no French extent crosses the antimeridian) is
    swapped with a warning; an unusable one gives ``None`` with a warning."""
    try:
        west, east, south, north = (float(str(box[k]).replace(",", ".")) for k in ("west", "east", "south", "north"))
    except (KeyError, TypeError, ValueError):
        warnings.append(warning(record, "emprise", box, "emprise illisible : elle est ignorée."))
        return None
    shown = f"O {west}, E {east}, S {south}, N {north}"
    if west > east or south > north:
        west, east = min(west, east), max(west, east)
        south, north = min(south, north), max(south, north)
        warnings.append(warning(record, "emprise", shown, "emprise inversée (ouest > est ou sud > nord) : "
                                                         "les bornes ont été remises dans l'ordre."))
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        warnings.append(warning(record, "emprise", shown, "emprise hors des longitudes et latitudes WGS 84 : "
                                                         "elle est ignorée."))
        return None
    if west == east or south == north:
        return {"type": "Point", "coordinates": [west, south]}
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                [west, south]]]}


def extent(record: dict[str, Any], dataset: dict[str, Any], warnings: list[str]) -> None:
    """The geographic coverage of ``dataset``: the record's bounding box when it gives no
    geometry; a territory code only with its level (the schema requires both)."""
    if not dataset.get("spatial") and record.get(BBOX):
        extent_of_box = box_geometry(record, record[BBOX], warnings)
        if extent_of_box:
            dataset["spatial"] = json.dumps(extent_of_box)
    if dataset.get("spatial") and not isinstance(dataset["spatial"], str):
        dataset["spatial"] = json.dumps(dataset["spatial"])
    if dataset.get("spatial") and geometry.to_geojson(dataset["spatial"]) is None:
        warnings.append(warning(record, "emprise", dataset["spatial"], "géométrie invalide ou hors des longitudes "
                                                                       "et latitudes WGS 84 : elle est ignorée."))
        dataset.pop("spatial")
    level, code = dataset.get("spatial_level"), dataset.get("spatial_code")
    if (level or code) and not _territory_ok(level, code):
        warnings.append(warning(record, "couverture géographique", f"{level or ''} {code or ''}".strip(),
                                "niveau ou code de territoire manquant ou non reconnu : il n'est pas repris."))
        dataset.pop("spatial_code", None)
        dataset.pop("spatial_level", None)
    for key, vocabulary, label in (("granularity", "granularities", "granularité"),
                                   ("inspire_conformity", "inspire_conformity", "conformité INSPIRE")):
        if dataset.get(key) and dataset[key] not in vocabularies.values(vocabulary):
            warnings.append(warning(record, label, dataset.pop(key), "valeur non reconnue : elle n'est pas reprise."))
    resolution = dataset.get("spatial_resolution_in_meters")
    if resolution not in (None, "") and not _positive_number(resolution):
        warnings.append(warning(record, "résolution spatiale", dataset.pop("spatial_resolution_in_meters"),
                                "un nombre de mètres positif est attendu : elle n'est pas reprise."))


def _territory_ok(level: Any, code: Any) -> bool:
    """A level of our vocabulary with a code of that level (the schema's own rules)."""
    if not code or level not in vocabularies.values("spatial_levels"):
        return False
    code = "".join(str(code).split()).upper()
    if level == "epci":
        return siren_ok(code)
    pattern = SPATIAL_CODES.get(level, (None, None))[0]
    return pattern is None or bool(pattern.match(code))


def _positive_number(value: Any) -> bool:
    try:
        return float(str(value).replace(",", ".")) > 0
    except ValueError:
        return False


RESOURCE_KEYS = ("name", "description", "mimetype", "access_url", "download_url", "uri", "id")


def resources(record: dict[str, Any], dataset_licence: str, warnings: list[str]) -> list[dict[str, Any]]:
    """The record's distributions as resources; one without usable address is dropped
    (with a warning), never the record."""
    found = [resource(r, dataset_licence, record, warnings) for r in record.get("resources") or []
             if (r.get("url") or r.get("download_url") or r.get("access_url"))]
    return [r for r in found if r is not None]


def resource(record: dict[str, Any], dataset_licence: str, dataset: Optional[dict[str, Any]] = None,
             warnings: Optional[list[str]] = None) -> Optional[dict[str, Any]]:
    """A resource of DataSud's schema for a distribution of ``dataset`` (the harvested
    record, named in the warnings added to ``warnings``); ``None`` when it has no usable
    address. Media type, format and checksum are put in the schema's form
    (:mod:`.values`), or dropped with a warning."""
    notes: list[tuple[str, Any, str]] = []
    res = {k: record[k] for k in RESOURCE_KEYS if record.get(k) not in (None, "")}
    label = res.get("name") or record.get("title") or record.get("uri") or ""
    addresses = {}
    for key in ("download_url", "url", "access_url"):
        kept, note = values.web_url(record.get(key))
        if note:
            notes.append((key, record.get(key), note))
        addresses[key] = kept
        if key in res and not kept:
            res.pop(key)
    url = _first(addresses["download_url"], addresses["url"], addresses["access_url"])
    mimetype, note = values.media_type(record.get("mimetype"))
    res.pop("mimetype", None)
    if mimetype:
        res["mimetype"] = mimetype
    elif note:
        notes.append(("mimetype", record.get("mimetype"), note))
    res["format"] = format_label(record.get("format")) or format_label(record.get("mimetype"))
    checksum, note = values.checksum(record.get("hash") if isinstance(record.get("hash"), str) else None,
                                     record.get("hash_algorithm"))
    if note:
        notes.append(("hash", record.get("hash"), note))
    if not url:  # one warning for the resource, not one per unusable address
        if dataset is not None and warnings is not None:
            given = _first(record.get("download_url"), record.get("url"), record.get("access_url"))
            warnings.append(warning(dataset, f"ressource « {label} »", given,
                                    "aucune adresse web utilisable (http:// ou https://, sans espace) : "
                                    "la ressource n'est pas importée."))
        return None
    if dataset is not None and warnings is not None:
        for key, value, note in notes:
            warnings.append(warning(dataset, f"ressource « {label or url} », {key}", value, note))
    res["url"] = url
    name, note = values.plain_text(res.get("name") or record.get("title"))
    if note and dataset is not None and warnings is not None:
        warnings.append(warning(dataset, f"ressource « {label} », name", label, note))
    res["name"] = name or res["format"] or url
    res.update(resource_kind(record))
    size = record.get("size") or record.get("byte_size")
    if size not in (None, ""):
        try:
            res["size"] = int(float(size))
        except (TypeError, ValueError):
            pass
    licence_id = licence_id_for(record.get("license")) if record.get("license") else None
    if licence_id and licence_id != dataset_licence:
        res["license"] = licence_id
    if checksum:
        res["hash"] = checksum
    return res


def resource_kind(record: dict[str, Any]) -> dict[str, Any]:
    """Data, or an administrative document with its kind and date (as another DataSud
    exports them, see the DCAT profile); anything else is data."""
    kind, date = record.get("document_kind"), record.get("document_date")
    if record.get("resource_type") == "document" and kind in vocabularies.values("document_kinds"):
        return {"resource_type": "document", "document_kind": kind, **({"document_date": date} if date else {})}
    return {"resource_type": "data"}


def validation_message(error: tk.ValidationError, dataset: Optional[dict[str, Any]] = None) -> str:
    """A validation error of an imported record, in one French line: the record (title,
    URI or identifier), then each refused field with its French label, its value and the
    schema's message; a resource is named by its position and its name or URL.
    ``dataset`` is what package_create/update were given (resources in that order)."""
    dataset = dataset or {}
    labels = _schema_labels()
    parts = []
    for field, messages in (error.error_dict or {}).items():
        if field == "resources" and isinstance(messages, list):
            resources = dataset.get("resources") or []
            for position, refused in enumerate(messages, 1):
                if not isinstance(refused, dict) or not refused:
                    continue
                resource = resources[position - 1] if position <= len(resources) else {}
                name = resource.get("name") or resource.get("url") or ""
                where = f"ressource {position}" + (f" « {_shortened(name)} »" if name else "")
                parts += [f"{where}, {_field(labels['resource'], key, resource.get(key))} : {_texts(texts)}"
                          for key, texts in refused.items()]
        else:
            parts.append(f"{_field(labels['dataset'], field, dataset.get(field))} : {_texts(messages)}")
    record = f"fiche {record_label(dataset)}" if dataset else "fiche"
    return f"Enregistrement refusé par le schéma DataSud — {record} : " + ("; ".join(parts) or str(error))


def _schema_labels() -> dict[str, dict[str, str]]:
    """French labels of the dataset's and resources' fields (DataSud's scheming schema)."""
    try:
        from ckanext.scheming.helpers import scheming_get_dataset_schema
        schema = scheming_get_dataset_schema("dataset") or {}
    except Exception:  # noqa: BLE001 - labels are a nicety: field names then
        schema = {}

    def french(fields):
        return {f["field_name"]: (f.get("label") or {}).get("fr", "") if isinstance(f.get("label"), dict)
                else str(f.get("label") or "") for f in fields or []}
    return {"dataset": french(schema.get("dataset_fields")), "resource": french(schema.get("resource_fields"))}


def _field(labels: dict[str, str], key: str, value: Any) -> str:
    label = labels.get(key)
    text = f"champ {label} ({key})" if label else f"champ {key}"
    if value not in (None, "", [], {}) and not isinstance(value, (dict, list)):
        text += f" = « {_shortened(str(value))} »"
    return text


def _shortened(text: str, length: int = 200) -> str:
    return text if len(text) <= length else text[:length] + "…"


def _texts(messages: Any) -> str:
    """The messages of a field (a string, a list, or nested dicts and lists), in a line."""
    if isinstance(messages, dict):
        return " ".join(_texts(v) for v in messages.values() if v)
    if isinstance(messages, (list, tuple)):
        return " ".join(_texts(m) for m in messages if m)
    return str(messages).strip()
