"""Partners' DCAT catalogues (RDF/XML, Turtle, JSON-LD; DCAT-AP 1, 2, 3; Hydra paging),
through ckanext-dcat's RDF harvester and its IDCATRDFHarvester hooks.

What DataSud changes: every download goes through :mod:`.safety`; records are mapped
into DataSud's schema (:mod:`.mapping`); unchanged records are skipped (digest of the
record's canonical form, where stock rewrites every dataset at every run); a source may
keep only one publisher's records; removed records are withdrawn (:mod:`.records`).

Reading catalogues (our own gather, in place of the stock one):

- the syntax is the source's ``rdf_format`` setting when given, else the media type
  when it names an RDF syntax, else it is read from the content (RDF/XML served as
  ``application/xml`` or ``text/xml`` by GeoNetwork and most French SDIs, JSON-LD as
  ``application/json``, Turtle as ``text/plain``): :func:`syntaxes`. A document that is
  not RDF (a CSW answer, an HTML page, plain JSON) is a French gather error saying what
  was found;
- a DCAT-US catalogue (Project Open Data's ``data.json``: ArcGIS Hub's first feed,
  Socrata, DKAN) is read as the DCAT graph it describes (:mod:`.dcat_us`);
- exporters' slips that lose nothing are repaired (:func:`repaired`): misspelled DCAT
  predicates (ArcGIS Hub's ``dcat:accessUrl``), a publisher given as a bare name;
- relative URIs (``rdf:about="dataset/42"``, ``#ds1``) are resolved against the page's
  URL, before becoming guids;
- a Hydra page that cannot be read keeps the pages read before it, and says which page
  failed and how many records were not reached (``hydra:totalItems``); nothing is
  withdrawn then, the catalogue not having been read to its end;
- a DCAT-AP 3 ``dcat:DatasetSeries`` is imported as a dataset; its members (datasets
  with ``dcat:inSeries``) are imported too and linked both ways, visibly: the series
  lists each member as a link resource (to the member's landing page, else its URI),
  each member's description ends with « Fait partie de la série … » (:class:`_Records`);
- a ``dcat:DataService`` is not a dataset: one that serves datasets of the catalogue
  (``dcat:servesDataset``, GeoDCAT-AP's INSPIRE services) becomes their distribution
  (its endpoint, :func:`_services_as_distributions`); one on its own (serving nothing
  the catalogue lists, the access service of no distribution) is reported as skipped,
  one warning per service in the job's gather messages. A dataset only named, with its
  type and nothing else, is a reference, not a record.

A record's guid names a dataset within its source only: another source's dataset with
the same guid is never updated nor moved (a warning names it, the record gets its own
dataset), see :func:`records.dataset_of`.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import traceback
import uuid
from typing import Any, Optional

import ckan.model as model
import ckan.plugins as p
import rdflib
from rdflib.namespace import DCTERMS, FOAF, RDF, Namespace
from ckanext.dcat.harvesters.rdf import DCATRDFHarvester
from ckanext.dcat.interfaces import IDCATRDFHarvester
from ckanext.dcat.processors import RDFParser
from ckanext.dcat.profiles import VCARD
from ckanext.harvest.model import HarvestObject

from ckanext.datasud import dcat as dcat_profile
from ckanext.datasud.harvesting import csw_dcat, dcat_us, download, inspire, mapping, queueing, records, safety
from ckanext.datasud.harvesting.base import DataSudHarvesterMixin

log = logging.getLogger(__name__)

DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
RDF_NS = str(RDF)

# A declared media type or an ``rdf_format`` setting → rdflib's parser.
SYNTAXES = {
    "application/rdf+xml": "xml", "rdf+xml": "xml", "rdf/xml": "xml", "rdfxml": "xml", "rdf": "xml",
    "xml": "xml", "pretty-xml": "xml", "owl": "xml",
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/turtle": "turtle",
    "turtle": "turtle", "ttl": "turtle",
    "application/ld+json": "json-ld", "json-ld": "json-ld", "jsonld": "json-ld",
    "text/n3": "n3", "text/rdf+n3": "n3", "n3": "n3",
    "application/n-triples": "nt", "nt": "nt", "nt11": "nt", "ntriples": "nt",
    "application/trig": "trig", "trig": "trig",
    "application/n-quads": "nquads", "nquads": "nquads",
}
ACCEPT = "text/turtle, application/rdf+xml, application/ld+json;q=0.9, */*;q=0.5"


class NotRDF(ValueError):
    """A document that is not RDF; the message says, in French, what it is."""


def syntax_of(name: Optional[str]) -> Optional[str]:
    """rdflib's parser for a media type (parameters ignored) or a format name; ``None``
    for a generic or unknown type (``application/xml``, ``text/plain``…)."""
    return SYNTAXES.get((name or "").split(";", 1)[0].strip().lower())


def configured_syntax(config: Optional[str]) -> Optional[str]:
    """The source's ``rdf_format`` setting, as an rdflib parser name."""
    try:
        value = json.loads(config or "{}").get("rdf_format")
    except (ValueError, AttributeError):
        return None
    return (syntax_of(value) or value) if isinstance(value, str) and value.strip() else None


