"""A CSW server's answer in DCAT (« CSW-DCAT ») read as a DCAT catalogue page.

GeoNetwork (3.x and 4) serves its records in DCAT when a GetRecords request asks for
``outputSchema=http://www.w3.org/ns/dcat#`` (GeoDCAT-AP with
``outputSchema=http://data.europa.eu/930/``): a ``csw:GetRecordsResponse`` whose
``csw:SearchResults`` holds one ``rdf:RDF`` document per record, paged by
``startPosition`` / ``nextRecord``. data.gouv.fr harvests many French geographic
catalogues that way (its « CSW-DCAT » harvester), so partners give such an address as
their DCAT catalogue, for instance::

    https://geo.example.fr/geonetwork/srv/fre/csw?service=CSW&version=2.0.2&request=GetRecords
        &typeNames=csw:Record&resultType=results&elementSetName=full
        &outputSchema=http://www.w3.org/ns/dcat%23&startPosition=1&maxRecords=50

:func:`graph` merges the page's RDF documents into one graph and writes the paging as the
Hydra terms the DCAT gather follows (``hydra:nextPage``: the same address with
``startPosition`` at ``nextRecord``; ``hydra:totalItems``: ``numberOfRecordsMatched``),
so that the rest — ckanext-dcat's profiles, DataSud's mapping and French warnings,
digests, withdrawals, a page that fails — is the one of every DCAT catalogue. An answer
whose records are ISO 19139 or Dublin Core (no ``outputSchema``, or one the server
ignored) is not DCAT: the error says which address to give, or to choose a CSW source.
"""
from __future__ import annotations

import re
from typing import Optional
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import rdflib
from ckanext.dcat.profiles import DCAT, DCT, FOAF, RDF
from lxml import etree
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from ckanext.datasud.harvesting import safety

CSW = "http://www.opengis.net/cat/csw/2.0.2"
RDF_NS = str(RDF)
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
DCAT_SCHEMA = "http://www.w3.org/ns/dcat#"
_ANSWER = re.compile(rb"<(?:[\w.-]+:)?GetRecordsResponse[\s>]")


class NotDCAT(ValueError):
    """A CSW answer whose records are not RDF; the message says what they are, in French."""


_SERVICE_ANSWER = re.compile(rb"<(?:[\w.-]+:)?(Capabilities|ExceptionReport)[\s>]")
# Query parameters of a CSW address that a client sets itself (csw.py's client too).
OWN_PARAMETERS = {"service", "version", "request", "typenames", "resulttype", "elementsetname", "outputschema",
                  "startposition", "maxrecords", "constraintlanguage", "constraint_language_version",
                  "constraint", "id", "namespace", "acceptversions", "outputformat"}
PAGE_SIZE = 100


def is_service_answer(content: bytes) -> bool:
    """Whether a document is a CSW server's capabilities or an OWS error (what a CSW
    address alone answers), not a catalogue."""
    return bool(_SERVICE_ANSWER.search(content[:4096])) and b"opengis.net" in content[:4096]


