"""pycsw's configuration file, written from the portal's (``ckan datasud csw config``).

One source of truth: the public URL is ``<ckan.site_url>/csw``, the service metadata
(title, provider, contact) come from the portal's settings, the repository from
``ckanext.datasud.csw.repository``; transactions are allowed from
``ckanext.datasud.csw.allowed_ips`` only (127.0.0.1; the compose network in production,
where the service is not published).
"""
from __future__ import annotations

import configparser
import io
import os

import ckan.plugins.toolkit as tk


def public_url() -> str:
    return tk.config.get("ckan.site_url", "").rstrip("/") + "/csw"


def pycsw_config(home: str, repository: str = "", max_records: int = 50) -> str:
    """The text of pycsw's configuration (an ini file)."""
    repository = repository or tk.config.get("ckanext.datasud.csw.repository") or ""
    if not repository:
        raise ValueError("ckanext.datasud.csw.repository is not set")
    contact = tk.config.get("ckanext.datasud.csw.contact_email") or "opendata@datasud.invalid"
    title = tk.config.get("ckan.site_title") or "DataSud"
    config = configparser.ConfigParser(interpolation=None)
    config["server"] = {
        "home": home, "url": public_url(), "mimetype": "application/xml; charset=UTF-8", "encoding": "UTF-8",
        "language": "fr-FR", "maxrecords": str(max_records), "loglevel": "WARNING",
        "logfile": os.path.join(home, "pycsw.log"), "pretty_print": "false", "domainquerytype": "list",
        "domaincounts": "false", "profiles": "apiso"}
    allowed = tk.config.get("ckanext.datasud.csw.allowed_ips") or "127.0.0.1"
    config["manager"] = {"transactions": "true", "allowed_ips": allowed}
    config["metadata:main"] = {
        "identification_title": f"{title} — service de découverte INSPIRE",
        "identification_abstract": "Métadonnées INSPIRE (ISO 19139) des jeux de données géographiques publiés "
                                   "sur DataSud, le portail des données ouvertes de la Région Sud "
                                   "Provence-Alpes-Côte d'Azur et de ses partenaires.",
        "identification_keywords": "INSPIRE,données ouvertes,Provence-Alpes-Côte d'Azur,Région Sud",
        "identification_keywords_type": "theme", "identification_fees": "Aucun",
        "identification_accessconstraints": "Aucune",
        "provider_name": "Région Sud Provence-Alpes-Côte d'Azur", "provider_url": tk.config.get("ckan.site_url", ""),
        "contact_name": "Équipe DataSud", "contact_position": "Administrateur des données",
        "contact_address": "27 place Jules Guesde", "contact_city": "Marseille",
        "contact_stateorprovince": "Provence-Alpes-Côte d'Azur", "contact_postalcode": "13002",
        "contact_country": "France", "contact_phone": "", "contact_fax": "", "contact_email": contact,
        "contact_url": tk.config.get("ckan.site_url", ""), "contact_hours": "9h-17h",
        "contact_instructions": "Par courriel", "contact_role": "pointOfContact"}
    config["repository"] = {"database": repository, "table": "records"}
    config["metadata:inspire"] = {
        "enabled": "true", "languages_supported": "fre", "default_language": "fre", "date": "2026-01-01",
        "gemet_keywords": "Utility and governmental services", "conformity_service": "notEvaluated",
        "contact_name": "Équipe DataSud", "contact_email": contact, "temp_extent": "2012-01-01/now"}
    text = io.StringIO()
    config.write(text)
    return text.getvalue()


def write(path: str, repository: str = "") -> None:
    """Write the configuration to ``path`` (atomically: pycsw reads it at each request)."""
    home = os.path.dirname(os.path.abspath(path))
    os.makedirs(home, exist_ok=True)
    text = pycsw_config(home, repository)
    with open(path + ".new", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".new", path)