_PROLOG = re.compile(r"\s*(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>)", re.S | re.I)
_XML_ELEMENT = re.compile(r"<([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)[\s/>]")
_TURTLE_START = re.compile(r"(@prefix|@base|prefix\s|base\s|_:|<[^<>\s]*>\s*(<|a\s|[\w-]*:))", re.I)
_JSONLD_KEY = re.compile(r'"@(context|id|type|graph)"\s*:')


def _without_comments(text: str) -> str:
    lines = text.lstrip("\ufeff \t\r\n").splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("#")):
        lines.pop(0)
    return "\n".join(lines).lstrip()


def _root_element(text: str) -> Optional[str]:
    """The name of an XML document's root element, ``None`` when it is not XML."""
    position = 0
    while (prolog := _PROLOG.match(text, position)):
        position = prolog.end()
    found = _XML_ELEMENT.match(text[position:].lstrip())
    return found.group(1) if found else None


def sniff(text: str) -> list[str]:
    """The syntaxes to try for a document whose media type says nothing, from its first
    characters; :class:`NotRDF` for what is certainly not RDF."""
    head = _without_comments(text or "")
    if not head:
        raise NotRDF("le document est vide")
    if head.startswith(("{", "[")):
        if not _JSONLD_KEY.search(text):
            raise NotRDF("un document JSON qui n'est pas du JSON-LD (aucune clé @context, @id ni @type)")
        return ["json-ld"]
    if head[:15].lower().startswith(("<!doctype html", "<html")):
        raise NotRDF("une page HTML")
    if head.startswith("<") and not _TURTLE_START.match(head):
        root = _root_element(head)
        if root is None:
            return ["turtle", "xml"]
        if root.rsplit(":", 1)[-1] == "RDF" or RDF_NS in text:
            return ["xml"]
        if root.lower() == "html":
            raise NotRDF("une page HTML")
        raise NotRDF(f"un document XML dont l'élément racine est <{root}>, pas du RDF/XML")
    if _TURTLE_START.match(head):
        return ["turtle"]
    return ["turtle", "xml"]


def syntaxes(text: str, media_type: Optional[str], configured: Optional[str] = None) -> list[str]:
    """The rdflib parsers to try, in order: the source's setting alone when given; else
    the declared media type when it names an RDF syntax (then what the content looks
    like, for a mislabelled file); else what the content looks like."""
    if configured:
        return [configured]
    declared = syntax_of(media_type)
    try:
        found = sniff(text)
    except NotRDF:
        if declared:
            return [declared]
        raise
    return list(dict.fromkeys(([declared] if declared else []) + found))


def not_rdf_message(url: str, what: str) -> str:
    return (f"Le catalogue {url} n'est pas un document RDF (DCAT) : {what}. Un catalogue DCAT en RDF/XML, "
            "Turtle ou JSON-LD, ou DCAT-US (data.json), est attendu (pour un serveur CSW, choisissez une "
            "source de type CSW).")


