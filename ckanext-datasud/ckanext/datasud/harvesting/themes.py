"""Harvested themes → DataSud themes.

Partners say what a dataset is about in many vocabularies; each table below maps one of
them to DataSud's 16 themes (:data:`vocabularies.THEMES`):

- DataSud's own theme concepts, ``<any host>/themes/<slug>`` (DataSud's export, another
  DataSud): read first, and alone when present, so that a round trip keeps the themes
  exactly (an EU theme stands for several DataSud themes);
- EU Data Theme URIs (``…/authority/data-theme/ENVI``);
- INSPIRE theme URIs (``http://inspire.ec.europa.eu/theme/hy``, GEMET's
  ``…/inspire-theme/hy`` too) and INSPIRE themes by their French or English label;
- ISO 19115 topic categories, as codes (``environment``) or as GeoDCAT-AP URIs
  (``http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/environment``);
- High-Value Dataset categories (``http://data.europa.eu/bna/c_…``, the 6 top ones);
- free text (a ``dcat:theme`` literal, a concept's label, and keywords when nothing else
  matched) through :data:`KEYWORDS`, case and accents ignored.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Optional
from urllib.parse import urlsplit

import ckan.plugins.toolkit as tk

from ckanext.datasud import vocabularies

TOPIC_CATEGORY_URI = "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/"
HVD_CATEGORY = "http://data.europa.eu/bna/"

# EU data theme → the first DataSud theme carrying it; the others by their closest theme.
EU_THEMES: dict[str, str] = {}
for _theme in vocabularies.THEMES:
    EU_THEMES.setdefault(_theme.eu_theme, _theme.slug)
EU_THEMES.update({"ENVI": "environnement-climat", "REGI": "amenagement-urbanisme", "EDUC": "formation-emploi",
                  "GOVE": "administration", "SOCI": "social-sante-sports", "JUST": "administration",
                  "INTR": "administration", "OP_DATPRO": "administration"})

# INSPIRE themes (annexes I to III) → DataSud themes.
INSPIRE_THEMES = {
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

# ISO 19115 topic categories (MD_TopicCategoryCode) → DataSud themes.
ISO_TOPICS: dict[str, str] = {}
for _theme in vocabularies.THEMES:
    ISO_TOPICS.setdefault(_theme.iso_topic, _theme.slug)
ISO_TOPICS.update({"biota": "environnement-climat", "climatologyMeteorologyAtmosphere": "environnement-climat",
                   "elevation": "imagerie", "geoscientificInformation": "environnement-climat",
                   "inlandWaters": "environnement-climat", "location": "limites-administratives",
                   "intelligenceMilitary": "administration"})

# High-Value Dataset categories (Implementing Regulation (EU) 2023/138), the 6 top ones.
HVD_CATEGORIES = {
    "c_ac64a52d": "limites-administratives",  # Geospatial
    "c_dd313021": "environnement-climat",  # Earth observation and environment
    "c_164e0bf5": "environnement-climat",  # Meteorological
    "c_e1da4e07": "economie",  # Statistics
    "c_a9135398": "economie",  # Companies and company ownership
    "c_b79e35eb": "mobilite-transports",  # Mobility
}

# Free-text themes and keywords (French and English, as partners write them) → DataSud
# themes. Keys are compared without case nor accents (see :func:`text_key`).
KEYWORDS = {
    "agriculture": "agriculture", "foret": "agriculture", "sylviculture": "agriculture", "peche": "agriculture",
    "alimentation": "agriculture", "agriculture, peche, sylviculture et alimentation": "agriculture",
    "administration": "administration", "gouvernement et secteur public": "administration",
    "government and public sector": "administration", "action publique": "administration",
    "finances publiques": "administration", "budget": "administration", "justice": "administration",
    "citoyennete": "citoyennete", "democratie": "citoyennete", "elections": "citoyennete",
    "economie": "economie", "entreprises": "economie", "emploi et economie": "economie",
    "economie et finances": "economie", "economy and finance": "economie", "economy": "economie",
    "statistiques": "economie", "commerce": "economie", "industrie": "economie",
    "imagerie": "imagerie", "occupation du sol": "imagerie", "orthophotographie": "imagerie",
    "limites administratives": "limites-administratives", "referentiels": "limites-administratives",
    "adresses": "limites-administratives", "cadastre": "amenagement-urbanisme",
    "mer": "mer-littoral-montagne", "littoral": "mer-littoral-montagne", "montagne": "mer-littoral-montagne",
    "sante": "social-sante-sports", "social": "social-sante-sports", "sport": "social-sante-sports",
    "sports": "social-sante-sports", "solidarite": "social-sante-sports", "health": "social-sante-sports",
    "population et societe": "social-sante-sports", "population and society": "social-sante-sports",
    "societe": "social-sante-sports",
    "urbanisme": "amenagement-urbanisme", "amenagement": "amenagement-urbanisme",
    "amenagement du territoire": "amenagement-urbanisme", "planification": "amenagement-urbanisme",
    "regions et villes": "amenagement-urbanisme", "regions and cities": "amenagement-urbanisme",
    "sciences": "sciences-recherche", "recherche": "sciences-recherche", "innovation": "sciences-recherche",
    "science et technologie": "sciences-recherche", "science and technology": "sciences-recherche",
    "energie": "energies-reseaux", "energies": "energies-reseaux", "energy": "energies-reseaux",
    "reseaux": "energies-reseaux", "telecommunications": "energies-reseaux", "numerique": "energies-reseaux",
    "equipements": "equipements-logement", "logement": "equipements-logement", "batiments": "equipements-logement",
    "habitat": "equipements-logement",
    "education": "formation-emploi", "formation": "formation-emploi", "emploi": "formation-emploi",
    "enseignement": "formation-emploi",
    "culture": "culture-tourisme", "tourisme": "culture-tourisme", "patrimoine": "culture-tourisme",
    "loisirs": "culture-tourisme", "education, culture et sport": "culture-tourisme",
    "transports": "mobilite-transports", "transport": "mobilite-transports", "mobilite": "mobilite-transports",
    "deplacements": "mobilite-transports", "transport and mobility": "mobilite-transports",
    "environnement": "environnement-climat", "climat": "environnement-climat", "environment": "environnement-climat",
    "biodiversite": "environnement-climat", "eau": "environnement-climat", "risques": "environnement-climat",
    "air": "environnement-climat", "nature": "environnement-climat",
    # Opendatasoft's default themes, split on their commas (French and English)
    "services sociaux": "social-sante-sports", "hebergement": "culture-tourisme", "hotellerie": "culture-tourisme",
    "developpement economique": "economie", "pme": "economie", "recherche et innovation": "sciences-recherche",
    "government": "administration", "public finances": "administration", "citizenship": "citoyennete",
    "mobility": "mobilite-transports", "heritage": "culture-tourisme", "employment": "formation-emploi",
    "training": "formation-emploi", "research": "sciences-recherche", "urban planning": "amenagement-urbanisme",
    "housing": "equipements-logement", "social services": "social-sante-sports", "leisure": "culture-tourisme",
    "accommodation": "culture-tourisme",
}


def text_key(value: str) -> str:
    """A free-text value as the tables compare it: lower case, no accents, single spaces."""
    decomposed = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower().replace("\u2019", "'")
    return " ".join(text.replace("—", "-").split()).strip(" .")


# INSPIRE themes by their French or English label ("Hydrographie", "Land cover"...).
INSPIRE_LABELS = {text_key(label): term.value for term in vocabularies.INSPIRE_THEMES
                  for label in (term.fr, term.en)}
# DataSud themes by their own French or English label.
THEME_LABELS = {text_key(label): theme.slug for theme in vocabularies.THEMES for label in (theme.fr, theme.en)}


def scheme_uri() -> str:
    """The URI of DataSud's theme scheme on this portal."""
    return tk.config.get("ckan.site_url", "").rstrip("/") + "/themes"


