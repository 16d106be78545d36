"""DataSud's DCAT-AP profile, run after ckanext-dcat's ``euro_dcat_ap_3``.

    ckanext.dcat.rdf.profiles = euro_dcat_ap_3 datasud

ckanext-dcat already writes the fields whose names it knows (contact point,
temporal coverage, frequency, landing page, spatial label and geometry, ...). This
profile adds what is DataSud's own:

- themes: the EU Data Theme of each DataSud theme, DataSud's own theme concept beside it
  (``<site_url>/themes/<slug>``, in the scheme ``<site_url>/themes``: an EU theme stands
  for several DataSud themes), and the INSPIRE theme;
- what DCAT-AP has no term for, in DataSud's namespace ``<site_url>/ns#``: publication
  mode, granularity, level of the geographic coverage, INSPIRE conformity, the kind of
  each resource (so that another DataSud harvesting this one gets them back);
- licences: the licence URI of licenses.json on every distribution (a resource's own
  licence, else the dataset's);
- publication mode: in ``reference`` mode distributions only give an access URL (the
  data stays on the producer's site, the landing page is the producer's page); in
  ``download`` mode files hosted here also get a download URL;
- the INSEE / SIREN code of the geographic coverage, and French as the language;
- what the DCAT-AP 3 SHACL shapes (shared/dcat-ap-shacl) expect of the values ckanext-dcat
  writes as plain literals: formats as EU file types, media types as IANA IRIs, themes
  as SKOS concepts, the catalogue's publisher.

ckanext-dcat runs the same profiles to *parse* harvested RDF: :meth:`parse_dataset`
completes the stock reading of every harvested record (languages, themes of every
vocabulary, licences on the dataset or as labelled blank nodes, publishers as vCard or
SKOS, extents by URI or as WKT/GeoJSON/GML, DataSud's own terms) for
:func:`ckanext.datasud.harvesting.mapping.to_datasud`.
"""
from __future__ import annotations

import functools
import json
import re
from contextvars import ContextVar
from typing import Optional
from urllib.parse import urlsplit

from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import FOAF, RDFS, SKOS, XSD

import ckan.plugins.toolkit as tk
from ckanext.dcat.profiles import DCAT, DCT, GSP, LOCN, RDF, SCHEMA, VCARD
from ckanext.dcat.profiles.base import CleanedURIRef, RDFProfile, URIRefOrLiteral
from ckanext.dcat.utils import publisher_uri_organization_fallback, resource_uri

from ckanext.datasud import dcat_fragments, licences, vocabularies
from ckanext.datasud.harvesting import geometry, inspire, mapping, themes
from ckanext.datasud.harvesting.mapping import KEYWORDS_AS_WRITTEN, LANDING_PAGES

LANGUAGE_FRA = URIRef("http://publications.europa.eu/resource/authority/language/FRA")
#: The DCAT-AP version of the base profile running (set by dcat_endpoints.py while it
#: serialises): "2" for ``euro_dcat_ap_2``, whose SHACL shapes (2.1.1) know SHA-1 checksums only.
DCAT_AP_VERSION: ContextVar[str] = ContextVar("datasud_dcat_ap_version", default="3")
SPDX = Namespace("http://spdx.org/rdf/terms#")
EU_THEME_SCHEME = URIRef("http://publications.europa.eu/resource/authority/data-theme")
ADMS = Namespace("http://www.w3.org/ns/adms#")
# ADMS publisher types of DataSud's kinds of partner (organization.yaml's partner_type)
PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
PUBLISHER_TYPES = {"region": "RegionalAuthority", "departement": "LocalAuthority", "epci": "LocalAuthority",
                   "commune": "LocalAuthority", "association": "NonProfitOrganisation", "entreprise": "Company"}
PUBLISHER_TYPE_LABELS = {"RegionalAuthority": "Regional authority", "LocalAuthority": "Local authority",
                         "NonProfitOrganisation": "Non-profit organisation", "Company": "Company"}
# GeoDCAT-AP: INSPIRE conformity as dct:conformsTo the interoperability regulation, and
# the INSPIRE resource type of a geographic dataset.
INSPIRE_REGULATION = URIRef("http://data.europa.eu/eli/reg/2010/1089/oj")
INSPIRE_REGULATION_TITLE = ("Règlement (UE) n° 1089/2010 de la Commission du 23 novembre 2010 portant modalités "
                            "d'application de la directive 2007/2/CE en ce qui concerne l'interopérabilité des "
                            "séries et des services de données géographiques")
INSPIRE_DATASET_TYPE = URIRef("http://inspire.ec.europa.eu/metadata-codelist/ResourceType/dataset")
#: GeoDCAT-AP's URI of an ISO 19115 topic category (DataSud themes give one each).
ISO_TOPIC = "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/"
ISO_TOPIC_LABELS = {
    "farming": "Farming", "society": "Society", "economy": "Economy", "boundaries": "Boundaries",
    "imageryBaseMapsEarthCover": "Imagery base maps earth cover", "oceans": "Oceans", "health": "Health",
    "planningCadastre": "Planning cadastre", "utilitiesCommunication": "Utilities communication",
    "structure": "Structure", "transportation": "Transportation", "environment": "Environment",
}
# skos:prefLabel of the concepts used as dcat:theme (EU Data Theme and INSPIRE theme tables)
THEME_LABELS = {
    vocabularies.EU_THEME + code: label for code, label in [
        ("AGRI", "Agriculture, fisheries, forestry and food"), ("ECON", "Economy and finance"),
        ("EDUC", "Education, culture and sport"), ("ENER", "Energy"), ("ENVI", "Environment"),
        ("GOVE", "Government and public sector"), ("HEAL", "Health"), ("INTR", "International issues"),
        ("JUST", "Justice, legal system and public safety"), ("REGI", "Regions and cities"),
        ("SOCI", "Population and society"), ("TECH", "Science and technology"), ("TRAN", "Transport"),
    ]
}
THEME_LABELS.update({term.value: term.en for term in vocabularies.INSPIRE_THEMES})
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
IANA_MEDIA_TYPE = "https://www.iana.org/assignments/media-types/"
# CKAN format labels -> EU "file type" authority codes
FILE_TYPES = {
    "CSV": "CSV", "TSV": "TSV", "JSON": "JSON", "GEOJSON": "GEOJSON", "XML": "XML", "HTML": "HTML",
    "PDF": "PDF", "XLS": "XLS", "XLSX": "XLSX", "ODS": "ODS", "ZIP": "ZIP", "SHP": "SHP", "KML": "KML",
    "GPKG": "GPKG", "RDF": "RDF", "TTL": "RDF_TURTLE", "TXT": "TXT", "DOC": "DOC", "DOCX": "DOCX",
    "ODT": "ODT", "PNG": "PNG", "JPEG": "JPEG", "GTFS": "GTFS", "WMS": "WMS_SRVC", "WFS": "WFS_SRVC",
}