def read_graph(content: bytes, text: str, media_type: Optional[str], url: str,
               configured: Optional[str] = None) -> rdflib.ConjunctiveGraph:
    """The RDF graph of a downloaded page, relative URIs resolved against ``url``, a
    DCAT-US ``data.json`` read as DCAT (:mod:`.dcat_us`), a CSW server's answer in DCAT
    read as a page of its records (:mod:`.csw_dcat`), exporters' slips repaired
    (:func:`repaired`); :class:`safety.HarvestFetchError` with a French message otherwise."""
    dcat_us_catalogue = dcat_us.parse(text)
    if dcat_us_catalogue is not None:
        return dcat_us.graph(dcat_us_catalogue, url)
    if csw_dcat.is_answer(content):
        try:
            return repaired(csw_dcat.graph(content, url))
        except csw_dcat.NotDCAT as e:
            raise safety.HarvestFetchError(not_rdf_message(url, str(e)))
    return repaired(_parsed(content, text, media_type, url, configured))


def _parsed(content: bytes, text: str, media_type: Optional[str], url: str,
            configured: Optional[str]) -> rdflib.ConjunctiveGraph:
    try:
        candidates = syntaxes(text, media_type, configured)
    except NotRDF as e:
        raise safety.HarvestFetchError(not_rdf_message(url, str(e)))
    first_error = None
    for syntax in candidates:
        graph = rdflib.ConjunctiveGraph()
        try:
            if syntax == "xml":
                safety.check_xml(content)
            elif syntax == "json-ld":
                safety.check_jsonld(text)
            graph.parse(data=text, format=syntax, publicID=url)
            return graph
        except safety.HarvestFetchError as e:
            first_error = first_error or str(e)
        except Exception as e:  # rdflib's parsers raise many kinds of errors
            first_error = first_error or f"Catalogue illisible (RDF mal formé) : {e}"
    raise safety.HarvestFetchError(first_error)


# DCAT predicates as exporters misspell them (ArcGIS Hub's DCAT-AP feed writes
# dcat:accessUrl): read as the DCAT ones, which are what profiles look for.
MISSPELLED = {DCAT.accessUrl: DCAT.accessURL, DCAT.downloadUrl: DCAT.downloadURL,
              DCAT.landingpage: DCAT.landingPage, DCAT.mediatype: DCAT.mediaType}
AGENTS = (DCTERMS.publisher, DCTERMS.creator, DCTERMS.rightsHolder)


def repaired(graph: rdflib.Graph) -> rdflib.Graph:
    """The graph with slips that lose nothing when read as meant: misspelled DCAT
    predicates (:data:`MISSPELLED`), an agent given as its bare name (ArcGIS Hub's
    ``"dct:publisher": "Ville de …"``) made an agent with that ``foaf:name``, and a
    description given only as ``dct:abstract`` (GeoNetwork 4's DCAT) read as
    ``dct:description``."""
    for record in set(graph.subjects(RDF.type, DCAT.Dataset)) | set(graph.subjects(RDF.type, DCAT.DatasetSeries)):
        if graph.value(record, DCTERMS.description) is None:
            for abstract in list(graph.objects(record, DCTERMS.abstract)):
                graph.add((record, DCTERMS.description, abstract))
    _drop_bare_references(graph)
    _services_as_distributions(graph)
    _formats_from_services(graph)
    _contacts_from_publishers(graph)
    for wrong, right in MISSPELLED.items():
        for subject, value in list(graph.subject_objects(wrong)):
            graph.add((subject, right, value))
            graph.remove((subject, wrong, value))
    for predicate in AGENTS:
        for subject, name in list(graph.subject_objects(predicate)):
            if isinstance(name, rdflib.Literal) and str(name).strip():
                agent = rdflib.BNode()
                graph.remove((subject, predicate, name))
                graph.add((subject, predicate, agent))
                graph.add((agent, RDF.type, FOAF.Agent))
                graph.add((agent, FOAF.name, rdflib.Literal(str(name).strip(), lang=name.language)))
    return graph


def _drop_bare_references(graph: rdflib.Graph) -> None:
    """A dataset only named, with its type and nothing else (GeoDCAT-AP writes the dataset
    a service serves as ``<dcat:Dataset rdf:about="…"/>`` in the service's own record), is
    a reference to a record described elsewhere, not a record without title."""
    for node in list(graph.subjects(RDF.type, DCAT.Dataset)):
        if set(graph.predicates(node, None)) == {RDF.type}:
            graph.remove((node, RDF.type, DCAT.Dataset))


