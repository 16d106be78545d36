"""DataSud's Turtle writer for one dataset's graph (``turtle.py``, issue 14 item 5): what
it writes reads back as the same graph, whatever the nodes — the odd ones a harvested
record brings (quotes, newlines, backslashes, non-ASCII, IRIs that cannot be prefixed
names, typed and language-tagged literals, shared and cyclic blank nodes) — and its
prefixes never clash when fragments are merged into one catalogue page."""
from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from ckanext.datasud import dcat_fragments, turtle

EX = Namespace("https://exemple.fr/jeux/")
UNBOUND = Namespace("https://vocabulaire-inconnu.example/ns#")


def read_back(graph: Graph) -> tuple[str, Graph]:
    text = turtle.serialize(graph)
    return text, Graph().parse(data=text, format="turtle")


def odd_graph() -> Graph:
    g = Graph(bind_namespaces="core")
    g.bind("dcat", DCAT)
    g.bind("dct", DCTERMS)
    g.bind("foaf", FOAF)
    g.bind("skos", SKOS)
    g.bind("ex", EX)
    dataset = EX["arrets-bus"]
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCTERMS.title, Literal('Arrêts "bus" \\ tram', lang="fr")))
    g.add((dataset, DCTERMS.title, Literal("Bus stops", lang="en")))
    g.add((dataset, DCTERMS.description, Literal("Ligne 1\nLigne 2\r\n\ttabulée « guillemets » '''triple'''")))
    g.add((dataset, DCTERMS.issued, Literal("2024-02-30", datatype=XSD.date)))  # ill-formed date, kept as written
    g.add((dataset, DCTERMS.modified, Literal("2024-01-05T10:00:00", datatype=XSD.dateTime)))
    g.add((dataset, DCAT.spatialResolutionInMeters, Literal("12.50", datatype=XSD.decimal)))
    g.add((dataset, EX["nombre"], Literal(42)))
    g.add((dataset, EX["vrai"], Literal(True)))
    g.add((dataset, EX["mesure"], Literal(1.5e-3)))
    g.add((dataset, EX["code"], Literal("04112", datatype=UNBOUND["Code"])))  # datatype without a prefix
    g.add((dataset, UNBOUND["propriété"], Literal("prédicat hors des préfixes")))
    # IRIs that cannot be prefixed names: leading digit, %, parentheses, trailing dot, non-ASCII
    for local in ("04112", "a%20b", "plu(2020)", "fin.", "été", "a:b"):
        g.add((dataset, DCAT.keyword, Literal(local)))
        g.add((dataset, DCTERMS.relation, EX[local]))
    g.add((dataset, FOAF.page, URIRef("https://exemple.fr/page?x=1&y=[2]")))
    # a blank node used once (inline), one shared by two subjects, a cycle, one never an object
    contact = BNode()
    g.add((dataset, DCAT.contactPoint, contact))
    g.add((contact, FOAF.name, Literal("Service SIG")))
    place = BNode()
    g.add((dataset, DCTERMS.spatial, place))
    g.add((EX["autre"], DCTERMS.spatial, place))
    g.add((place, SKOS.prefLabel, Literal("Gap")))
    first, second = BNode(), BNode()
    g.add((dataset, DCTERMS.temporal, first))
    g.add((first, DCTERMS.hasPart, second))
    g.add((second, DCTERMS.hasPart, first))
    loose = BNode()
    g.add((loose, FOAF.name, Literal("sans référence")))
    g.add((dataset, EX["vide"], BNode()))  # a blank node with no properties
    return g


def test_odd_nodes_read_back_as_the_same_graph():
    graph = odd_graph()
    text, back = read_back(graph)
    assert len(back) == len(graph) > 30
    assert isomorphic(graph, back)
    assert text.startswith("@prefix ")
    assert "ns1:" not in text  # no generated prefix
    assert f"<{UNBOUND['propriété']}>" in text  # an unbound namespace stays a full IRI
    assert "ex:04112" not in text and "ex:fin." not in text


def test_an_iri_turtle_cannot_hold_is_written_percent_encoded():
    """A partner's URL with a space or a quote (rdflib's serializers raise on it: the whole
    catalogue page failed) is written as a browser would request it."""
    g = Graph(bind_namespaces="core")
    dataset = URIRef("https://geo.partenaire.example/fiche zones humides")
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCAT.landingPage, URIRef('https://geo.partenaire.example/a"b<c>{d}|e^f`g\\h é')))
    text, back = read_back(g)
    assert set(back) == {
        (URIRef("https://geo.partenaire.example/fiche%20zones%20humides"), RDF.type, DCAT.Dataset),
        (URIRef("https://geo.partenaire.example/fiche%20zones%20humides"), DCAT.landingPage,
         URIRef("https://geo.partenaire.example/a%22b%3Cc%3E%7Bd%7D%7Ce%5Ef%60g%5Ch%20é")),
    }


def test_empty_graph_is_empty_text():
    assert turtle.serialize(Graph()) == ""


def test_the_dataset_is_written_first_with_its_type():
    text, _ = read_back(odd_graph())
    body = text.split("\n\n", 1)[1]
    assert body.startswith("ex:arrets-bus a dcat:Dataset ;")


def test_fragments_written_apart_merge_into_one_graph():
    """Blank node labels are unique across fragments: merged into one page, two datasets'
    shared nodes do not become one."""
    graphs = [odd_graph(), odd_graph()]
    merged = dcat_fragments.merge("", [], [turtle.serialize(g) for g in graphs])
    union = Graph()
    for g in graphs:
        union += g
    assert isomorphic(Graph().parse(data=merged, format="turtle"), union)
    assert len(union) == sum(len(g) for g in graphs) - len([t for t in graphs[0] if not any(
        isinstance(n, BNode) for n in t)])
