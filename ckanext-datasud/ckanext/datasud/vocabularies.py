"""Controlled vocabularies of DataSud datasets and partners.

Each entry keeps a stable slug (stored in datasets and used in facets and URLs), its
French and English labels, and the URIs used when the dataset leaves the portal in
DCAT-AP (EU vocabularies) or INSPIRE / ISO 19115 metadata.
"""
from __future__ import annotations

from typing import NamedTuple

EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
INSPIRE_THEME = "http://inspire.ec.europa.eu/theme/"


class Theme(NamedTuple):
    slug: str
    fr: str
    en: str
    iso_topic: str  # ISO 19115 MD_TopicCategoryCode
    eu_theme: str  # EU Data Theme (DCAT-AP dcat:theme)

    @property
    def eu_theme_uri(self) -> str:
        return EU_THEME + self.eu_theme


# The 16 categories of the DataSud portal.
THEMES = [
    Theme("agriculture", "Agriculture, sylviculture et pêche", "Agriculture, forestry and fisheries", "farming", "AGRI"),
    Theme("administration", "Administration et action publique", "Administration and public action", "society", "GOVE"),
    Theme("citoyennete", "Citoyenneté et démocratie", "Citizenship and democracy", "society", "GOVE"),
    Theme("economie", "Économie et entreprises", "Economy and business", "economy", "ECON"),
    Theme("imagerie", "Imagerie et occupation du sol", "Imagery and land cover", "imageryBaseMapsEarthCover", "ENVI"),
    Theme("limites-administratives", "Limites administratives et référentiels", "Administrative boundaries and reference data", "boundaries", "REGI"),
    Theme("mer-littoral-montagne", "Mer, littoral et montagne", "Sea, coast and mountains", "oceans", "ENVI"),
    Theme("social-sante-sports", "Social, santé et sports", "Social affairs, health and sports", "health", "HEAL"),
    Theme("amenagement-urbanisme", "Aménagement et urbanisme", "Regional planning and urbanism", "planningCadastre", "REGI"),
    Theme("sciences-recherche", "Sciences, recherche et innovation", "Science, research and innovation", "society", "TECH"),
    Theme("energies-reseaux", "Énergies et réseaux", "Energy and networks", "utilitiesCommunication", "ENER"),
    Theme("equipements-logement", "Équipements, bâtiments et logement", "Facilities, buildings and housing", "structure", "REGI"),
    Theme("formation-emploi", "Formation, éducation et emploi", "Training, education and employment", "society", "EDUC"),
    Theme("culture-tourisme", "Culture, patrimoine et tourisme", "Culture, heritage and tourism", "society", "EDUC"),
    Theme("mobilite-transports", "Mobilité et transports", "Mobility and transport", "transportation", "TRAN"),
    Theme("environnement-climat", "Environnement et climat", "Environment and climate", "environment", "ENVI"),
]
THEMES_BY_SLUG = {t.slug: t for t in THEMES}


class Term(NamedTuple):
    value: str
    fr: str
    en: str


# Granularity: the finest level the data is described at.
GRANULARITIES = [
    Term("indefinie", "Indéfinie", "Undefined"),
    Term("region", "Région", "Region"),
    Term("departement", "Département", "Department"),
    Term("epci", "Intercommunalité (EPCI)", "Inter-municipality (EPCI)"),
    Term("commune", "Commune", "Municipality"),
    Term("parcelle", "Parcelle cadastrale", "Cadastral parcel"),
    Term("iris", "IRIS", "IRIS (INSEE statistical unit)"),
    Term("point", "Point d'intérêt", "Point of interest"),
]

# Geographic coverage: the territory the dataset covers, identified by its code.
SPATIAL_LEVELS = [
    Term("commune", "Commune (code INSEE)", "Municipality (INSEE code)"),
    Term("epci", "Intercommunalité (SIREN)", "Inter-municipality (SIREN)"),
    Term("departement", "Département (code INSEE)", "Department (INSEE code)"),
    Term("region", "Région (code INSEE)", "Region (INSEE code)"),
]

# EU "Frequency" authority table; the value stored is the URI DCAT-AP uses.
FREQUENCIES = [
    Term(EU_FREQUENCY + code, fr, en) for code, fr, en in [
        ("CONT", "En continu", "Continuous"),
        ("DAILY", "Quotidienne", "Daily"),
        ("WEEKLY", "Hebdomadaire", "Weekly"),
        ("MONTHLY", "Mensuelle", "Monthly"),
        ("QUARTERLY", "Trimestrielle", "Quarterly"),
        ("ANNUAL_2", "Semestrielle", "Semiannual"),
        ("ANNUAL", "Annuelle", "Annual"),
        ("BIENNIAL", "Tous les deux ans", "Biennial"),
        ("IRREG", "Irrégulière", "Irregular"),
        ("NEVER", "Jamais (données figées)", "Never"),
        ("UNKNOWN", "Inconnue", "Unknown"),
    ]
]

PUBLICATION_MODES = [
    Term("download", "Téléchargement", "Download"),
    Term("reference", "Référencement", "Reference"),
]

INSPIRE_CONFORMITY = [
    Term("conformant", "Conforme", "Conformant"),
    Term("not-conformant", "Non conforme", "Not conformant"),
    Term("not-evaluated", "Non évalué", "Not evaluated"),
]