def _services_as_distributions(graph: rdflib.Graph) -> None:
    """A ``dcat:DataService`` that serves datasets of the catalogue (``dcat:servesDataset``:
    a WMS or WFS described in its own record, as GeoNetwork's GeoDCAT-AP and INSPIRE
    catalogues do) gives each of them a distribution: its endpoint, named after the
    service, its format from the service's standard or address, with the service as
    ``dcat:accessService`` (so it is no longer a lone service). The distribution's URI is
    made from the dataset's and the endpoint's, the same at every harvest."""
    for service in sorted(set(graph.subjects(RDF.type, DCAT.DataService)), key=str):
        endpoints = sorted(str(e) for e in graph.objects(service, DCAT.endpointURL))
        if not endpoints:
            continue
        standard = _service_standard(graph, service)
        title = _label(graph, service)
        for dataset in sorted(set(graph.objects(service, DCAT.servesDataset)), key=str):
            if not isinstance(dataset, rdflib.URIRef) or graph.value(dataset, DCTERMS.title) is None:
                continue  # a dataset described elsewhere, or not at all
            if any(graph.value(d, DCAT.accessService) == service for d in graph.objects(dataset, DCAT.distribution)):
                continue  # the catalogue already says it
            digest = hashlib.sha1(endpoints[0].encode()).hexdigest()[:12]
            distribution = rdflib.URIRef(f"{str(dataset).split('#', 1)[0]}#service-{digest}")
            graph.add((dataset, DCAT.distribution, distribution))
            graph.add((distribution, RDF.type, DCAT.Distribution))
            graph.add((distribution, DCAT.accessURL, rdflib.URIRef(endpoints[0])))
            graph.add((distribution, DCAT.accessService, service))
            if title:
                graph.add((distribution, DCTERMS.title, rdflib.Literal(title)))
            fmt = inspire.resource_format(endpoints[0], standard, title or "", [])
            if fmt:
                graph.add((distribution, DCTERMS["format"], rdflib.Literal(fmt)))


def _contacts_from_publishers(graph: rdflib.Graph) -> None:
    """A dataset without ``dcat:contactPoint`` whose publisher gives an e-mail address
    (``foaf:mbox``, its own or its member's: GeoNetwork's DCAT writes the record's point
    of contact so) gets that contact: the publisher's name and that address."""
    for dataset in list(graph.subjects(RDF.type, DCAT.Dataset)):
        if graph.value(dataset, DCAT.contactPoint) is not None:
            continue
        for publisher in sorted(graph.objects(dataset, DCTERMS.publisher), key=str):
            boxes = sorted(str(m) for holder in [publisher, *graph.objects(publisher, FOAF.member)]
                           for m in graph.objects(holder, FOAF.mbox))
            if not boxes:
                continue
            contact = rdflib.BNode(f"contact{hashlib.sha1((str(dataset) + boxes[0]).encode()).hexdigest()[:16]}")
            graph.add((dataset, DCAT.contactPoint, contact))
            graph.add((contact, RDF.type, VCARD.Organization))
            graph.add((contact, VCARD.hasEmail, rdflib.URIRef(boxes[0]) if ":" in boxes[0] else
                       rdflib.URIRef("mailto:" + boxes[0])))
            name = _label(graph, publisher, FOAF.name)
            if name:
                graph.add((contact, VCARD.fn, rdflib.Literal(name)))
            break


def _service_standard(graph: rdflib.Graph, service) -> str:
    """What says which kind of service it is: its standards, types and formats."""
    return " ".join(sorted(str(v) for p in (DCTERMS.conformsTo, DCTERMS.type, DCTERMS["format"])
                           for v in graph.objects(service, p)))


def _formats_from_services(graph: rdflib.Graph) -> None:
    """A distribution that is only an access to a service (no format, no media type, no
    download URL; GeoNetwork's GeoDCAT-AP: ``dcat:accessService`` conforming to the WMS
    standard) gets its format from the service's standard (WMS, WFS...)."""
    for distribution in list(graph.subjects(RDF.type, DCAT.Distribution)):
        if any(graph.value(distribution, p) is not None
               for p in (DCTERMS["format"], DCAT.mediaType, DCAT.downloadURL)):
            continue
        for service in sorted(graph.objects(distribution, DCAT.accessService), key=str):
            address = str(graph.value(distribution, DCAT.accessURL) or graph.value(service, DCAT.endpointURL) or "")
            fmt = inspire.resource_format(address, _service_standard(graph, service), "", [])
            if fmt:
                graph.add((distribution, DCTERMS["format"], rdflib.Literal(fmt)))
                break