def records_url(url: str) -> str:
    """The GetRecords request of a CSW address for its first page of records in DCAT
    (the address's own parameters kept, the CSW ones replaced)."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in OWN_PARAMETERS]
    query = kept + [("service", "CSW"), ("version", "2.0.2"), ("request", "GetRecords"), ("typeNames", "csw:Record"),
                    ("resultType", "results"), ("elementSetName", "full"), ("outputSchema", DCAT_SCHEMA),
                    ("startPosition", "1"), ("maxRecords", str(PAGE_SIZE))]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote, safe=":/")))


def is_answer(content: bytes) -> bool:
    """Whether a document looks like a CSW GetRecords answer (checked on its start)."""
    return bool(_ANSWER.search(content[:4096]))


def graph(content: bytes, url: str) -> rdflib.ConjunctiveGraph:
    """The page's records as one graph, with its paging in Hydra terms;
    :class:`safety.HarvestFetchError` (unsafe or malformed XML, an RDF document that does
    not parse) or :class:`NotDCAT`."""
    root = safety.parse_xml(content)
    results = root.find(f"{{{CSW}}}SearchResults")
    if root.tag != f"{{{CSW}}}GetRecordsResponse" or results is None:
        raise NotDCAT("une réponse CSW sans résultats (csw:SearchResults)")
    result = rdflib.ConjunctiveGraph()
    others = []
    for record in results:
        if not isinstance(record.tag, str):
            continue
        if record.tag != f"{{{RDF_NS}}}RDF" and not record.tag.startswith(f"{{{DCAT_SCHEMA}"):
            others.append(etree.QName(record).localname)
            continue
        _name_relative_references(record)
        document = etree.tostring(record) if record.tag == f"{{{RDF_NS}}}RDF" else _wrapped(record)
        try:
            result.parse(data=document, format="xml", publicID=url)
        except Exception as e:  # rdflib's parser raises many kinds of errors
            raise safety.HarvestFetchError(f"Réponse CSW en DCAT illisible (RDF/XML mal formé) : {e}")
    if others and not len(result):
        raise NotDCAT(f"une réponse CSW dont les fiches sont en {_schema_of(others)}, pas en DCAT (pour la "
                      f"moissonner en DCAT, ajoutez outputSchema={DCAT_SCHEMA} à l'adresse de la requête "
                      "GetRecords)")
    _write_paging(result, results, url)
    record_pages(result)
    return result


def record_pages(g: rdflib.Graph) -> None:
    """A dataset without landing page gets the HTML view of its record on the partner's
    catalogue, which GeoNetwork names in the ``dcat:CatalogRecord`` (``dct:references``
    with the format ``text/html``). GeoNetwork 4 builds the record's ``foaf:primaryTopic``
    and the dataset's URI differently: the record is then matched by its identifier, the
    last segment of its URI (``…/records/<uuid>``), with the dataset's ``dct:identifier``."""
    by_identifier = {str(identifier).strip(): dataset for dataset in g.subjects(RDF.type, DCAT.Dataset)
                     for identifier in g.objects(dataset, DCT.identifier)}
    for record in list(g.subjects(RDF.type, DCAT.CatalogRecord)):
        topic = g.value(record, FOAF.primaryTopic)
        dataset = topic if topic is not None and (topic, RDF.type, DCAT.Dataset) in g else \
            by_identifier.get(str(record).rstrip("/").rsplit("/", 1)[-1])
        if dataset is None or g.value(dataset, DCAT.landingPage) is not None:
            continue
        for reference in sorted(g.objects(record, DCT.references), key=str):
            formats = {str(value).strip().lower() for written in g.objects(reference, DCT["format"])
                       for value in [written, *g.objects(written, RDF.value)] if isinstance(value, Literal)}
            if isinstance(reference, URIRef) and "text/html" in formats:
                g.add((dataset, DCAT.landingPage, reference))
                break


RELATIVE_RECORD = "urn:x-csw-record:"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _name_relative_references(record: etree._Element) -> None:
    """GeoNetwork's GeoDCAT-AP names a record whose identifier is no URI by that
    identifier alone (``rdf:about="fr-200053742/2019/limite/bud"``). Resolved against the
    CSW's address it would look like a web page that does not exist (and would be taken
    for the dataset's page): it is made ``urn:x-csw-record:<identifier>`` instead, the
    same at every harvest whatever the page."""
    for node in record.iter():
        if not isinstance(node.tag, str):
            continue
        for attribute in (f"{{{RDF_NS}}}about", f"{{{RDF_NS}}}resource"):
            value = (node.get(attribute) or "").strip()
            if value and not _SCHEME.match(value) and not value.startswith(("/", "#", "?")):
                node.set(attribute, RELATIVE_RECORD + value)


def _wrapped(record: etree._Element) -> bytes:
    """A record given as a bare DCAT node element, as an RDF/XML document."""
    holder = etree.Element(f"{{{RDF_NS}}}RDF", nsmap={"rdf": RDF_NS})
    holder.append(record)
    return etree.tostring(holder)


def _schema_of(names: list[str]) -> str:
    if "MD_Metadata" in names:
        return "ISO 19139 (gmd:MD_Metadata)"
    if {"Record", "SummaryRecord", "BriefRecord"} & set(names):
        return "Dublin Core (csw:Record)"
    return f"<{names[0]}>"


def _write_paging(result: rdflib.Graph, results: etree._Element, url: str) -> None:
    matched, following, returned = (_number(results.get(name)) for name in
                                    ("numberOfRecordsMatched", "nextRecord", "numberOfRecordsReturned"))
    page = URIRef(url)
    result.add((page, RDF.type, HYDRA.PagedCollection))
    if matched is not None:
        result.add((page, HYDRA.totalItems, Literal(matched, datatype=XSD.integer)))
    start = _number(_parameter(url, "startPosition")) or 1
    if following and following > start and returned and (matched is None or following <= matched):
        result.add((page, HYDRA.nextPage, URIRef(next_page(url, following))))


def _number(value: Optional[str]) -> Optional[int]:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _parameter(url: str, name: str) -> Optional[str]:
    return next((v for k, v in parse_qsl(urlsplit(url).query) if k.lower() == name.lower()), None)


def next_page(url: str, start: int) -> str:
    """The same GetRecords request from record ``start`` (``startPosition``, whatever
    its case in the address)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "startposition"]
    query.append(("startPosition", str(start)))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote, safe=":/")))
