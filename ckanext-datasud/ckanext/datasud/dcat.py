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
- the INSEE / SIREN code of the geographic coverage, and French as the language.
"""
from __future__ import annotations

import json

from rdflib import Literal, URIRef

from ckanext.dcat.profiles import DCAT, DCT, RDF
from ckanext.dcat.profiles.base import RDFProfile
from ckanext.dcat.utils import resource_uri

from ckanext.datasud import licences, vocabularies

LANGUAGE_FRA = URIRef("http://publications.europa.eu/resource/authority/language/FRA")


def _themes(dataset_dict: dict) -> list[str]:
    themes = dataset_dict.get("themes") or []
    if isinstance(themes, str):
        try:
            themes = json.loads(themes)
        except ValueError:
            themes = [themes]
    return [t for t in themes if t in vocabularies.THEMES_BY_SLUG]


class DataSudDCATProfile(RDFProfile):

    def graph_from_dataset(self, dataset_dict, dataset_ref):
        g = self.g

        for slug in _themes(dataset_dict):
            g.add((dataset_ref, DCAT.theme, URIRef(vocabularies.THEMES_BY_SLUG[slug].eu_theme_uri)))
        if dataset_dict.get("inspire_theme"):
            g.add((dataset_ref, DCAT.theme, URIRef(dataset_dict["inspire_theme"])))

        if not list(g.objects(dataset_ref, DCT.language)):
            g.add((dataset_ref, DCT.language, LANGUAGE_FRA))

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

    def graph_from_catalog(self, catalog_dict, catalog_ref):
        if not list(self.g.objects(catalog_ref, DCT.language)):
            self.g.add((catalog_ref, DCT.language, LANGUAGE_FRA))