def hydra_total(graph: rdflib.Graph) -> Optional[int]:
    """The number of records a paged catalogue announces (``hydra:totalItems``)."""
    totals = []
    for value in graph.objects(None, HYDRA.totalItems):
        try:
            totals.append(int(str(value)))
        except ValueError:
            continue
    return max(totals) if totals else None


def record_count(graph: rdflib.Graph) -> int:
    return len(set(graph.subjects(RDF.type, DCAT.Dataset)) | set(graph.subjects(RDF.type, DCAT.DatasetSeries)))


def incomplete_message(number: int, url: str, reason: str, read: int, total: Optional[int]) -> str:
    """A Hydra page that could not be read: which one, and what was not reached."""
    if total is not None:
        missing = (f"{max(total - read, 0)} fiche(s) sur les {total} annoncées par le catalogue (hydra:totalItems) "
                   "n'ont pas été lues.")
    else:
        missing = "Le nombre de fiches non lues est inconnu (le catalogue n'annonce pas hydra:totalItems)."
    return (f"Page {number} du catalogue illisible ({url}) : {reason.rstrip('.')}. {missing} Les {read} fiche(s) "
            "des pages précédentes sont importées ; aucun jeu de données n'est retiré ce jour, le catalogue "
            "n'ayant pas été lu jusqu'au bout.")


def _label(graph: rdflib.Graph, node, predicate=DCTERMS.title) -> str:
    """A node's title, French first."""
    values = list(graph.objects(node, predicate))
    for value in values:
        if dcat_profile.language_code(getattr(value, "language", None)) in ("fr", ""):
            return str(value)
    return str(values[0]) if values else ""


def repeated_message(record: dict[str, Any], guid: str, page: int, first_page: int) -> str:
    """The warning for a record listed a second time in a catalogue (same guid)."""
    where = "plus haut sur la même page" if page == first_page else f"en page {first_page}"
    return mapping.warning(record, "identifiant", guid,
                           f"enregistrement déjà lu {where} (page {page}) : seule sa première occurrence est "
                           "importée.")


def lone_services(graph: rdflib.Graph) -> list[str]:
    """Warnings for each ``dcat:DataService`` that is not a distribution's access
    service: not a dataset, skipped."""
    used = set(graph.objects(None, DCAT.accessService))
    warnings = []
    for service in sorted(set(graph.subjects(RDF.type, DCAT.DataService)) - used, key=str):
        uri = str(service) if isinstance(service, rdflib.URIRef) else ""
        record = {"title": _label(graph, service) or "service sans titre", "extras": [{"key": "uri", "value": uri}]}
        warnings.append(mapping.warning(record, "rdf:type", "dcat:DataService",
                                        "un service de données n'est pas un jeu de données : il n'est pas importé."))
    return warnings


