"""DataSud's themes as a SKOS concept scheme served by the portal (issue 13, item 2).

The DCAT-AP export (``dcat.py``) gives each dataset its EU Data Theme *and* DataSud's own
theme concept, ``<site_url>/themes/<slug>`` in the scheme ``<site_url>/themes``
(``harvesting/themes.py``: ``scheme_uri``, ``concept_uri``). Those URIs resolve here:

- ``/themes``: the scheme and its 16 concepts; an HTML page for people, RDF for machines
  by content negotiation (``Accept: text/turtle``, ``application/rdf+xml``,
  ``application/ld+json``, ``text/n3``) or by extension (``/themes.ttl``, ``.rdf``,
  ``.xml``, ``.jsonld``, ``.n3``);
- ``/themes/<slug>``: one concept in RDF (negotiated, or ``/themes/<slug>.ttl``…); a
  browser is sent (303) to the search of the theme's datasets.

Each concept: ``skos:prefLabel`` in French and English, ``skos:notation`` (the slug the
portal stores), ``skos:inScheme`` / ``skos:topConceptOf``, ``skos:broadMatch`` its EU Data
Theme (an EU theme stands for several DataSud themes) and ``skos:relatedMatch`` its ISO
19115 topic category (GeoDCAT-AP's URI of the INSPIRE registry).
"""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, Response, redirect, request
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

import ckan.plugins.toolkit as tk
from ckanext.dcat.utils import CONTENT_TYPES, parse_accept_header

from ckanext.datasud import vocabularies
from ckanext.datasud.harvesting.themes import concept_uri, scheme_uri

__all__ = ["datasud_concepts", "scheme_graph", "concept_graph", "ISO_TOPIC"]

#: GeoDCAT-AP's URIs of the ISO 19115 topic categories (INSPIRE registry).
ISO_TOPIC = "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/"
RDFLIB_FORMATS = {"ttl": "turtle", "rdf": "xml", "xml": "xml", "jsonld": "json-ld", "n3": "n3"}

datasud_concepts = Blueprint("datasud_concepts", __name__)


def _scheme(g: Graph) -> URIRef:
    scheme = URIRef(scheme_uri())
    g.bind("skos", SKOS)
    g.bind("dct", DCTERMS)
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, DCTERMS.title, Literal("Thèmes DataSud", lang="fr")))
    g.add((scheme, DCTERMS.title, Literal("DataSud themes", lang="en")))
    g.add((scheme, SKOS.prefLabel, Literal("Thèmes DataSud", lang="fr")))
    g.add((scheme, DCTERMS.description, Literal(
        "Les 16 thèmes du portail régional DataSud (Provence-Alpes-Côte d'Azur), avec leur "
        "correspondance dans les thèmes de données de l'Union européenne et les catégories ISO 19115.",
        lang="fr")))
    publisher = tk.config.get("ckanext.datasud.catalog.publisher_uri")
    if publisher:
        g.add((scheme, DCTERMS.publisher, URIRef(publisher)))
    return scheme


def _concept(g: Graph, scheme: URIRef, theme: vocabularies.Theme) -> URIRef:
    concept = URIRef(concept_uri(theme.slug))
    g.add((concept, RDF.type, SKOS.Concept))
    g.add((concept, SKOS.inScheme, scheme))
    g.add((concept, SKOS.topConceptOf, scheme))
    g.add((scheme, SKOS.hasTopConcept, concept))
    g.add((concept, SKOS.prefLabel, Literal(theme.fr, lang="fr")))
    g.add((concept, SKOS.prefLabel, Literal(theme.en, lang="en")))
    g.add((concept, SKOS.notation, Literal(theme.slug)))
    g.add((concept, SKOS.broadMatch, URIRef(theme.eu_theme_uri)))
    g.add((concept, SKOS.relatedMatch, URIRef(ISO_TOPIC + theme.iso_topic)))
    return concept


def scheme_graph() -> Graph:
    """The scheme and every concept."""
    g = Graph()
    scheme = _scheme(g)
    for theme in vocabularies.THEMES:
        _concept(g, scheme, theme)
    return g


def concept_graph(slug: str) -> Optional[Graph]:
    """One concept (and its scheme's name), or ``None`` for an unknown slug."""
    theme = vocabularies.THEMES_BY_SLUG.get(slug)
    if theme is None:
        return None
    g = Graph()
    _concept(g, _scheme(g), theme)
    # the scheme's other top concepts are not this concept's business
    for other in list(g.objects(URIRef(scheme_uri()), SKOS.hasTopConcept)):
        if other != URIRef(concept_uri(slug)):
            g.remove((URIRef(scheme_uri()), SKOS.hasTopConcept, other))
    return g


def _rdf(g: Graph, fmt: str) -> Response:
    body = g.serialize(format=RDFLIB_FORMATS[fmt])
    response = Response(body, content_type=CONTENT_TYPES[fmt] + "; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response


def _format(fmt: Optional[str]) -> Optional[str]:
    """The RDF format asked for by extension, else by the Accept header, else None (HTML)."""
    if fmt is not None:
        if fmt not in RDFLIB_FORMATS:
            tk.abort(404, tk._("Unknown format"))
        return fmt
    return parse_accept_header(request.headers.get("Accept", ""))


def scheme(fmt: Optional[str] = None):
    chosen = _format(fmt)
    if chosen:
        return _rdf(scheme_graph(), chosen)
    themes = [{"slug": t.slug, "fr": t.fr, "en": t.en, "uri": concept_uri(t.slug), "eu_theme": t.eu_theme_uri,
               "iso_topic": t.iso_topic, "search_url": tk.h.url_for("dataset.search", vocab_themes=t.slug)}
              for t in vocabularies.THEMES]
    response = Response(tk.render("datasud/themes.html", extra_vars={"themes": themes,
                                                                      "scheme_uri": scheme_uri()}))
    response.headers["Vary"] = "Accept"
    return response


def concept(slug: str, fmt: Optional[str] = None):
    g = concept_graph(slug)
    if g is None:
        return tk.abort(404, tk._("Unknown theme"))
    chosen = _format(fmt)
    if chosen:
        return _rdf(g, chosen)
    response = redirect(tk.h.url_for("dataset.search", vocab_themes=slug), code=303)
    response.headers["Vary"] = "Accept"
    return response


datasud_concepts.add_url_rule("/themes", view_func=scheme, endpoint="scheme")
datasud_concepts.add_url_rule("/themes.<fmt>", view_func=scheme, endpoint="scheme_as")
datasud_concepts.add_url_rule("/themes/<slug>", view_func=concept, endpoint="concept")
datasud_concepts.add_url_rule("/themes/<slug>.<fmt>", view_func=concept, endpoint="concept_as")
