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
from ckanext.datasud.harvesting.settings import SourceSettings
from ckanext.datasud.licences import licence_id_for, licence_title

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

# EU data theme → DataSud themes (the first DataSud theme carrying that EU theme);
# the other EU themes by their closest DataSud theme.
_EU_THEMES: dict[str, str] = {}
for _theme in vocabularies.THEMES:
    _EU_THEMES.setdefault(_theme.eu_theme, _theme.slug)
_EU_THEMES.update({"ENVI": "environnement-climat", "REGI": "amenagement-urbanisme", "EDUC": "formation-emploi",
                   "GOVE": "administration", "SOCI": "social-sante-sports", "JUST": "administration",
                   "INTR": "administration", "OP_DATPRO": "administration"})

# INSPIRE themes → DataSud themes.
_INSPIRE_THEMES = {
    "rs": "limites-administratives", "gg": "limites-administratives", "gn": "limites-administratives",
    "au": "limites-administratives", "ad": "limites-administratives", "cp": "amenagement-urbanisme",
    "tn": "mobilite-transports", "hy": "environnement-climat", "ps": "environnement-climat",
    "el": "imagerie", "lc": "imagerie", "oi": "imagerie", "ge": "environnement-climat",
    "su": "amenagement-urbanisme", "bu": "equipements-logement", "so": "environnement-climat",
    "lu": "amenagement-urbanisme", "hh": "social-sante-sports", "us": "equipements-logement",
    "ef": "environnement-climat", "pf": "economie", "af": "agriculture", "pd": "social-sante-sports",
    "am": "amenagement-urbanisme", "nz": "environnement-climat", "ac": "environnement-climat",
    "mf": "environnement-climat", "of": "mer-littoral-montagne", "sr": "mer-littoral-montagne",
    "br": "environnement-climat", "hb": "environnement-climat", "sd": "environnement-climat",
    "er": "energies-reseaux", "mr": "economie",
}

# ISO 19115 topic categories → DataSud themes (INSPIRE records without an INSPIRE theme).
_ISO_TOPICS: dict[str, str] = {}
for _theme in vocabularies.THEMES:
    _ISO_TOPICS.setdefault(_theme.iso_topic, _theme.slug)
_ISO_TOPICS.update({"biota": "environnement-climat", "climatologyMeteorologyAtmosphere": "environnement-climat",
                    "elevation": "imagerie", "geoscientificInformation": "environnement-climat",
                    "inlandWaters": "environnement-climat", "location": "limites-administratives",
                    "intelligenceMilitary": "administration"})


def themes_for(values: Iterable[str]) -> list[str]:
    """DataSud themes for EU data theme URIs, INSPIRE theme URIs, ISO topic categories or
    DataSud slugs."""
    found: list[str] = []
    for value in values:
        value = (value or "").strip()
        slug = None
        if value in vocabularies.THEMES_BY_SLUG:
            slug = value
        elif value.startswith(vocabularies.EU_THEME):
            slug = _EU_THEMES.get(value[len(vocabularies.EU_THEME):])
        elif "inspire.ec.europa.eu/theme/" in value:
            slug = _INSPIRE_THEMES.get(value.rstrip("/").rsplit("/", 1)[-1])
        elif value in _ISO_TOPICS:
            slug = _ISO_TOPICS[value]
        if slug and slug not in found:
            found.append(slug)
    return found


def inspire_theme_for(values: Iterable[str]) -> Optional[str]:
    for value in values:
        if value and "inspire.ec.europa.eu/theme/" in value:
            uri = vocabularies.INSPIRE_THEME + value.rstrip("/").rsplit("/", 1)[-1]
            if uri in vocabularies.values("inspire_themes"):
                return uri
    return None