class DataSudDCATHarvester(DataSudHarvesterMixin, DCATRDFHarvester):
    p.implements(IDCATRDFHarvester, inherit=True)

    source_filters = ("publisher", "rdf_format")

    def info(self):
        return {
            "name": "datasud_dcat",
            "title": "Catalogue DCAT",
            "description": "Catalogue DCAT-AP d'un partenaire (RDF/XML, Turtle ou JSON-LD, paginé Hydra) "
                           "ou DCAT-US (data.json d'ArcGIS Hub, Socrata, DKAN).",
        }

    # Gather: the stock loop over Hydra pages, with DataSud's reading of each page.
    def gather_stage(self, harvest_job):
        """The stock gather (Hydra pages, one harvest object per record, withdrawal of the
        records gone), each page read by :func:`read_graph` (syntax detected, relative URIs
        resolved, safety checks); a page after the first that cannot be read ends the
        gather with what was read, and withdraws nothing. The stock before_download and
        after_download hooks are not called (DataSud's downloads are checked here);
        after_parsing is."""
        source = harvest_job.source
        configured = configured_syntax(source.config)
        source_dataset = model.Package.get(source.id)
        self._names_taken: set[str] = set()
        self._names_numbered: dict[str, int] = {}  # the last number given to each repeated name
        object_ids, seen, gathered = [], set(), {}  # gathered: page of each guid, in order
        url, number, read, total, first_page = source.url, 1, 0, None, None
        while url and url not in seen:
            seen.add(url)
            try:
                graph, fingerprint = self._read_page(url, configured, first=number == 1)
            except safety.HarvestFetchError as e:
                if number == 1:
                    self._save_gather_error(str(e), harvest_job)
                    return []
                self._save_gather_error(incomplete_message(number, url, str(e), read, total), harvest_job)
                return object_ids  # what was read is imported; nothing is withdrawn
            if fingerprint == first_page:
                log.warning("page %s of %s repeats the first page: paging stops", number, source.url)
                break
            first_page = first_page or fingerprint
            announced = hydra_total(graph)
            total = announced if announced is not None else total
            read += record_count(graph)
            for message in lone_services(graph):
                self._save_gather_error(message, harvest_job)
            parser = RDFParser()
            parser.g = graph
            for harvester in p.PluginImplementations(IDCATRDFHarvester):
                parser, errors = harvester.after_parsing(parser, harvest_job)
                for message in errors:
                    self._save_gather_error(message, harvest_job)
            if not parser:
                return []
            page_ids = []
            try:
                for dataset in parser.datasets():
                    guid = self._gathered(dataset, source_dataset, harvest_job)
                    if guid is None:
                        continue
                    if guid in gathered:  # listed twice: pages shifting while read, a sloppy export
                        self._save_gather_error(repeated_message(dataset, guid, number, gathered[guid]), harvest_job)
                        continue
                    gathered[guid] = number
                    page_ids.append(self._save_object(dataset, guid, harvest_job))
            except Exception as e:
                self._save_gather_error(f"Error when processsing dataset: {e!r} / {traceback.format_exc()}",
                                        harvest_job)
                return []
            model.Session.commit()  # the page's harvest objects, in one transaction
            url, number = parser.next_page(), number + 1
            # imported while the next page is read (the last one is queued with the withdrawals)
            object_ids += queueing.queue_page(page_ids) if url and url not in seen else page_ids
        return object_ids + self._mark_datasets_for_deletion(list(gathered), harvest_job)

    def _read_page(self, url: str, configured: Optional[str], first: bool = False
                   ) -> tuple[rdflib.ConjunctiveGraph, str]:
        """A page's graph, and a fingerprint of its content (a server ignoring the page
        parameter serves the first page again). A source whose address is a CSW server's
        (it answers with its capabilities or an OWS error: the address of GeoNetwork's
        ``…/srv/fre/csw`` alone) is asked for its records in DCAT
        (:func:`csw_dcat.records_url`)."""
        fetched = safety.fetch(url, headers={"Accept": ACCEPT})
        if first and csw_dcat.is_service_answer(fetched.content):
            url = csw_dcat.records_url(url)
            fetched = safety.fetch(url, headers={"Accept": ACCEPT})
        graph = read_graph(fetched.content, fetched.text(), fetched.headers.get("content-type"), url, configured)
        return graph, hashlib.sha256(fetched.content).hexdigest()

    def _gathered(self, dataset: dict[str, Any], source_dataset, harvest_job) -> Optional[str]:
        """Name, organisation and guid of a gathered record (as the stock gather does)."""
        if not dataset.get("name"):
            dataset["name"] = self._gen_new_name(dataset["title"])
        name = dataset["name"]
        if name in self._names_taken:  # two records of this gather with one title: name-1, name-2…
            number = self._names_numbered.get(name, 0) + 1
            while f"{name}-{number}" in self._names_taken:
                number += 1
            self._names_numbered[name] = number
            dataset["name"] = f"{name}-{number}"
        self._names_taken.add(dataset["name"])
        if not dataset.get("owner_org") and source_dataset.owner_org:
            dataset["owner_org"] = source_dataset.owner_org
        guid = self._get_guid(dataset, source_url=source_dataset.url)
        if not guid:
            self._save_gather_error(f"Could not get a unique identifier for dataset: {dataset}", harvest_job)
            return None
        dataset.setdefault("extras", []).append({"key": "guid", "value": guid})
        return guid

    def _save_object(self, dataset: dict[str, Any], guid: str, harvest_job) -> str:
        """A harvest object for the record, committed with its page (the gather's caller
        queues the objects only once the gather is over)."""
        obj = HarvestObject(id=str(uuid.uuid4()), guid=guid, job=harvest_job, content=json.dumps(dataset))
        model.Session.add(obj)
        return obj.id

    def _get_existing_dataset(self, guid):
        """The dataset this source made of the record (private ones included: drafts,
        withdrawn records); never another source's, whatever its guid."""
        settings = records.current()
        package_id = records.dataset_of(settings.source_id, guid) if settings is not None else None
        if package_id is None:
            return None
        context = {"ignore_auth": True, "user": self._get_user_name()}
        return p.toolkit.get_action("package_show")(context, {"id": package_id})

    def _mark_datasets_for_deletion(self, guids_in_source, harvest_job):
        """Records gone upstream are withdrawn at import; but a catalogue that suddenly
        lists nothing is more likely broken than emptied: nothing is withdrawn then."""
        if not guids_in_source and records.has_current_records(harvest_job.source.id):
            self._save_gather_error(records.EMPTY_CATALOGUE, harvest_job)
            return []
        return records.withdrawal_objects(harvest_job, guids_in_source)

    # Import: check the record maps to DataSud's schema before the stock import runs.
    def import_record(self, harvest_object):
        if records.skip_if_unchanged(harvest_object):
            return "unchanged"  # reported "not modified"; the dataset is not even read
        try:
            record = json.loads(harvest_object.content or "")
        except ValueError:
            self._save_object_error("Enregistrement illisible.", harvest_object, "Import")
            return False
        try:
            mapping.to_datasud(record, records.current())
        except ValueError as e:
            self._save_object_error(str(e), harvest_object, "Import")
            return False
        self._warn_if_held_elsewhere(record, harvest_object)
        others = records.current_elsewhere(harvest_object)
        records.retire_previous(harvest_object)
        try:
            return super().import_record(harvest_object)
        finally:
            records.keep_current(others)

    def _warn_if_held_elsewhere(self, record: dict[str, Any], harvest_object) -> None:
        """A record whose guid another source (or a dataset entered on DataSud) holds:
        it gets its own dataset (:meth:`_get_existing_dataset`), with a warning."""
        source_id = harvest_object.harvest_source_id
        if records.dataset_of(source_id, harvest_object.guid) is not None:
            return
        other = records.guid_held_elsewhere(harvest_object.guid, source_id)
        if other:
            records.warn(mapping.warning(record, "identifiant", harvest_object.guid, records.conflict_text(other)))

    # IDCATRDFHarvester
    def after_parsing(self, rdf_parser, harvest_job):
        if not records.is_datasud_source(harvest_job.source.type) or rdf_parser is None:
            return rdf_parser, []
        settings = records.SourceSettings.of(harvest_job.source)
        dcat_profile.prepare_graph(rdf_parser.g)  # geometries given as nodes (issue 11, item 12)
        return _Records(rdf_parser, settings.publisher), []

    def before_create(self, harvest_object, dataset_dict, temp_dict):
        if records.current() is None:
            return
        records.remember_digest(harvest_object, records.digest(harvest_object.content, records.current()))
        _map(dataset_dict, records.current(), package_id=None)

    def after_create(self, harvest_object, dataset_dict, temp_dict):
        if records.current() is None:
            return None
        records.after_import(dataset_dict["id"], created=True)
        download.after_import(dataset_dict["id"])
        return None

    def before_update(self, harvest_object, dataset_dict, temp_dict):
        if records.current() is None:
            return
        package_id = dataset_dict["id"]
        if records.unchanged(harvest_object, package_id, harvest_object.content):
            dataset_dict.clear()  # the stock harvester then reports the record "not modified"
            return
        _map(dataset_dict, records.current(), package_id=package_id)

    def after_update(self, harvest_object, dataset_dict, temp_dict):
        if records.current() is None:
            return None
        records.after_import(dataset_dict["id"], created=False)
        download.after_import(dataset_dict["id"])
        return None