def _themes(dataset_dict: dict) -> list[str]:
    themes = dataset_dict.get("themes") or []
    if isinstance(themes, str):
        try:
            themes = json.loads(themes)
        except ValueError:
            themes = [themes]
    return [t for t in themes if t in vocabularies.THEMES_BY_SLUG]


def read_as_written(g, dataset_ref, dataset_dict: dict) -> None:
    """Every dcat:landingPage (ckanext-dcat keeps one) and the dcat:keyword literals
    unsplit (ckanext-dcat splits "Culture, Société, Service" on its commas), in the
    record's preferred language, for the harvest's mapping (harvesting/mapping.py chooses
    and cleans them with harvesting/values.py). Sorted: rdflib gives triples in no stable
    order, and the record's digest must not change between two reads."""
    dataset_dict[LANDING_PAGES] = sorted(f"_:{o}" if isinstance(o, BNode) else str(o)
                                         for o in g.objects(dataset_ref, DCAT.landingPage))
    by_language: dict[str, list[str]] = {}
    for keyword in g.objects(dataset_ref, DCAT.keyword):
        if isinstance(keyword, Literal):
            language = language_code(keyword.language)
            by_language.setdefault(language, []).append(str(keyword))
    tagged = sorted(k for k in by_language if k)
    language = "fr" if "fr" in by_language else "en" if "en" in by_language else (tagged[0] if tagged else "")
    chosen = by_language.get(language, []) + (by_language.get("", []) if language else [])
    dataset_dict[KEYWORDS_AS_WRITTEN] = sorted(chosen)


# --- Reading a harvested record (the profile's parse_dataset) -------------------------
# ckanext-dcat reads one value per field, in the portal's language else the first found,
# a licence only on distributions and only when the register knows it, a publisher only
# by foaf:name, an extent only in a dct:Location node. What follows completes its dict
# (keys of mapping.py: mapping.to_datasud turns them into DataSud's fields).

DCATAP = Namespace("http://data.europa.eu/r5r/")
LABELS = (SKOS.prefLabel, RDFS.label, DCT.title, FOAF.name, VCARD.fn, VCARD["organization-name"],
          LOCN.geographicName, SKOS.altLabel)
AGENT_NAMES = (FOAF.name, VCARD.fn, VCARD["organization-name"], SKOS.prefLabel, RDFS.label, DCT.title)
GEOMETRY_VALUES = (GSP.asWKT, GSP.asGeoJSON, GSP.asGML, LOCN.geometry, RDF.value)
PLACE_GEOMETRIES = (GSP.asWKT, GSP.asGeoJSON, GSP.asGML)
# INSEE's territories: http://id.insee.fr/geo/<level>/<code> (older) or /<uuid> with the
# code in igeo:codeINSEE (current).
INSEE_GEO = re.compile(r"^https?://id\.insee\.fr/geo/(commune|departement|region|intercommunalite|epci)/"
                       r"([^/]+)/?$")
INSEE_CODE = re.compile(r"^[0-9][0-9AB][0-9]*$")
IGEO_CODE = URIRef("http://rdf.insee.fr/def/geo#codeINSEE")
# DataSud's own terms (<site_url>/ns#<name>), read whatever the host of the portal.
DATASUD_TERMS = ("publicationMode", "granularity", "spatialLevel", "inspireConformity",
                 "resourceType", "documentKind", "documentDate")


# ISO 639-2 codes some exporters tag literals with (GeoNetwork's GeoDCAT-AP writes
# xml:lang="fre", as its ISO 19139 records do), as the two-letter codes RDF uses.
ISO_639_2 = {"fre": "fr", "fra": "fr", "eng": "en", "ger": "de", "deu": "de", "ita": "it", "spa": "es",
             "cat": "ca", "por": "pt", "dut": "nl", "nld": "nl", "oci": "oc"}


def language_code(tag: Optional[str]) -> str:
    """The language of a literal's tag, in two letters when it has them: ``fr`` for
    ``fr``, ``fr-FR``, ``fre``, ``fra`` or ``fr-t-it-t0-mtec``."""
    primary = (tag or "").lower().split("-")[0]
    return ISO_639_2.get(primary, primary)


def _language(literal: Literal) -> str:
    return language_code(literal.language)


def translated_by_machine(literal: Literal) -> Optional[str]:
    """For a text translated by machine, the language it was translated from (``""``
    when unsaid); ``None`` for any other text. data.europa.eu adds such translations to
    the records it harvests, tagged with BCP 47's transformed-content extension (RFC
    6497): ``fr-t-it-t0-mtec`` is French, translated by machine (``t0-mtec``) from
    Italian."""
    parts = (getattr(literal, "language", None) or "").lower().split("-")
    if "t" not in parts[1:]:
        return None
    fields = parts[parts.index("t", 1) + 1:]
    if "t0" not in fields or fields[fields.index("t0") + 1:fields.index("t0") + 2] != ["mtec"]:
        return None
    return fields[0] if fields and re.fullmatch(r"[a-z]{2,3}", fields[0]) else ""


def pick_literal(values) -> Optional[Literal]:
    """The value to keep among several languages: French, then English, then untagged,
    then the first (in a stable order: a graph has none); in each language, what people
    wrote before what a machine translated."""
    literals = sorted((v for v in values if isinstance(v, Literal) and str(v).strip()),
                      key=lambda v: (_language(v), translated_by_machine(v) is not None, str(v)))
    for wanted in ("fr", "en", ""):
        for literal in literals:
            if _language(literal) == wanted:
                return literal
    return literals[0] if literals else None