def frequency_for(value: Optional[str]) -> Optional[str]:
    if not value:
        return None
    value = str(value).strip()
    code = value.rsplit("/", 1)[-1].upper()
    uri = vocabularies.EU_FREQUENCY + code
    aliases = {"ANNUALLY": "ANNUAL", "YEARLY": "ANNUAL", "BIANNUALLY": "ANNUAL_2", "CONTINUAL": "CONT",
               "ASNEEDED": "IRREG", "IRREGULAR": "IRREG", "NOTPLANNED": "NEVER", "FORTNIGHTLY": "BIWEEKLY"}
    if uri not in vocabularies.values("frequencies"):
        uri = vocabularies.EU_FREQUENCY + aliases.get(code, "")
    return uri if uri in vocabularies.values("frequencies") else None


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
    value = (value or "").strip()
    if value.startswith(EU_FILE_TYPE):
        return value[len(EU_FILE_TYPE):].replace("_", " ")
    if value.startswith(IANA_MEDIA_TYPE):
        return value[len(IANA_MEDIA_TYPE):].rsplit("/", 1)[-1].upper()
    return value


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
    candidates = [record.get("license_id"), record.get("license_url"), record.get("license_title"),
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


def to_datasud(record: dict[str, Any], settings: SourceSettings, landing_page: Optional[str] = None
               ) -> dict[str, Any]:
    """A dataset dict of DataSud's schema for a harvested record (``record`` is not
    modified). Raises ``ValueError`` (French message) for a record that cannot be one."""
    extras = {e["key"]: e.get("value") for e in record.get("extras") or [] if e.get("key")}

    def value(key: str) -> Any:
        return _first(record.get(key), extras.get(key), extras.get("dcat_" + key))

    title = (value("title") or "").strip()
    if not title:
        raise ValueError("Enregistrement sans titre : il n'est pas importé.")
    warnings: list[str] = list(record.get(WARNINGS) or [])
    dataset: dict[str, Any] = {
        "type": "dataset",
        "title": title,
        "name": record.get("name"),
        "notes": (value("notes") or "").strip() or title,
        "owner_org": settings.owner_org,
        "publication_mode": settings.publication_mode,
        "tags": [t for t in record.get("tags") or [] if (t.get("name") or "").strip()],
    }
    theme_values = _json_list(value("theme")) + _json_list(record.get("themes")) + \
        _json_list(extras.get("inspire_theme")) + _json_list(record.get("inspire_theme")) + \
        _json_list(extras.get("topic-category")) + _json_list(extras.get("topic_category"))
    dataset["themes"] = themes_for(theme_values) or list(settings.default_themes)
    if not dataset["themes"]:
        raise ValueError("Aucun thème DataSud ne correspond à cet enregistrement : donnez des thèmes par défaut "
                         "à la source.")
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
    frequency = frequency_for(value("frequency") or value("accrual_periodicity"))
    if frequency:
        dataset["frequency"] = frequency
    for key in [k for k, v in dataset.items() if v is None]:
        dataset.pop(key)

    # The page of the record on the partner's site: the dataset's landing page.
    page = _first(landing_page, record.get("url"), extras.get("landing_page"))
    uri = extras.get("uri") or record.get("uri")
    if not page and isinstance(uri, str) and uri.startswith(("http://", "https://")):
        page = uri
    if page:
        dataset["url"] = page
    elif settings.publication_mode == "reference":
        dataset["url"] = settings.url  # at least, the partner's catalogue

    kept = [{"key": k, "value": extras[k] if isinstance(extras[k], str) else json.dumps(extras[k])}
            for k in KEPT_EXTRAS if extras.get(k)]
    if harvested_licence:
        kept.append({"key": LICENCE_AS_HARVESTED, "value": harvested_licence})
    dataset["extras"] = kept
    dataset["resources"] = [resource(r, licence_id) for r in record.get("resources") or []
                            if (r.get("url") or r.get("download_url") or r.get("access_url"))]
    dataset[WARNINGS] = warnings
    return dataset


RESOURCE_KEYS = ("name", "description", "mimetype", "access_url", "download_url", "uri", "id")


def resource(record: dict[str, Any], dataset_licence: str) -> dict[str, Any]:
    url = _first(record.get("download_url"), record.get("url"), record.get("access_url"))
    res = {k: record[k] for k in RESOURCE_KEYS if record.get(k) not in (None, "")}
    res["url"] = url
    res["name"] = res.get("name") or record.get("title") or format_label(record.get("format")) or url
    res["format"] = format_label(record.get("format")) or format_label(record.get("mimetype"))
    res["resource_type"] = "data"
    size = record.get("size") or record.get("byte_size")
    if size not in (None, ""):
        try:
            res["size"] = int(float(size))
        except (TypeError, ValueError):
            pass
    licence_id = licence_id_for(record.get("license")) if record.get("license") else None
    if licence_id and licence_id != dataset_licence:
        res["license"] = licence_id
    checksum = record.get("hash")
    if checksum and isinstance(checksum, str):
        res["hash"] = checksum
    return res


def validation_message(error: tk.ValidationError) -> str:
    """A validation error of an imported record, in one French line."""
    summary = error.error_summary or {}
    parts = [f"{field} : {message}" for field, message in summary.items()]
    return "Enregistrement refusé par le schéma DataSud — " + "; ".join(parts)