def _map(dataset_dict: dict[str, Any], settings, package_id) -> None:
    """Replace, in place, the stock profile's dict by DataSud's dataset."""
    keep = {k: dataset_dict[k] for k in ("id", "name") if dataset_dict.get(k)}
    mapped = mapping.to_datasud(dataset_dict, settings)
    records.warn(*mapped.pop(mapping.WARNINGS, []))
    mapped.update(keep)
    mapped["private"] = records.target_private(package_id)
    if package_id:
        download.keep_local_copies(package_id, mapped)
    dataset_dict.clear()
    dataset_dict.update(mapped)


class _Records:
    """The parser as the stock gather stage uses it, yielding only the records this source
    keeps (its publisher filter), each with a title key (a record without title is then
    refused at import with its own error, not the whole job).

    DCAT-AP 3 series: a ``dcat:DatasetSeries`` is also a ``dcat:Dataset`` (as DCAT 3
    defines it), so it is read and imported like one; the series lists its members as
    link resources, and each member's description names its series (members and series
    linked through ``dcat:inSeries`` within the same page, by URI)."""

    def __init__(self, parser, publisher: str):
        self._parser = parser
        self._publisher = (publisher or "").strip().lower()
        self._members, self._series = _series_links(parser.g)

    def __getattr__(self, name):
        return getattr(self._parser, name)

    def _keeps(self, dataset: dict[str, Any]) -> bool:
        if not self._publisher:
            return True
        extras = {e["key"]: e.get("value") for e in dataset.get("extras") or []}
        names = [extras.get("publisher_name"), extras.get("publisher_uri"), dataset.get("publisher_name")]
        for publisher in dataset.get("publisher") or []:
            names += [publisher.get("name"), publisher.get("uri")]
        return any(self._publisher == (n or "").strip().lower() for n in names)

    def datasets(self):
        for dataset in self._parser.datasets():
            if not self._keeps(dataset):
                continue
            if not (dataset.get("title") or "").strip():
                extras = {e["key"]: e.get("value") for e in dataset.get("extras") or []}
                ref = extras.get("uri") or extras.get("identifier") or json.dumps(dataset, sort_keys=True)
                dataset["title"] = ""
                dataset.setdefault("name", "sans-titre-" + hashlib.sha1(ref.encode()).hexdigest()[:12])
            self._link_series(dataset)
            yield dataset

    def _link_series(self, dataset: dict[str, Any]) -> None:
        uri = next((e.get("value") for e in dataset.get("extras") or [] if e.get("key") == "uri"), "")
        for title, link in self._members.get(uri, []):
            if not link:
                continue
            dataset.setdefault("resources", []).append({
                "name": f"Jeu de données de la série : {title}", "url": link, "access_url": link,
                "format": "HTML", "description": f"« {title} », un des jeux de données de cette série."})
        for title, link in self._series.get(uri, []):
            notes = (dataset.get("notes") or "").rstrip()
            where = f" : {link}" if link else ""
            dataset["notes"] = f"{notes}\n\nFait partie de la série « {title} »{where}.".lstrip()


