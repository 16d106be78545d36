"""Turtle for one dataset's graph, written directly (issue 14, item 5).

rdflib's Turtle serializer costs about 3.5 ms for the ~100 triples of one dataset:
before writing it counts every node's references, asks the namespace manager for a
prefixed name of every node (generating ``ns1``… for unknown namespaces), sorts and
writes through a stream, and the catalogue's first export serializes each of its
datasets so. This writer does the same job in one pass over the triples for the
small graphs ``dcat_fragments`` keeps (one dataset, its distributions and nodes):

- prefixed names only with the namespaces the graph binds (what the profiles bind),
  never generated ones, so fragments merge without prefix clashes; any other IRI in
  full, checked as rdflib checks it (``URIRef.n3``); an IRI Turtle cannot hold (a
  partner's URL with a space: rdflib's serializers raise, and the whole catalogue page
  failed) is written percent-encoded, as a browser would request it;
- literals as rdflib writes them (``_literal_n3``, datatype as a prefixed name when it
  can be), integers, decimals and booleans bare when that reads back the same lexical
  form; a double keeps its lexical form (rdflib's serializer rewrites ``0.0015`` as
  ``1.5e-03``, which reads back as another literal);
- a blank node used once as an object is written inline (``[ … ]``), as rdflib does;
  any other keeps its label (``_:`` + rdflib's id, unique across fragments, which are
  concatenated into one document);
- subjects, predicates and objects in a stable order (``a`` first).

The output reads back as the same graph (``rdflib.compare.isomorphic``: the tests check
it on real datasets and on odd nodes); it is not byte-identical to rdflib's.
"""
from __future__ import annotations

import hashlib
import re
from typing import Optional

from rdflib import BNode, Literal, URIRef
from rdflib.graph import Graph
from rdflib.namespace import RDF, XSD

