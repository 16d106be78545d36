"""A published geographic dataset as an ISO 19139 / INSPIRE metadata record.

What the discovery service (``/csw``) serves to the regional SDI and the national
geocatalogue, written from the dataset as ``package_show`` gives it, following the
French INSPIRE metadata guide (CNIG, « Guide de saisie des éléments de métadonnées
INSPIRE », v2) and the INSPIRE Technical Guidance for metadata (ISO 19139 encoding):

- ``fileIdentifier``: the dataset's id; the resource identifier: its URL on the portal;
- title, abstract, dates (publication: ``issued``; revision: ``modified``), the
  producer as point of contact (with the dataset's contact point when given);
- keywords: the INSPIRE theme (GEMET thesaurus, as a ``gmx:Anchor`` to its URI),
  DataSud's themes (their own thesaurus), the free keywords; ISO topic categories
  from the themes;
- licence and access: no limitation on public access (INSPIRE code list), the licence
  title and URI as conditions of use;
- extent: the bounding box of ``spatial`` (GeoJSON), the territory's name, the
  temporal extent; spatial resolution; the update frequency as an ISO code;
- distribution: every data file (download), every administrative document and the
  dataset page (information), with their formats;
- quality: conformity to the INSPIRE interoperability regulation (1089/2010) and the
  lineage (``provenance``, or a sentence naming the producer).

The reader of harvested records (``harvesting/inspire.py``) reads these records back:
the tests check the round trip.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

from lxml import etree

from ckanext.datasud import vocabularies

NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "gml": "http://www.opengis.net/gml/3.2",
    "xlink": "http://www.w3.org/1999/xlink",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
SCHEMA_LOCATION = "http://www.isotc211.org/2005/gmd http://schemas.opengis.net/csw/2.0.2/profiles/apiso/1.0.0/apiso.xsd"
CODELISTS = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml"
INSPIRE_REGULATION = ("Règlement (UE) n° 1089/2010 de la Commission du 23 novembre 2010 portant modalités "
                      "d'application de la directive 2007/2/CE du Parlement européen et du Conseil en ce qui "
                      "concerne l'interopérabilité des séries et des services de données géographiques")
INSPIRE_REGULATION_URI = "http://data.europa.eu/eli/reg/2010/1089"
NO_LIMITATIONS = "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations"
GEMET_THESAURUS = "GEMET - INSPIRE themes, version 1.0"
DATASUD_THESAURUS = "Thèmes DataSud"

# EU frequency (the stored URI's last part) → ISO 19115 MD_MaintenanceFrequencyCode
MAINTENANCE_FREQUENCIES = {
    "CONT": "continual", "DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly",
    "QUARTERLY": "quarterly", "ANNUAL_2": "biannually", "ANNUAL": "annually", "BIENNIAL": "irregular",
    "IRREG": "irregular", "NEVER": "notPlanned", "UNKNOWN": "unknown",
}
DOWNLOAD_PROTOCOL = "WWW:DOWNLOAD-1.0-http--download"
LINK_PROTOCOL = "WWW:LINK-1.0-http--link"


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _el(parent, name: str, text: Optional[str] = None, **attributes: str):
    node = etree.SubElement(parent, _q(name))
    for key, value in attributes.items():
        node.set(_q(key.replace("__", ":")) if "__" in key else key, value)
    if text is not None:
        node.text = text
    return node


def _string(parent, name: str, text: str):
    return _el(_el(parent, name), "gco:CharacterString", text)


def _anchor(parent, name: str, text: str, href: str):
    return _el(_el(parent, name), "gmx:Anchor", text, xlink__href=href)


def _code(parent, name: str, code_list: str, value: str):
    return _el(_el(parent, name), f"gmd:{code_list}", value, codeList=f"{CODELISTS}#{code_list}",
               codeListValue=value)


def _date(parent, value: str, kind: str) -> None:
    date = _el(_el(parent, "gmd:date"), "gmd:CI_Date")
    _el(_el(date, "gmd:date"), "gco:Date", value[:10])
    _code(date, "gmd:dateType", "CI_DateTypeCode", kind)


def _party(parent, name: str, organisation: str, email: str, role: str, person: str = "") -> None:
    party = _el(_el(parent, name), "gmd:CI_ResponsibleParty")
    if person:
        _string(party, "gmd:individualName", person)
    _string(party, "gmd:organisationName", organisation)
    if email:
        address = _el(_el(_el(_el(party, "gmd:contactInfo"), "gmd:CI_Contact"), "gmd:address"), "gmd:CI_Address")
        _string(address, "gmd:electronicMailAddress", email)
    _code(party, "gmd:role", "CI_RoleCode", role)


def _keywords(parent, words: Iterable[tuple[str, Optional[str]]], thesaurus: Optional[tuple[str, str]] = None,
              kind: Optional[str] = None) -> None:
    words = list(words)
    if not words:
        return
    block = _el(_el(parent, "gmd:descriptiveKeywords"), "gmd:MD_Keywords")
    for word, uri in words:
        if uri:
            _anchor(block, "gmd:keyword", word, uri)
        else:
            _string(block, "gmd:keyword", word)
    if kind:
        _code(block, "gmd:type", "MD_KeywordTypeCode", kind)
    if thesaurus:
        citation = _el(_el(block, "gmd:thesaurusName"), "gmd:CI_Citation")
        _string(citation, "gmd:title", thesaurus[0])
        _date(citation, thesaurus[1], "publication")


def bounding_box(geometry: Any) -> Optional[tuple[float, float, float, float]]:
    """West, east, south, north of a GeoJSON geometry (a dict or its JSON text)."""
    import json
    if isinstance(geometry, str):
        try:
            geometry = json.loads(geometry)
        except ValueError:
            return None
    xs, ys = [], []

    def walk(value):
        if isinstance(value, (list, tuple)) and len(value) >= 2 and all(isinstance(v, (int, float)) for v in value[:2]):
            xs.append(float(value[0]))
            ys.append(float(value[1]))
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    if not isinstance(geometry, dict):
        return None
    if geometry.get("type") == "GeometryCollection":
        for part in geometry.get("geometries") or []:
            walk(part.get("coordinates") if isinstance(part, dict) else None)
    else:
        walk(geometry.get("coordinates"))
    if not xs:
        return None
    return min(xs), max(xs), min(ys), max(ys)


def is_geographic(dataset: dict[str, Any]) -> bool:
    """A dataset the discovery service describes: it has an extent."""
    return bounding_box(dataset.get("spatial")) is not None


def _themes(dataset: dict[str, Any]) -> list[vocabularies.Theme]:
    themes = dataset.get("themes") or []
    if isinstance(themes, str):
        themes = [themes]
    return [vocabularies.THEMES_BY_SLUG[t] for t in themes if t in vocabularies.THEMES_BY_SLUG]


def record(dataset: dict[str, Any], site_url: str, licence: Optional[dict[str, str]] = None) -> bytes:
    """The ISO 19139 record of ``dataset`` (as ``package_show`` returns it), UTF-8 bytes.
    ``licence``: its ``title`` and ``url`` (the portal's licence register)."""
    site_url = site_url.rstrip("/")
    page = f"{site_url}/dataset/{dataset['name']}"
    organization = dataset.get("organization") or {}
    producer = organization.get("title") or dataset.get("publisher_name") or "DataSud"
    contact_email = dataset.get("contact_email") or ""

    root = etree.Element(_q("gmd:MD_Metadata"), nsmap=NS)
    root.set(_q("xsi:schemaLocation"), SCHEMA_LOCATION)
    _string(root, "gmd:fileIdentifier", dataset["id"])
    _code(root, "gmd:language", "LanguageCode", "fre")
    _code(root, "gmd:characterSet", "MD_CharacterSetCode", "utf8")
    _code(root, "gmd:hierarchyLevel", "MD_ScopeCode", "dataset")
    _party(root, "gmd:contact", producer, contact_email, "pointOfContact", dataset.get("contact_name") or "")
    _el(_el(root, "gmd:dateStamp"), "gco:DateTime", (dataset.get("metadata_modified") or "")[:19])
    _string(root, "gmd:metadataStandardName", "ISO 19115:2003/19139")
    _string(root, "gmd:metadataStandardVersion", "1.0")
    reference = _el(_el(_el(root, "gmd:referenceSystemInfo"), "gmd:MD_ReferenceSystem"), "gmd:referenceSystemIdentifier")
    _anchor(_el(reference, "gmd:RS_Identifier"), "gmd:code", "WGS 84 (EPSG:4326)",
            "http://www.opengis.net/def/crs/EPSG/0/4326")

    identification = _el(_el(root, "gmd:identificationInfo"), "gmd:MD_DataIdentification")
    citation = _el(_el(identification, "gmd:citation"), "gmd:CI_Citation")
    _string(citation, "gmd:title", dataset.get("title") or dataset["name"])
    published = dataset.get("issued") or dataset.get("metadata_created") or ""
    revised = dataset.get("modified") or dataset.get("metadata_modified") or ""
    if published:
        _date(citation, published, "publication")
    if revised:
        _date(citation, revised, "revision")
    if dataset.get("version"):
        _string(citation, "gmd:edition", dataset["version"])
    _string(_el(_el(citation, "gmd:identifier"), "gmd:MD_Identifier"), "gmd:code", page)
    _string(identification, "gmd:abstract", dataset.get("notes") or dataset.get("title") or dataset["name"])
    _party(identification, "gmd:pointOfContact", producer, contact_email, "owner", dataset.get("contact_name") or "")

    frequency = (dataset.get("frequency") or "").rsplit("/", 1)[-1]
    if frequency in MAINTENANCE_FREQUENCIES:
        maintenance = _el(_el(identification, "gmd:resourceMaintenance"), "gmd:MD_MaintenanceInformation")
        _code(maintenance, "gmd:maintenanceAndUpdateFrequency", "MD_MaintenanceFrequencyCode",
              MAINTENANCE_FREQUENCIES[frequency])

    inspire_theme = dataset.get("inspire_theme")
    if inspire_theme:
        label = vocabularies.label("inspire_themes", inspire_theme, "fr")
        _keywords(identification, [(label, inspire_theme)], (GEMET_THESAURUS, "2008-06-01"), "theme")
    _keywords(identification, [(t.fr, f"{site_url}/themes/{t.slug}") for t in _themes(dataset)],
              (DATASUD_THESAURUS, "2017-01-01"), "theme")
    _keywords(identification, [(t["name"] if isinstance(t, dict) else str(t), None)
                               for t in dataset.get("tags") or []], kind="theme")
    if dataset.get("spatial_text"):
        _keywords(identification, [(dataset["spatial_text"], None)], kind="place")

    access = _el(_el(identification, "gmd:resourceConstraints"), "gmd:MD_LegalConstraints")
    _code(access, "gmd:accessConstraints", "MD_RestrictionCode", "otherRestrictions")
    _anchor(access, "gmd:otherConstraints", "Pas de restriction d'accès public", NO_LIMITATIONS)
    if licence:
        use = _el(_el(identification, "gmd:resourceConstraints"), "gmd:MD_LegalConstraints")
        _code(use, "gmd:useConstraints", "MD_RestrictionCode", "otherRestrictions")
        if licence.get("url"):
            _anchor(use, "gmd:otherConstraints", licence["title"], licence["url"])
        else:
            _string(use, "gmd:otherConstraints", licence["title"])

    resolution = dataset.get("spatial_resolution_in_meters")
    if resolution not in (None, ""):
        _el(_el(_el(_el(identification, "gmd:spatialResolution"), "gmd:MD_Resolution"), "gmd:distance"),
            "gco:Distance", str(resolution), uom="m")
    _code(identification, "gmd:language", "LanguageCode", "fre")
    _code(identification, "gmd:characterSet", "MD_CharacterSetCode", "utf8")
    for topic in dict.fromkeys(t.iso_topic for t in _themes(dataset)):
        _el(_el(identification, "gmd:topicCategory"), "gmd:MD_TopicCategoryCode", topic)

    extent = _el(_el(identification, "gmd:extent"), "gmd:EX_Extent")
    if dataset.get("spatial_text"):
        _string(extent, "gmd:description", dataset["spatial_text"])
    box = bounding_box(dataset.get("spatial"))
    if box:
        bbox = _el(_el(extent, "gmd:geographicElement"), "gmd:EX_GeographicBoundingBox")
        for name, value in zip(("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude",
                                "northBoundLatitude"), box):
            _el(_el(bbox, f"gmd:{name}"), "gco:Decimal", f"{value:.6f}")
    if dataset.get("temporal_start") or dataset.get("temporal_end"):
        period = _el(_el(_el(_el(extent, "gmd:temporalElement"), "gmd:EX_TemporalExtent"), "gmd:extent"),
                     "gml:TimePeriod", **{"gml__id": f"periode-{dataset['id']}"})
        for name, value in (("gml:beginPosition", dataset.get("temporal_start")),
                            ("gml:endPosition", dataset.get("temporal_end"))):
            if value:
                _el(period, name, value[:10])
            else:
                _el(period, name, indeterminatePosition="unknown")

    resources = [r for r in dataset.get("resources") or [] if r.get("url")]
    distribution = _el(_el(root, "gmd:distributionInfo"), "gmd:MD_Distribution")
    for fmt in dict.fromkeys((r.get("format") or "").strip() for r in resources if r.get("resource_type") != "document"):
        if fmt:
            md_format = _el(_el(distribution, "gmd:distributionFormat"), "gmd:MD_Format")
            _string(md_format, "gmd:name", fmt)
            _string(md_format, "gmd:version", "inconnue")
    transfer = _el(_el(distribution, "gmd:transferOptions"), "gmd:MD_DigitalTransferOptions")
    links = [(r["url"], r.get("name") or r.get("format") or "Fichier", r.get("description") or "",
              r.get("resource_type") != "document" and dataset.get("publication_mode") != "reference")
             for r in resources]
    links.append((page, f"{dataset.get('title') or dataset['name']} sur DataSud", "Fiche du jeu de données", False))
    for url, name, description, download in links:
        online = _el(_el(transfer, "gmd:onLine"), "gmd:CI_OnlineResource")
        _el(_el(online, "gmd:linkage"), "gmd:URL", url)
        _string(online, "gmd:protocol", DOWNLOAD_PROTOCOL if download else LINK_PROTOCOL)
        _string(online, "gmd:name", name)
        if description:
            _string(online, "gmd:description", description)
        _code(online, "gmd:function", "CI_OnLineFunctionCode", "download" if download else "information")

    quality = _el(_el(root, "gmd:dataQualityInfo"), "gmd:DQ_DataQuality")
    _code(_el(_el(quality, "gmd:scope"), "gmd:DQ_Scope"), "gmd:level", "MD_ScopeCode", "dataset")
    result = _el(_el(_el(_el(quality, "gmd:report"), "gmd:DQ_DomainConsistency"), "gmd:result"),
                 "gmd:DQ_ConformanceResult")
    specification = _el(_el(result, "gmd:specification"), "gmd:CI_Citation")
    _anchor(specification, "gmd:title", INSPIRE_REGULATION, INSPIRE_REGULATION_URI)
    _date(specification, "2010-12-08", "publication")
    conformity = dataset.get("inspire_conformity") or "not-evaluated"
    _string(result, "gmd:explanation", {"conformant": "Les données sont conformes au règlement.",
                                        "not-conformant": "Les données ne sont pas conformes au règlement."}
            .get(conformity, "La conformité n'a pas été évaluée."))
    if conformity in ("conformant", "not-conformant"):
        _el(_el(result, "gmd:pass"), "gco:Boolean", "true" if conformity == "conformant" else "false")
    else:
        _el(result, "gmd:pass", **{"gco__nilReason": "unknown"})
    lineage = dataset.get("provenance") or f"Données produites par {producer} et publiées sur DataSud."
    _string(_el(_el(quality, "gmd:lineage"), "gmd:LI_Lineage"), "gmd:statement", lineage)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