def node_label(g, node, predicates=LABELS) -> Optional[str]:
    """The label of a node (French first), from the first predicate giving one."""
    for predicate in predicates:
        label = pick_literal(g.objects(node, predicate))
        if label is not None:
            return str(label).strip()
    return None


def node_values(g, node) -> list[str]:
    """A node as strings: its URI, then its label; a literal's text."""
    if isinstance(node, Literal):
        return [str(node).strip()] if str(node).strip() else []
    values = [str(node)] if isinstance(node, URIRef) else []
    label = node_label(g, node, LABELS + (DCT.identifier,))
    return values + ([label] if label else [])


def datasud_terms(g, subject) -> dict[str, str]:
    """DataSud's own terms on a subject, by name, whatever the portal that wrote them."""
    found = {}
    for predicate, value in g.predicate_objects(subject):
        namespace, _, name = str(predicate).rpartition("#")
        if name in DATASUD_TERMS and namespace.endswith("/ns") and isinstance(value, Literal):
            found[name] = str(value)
    return found


def prepare_graph(g) -> None:
    """Before any profile reads a harvested graph: a geometry given as a node
    (``locn:geometry [ a sf:Polygon ; gsp:asWKT "…" ]``, GeoDCAT-AP's other form) is
    replaced by its literals, which ckanext-dcat expects (it fails on the whole
    catalogue otherwise) and :func:`read_extent` reads."""
    for predicate in (LOCN.geometry, DCAT.bbox, DCAT.centroid):
        for subject, node in list(g.subject_objects(predicate)):
            if isinstance(node, Literal):
                continue
            g.remove((subject, predicate, node))
            for value_predicate in GEOMETRY_VALUES:
                for value in g.objects(node, value_predicate):
                    if isinstance(value, Literal):
                        g.add((subject, predicate, value))


def stable(g, nodes) -> list:
    """Nodes in an order that does not change between two reads of the same document
    (blank nodes get new ids at each parse: they are ordered by their label)."""
    def key(node):
        if isinstance(node, BNode):
            return (1, node_label(g, node, LABELS + (DCT.identifier,)) or "")
        return (0, str(node))
    return sorted(nodes, key=key)


ISO_PROTOCOL = re.compile(r"^\s*(OGC|OGC API|WWW|ESRI|OSGEO|GLG|W3C|DB|FILE|OPENDAP|UKST|EEA|INSPIRE|ATOM)\s*:",
                          re.IGNORECASE)


def _known_format(value) -> Optional[str]:
    """CKAN's label of a format written as a literal (``shp``, ``geojson``): what the
    publisher says the file is, which ckanext-dcat replaces by the label of the media
    type when there is one (a zipped Shapefile served as ``application/zip`` would read
    « ZIP »); ``None`` for a media type, a URI or a label CKAN does not know."""
    if not isinstance(value, Literal) or "/" in str(value) or not str(value).strip():
        return None
    known = tk.h.resource_formats().get(str(value).strip().lower().lstrip("."))
    return known[1] if known else None


def read_semantics(g, dataset_ref, dataset_dict: dict) -> None:
    """Languages, themes, licences, publisher, extent and DataSud's terms of a record."""
    dataset_dict.setdefault(mapping.WARNINGS, [])
    read_texts(g, dataset_ref, dataset_dict)
    read_statements(g, dataset_ref, dataset_dict)
    read_themes(g, dataset_ref, dataset_dict)
    read_licences(g, dataset_ref, dataset_dict)
    read_publisher(g, dataset_ref, dataset_dict)
    read_extent(g, dataset_ref, dataset_dict)
    read_documents(g, dataset_ref, dataset_dict)
    terms = datasud_terms(g, dataset_ref)
    for key, name in (("granularity", "granularity"), ("spatial_level", "spatialLevel"),
                      ("inspire_conformity", "inspireConformity")):
        if terms.get(name):
            dataset_dict[key] = terms[name]
    for resource in dataset_dict.get("resources") or []:
        distribution = _distribution(g, dataset_ref, resource)
        if distribution is None:
            continue
        for key, predicate in (("name", DCT.title), ("description", DCT.description)):
            chosen = pick_literal(g.objects(distribution, predicate))
            if chosen is not None:
                resource[key] = str(chosen)
        written = g.value(distribution, DCT["format"])
        written_format = _known_format(written)
        if written_format:
            resource["format"] = written_format
        elif isinstance(written, Literal) and ISO_PROTOCOL.match(str(written)):
            # GeoNetwork's DCAT writes the ISO 19139 protocol (OGC:WMS, WWW:DOWNLOAD-1.0-http--download)
            resource["format"] = inspire.resource_format(
                resource.get("url") or resource.get("access_url") or "", str(written), resource.get("name") or "", [])
        terms = datasud_terms(g, distribution)
        for key, name in (("resource_type", "resourceType"), ("document_kind", "documentKind"),
                          ("document_date", "documentDate")):
            if terms.get(name):
                resource[key] = terms[name]


def read_texts(g, dataset_ref, dataset_dict: dict) -> None:
    """Title and description in French, else English, else untagged, else the first;
    a text translated by machine is kept with a warning naming its original."""
    for key, predicate in (("title", DCT.title), ("notes", DCT.description)):
        written = list(g.objects(dataset_ref, predicate))
        chosen = pick_literal(written)
        if chosen is None:
            continue
        dataset_dict[key] = str(chosen)
        source = translated_by_machine(chosen)
        if source is not None:
            dataset_dict.setdefault(mapping.WARNINGS, []).append(
                _machine_translation_warning(dataset_dict, key, chosen, source, written))


IMAGE_EXTENSIONS = ("JPEG", "JPG", "PNG", "GIF", "SVG", "WEBP")