# The 34 INSPIRE themes (Directive 2007/2/EC, annexes I to III); stored as URIs.
INSPIRE_THEMES = [
    Term(INSPIRE_THEME + code, fr, en) for code, fr, en in [
        ("rs", "Référentiels de coordonnées", "Coordinate reference systems"),
        ("gg", "Systèmes de maillage géographique", "Geographical grid systems"),
        ("gn", "Dénominations géographiques", "Geographical names"),
        ("au", "Unités administratives", "Administrative units"),
        ("ad", "Adresses", "Addresses"),
        ("cp", "Parcelles cadastrales", "Cadastral parcels"),
        ("tn", "Réseaux de transport", "Transport networks"),
        ("hy", "Hydrographie", "Hydrography"),
        ("ps", "Sites protégés", "Protected sites"),
        ("el", "Altitude", "Elevation"),
        ("lc", "Occupation des terres", "Land cover"),
        ("oi", "Ortho-imagerie", "Orthoimagery"),
        ("ge", "Géologie", "Geology"),
        ("su", "Unités statistiques", "Statistical units"),
        ("bu", "Bâtiments", "Buildings"),
        ("so", "Sols", "Soil"),
        ("lu", "Usage des sols", "Land use"),
        ("hh", "Santé et sécurité des personnes", "Human health and safety"),
        ("us", "Services d'utilité publique et services publics", "Utility and governmental services"),
        ("ef", "Installations de suivi environnemental", "Environmental monitoring facilities"),
        ("pf", "Lieux de production et sites industriels", "Production and industrial facilities"),
        ("af", "Installations agricoles et aquacoles", "Agricultural and aquaculture facilities"),
        ("pd", "Répartition de la population — démographie", "Population distribution — demography"),
        ("am", "Zones de gestion, de restriction ou de réglementation et unités de déclaration",
         "Area management/restriction/regulation zones and reporting units"),
        ("nz", "Zones à risque naturel", "Natural risk zones"),
        ("ac", "Conditions atmosphériques", "Atmospheric conditions"),
        ("mf", "Caractéristiques géographiques météorologiques", "Meteorological geographical features"),
        ("of", "Caractéristiques géographiques océanographiques", "Oceanographic geographical features"),
        ("sr", "Régions maritimes", "Sea regions"),
        ("br", "Régions biogéographiques", "Bio-geographical regions"),
        ("hb", "Habitats et biotopes", "Habitats and biotopes"),
        ("sd", "Répartition des espèces", "Species distribution"),
        ("er", "Sources d'énergie", "Energy resources"),
        ("mr", "Ressources minérales", "Mineral resources"),
    ]
]

# Resources: data files, or administrative documents linked to the dataset.
RESOURCE_TYPES = [
    Term("data", "Données", "Data"),
    Term("document", "Document administratif", "Administrative document"),
]
DOCUMENT_KINDS = [
    Term("deliberation", "Délibération", "Deliberation"),
    Term("convention", "Convention", "Agreement"),
    Term("arrete", "Arrêté", "Decree"),
    Term("rapport", "Rapport", "Report"),
    Term("autre", "Autre document", "Other document"),
]

# Organisations: the kind of partner.
PARTNER_TYPES = [
    Term("region", "Région", "Region"),
    Term("departement", "Département", "Department"),
    Term("epci", "Intercommunalité (EPCI)", "Inter-municipality (EPCI)"),
    Term("commune", "Commune", "Municipality"),
    Term("etablissement-public", "Établissement public", "Public body"),
    Term("association", "Association", "Association"),
    Term("entreprise", "Entreprise", "Company"),
    Term("autre", "Autre", "Other"),
]


# Partner conventions (model/convention.py): what they are about, and their life cycle.
CONVENTION_KINDS = [
    Term("partnership", "Convention de partenariat", "Partnership agreement"),
    Term("data_opening_support", "Accompagnement à l'ouverture des données", "Data-opening support"),
    Term("harvesting", "Convention de moissonnage", "Harvesting agreement"),
]
CONVENTION_STATUSES = [
    Term("draft", "Brouillon", "Draft"),
    Term("in_force", "En vigueur", "In force"),
    Term("suspended", "Suspendue", "Suspended"),
    Term("expired", "Expirée", "Expired"),
    Term("terminated", "Résiliée", "Terminated"),
]


def choices(terms) -> list[dict]:
    """ckanext-scheming choices (value + French/English label)."""
    return [{"value": t.value, "label": {"fr": t.fr, "en": t.en}} for t in terms]


def theme_choices() -> list[dict]:
    return [{"value": t.slug, "label": {"fr": t.fr, "en": t.en}} for t in THEMES]


VOCABULARIES = {
    "themes": theme_choices,
    "granularities": lambda: choices(GRANULARITIES),
    "spatial_levels": lambda: choices(SPATIAL_LEVELS),
    "frequencies": lambda: choices(FREQUENCIES),
    "publication_modes": lambda: choices(PUBLICATION_MODES),
    "inspire_conformity": lambda: choices(INSPIRE_CONFORMITY),
    "inspire_themes": lambda: choices(INSPIRE_THEMES),
    "resource_types": lambda: choices(RESOURCE_TYPES),
    "document_kinds": lambda: choices(DOCUMENT_KINDS),
    "partner_types": lambda: choices(PARTNER_TYPES),
    "convention_kinds": lambda: choices(CONVENTION_KINDS),
    "convention_statuses": lambda: choices(CONVENTION_STATUSES),
}


def values(vocabulary: str) -> set[str]:
    return {c["value"] for c in VOCABULARIES[vocabulary]()}


def label(vocabulary: str, value: str, lang: str = "fr") -> str:
    for c in VOCABULARIES[vocabulary]():
        if c["value"] == value:
            return c["label"].get(lang) or c["label"]["fr"]
    return value