def concept_uri(slug: str) -> str:
    """The URI of a DataSud theme on this portal (``<site_url>/themes/<slug>``)."""
    return f"{scheme_uri()}/{slug}"


def datasud_slug(value: str) -> Optional[str]:
    """The slug of a DataSud theme URI, whatever the portal that wrote it."""
    if not value.startswith(("http://", "https://")):
        return None
    match = re.search(r"/themes/([a-z-]+)/?$", urlsplit(value).path)
    if match and match.group(1) in vocabularies.THEMES_BY_SLUG:
        return match.group(1)
    return None


def _inspire_code(value: str) -> Optional[str]:
    if "inspire.ec.europa.eu/theme/" in value or "/inspire-theme/" in value:
        code = value.rstrip("/").rsplit("/", 1)[-1].lower()
        return code if code in INSPIRE_THEMES else None
    return None


def slug_for(value: str) -> Optional[str]:
    """The DataSud theme of one vocabulary value (URI, code or label), else ``None``.
    Keywords are not read here (see :func:`keyword_slug`)."""
    value = (value or "").strip()
    if not value:
        return None
    if value in vocabularies.THEMES_BY_SLUG:
        return value
    slug = datasud_slug(value)
    if slug:
        return slug
    if value.startswith(vocabularies.EU_THEME):
        return EU_THEMES.get(value[len(vocabularies.EU_THEME):].strip("/").upper())
    code = _inspire_code(value)
    if code:
        return INSPIRE_THEMES[code]
    for prefix in (TOPIC_CATEGORY_URI, "https" + TOPIC_CATEGORY_URI[4:]):  # GeoNetwork 4 writes https
        if value.startswith(prefix):
            value = value[len(prefix):].strip("/")
    if value in ISO_TOPICS:
        return ISO_TOPICS[value]
    if value.startswith(HVD_CATEGORY):
        return HVD_CATEGORIES.get(value[len(HVD_CATEGORY):].strip("/"))
    key = text_key(value)
    if key in INSPIRE_LABELS:
        return INSPIRE_THEMES[INSPIRE_LABELS[key].rsplit("/", 1)[-1]]
    return THEME_LABELS.get(key) or KEYWORDS.get(key)