def read_documents(g, dataset_ref, dataset_dict: dict) -> None:
    """The dataset's documentation (``foaf:page``: a notice, a report, a specification;
    GeoDCAT-AP writes there the record's links that are not data) as document resources,
    after its distributions: its title and description, its format and kind from its
    address and words. Left out: what is already a distribution or a landing page, and
    images (GeoNetwork's thumbnails)."""
    known = {str(o) for o in g.objects(dataset_ref, DCAT.landingPage)}
    for resource in dataset_dict.get("resources") or []:
        known.update(str(resource.get(k)) for k in ("url", "access_url", "download_url") if resource.get(k))
    documents = []
    for page in stable(g, g.objects(dataset_ref, FOAF.page)):
        url = str(page)
        if not isinstance(page, URIRef) or not url.startswith(("http://", "https://")) or url in known:
            continue
        known.add(url)
        name = node_label(g, page, (DCT.title, RDFS.label, SKOS.prefLabel)) or ""
        description = node_label(g, page, (DCT.description,)) or ""
        if urlsplit(url).path.rsplit("/", 1)[-1].rpartition(".")[2].upper() in IMAGE_EXTENSIONS:
            continue
        fmt = inspire.resource_format(url, "", f"{name} {description}", [])
        kind = inspire.resource_kind(fmt, "", "", f"{name} {description}")[1] or "autre"
        documents.append({"url": url, "name": name or description or url, "description": description if name else "",
                          "format": fmt, "resource_type": "document", "document_kind": kind})
    dataset_dict.setdefault("resources", []).extend(documents)


# Values ckanext-dcat reads as one string, where a node (a blank one above all) would
# give its identifier, a different one at each reading: « N3f2a… » as provenance, and a
# record rewritten at every harvest. (key, predicate, whether a node's URI says more
# than its label)
STATEMENTS = (("provenance", DCT.provenance, False), ("version_notes", ADMS.versionNotes, False),
              ("frequency", DCT.accrualPeriodicity, True))
STATEMENT_TEXTS = (RDFS.label, SKOS.prefLabel, DCT.description, DCT.title, RDF.value)


def read_statements(g, dataset_ref, dataset_dict: dict) -> None:
    """Provenance, version notes and frequency as one string: a literal (French first),
    else a node's text (``dct:ProvenanceStatement`` with ``rdfs:label`` or, as GeoNetwork's
    GeoDCAT-AP writes it, ``dct:description``; a frequency node with its
    ``skos:prefLabel``) or its URI (first, for a frequency); a blank node without text
    gives nothing."""
    extras = dataset_dict.setdefault("extras", [])
    for key, predicate, uri_first in STATEMENTS:
        objects = list(g.objects(dataset_ref, predicate))
        if not objects:
            continue
        chosen = pick_literal(objects)
        text = str(chosen).strip() if chosen is not None else None
        for node in ([] if text else stable(g, objects)):
            uri = str(node) if isinstance(node, URIRef) else None
            text = (uri or node_label(g, node, STATEMENT_TEXTS)) if uri_first else \
                (node_label(g, node, STATEMENT_TEXTS) or uri)
            if text:
                break
        at_root = key in dataset_dict  # where the profiles before this one put it (scheming: at the root)
        extras[:] = [e for e in extras if e.get("key") != key]
        dataset_dict.pop(key, None)
        if text and at_root:
            dataset_dict[key] = text
        elif text:
            extras.append({"key": key, "value": text})


FIELD_NAMES = {"title": "titre", "notes": "description"}
LANGUAGE_NAMES = {"it": "l'italien", "en": "l'anglais", "de": "l'allemand", "es": "l'espagnol",
                  "ca": "le catalan", "pt": "le portugais", "nl": "le néerlandais", "oc": "l'occitan",
                  "fr": "le français"}


def _machine_translation_warning(dataset_dict: dict, key: str, chosen: Literal, source: str, written) -> str:
    originals = [v for v in written if isinstance(v, Literal) and translated_by_machine(v) is None
                 and str(v).strip() and (not source or _language(v) == source)]
    original = pick_literal(originals)
    said = LANGUAGE_NAMES.get(source, f"la langue « {source} »") if source else ""
    text = f"texte traduit automatiquement{' de ' + said if said else ''} (langue « {chosen.language} ») : il est " \
           "importé tel quel"
    if original is not None:
        shown = " ".join(str(original).split())
        text += f" ; le texte original est « {shown[:200]}{'…' if len(shown) > 200 else ''} »"
    return mapping.warning(dataset_dict, FIELD_NAMES[key], str(chosen), text + ".")


def read_themes(g, dataset_ref, dataset_dict: dict) -> None:
    """Every theme value: dcat:theme, dct:subject (GeoDCAT-AP topic categories) and
    dcatap:hvdCategory, as URIs and labels; mapping.themes_for sorts them out."""
    values = set()
    for predicate in (DCAT.theme, DCT.subject, DCATAP.hvdCategory):
        for node in g.objects(dataset_ref, predicate):
            values.update(node_values(g, node))
    dataset_dict[mapping.THEME_VALUES] = sorted(values)


def _distribution(g, dataset_ref, resource: dict):
    for distribution in g.objects(dataset_ref, DCAT.distribution):
        if str(distribution) == resource.get("distribution_ref"):
            return distribution
    return None


def _licence_values(g, nodes) -> list[str]:
    """Values naming the licences of ``nodes`` (URIs first, then labels), sorted per node."""
    values: list[str] = []
    for node in stable(g, nodes):
        values += [v for v in node_values(g, node) if v not in values]
    return values


def read_licences(g, dataset_ref, dataset_dict: dict) -> None:
    """The licence values of the record, best first: the dataset's dct:license (French
    exports put it there), its distributions' ones, then dct:rights statements. A licence
    given as a blank node with a label or a title is read by that label."""
    distributions = stable(g, g.objects(dataset_ref, DCAT.distribution))
    values = _licence_values(g, g.objects(dataset_ref, DCT.license))
    for distribution in distributions:
        values += [v for v in _licence_values(g, g.objects(distribution, DCT.license)) if v not in values]
    rights = _licence_values(g, g.objects(dataset_ref, DCT.rights))
    for distribution in distributions:
        rights += _licence_values(g, g.objects(distribution, DCT.rights))
    values += [v for v in rights if v not in values]
    dataset_dict[mapping.LICENCE_VALUES] = values
    for resource in dataset_dict.get("resources") or []:
        distribution = _distribution(g, dataset_ref, resource)
        if distribution is None:
            continue
        own = _licence_values(g, g.objects(distribution, DCT.license))
        known = [v for v in own if licences.licence_id_for(v)]
        if own:
            resource["license"] = (known or own)[0]