def _series_links(graph: rdflib.Graph) -> tuple[dict[str, list], dict[str, list]]:
    """Type each series as a dataset too; return, by URI, each series' members and each
    member's series, as (title, link) pairs (link: landing page, else the URI)."""
    for series in set(graph.subjects(RDF.type, DCAT.DatasetSeries)):
        graph.add((series, RDF.type, DCAT.Dataset))
    members: dict[str, list] = {}
    series_of: dict[str, list] = {}
    for member, series in sorted(graph.subject_objects(DCAT.inSeries), key=lambda pair: (str(pair[1]), str(pair[0]))):
        if not (isinstance(member, rdflib.URIRef) and isinstance(series, rdflib.URIRef)):
            continue
        members.setdefault(str(series), []).append((_label(graph, member) or str(member), _link(graph, member)))
        series_of.setdefault(str(member), []).append((_label(graph, series) or str(series), _link(graph, series)))
    for pairs in members.values():
        pairs.sort()
    return members, series_of


def _link(graph: rdflib.Graph, node) -> str:
    """A web link to a series or member: its landing page, else its URI ("" if neither is one)."""
    for candidate in list(graph.objects(node, DCAT.landingPage)) + [node]:
        if isinstance(candidate, rdflib.URIRef) and str(candidate).startswith(("http://", "https://")):
            return str(candidate)
    return ""