def keyword_slug(keyword: str) -> Optional[str]:
    """The DataSud theme a keyword names, through the keyword table only."""
    key = text_key(keyword or "")
    return THEME_LABELS.get(key) or KEYWORDS.get(key)


def slugs_for(values: Iterable[str], keywords: Iterable[str] = ()) -> list[str]:
    """DataSud themes of a record: its DataSud theme URIs alone when it has some, else
    every value any table recognises; keywords only when no value matched."""
    values = [str(v).strip() for v in values if v]
    own = _unique(datasud_slug(v) for v in values)
    if own:
        return own
    found = _unique(slug for v in values for slug in _value_slugs(v))
    return found or _unique(keyword_slug(k) for k in keywords)


def _value_slugs(value: str) -> list[Optional[str]]:
    """The DataSud themes of one value: the value's own, else, for free text listing
    several subjects (Opendatasoft's themes: « Transports, Déplacements »,
    « Administration, Gouvernement, Finances publiques, Citoyenneté »), each part's."""
    slug = slug_for(value)
    if slug or value.startswith(("http://", "https://")):
        return [slug]
    return [slug_for(part) for part in re.split(r"[,;/|]", value) if part.strip()]


def inspire_theme_for(values: Iterable[str]) -> Optional[str]:
    """The INSPIRE theme URI of a record (by URI or by label), else ``None``."""
    for value in values:
        value = (value or "").strip()
        code = _inspire_code(value)
        if code:
            return vocabularies.INSPIRE_THEME + code
        if value and text_key(value) in INSPIRE_LABELS:
            return INSPIRE_LABELS[text_key(value)]
    return None


def _unique(slugs: Iterable[Optional[str]]) -> list[str]:
    found: list[str] = []
    for slug in slugs:
        if slug and slug not in found:
            found.append(slug)
    return found