def read_publisher(g, dataset_ref, dataset_dict: dict) -> None:
    """The publisher's name, French first, from foaf:name, vcard:fn or
    vcard:organization-name, skos:prefLabel (a skos:Concept such as the EU corporate
    bodies), rdfs:label or dct:title."""
    publishers = stable(g, g.objects(dataset_ref, DCT.publisher))
    for publisher in publishers:
        name = node_label(g, publisher, AGENT_NAMES) if not isinstance(publisher, Literal) else str(publisher)
        if name:
            dataset_dict["publisher_name"] = name
            return
    for publisher in publishers:
        if isinstance(publisher, URIRef):
            dataset_dict[mapping.WARNINGS].append(mapping.warning(
                dataset_dict, "éditeur", str(publisher),
                "éditeur donné par sa seule adresse, sans nom dans le catalogue : le nom de l'éditeur reste vide."))
            return


def read_extent(g, dataset_ref, dataset_dict: dict) -> None:
    """dct:spatial: a territory by URI (INSEE commune, département or région: level and
    code; GeoNames, EU places, others: their label, else the URI, as text), and the
    geometry of the extent (locn:geometry, else dcat:bbox, else dcat:centroid; WKT,
    GeoJSON or GML, as a literal or inside a geometry node)."""
    places = stable(g, g.objects(dataset_ref, DCT.spatial))
    texts: list[str] = []
    geometries: dict = {}
    terms = datasud_terms(g, dataset_ref)
    for place in places:
        if isinstance(place, Literal):
            texts.append(str(place).strip())
            continue
        label = node_label(g, place)
        uri = str(place) if isinstance(place, URIRef) else None
        if label or uri:
            texts.append(label or uri)
        insee = INSEE_GEO.match(uri or "")
        code = g.value(place, DCT.identifier)
        insee_code = str(g.value(place, IGEO_CODE) or (insee.group(2) if insee else ""))
        if insee and INSEE_CODE.match(insee_code):
            level = {"intercommunalite": "epci"}.get(insee.group(1), insee.group(1))
            dataset_dict["spatial_level"], dataset_dict["spatial_code"] = level, insee_code
        elif code is not None and terms.get("spatialLevel"):
            dataset_dict["spatial_level"], dataset_dict["spatial_code"] = terms["spatialLevel"], str(code)
        # the place as a geometry node itself (GeoNetwork 4: dct:spatial [ a ogc:Polygon ; geo:asWKT ... ])
        for literal in sorted((v for p in PLACE_GEOMETRIES for v in g.objects(place, p) if isinstance(v, Literal)),
                              key=str):
            geojson = geometry.to_geojson(literal)
            if geojson is not None:
                geometries.setdefault(0, geojson)
        for rank, predicate in enumerate((LOCN.geometry, DCAT.bbox, DCAT.centroid)):
            for value in g.objects(place, predicate):
                literals = [value] if isinstance(value, Literal) else \
                    [v for p in GEOMETRY_VALUES for v in g.objects(value, p) if isinstance(v, Literal)]
                for literal in sorted(literals, key=str):
                    geojson = geometry.to_geojson(literal)
                    if geojson is None:
                        dataset_dict[mapping.WARNINGS].append(mapping.warning(
                            dataset_dict, "emprise", str(literal),
                            "géométrie illisible (WKT, GeoJSON ou GML en WGS 84 attendu) : elle est ignorée."))
                    else:
                        geometries.setdefault(rank, geojson)
    if texts:
        dataset_dict["spatial_text"] = "; ".join(dict.fromkeys(t for t in texts if t))
    if geometries:
        dataset_dict["spatial"] = json.dumps(geometries[min(geometries)])


def schema_org(g, dataset_dict: dict, dataset_ref) -> None:
    """The schema.org Dataset of the dataset page (Google Dataset Search), completed:

    - in French (``inLanguage``), free to access, one publication date;
    - the coverage as a ``GeoShape`` ``box`` (``"south west north east"``, schema.org's
      syntax; ckanext-dcat wrote the GeoJSON text as a ``polygon``) with the INSEE / SIREN
      code of the territory;
    - each data file a ``DataDownload`` whose ``contentUrl`` is the file itself (the
      upload on DataSud or the producer's file), not the download-counting URL: search
      engines' robots are not counted anyway, and the file's URL is stable. In reference
      mode the data is on the producer's site: only its ``url``. Administrative documents
      are no data: ``subjectOf`` (a CreativeWork), not ``distribution``.
    """
    g.add((dataset_ref, SCHEMA.inLanguage, Literal("fr")))
    g.add((dataset_ref, SCHEMA.isAccessibleForFree, Literal(True)))
    published = sorted(g.objects(dataset_ref, SCHEMA.datePublished), key=lambda v: (len(str(v)), str(v)))
    for extra in published[1:]:
        g.remove((dataset_ref, SCHEMA.datePublished, extra))
    extent = geometry.to_geojson(dataset_dict.get("spatial")) if dataset_dict.get("spatial") else None
    for place in g.objects(dataset_ref, SCHEMA.spatialCoverage):
        if dataset_dict.get("spatial_code"):
            g.add((place, SCHEMA.identifier, Literal(dataset_dict["spatial_code"])))
        if dataset_dict.get("spatial_text"):
            g.add((place, SCHEMA.name, Literal(dataset_dict["spatial_text"])))
        for shape_node in g.objects(place, SCHEMA.geo):
            g.remove((shape_node, SCHEMA.polygon, None))
            if extent:
                from shapely.geometry import shape
                minx, miny, maxx, maxy = shape(extent).bounds
                g.add((shape_node, SCHEMA.box, Literal(f"{miny} {minx} {maxy} {maxx}")))
    reference = dataset_dict.get("publication_mode") == "reference"
    for resource in dataset_dict.get("resources", []):
        node = URIRef(resource_uri(resource))
        url = resource.get("url") or ""
        if resource.get("resource_type") == "document":
            g.remove((dataset_ref, SCHEMA.distribution, node))
            g.remove((node, RDF.type, SCHEMA.DataDownload))
            g.add((node, RDF.type, SCHEMA.CreativeWork))
            g.add((dataset_ref, SCHEMA.subjectOf, node))
            continue
        if not reference and url and not list(g.objects(node, SCHEMA.contentUrl)):
            g.add((node, SCHEMA.contentUrl, Literal(url)))


