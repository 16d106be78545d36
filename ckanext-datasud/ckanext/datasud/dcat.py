"""DataSud's DCAT-AP profile, run after ckanext-dcat's ``euro_dcat_ap_3``.

    ckanext.dcat.rdf.profiles = euro_dcat_ap_3 datasud

ckanext-dcat already writes the fields whose names it knows (contact point,
temporal coverage, frequency, landing page, spatial label and geometry, ...). This
profile adds what is DataSud's own:

- themes: the EU Data Theme of each DataSud theme, and the INSPIRE theme;
- licences: the licence URI of licenses.json on every distribution (a resource's own
  licence, else the dataset's);
- publication mode: in ``reference`` mode distributions only give an access URL (the
  data stays on the producer's site, the landing page is the producer's page); in
  ``download`` mode files hosted here also get a download URL;
- the INSEE / SIREN code of the geographic coverage, and French as the language;
- what the DCAT-AP 3 SHACL shapes (shared/dcat-ap-shacl) expect of the values ckanext-dcat
  writes as plain literals: formats as EU file types, media types as IANA IRIs, themes
  as SKOS concepts, the catalogue's publisher.
"""
from __future__ import annotations

import json

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import FOAF, RDFS, SKOS, XSD

import ckan.plugins.toolkit as tk
from ckanext.dcat.profiles import DCAT, DCT, RDF, VCARD
from ckanext.dcat.profiles.base import RDFProfile
from ckanext.dcat.utils import resource_uri

from ckanext.datasud import licences, vocabularies

LANGUAGE_FRA = URIRef("http://publications.europa.eu/resource/authority/language/FRA")
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


# Keys of the parsed dataset dict holding values as the record wrote them, for the
# harvest's mapping (harvesting/mapping.py, harvesting/values.py): every dcat:landingPage
# (ckanext-dcat keeps one), and the dcat:keyword literals unsplit (ckanext-dcat splits
# "Culture, Société, Service" on its commas), in the record's preferred language.
LANDING_PAGES = "landing_pages"
KEYWORDS_AS_WRITTEN = "keywords_as_written"


def read_as_written(g, dataset_ref, dataset_dict: dict) -> None:
    """Landing pages and keywords as written (sorted: rdflib gives triples in no stable
    order, and the record's digest must not change between two reads)."""
    dataset_dict[LANDING_PAGES] = sorted(str(o) for o in g.objects(dataset_ref, DCAT.landingPage))
    by_language: dict[str, list[str]] = {}
    for keyword in g.objects(dataset_ref, DCAT.keyword):
        if isinstance(keyword, Literal):
            language = (keyword.language or "").lower().split("-")[0]
            by_language.setdefault(language, []).append(str(keyword))
    chosen = by_language.get("fr", []) + by_language.get("", []) or by_language.get("en", []) or \
        next((by_language[k] for k in sorted(by_language)), [])
    dataset_dict[KEYWORDS_AS_WRITTEN] = sorted(chosen)


class DataSudDCATProfile(RDFProfile):

    def parse_dataset(self, dataset_dict, dataset_ref):
        # H1a (issue 11, items 4 and 5): landing pages and keywords as written.
        read_as_written(self.g, dataset_ref, dataset_dict)
        return dataset_dict

    def graph_from_dataset(self, dataset_dict, dataset_ref):
        g = self.g

        for slug in _themes(dataset_dict):
            g.add((dataset_ref, DCAT.theme, URIRef(vocabularies.THEMES_BY_SLUG[slug].eu_theme_uri)))
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
        for resource in dataset_dict.get("resources", []):
            distribution = URIRef(resource_uri(resource))
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
        # xsd:decimal, as SEMIC's DCAT-AP SHACL shapes (2.1.1 and 3.0.0) check it. ckanext-dcat's
        # DCAT-AP 3 profile rewrites every byteSize of the graph as xsd:nonNegativeInteger each
        # time it adds a dataset, so the whole graph is set back here, after it.
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