INDENT = "    "
# A local name written after a prefix: a letter or "_", then letters, digits, "_", "-"
# (and "." inside); anything else (a leading digit, %, parentheses, ":", a trailing
# dot, a non-ASCII letter) is written as a full IRI.
_LOCAL_NAME = re.compile(r"^[A-Za-z_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_PREFIX_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_BNODE_LABEL = re.compile(r"^[A-Za-z0-9_]+$")
# What an IRI may not hold in Turtle (IRIREF): percent-encoded, as a browser sends it.
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_BARE = {XSD.integer: re.compile(r"^[+-]?[0-9]+$"), XSD.decimal: re.compile(r"^[+-]?[0-9]*\.[0-9]+$"),
         XSD.boolean: re.compile(r"^(?:true|false)$")}


class _Writer:
    def __init__(self, graph: Graph):
        self.namespaces: dict[str, str] = {}
        for prefix, namespace in graph.namespace_manager.namespaces():
            if prefix and _PREFIX_NAME.match(prefix):
                self.namespaces.setdefault(str(namespace), prefix)
        self.used: dict[str, str] = {}
        self.properties: dict = {}
        self.references: dict = {}
        for s, p, o in graph.triples((None, None, None)):
            self.properties.setdefault(s, {}).setdefault(p, []).append(o)
            if isinstance(o, BNode):
                self.references[o] = self.references.get(o, 0) + 1
        self.written: set = set()
        self.labels: dict = {}
        self.names: dict = {}

    # --- nodes ------------------------------------------------------------------------

    def name(self, uri: URIRef) -> str:
        found = self.names.get(uri)
        if found is None:
            found = self.names[uri] = self._name(uri)
        return found

    def _name(self, uri: URIRef) -> str:
        text = str(uri)
        cut = max(text.rfind("#"), text.rfind("/")) + 1
        if cut:
            namespace, local = text[:cut], text[cut:]
            prefix = self.namespaces.get(namespace)
            if prefix is not None and _LOCAL_NAME.match(local):
                self.used[prefix] = namespace
                return f"{prefix}:{local}"
        if _IRI_FORBIDDEN.search(text):
            return f"<{writable_iri(text)}>"
        return uri.n3()

    def datatype_name(self, uri: URIRef) -> Optional[str]:
        written = self.name(uri)
        return None if written.startswith("<") else written

    def literal(self, value: Literal) -> str:
        # integers, decimals and booleans bare when their lexical form reads back the
        # same; everything else quoted, its lexical form kept as it is (a double's too)
        text, datatype = str(value), value.datatype
        if datatype is not None and (datatype in _BARE and _BARE[datatype].match(text)):
            return text
        return value._literal_n3(use_plain=False, qname_callback=self.datatype_name)

    def label(self, node: BNode) -> str:
        found = self.labels.get(node)
        if found is None:
            text = str(node)
            if not _BNODE_LABEL.match(text):
                text = "b" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]
            found = self.labels[node] = f"_:{text}"
        return found

    def inline(self, node) -> bool:
        return (isinstance(node, BNode) and self.references.get(node) == 1 and node in self.properties
                and node not in self.written)

    def term(self, node, depth: int) -> str:
        if isinstance(node, Literal):
            return self.literal(node)
        if isinstance(node, URIRef):
            return self.name(node)
        if self.inline(node):
            self.written.add(node)
            return "[ " + self.predicates(node, depth + 2) + " ]"
        return self.label(node)

    # --- statements ----------------------------------------------------------------------

    def predicates(self, subject, depth: int) -> str:
        properties = self.properties.get(subject, {})
        verbs = sorted((predicate != RDF.type, self.verb(predicate), predicate) for predicate in properties)
        separator = ",\n" + INDENT * (depth + 2)
        parts = []
        for _, verb, predicate in verbs:
            objects = sorted(self.term(o, depth) for o in properties[predicate])
            parts.append(f"{verb} {separator.join(objects)}")
        return (" ;\n" + INDENT * (depth + 1)).join(parts)

    def verb(self, predicate) -> str:
        return "a" if predicate == RDF.type else self.term(predicate, 0)

    def statement(self, subject) -> str:
        head = self.name(subject) if isinstance(subject, URIRef) else self.label(subject)
        self.written.add(subject)
        return f"{head} {self.predicates(subject, 0)} ."

    def document(self) -> str:
        def order(subject):
            types = self.properties[subject].get(RDF.type, [])
            return (not any(str(t).endswith("#Dataset") for t in types), isinstance(subject, BNode), str(subject))
        statements = []
        for subject in sorted(self.properties, key=order):
            if subject in self.written or self.inline(subject):
                continue
            statements.append(self.statement(subject))
        # a blank node met inline only inside a cycle: its own statement
        for subject in sorted((s for s in self.properties if s not in self.written), key=str):
            statements.append(self.statement(subject))
        if not statements:
            return ""
        prefixes = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(self.used.items()))
        return prefixes + ("\n" if prefixes else "") + "\n\n".join(statements) + "\n"


def writable_iri(text: str) -> str:
    """An IRI with what RDF syntaxes cannot hold in one (a space, a quote, ``<>{}|^`\\``,
    control characters) percent-encoded, as a browser requests it."""
    return _IRI_FORBIDDEN.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), text)


def make_iris_writable(graph: Graph) -> None:
    """Rewrite, in place, the triples whose IRIs RDF syntaxes cannot hold (a partner's
    URL with a space or a ``|``, accepted as a link): rdflib's Turtle, N3 and N-Triples
    serializers raise on them, and the whole catalogue page failed."""
    odd = [t for t in graph.triples((None, None, None))
           if any(isinstance(n, URIRef) and _IRI_FORBIDDEN.search(n) for n in t)]
    for triple in odd:
        graph.remove(triple)
        graph.add(tuple(URIRef(writable_iri(n)) if isinstance(n, URIRef) else n for n in triple))


def serialize(graph: Graph) -> str:
    """The graph in Turtle (``@prefix`` lines first, as rdflib writes them)."""
    return _Writer(graph).document()