@functools.lru_cache(maxsize=256)
def _box_and_centroid(spatial: str) -> Optional[tuple[str, str]]:
    """A dataset's extent as a WKT bounding box and centroid (None when it is not a
    usable geometry). Kept per process: datasets share extents (the region, its
    départements, its communes), and checking a geometry is a tenth of a dataset's Turtle."""
    extent = geometry.to_geojson(spatial)
    if not extent:
        return None
    from shapely.geometry import shape
    geom = shape(extent)
    minx, miny, maxx, maxy = geom.bounds
    centre = geom.centroid
    return (f"POLYGON(({minx} {miny}, {maxx} {miny}, {maxx} {maxy}, {minx} {maxy}, {minx} {miny}))",
            f"POINT({centre.x:.6f} {centre.y:.6f})")


class DataSudDCATProfile(RDFProfile):

    def parse_dataset(self, dataset_dict, dataset_ref):
        # H1a (issue 11, items 4 and 5): landing pages and keywords as written.
        read_as_written(self.g, dataset_ref, dataset_dict)
        # Issue 11, items 9 to 13, and DataSud's own terms (round trip).
        read_semantics(self.g, dataset_ref, dataset_dict)
        return dataset_dict

    def graph_from_dataset(self, dataset_dict, dataset_ref):
        g = self.g
        if (dataset_ref, RDF.type, SCHEMA.Dataset) in g:
            # Run after ckanext-dcat's schemaorg profile (structured data of the dataset
            # page, ckanext.dcat.structured_data.profiles): schema.org, not DCAT.
            schema_org(g, dataset_dict, dataset_ref)
            return

        # each resource's distribution node, as ckanext-dcat's profile named it
        distributions = [(resource, URIRef(resource_uri(resource))) for resource in dataset_dict.get("resources", [])]
        for slug in _themes(dataset_dict):
            g.add((dataset_ref, DCAT.theme, URIRef(vocabularies.THEMES_BY_SLUG[slug].eu_theme_uri)))
            self._datasud_theme(dataset_ref, slug)
        self._datasud_terms(dataset_dict, dataset_ref, distributions)
        if dataset_dict.get("inspire_theme"):
            g.add((dataset_ref, DCAT.theme, URIRef(dataset_dict["inspire_theme"])))
        for theme in g.objects(dataset_ref, DCAT.theme):
            g.add((theme, RDF.type, SKOS.Concept))
            label = THEME_LABELS.get(str(theme))
            if label and not list(g.objects(theme, SKOS.prefLabel)):
                g.add((theme, SKOS.prefLabel, Literal(label, lang="en")))

        if not list(g.objects(dataset_ref, DCT.language)):
            g.add((dataset_ref, DCT.language, LANGUAGE_FRA))
        for language in g.objects(dataset_ref, DCT.language):
            g.add((language, RDF.type, DCT.LinguisticSystem))
        for contact in g.objects(dataset_ref, DCAT.contactPoint):
            g.add((contact, RDF.type, VCARD.Kind))

        code = dataset_dict.get("spatial_code")
        if code:
            for spatial_ref in g.objects(dataset_ref, DCT.spatial):
                g.add((spatial_ref, DCT.identifier, Literal(code)))

        reference = dataset_dict.get("publication_mode") == "reference"
        dataset_licence = licences.licence_uri(dataset_dict.get("license_id"))
        for resource, distribution in distributions:
            if (dataset_ref, DCAT.distribution, distribution) not in g:
                continue
            licence = licences.licence_uri(resource.get("license")) or dataset_licence
            if licence:
                g.remove((distribution, DCT.license, None))
                g.add((distribution, DCT.license, URIRef(licence)))
                g.add((URIRef(licence), RDF.type, DCT.LicenseDocument))
            url = resource.get("url")
            if reference:
                # The data is on the producer's site: a page to go to, not a file here.
                g.remove((distribution, DCAT.downloadURL, None))
                if url and not list(g.objects(distribution, DCAT.accessURL)):
                    g.add((distribution, DCAT.accessURL, URIRef(url)))
            elif url and resource.get("url_type") == "upload" and not list(g.objects(distribution, DCAT.downloadURL)):
                g.add((distribution, DCAT.downloadURL, URIRef(url)))
        for distribution in list(g.objects(dataset_ref, DCAT.distribution)):
            self._typed_distribution_values(distribution)
        self._decimal_byte_sizes()
        self._languages(dataset_ref)
        self._organisation(dataset_dict, dataset_ref)
        self._documents(dataset_dict, dataset_ref)
        self._geodcat_ap(dataset_dict, dataset_ref)

    def _languages(self, dataset_ref) -> None:
        """Titles, descriptions and keywords are written in French: tagged so."""
        g = self.g
        subjects = [dataset_ref] + list(g.objects(dataset_ref, DCAT.distribution))
        for subject in subjects:
            for predicate in (DCT.title, DCT.description, DCAT.keyword):
                for value in list(g.objects(subject, predicate)):
                    if isinstance(value, Literal) and not value.language and value.datatype is None:
                        g.remove((subject, predicate, value))
                        g.add((subject, predicate, Literal(str(value), lang="fr")))

    def _organisation(self, dataset_dict, dataset_ref) -> None:
        """The partner (the dataset's organisation) as an agent with its SIREN, its kind
        (ADMS publisher type) and its website: the dct:publisher, or the dct:creator
        when the dataset names another publisher (``publisher_name``).

        ckanext-dcat's profile writes the organisation as publisher from an
        ``organization_show`` (~10 ms, once per organisation and process, then kept for
        the life of the process) when the dataset has no publisher of its own; the
        catalogue's fragments give the profiles the dataset without its ``organization``
        (:func:`dcat_fragments.fragments`), and the publisher is written here, with the
        same triples, from the organisation's live record."""
        g = self.g
        org_id = dataset_dict.get("owner_org") or (dataset_dict.get("organization") or {}).get("id")
        # as the catalogue page read it for its stamps (one query per page), else read now
        group = dcat_fragments.organisation(org_id) if org_id else None
        if group is None:
            return
        agent = CleanedURIRef(publisher_uri_organization_fallback({"organization": {"id": group.id}}))
        if dataset_dict.get("publisher_name"):
            g.add((dataset_ref, DCT.creator, agent))
        elif (dataset_ref, DCT.publisher, agent) not in g:
            if any(g.objects(dataset_ref, DCT.publisher)) or dataset_dict.get("publisher") or \
                    self._get_dataset_value(dataset_dict, "publisher_uri"):
                return  # a publisher of its own (ckanext-dcat wrote it)
            # what ckanext-dcat's organisation fallback writes
            g.add((dataset_ref, DCT.publisher, agent))
            self._add_triples_from_dict(
                {key: group.extras.get(field) for key, field in (("email", "email"), ("url", "url"),
                                                                ("type", "dcat_type"),
                                                                ("identifier", "identifier"))},
                agent, [("email", FOAF.mbox, None, Literal), ("url", FOAF.homepage, None, URIRef),
                        ("type", DCT.type, None, URIRefOrLiteral),
                        ("identifier", DCT.identifier, None, URIRefOrLiteral)])
        g.add((agent, RDF.type, FOAF.Agent))
        # its name as it is now (ckanext-dcat's profile keeps organisations it read in
        # memory for the life of the process, and the indexed dataset has the title of
        # its last indexing)
        g.set((agent, FOAF.name, Literal(group.title or group.name)))
        extras = group.extras
        siren = (extras.get("siren") or "").strip()
        if siren:
            g.add((agent, DCT.identifier, Literal(siren)))
            identifier = BNode()
            g.add((agent, ADMS.identifier, identifier))
            g.add((identifier, RDF.type, ADMS.Identifier))
            g.add((identifier, SKOS.notation, Literal(siren)))
            g.add((identifier, ADMS.schemaAgency, Literal("INSEE (répertoire Sirene)", lang="fr")))
        kind = PUBLISHER_TYPES.get(extras.get("partner_type") or "")
        if kind:
            g.add((agent, DCT.type, URIRef(PUBLISHER_TYPE + kind)))
            g.add((URIRef(PUBLISHER_TYPE + kind), RDF.type, SKOS.Concept))
            g.add((URIRef(PUBLISHER_TYPE + kind), SKOS.prefLabel, Literal(PUBLISHER_TYPE_LABELS[kind], lang="en")))
        website = (extras.get("website") or "").strip()
        if website.startswith(("http://", "https://")):
            g.add((agent, FOAF.homepage, URIRef(website)))
            g.add((URIRef(website), RDF.type, FOAF.Document))

    def _documents(self, dataset_dict, dataset_ref) -> None:
        """Administrative documents (deliberations, conventions…) are pages about the
        dataset (foaf:page), besides their distribution (kept for DataSud harvesters)."""
        g = self.g
        for resource in dataset_dict.get("resources", []):
            url = resource.get("url") or ""
            if resource.get("resource_type") != "document" or not url.startswith(("http://", "https://")):
                continue
            page = URIRef(url)
            g.add((dataset_ref, FOAF.page, page))
            g.add((page, RDF.type, FOAF.Document))
            if resource.get("name"):
                g.add((page, DCT.title, Literal(resource["name"], lang="fr")))
            if resource.get("document_date"):
                g.add((page, DCT.issued, Literal(str(resource["document_date"])[:10], datatype=XSD.date)))

    def _geodcat_ap(self, dataset_dict, dataset_ref) -> None:
        """GeoDCAT-AP: the extent also as a bounding box (dcat:bbox) and centroid
        (dcat:centroid), in WKT (locn:geometry is ckanext-dcat's WKT literal, DCAT-AP allows one),
        INSPIRE conformity as dct:conformsTo the interoperability regulation, the INSPIRE
        resource type and the ISO 19115 topic categories (dct:subject) of its themes."""
        g = self.g
        box_and_centroid = _box_and_centroid(str(dataset_dict["spatial"])) if dataset_dict.get("spatial") else None
        if box_and_centroid:
            box, centroid = box_and_centroid
            for place in g.objects(dataset_ref, DCT.spatial):
                if not list(g.objects(place, LOCN.geometry)):
                    continue
                if not list(g.objects(place, DCAT.bbox)):
                    g.add((place, DCAT.bbox, Literal(box, datatype=GSP.wktLiteral)))
                if not list(g.objects(place, DCAT.centroid)):
                    g.add((place, DCAT.centroid, Literal(centroid, datatype=GSP.wktLiteral)))
        geographic = bool(dataset_dict.get("inspire_theme") or dataset_dict.get("inspire_conformity"))
        if dataset_dict.get("inspire_conformity") == "conformant":
            g.add((dataset_ref, DCT.conformsTo, INSPIRE_REGULATION))
            g.add((INSPIRE_REGULATION, RDF.type, DCT.Standard))
            g.add((INSPIRE_REGULATION, DCT.title, Literal(INSPIRE_REGULATION_TITLE, lang="fr")))
        if geographic:
            g.add((dataset_ref, DCT.type, INSPIRE_DATASET_TYPE))
            g.add((INSPIRE_DATASET_TYPE, RDF.type, SKOS.Concept))
            g.add((INSPIRE_DATASET_TYPE, SKOS.prefLabel, Literal("Spatial data set", lang="en")))
            for slug in _themes(dataset_dict):
                code = vocabularies.THEMES_BY_SLUG[slug].iso_topic
                topic = URIRef(ISO_TOPIC + code)
                g.add((dataset_ref, DCT.subject, topic))
                g.add((topic, RDF.type, SKOS.Concept))
                g.add((topic, SKOS.prefLabel, Literal(ISO_TOPIC_LABELS.get(code, code), lang="en")))

    def _datasud_theme(self, dataset_ref, slug: str) -> None:
        """DataSud's own theme beside its EU theme: an EU theme stands for several DataSud
        themes, so another DataSud (or any reader) needs ours to get them back exactly."""
        g = self.g
        concept, scheme = URIRef(themes.concept_uri(slug)), URIRef(themes.scheme_uri())
        g.add((dataset_ref, DCAT.theme, concept))
        g.add((concept, RDF.type, SKOS.Concept))
        g.add((concept, SKOS.inScheme, scheme))
        g.add((concept, SKOS.prefLabel, Literal(vocabularies.THEMES_BY_SLUG[slug].fr, lang="fr")))
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        g.add((scheme, DCT.title, Literal("Thèmes DataSud", lang="fr")))

    def _datasud_terms(self, dataset_dict, dataset_ref, distributions) -> None:
        """What DCAT-AP and GeoDCAT-AP have no term for, in DataSud's namespace
        (``<site_url>/ns#``): publication mode, granularity, level of the geographic
        coverage (its code is the dct:identifier of the dct:spatial node), INSPIRE
        conformity, and the kind of each resource (administrative documents)."""
        g = self.g
        ns = Namespace(tk.config.get("ckan.site_url", "").rstrip("/") + "/ns#")
        g.bind("datasud", ns)
        for key, name in (("publication_mode", "publicationMode"), ("granularity", "granularity"),
                          ("spatial_level", "spatialLevel"), ("inspire_conformity", "inspireConformity")):
            if dataset_dict.get(key):
                g.add((dataset_ref, ns[name], Literal(dataset_dict[key])))
        for resource, distribution in distributions:
            if (dataset_ref, DCAT.distribution, distribution) not in g:
                continue
            for key, name in (("resource_type", "resourceType"), ("document_kind", "documentKind"),
                              ("document_date", "documentDate")):
                if resource.get(key):
                    g.add((distribution, ns[name], Literal(resource[key])))

    def _typed_distribution_values(self, distribution):
        """Format, media type and size as DCAT-AP 3 types them."""
        g = self.g
        for value in list(g.objects(distribution, DCT["format"])):
            if isinstance(value, Literal):
                g.remove((distribution, DCT["format"], value))
                code = FILE_TYPES.get(str(value).strip().upper().lstrip("."))
                node = URIRef(FILE_TYPE + code) if code else BNode()
                if not code:
                    g.add((node, RDFS.label, Literal(str(value))))
                g.add((distribution, DCT["format"], node))
                g.add((node, RDF.type, DCT.MediaTypeOrExtent))
        for value in list(g.objects(distribution, DCAT.mediaType)):
            if isinstance(value, Literal):
                g.remove((distribution, DCAT.mediaType, value))
                node = URIRef(IANA_MEDIA_TYPE + str(value).strip().lower())
                g.add((distribution, DCAT.mediaType, node))
                g.add((node, RDF.type, DCT.MediaType))
        # Checksums: DataSud stores "sha256:<hex>"; SPDX wants the hexadecimal value alone
        # (xsd:hexBinary) and the algorithm as spdx:checksumAlgorithm_<name>. DCAT-AP 2.1.1
        # knows SHA-1 only: other checksums are left out of its output.
        for checksum in list(g.objects(distribution, SPDX.checksum)):
            for value in list(g.objects(checksum, SPDX.checksumValue)):
                name, _, digest = str(value).rpartition(":")
                name = name or {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}.get(len(digest), "")
                if not name or (DCAT_AP_VERSION.get() == "2" and name != "sha1"):
                    g.remove((distribution, SPDX.checksum, checksum))
                    g.remove((checksum, None, None))
                    break
                g.remove((checksum, SPDX.checksumValue, value))
                g.add((checksum, SPDX.checksumValue, Literal(digest, datatype=XSD.hexBinary)))
                g.remove((checksum, SPDX.algorithm, None))
                algorithm = SPDX["checksumAlgorithm_" + name]
                g.add((checksum, SPDX.algorithm, algorithm))
                g.add((algorithm, RDF.type, SPDX.ChecksumAlgorithm))

    def _decimal_byte_sizes(self):
        """Byte sizes as xsd:decimal, as SEMIC's DCAT-AP SHACL shapes (2.1.1 and 3.0.0)
        check them. ckanext-dcat's DCAT-AP 3 profile rewrites every byteSize of the graph
        as xsd:nonNegativeInteger each time it adds a dataset, so the whole graph is set
        back here, after it."""
        g = self.g
        for subject, _, value in list(g.triples((None, DCAT.byteSize, None))):
            if value.datatype != XSD.decimal:
                g.remove((subject, DCAT.byteSize, value))
                g.add((subject, DCAT.byteSize, Literal(str(value), datatype=XSD.decimal)))

    def graph_from_catalog(self, catalog_dict, catalog_ref):
        g = self.g
        for value in list(g.objects(catalog_ref, DCT.language)):
            if isinstance(value, Literal):
                g.remove((catalog_ref, DCT.language, value))
        g.add((catalog_ref, DCT.language, LANGUAGE_FRA))
        g.add((LANGUAGE_FRA, RDF.type, DCT.LinguisticSystem))
        for homepage in g.objects(catalog_ref, FOAF.homepage):
            g.add((homepage, RDF.type, FOAF.Document))
        if not list(g.objects(catalog_ref, DCT.publisher)):
            uri = tk.config.get("ckanext.datasud.catalog.publisher_uri")
            publisher = URIRef(uri) if uri else BNode()
            g.add((catalog_ref, DCT.publisher, publisher))
            g.add((publisher, RDF.type, FOAF.Agent))
            g.add((publisher, FOAF.name, Literal(tk.config.get("ckanext.datasud.catalog.publisher_name"))))
        # The theme vocabularies the datasets use: DataSud's scheme (served at /themes)
        # and the EU data themes.
        datasud_scheme = URIRef(themes.scheme_uri())
        for scheme, title in ((datasud_scheme, Literal("Thèmes DataSud", lang="fr")),
                              (EU_THEME_SCHEME, Literal("Data theme", lang="en"))):
            g.add((catalog_ref, DCAT.themeTaxonomy, scheme))
            g.add((scheme, RDF.type, SKOS.ConceptScheme))
            if not list(g.objects(scheme, DCT.title)):
                g.add((scheme, DCT.title, title))
