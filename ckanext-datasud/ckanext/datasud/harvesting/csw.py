"""Partners' INSPIRE catalogues: CSW 2.0.2 servers (GeoNetwork, pycsw...) serving ISO
19139 records, through ckanext-spatial's CSW harvester.

What DataSud changes:

- every request goes through :mod:`.safety` (SSRF checks, size and time bounds) and
  every response through ``safety.parse_xml`` (no entities, no network), with a small
  client of our own (:class:`CSWClient`: GetRecords paged with ``startPosition`` /
  ``maxRecords``, GetRecordById, both in ISO 19139, by KVP GET): owslib never fetches;
- the import is not the stock one (which creates datasets with CKAN's default schema,
  deletes the records gone upstream and compares dateStamps only): the stock
  ``get_package_dict`` builds its dict, the ``ISpatialHarvester.get_package_dict``
  hooks run (DataSud's maps the record into its schema with the INSPIRE fields, see
  :mod:`.inspire`), then the dataset is created or updated as by DataSud's other
  harvesters: published by convention or submitted to the workflow, withdrawn when
  gone upstream, brought back (same dataset) when it reappears;
- INSPIRE checks besides the ISO 19139 XML schema (:class:`.inspire.InspireValidator`,
  through ``ISpatialHarvester.get_validators``): a record without title is refused,
  the other missing INSPIRE elements are French warnings in the job report; so is a
  record the XML schema finds fault with (checked with its GML 3.2 read as GML 3.1:
  :func:`.inspire.with_gml31`), imported all the same: a record is refused only when
  it cannot be read or has no title;
- the record is read in one language (:func:`.inspire.localised`: French, else
  English, else its own), its online resources typed (format, data or documentation),
  its metadata view on the partner's catalogue taken as the landing page, and links to
  the hosts the source excludes (``excluded_hosts``: intranets) left out;
- a record whose XML has not changed since its last import (same content, so same
  dateStamp) is not rewritten: the job reports it "not modified". A record whose
  content changed is updated even when its dateStamp did not move.

Source settings: the common ones (:mod:`.settings`), ``cql`` (a CQL constraint sent
with GetRecords), ``record_url_template`` (the record's page on the partner's site,
``{identifier}`` replaced: the dataset's landing page when the record does not give its
own; without either, the GetRecordById URL of the record) and ``excluded_hosts``.
"""
from __future__ import annotations

import logging
import re
import uuid
from typing import Any, Iterator, Optional
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
import dateutil.parser
import sqlalchemy as sa
from ckanext.harvest.model import HarvestObject
from ckanext.spatial.harvested_metadata import ISODocument
from ckanext.spatial.harvesters.base import DEFAULT_VALIDATOR_PROFILES, SpatialHarvester
from ckanext.spatial.harvesters.csw import CSWHarvester
from ckanext.spatial.interfaces import ISpatialHarvester
from ckanext.spatial.validation import Validators
from lxml import etree

from ckanext.datasud.harvesting import csw_dcat, download, inspire, mapping, records, safety
from ckanext.datasud.harvesting.base import DataSudHarvesterMixin

log = logging.getLogger(__name__)

NAME = "datasud_csw"
CSW = "http://www.opengis.net/cat/csw/2.0.2"
GMD = "http://www.isotc211.org/2005/gmd"
GMI = "http://www.isotc211.org/2005/gmi"
OWS = ("http://www.opengis.net/ows", "http://www.opengis.net/ows/1.1")
DC = "http://purl.org/dc/elements/1.1/"
METADATA_TAGS = (f"{{{GMD}}}MD_Metadata", f"{{{GMI}}}MI_Metadata")



class CSWClient:
    """The two requests the harvest makes to a CSW 2.0.2 server, through :mod:`.safety`.

    ``HarvestFetchError`` (French message) for anything that is not the expected answer:
    unreachable or refused address, too big or too slow, not XML or with entities, an OWS
    exception report, another document than a CSW answer."""

    page_size = 100
    max_pages = 500  # 50,000 records: beyond, a server that never stops paging

    def __init__(self, url: str):
        parts = urlsplit((url or "").strip())
        self._kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                      if k.lower() not in csw_dcat.OWN_PARAMETERS]
        self._base = parts._replace(query="", fragment="")

    def _url(self, params: list[tuple[str, str]]) -> str:
        return urlunsplit(self._base._replace(query=urlencode(self._kept + params, quote_via=quote)))

    def records_url(self, start: int, cql: Optional[str] = None) -> str:
        params = [("service", "CSW"), ("version", "2.0.2"), ("request", "GetRecords"), ("typeNames", "csw:Record"),
                  ("resultType", "results"), ("elementSetName", "brief"), ("outputSchema", GMD),
                  ("startPosition", str(start)), ("maxRecords", str(self.page_size))]
        if cql:
            params += [("constraintLanguage", "CQL_TEXT"), ("constraint_language_version", "1.1.0"),
                       ("constraint", cql)]
        return self._url(params)

    def record_url(self, identifier: str) -> str:
        return self._url([("service", "CSW"), ("version", "2.0.2"), ("request", "GetRecordById"),
                          ("outputSchema", GMD), ("elementSetName", "full"), ("id", identifier)])

    def _get(self, url: str, expected: str) -> etree._Element:
        fetched = safety.fetch(url, headers={"Accept": "application/xml, text/xml;q=0.9"},
                               accept_status=tuple(range(200, 600)))
        try:
            root = safety.parse_xml(fetched.content)
        except safety.HarvestFetchError:
            if fetched.status != 200:
                raise safety.HarvestFetchError(f"Le serveur CSW a répondu {fetched.status} pour {fetched.url}.")
            raise
        namespace, _, local = root.tag.rpartition("}")
        if local == "ExceptionReport" and namespace.lstrip("{") in OWS:
            texts = [" ".join(t.split()) for t in root.xpath("//*[local-name()='ExceptionText']/text()")]
            codes = [e.get("exceptionCode") for e in root.xpath("//*[local-name()='Exception']")]
            detail = " ; ".join(t for t in texts if t) or ", ".join(c for c in codes if c) or "sans détail"
            raise safety.HarvestFetchError(f"Le serveur CSW a renvoyé une erreur : {detail}.")
        if fetched.status != 200:
            raise safety.HarvestFetchError(f"Le serveur CSW a répondu {fetched.status} pour {fetched.url}.")
        if root.tag != f"{{{CSW}}}{expected}" and not (expected == "GetRecordByIdResponse" and
                                                       root.tag in METADATA_TAGS):
            raise safety.HarvestFetchError(
                f"Réponse inattendue du serveur CSW : <{local}> au lieu de <csw:{expected}>. L'adresse de la "
                "source est-elle bien celle d'un service CSW 2.0.2 ?")
        return root

    def identifiers(self, cql: Optional[str] = None) -> Iterator[str]:
        """The identifiers of the catalogue's records (those matching ``cql``), page by page."""
        start = 1
        for _page in range(self.max_pages):
            root = self._get(self.records_url(start, cql), "GetRecordsResponse")
            results = root.find(f"{{{CSW}}}SearchResults")
            if results is None:
                raise safety.HarvestFetchError("Réponse GetRecords sans résultats (csw:SearchResults).")
            returned = 0
            for child in results:
                if not isinstance(child.tag, str):
                    continue
                returned += 1
                if child.tag in METADATA_TAGS:
                    identifier = child.findtext(f"{{{GMD}}}fileIdentifier/*")
                else:
                    identifier = child.findtext(f"{{{DC}}}identifier")
                if identifier and identifier.strip():
                    yield identifier.strip()
            try:
                following = int(results.get("nextRecord") or 0)
                matched = int(results.get("numberOfRecordsMatched") or 0)
            except ValueError:
                raise safety.HarvestFetchError("Réponse GetRecords illisible (nextRecord ou "
                                               "numberOfRecordsMatched n'est pas un nombre).")
            if returned == 0 or following <= start or (matched and following > matched):
                return
            start = following
        raise safety.HarvestFetchError(
            f"Le serveur CSW pagine au-delà de {self.max_pages} pages : moissonnage interrompu.")

    def record(self, identifier: str) -> str:
        """The ISO 19139 record (``gmd:MD_Metadata``) of an identifier, as XML text."""
        root = self._get(self.record_url(identifier), "GetRecordByIdResponse")
        found = root if root.tag in METADATA_TAGS else next(
            (child for child in root if isinstance(child.tag, str) and child.tag in METADATA_TAGS), None)
        if found is None:
            raise safety.HarvestFetchError(
                f"Le serveur CSW ne renvoie pas la fiche {identifier} en ISO 19139 (gmd:MD_Metadata) : supprimée "
                "entre-temps, ou pas une fiche de données ?")
        return etree.tostring(found, encoding="unicode")

    # The names the stock CSW harvester calls (owslib's).
    def getidentifiers(self, page: int = 10, outputschema: str = "gmd", cql: Optional[str] = None, **_kw):
        return self.identifiers(cql)

    def getrecordbyid(self, ids: list[str], outputschema: str = "gmd", **_kw) -> dict[str, str]:
        return {"xml": self.record(ids[0])}


# Messages of the stock spatial harvester this harvester may still record.
_FRENCH = [
    (r"^Point extent defined instead of polygon$",
     inspire.WARNING_PREFIX + "l'emprise géographique est un point (rectangle de surface nulle)."),
]
# Messages of the stock spatial harvester left out: what they say, inspire.record reads and
# reports better (the stock reads the first box only, and no comma decimals).
_LEFT_OUT = (r"^Error parsing bounding box value: ",)


ISO19139, SERVICE_SCHEMA = "iso19139", "iso19139eden"


class DataSudCSWHarvester(DataSudHarvesterMixin, CSWHarvester):
    p.implements(ISpatialHarvester, inherit=True)

    source_filters = ("cql", "record_url_template", "excluded_hosts")

    def info(self):
        return {
            "name": NAME,
            "title": "Catalogue INSPIRE (CSW)",
            "description": "Catalogue CSW 2.0.2 d'un partenaire (GeoNetwork, pycsw...) : fiches de métadonnées "
                           "INSPIRE en ISO 19139.",
        }

    def _setup_csw_client(self, url):
        self.csw = CSWClient(url)

    def _save_object_error(self, message, obj, stage="Fetch", line=None):
        text = str(message).strip()
        if any(re.match(pattern, text) for pattern in _LEFT_OUT):
            return None
        for pattern, replacement in _FRENCH:
            if re.match(pattern, text, flags=re.S):
                text = re.sub(pattern, replacement, text, flags=re.S)
                break
        return super()._save_object_error(text, obj, stage, line)

    def _is_wms(self, url):
        return False  # owslib would fetch it, outside .safety: services are not probed

    def get_original_url(self, harvest_object_id):
        obj = model.Session.get(HarvestObject, harvest_object_id)
        return CSWClient(obj.source.url).record_url(obj.guid) if obj is not None and obj.guid else None

    # Gather: the stock stage with our client (new / changed / gone records); its
    # messages become French (base.french).

    # Fetch: the record by GetRecordById, or a French reason.
    def fetch_stage(self, harvest_object):
        if self._get_object_extra(harvest_object, "status") == "delete":
            return True
        try:
            content = CSWClient(harvest_object.source.url).record(harvest_object.guid)
        except safety.HarvestFetchError as e:
            self._save_object_error(f"Fiche {harvest_object.guid} : {e}", harvest_object, "Fetch")
            return False
        except Exception as e:  # noqa: BLE001 - a report, not a stopped harvest
            log.exception("fetching %s failed", harvest_object.guid)
            self._save_object_error(f"Fiche {harvest_object.guid} : erreur inattendue ({type(e).__name__}).",
                                    harvest_object, "Fetch")
            return False
        harvest_object.content = content
        harvest_object.save()
        return True

    # Import (run by the mixin's import_stage inside records.importing()).
    def import_record(self, harvest_object):
        try:
            return self._import(harvest_object)
        except Exception as e:  # noqa: BLE001 - a report, not a stopped harvest
            log.exception("importing %s failed", harvest_object.guid)
            model.Session.rollback()
            self._save_object_error(f"Erreur inattendue à l'import de la fiche ({type(e).__name__} : {e}).",
                                    harvest_object, "Import")
            return False

    def _import(self, harvest_object):
        settings = records.current()
        self._set_source_config(harvest_object.source.config)
        content = harvest_object.content or ""
        if not content.strip():
            self._save_object_error("Fiche vide.", harvest_object, "Import")
            return False
        try:
            tree = safety.parse_xml(content)
        except safety.HarvestFetchError as e:
            self._save_object_error(str(e), harvest_object, "Import")
            return False

        package = self._existing_package(harvest_object)
        if package is not None and records.unchanged(harvest_object, package.id, content):
            self._make_current(harvest_object, package.id)
            return "unchanged"

        tree, _language = inspire.localised(tree)
        valid, profile, errors = self._get_validator(inspire.is_service(tree)).is_valid(inspire.with_gml31(tree))
        if not valid and profile == inspire.InspireValidator.name:
            for message, line in errors:
                self._save_object_error(message, harvest_object, "Validation", line)
            return False
        if not valid:  # the XML schema's remarks: the record is read all the same
            records.warn(inspire.schema_warning(tree, harvest_object.guid, profile, errors))

        iso_values = ISODocument(xml_tree=tree).read_values()
        try:
            harvest_object.metadata_modified_date = dateutil.parser.parse(iso_values["metadata-date"],
                                                                          ignoretz=True)
        except (ValueError, OverflowError, TypeError):
            harvest_object.metadata_modified_date = None

        context = {"model": model, "session": model.Session, "user": self._get_user_name()}
        try:
            package_dict = SpatialHarvester.get_package_dict(self, iso_values, harvest_object)
        except Exception as e:  # noqa: BLE001 - the stock builder raises bare exceptions
            log.exception("stock get_package_dict failed for %s", harvest_object.guid)
            self._save_object_error(f"Fiche illisible : {e}", harvest_object, "Import")
            return False
        try:
            for harvester in p.PluginImplementations(ISpatialHarvester):
                package_dict = harvester.get_package_dict(context, {
                    "package_dict": package_dict, "iso_values": iso_values, "xml_tree": tree,
                    "harvest_object": harvest_object})
        except ValueError as e:
            self._save_object_error(str(e), harvest_object, "Import")
            return False
        if not package_dict:
            self._save_object_error("Fiche écartée par une extension du moissonnage.", harvest_object, "Import")
            return False
        records.warn(*inspire.InspireValidator.warnings(tree, harvest_object.guid))
        return self._save(harvest_object, package_dict, package, settings)

    def _existing_package(self, harvest_object) -> Optional[model.Package]:
        """The dataset of this record: the one of its current object, else the last one
        this source made of it (a record withdrawn then back, or a failed update)."""
        ids = [harvest_object.package_id] if harvest_object.package_id else []
        ids += [row[0] for row in model.Session.query(HarvestObject.package_id).filter(
            HarvestObject.guid == harvest_object.guid,
            HarvestObject.harvest_source_id == harvest_object.harvest_source_id,
            HarvestObject.package_id.isnot(None)).order_by(HarvestObject.gathered.desc()).limit(20)]
        for package_id in ids:
            package = model.Package.get(package_id)
            if package is not None and package.state != "deleted":
                return package
        return None

    def _make_current(self, harvest_object, package_id: str) -> None:
        model.Session.query(HarvestObject).filter(
            HarvestObject.package_id == package_id, HarvestObject.id != harvest_object.id).update(
            {"current": False}, False)
        harvest_object.package_id = package_id
        harvest_object.current = True
        harvest_object.add()

    def _save(self, harvest_object, dataset: dict[str, Any], package: Optional[model.Package], settings) -> bool:
        context = {"model": model, "session": model.Session, "user": self._get_user_name(), "ignore_auth": True}
        created = package is None
        try:
            if package is not None:
                dataset["id"], dataset["name"] = package.id, package.name
                dataset["private"] = records.target_private(package.id)
                download.keep_local_copies(package.id, dataset)
            else:
                records.remember_digest(harvest_object, records.digest(harvest_object.content, settings))
                dataset["id"] = str(uuid.uuid4())
                dataset["private"] = records.target_private(None)
            # the harvest plugin indexes the dataset with its source: link them first
            self._make_current(harvest_object, dataset["id"])
            model.Session.execute(sa.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED"))
            model.Session.flush()
            tk.get_action("package_create" if created else "package_update")(context, dataset)
        except tk.ValidationError as e:
            model.Session.rollback()
            self._save_object_error(mapping.validation_message(e, dataset), harvest_object, "Import")
            return False
        model.Session.commit()
        records.after_import(dataset["id"], created=created)
        download.after_import(dataset["id"])
        return True

    # ckanext-spatial's validation: the stock profiles (ISO 19139 XML schema by default)
    # after those of ISpatialHarvester.get_validators (ours: INSPIRE); not cached, as
    # profiles are a source setting. The stock ISO 19139 profile has no schema for
    # services (srv:): a service record is checked by ckanext-spatial's profile that has
    # one (``iso19139eden``: gmx.xsd and srv.xsd), not reported faulty for being a service.
    def _get_validator(self, service: bool = False):
        profiles = self.source_config.get("validator_profiles") or \
            [x.strip() for x in (tk.config.get("ckan.spatial.validator.profiles") or "").split(",") if x.strip()] \
            or list(DEFAULT_VALIDATOR_PROFILES)
        if service:
            profiles = list(dict.fromkeys(SERVICE_SCHEMA if x == ISO19139 else x for x in profiles))
        validators = Validators(profiles=list(profiles))
        extra = []
        for plugin in p.PluginImplementations(ISpatialHarvester):
            for validator in plugin.get_validators():
                validators.add_validator(validator)
                if validator.name not in profiles and validator.name not in extra:
                    extra.append(validator.name)
        validators.profiles = extra + list(profiles)
        return validators

    # ISpatialHarvester, for this harvester's sources only
    def _own(self, harvest_object=None) -> bool:
        settings = records.current()
        if settings is None or settings.source_type != NAME:
            return False
        return harvest_object is None or harvest_object.source.type == NAME

    def get_validators(self):
        return [inspire.InspireValidator] if self._own() else []

    def get_package_dict(self, context, data_dict):
        package_dict = data_dict["package_dict"]
        harvest_object = data_dict.get("harvest_object")
        if harvest_object is None or not self._own(harvest_object):
            return package_dict
        settings = records.current()
        record = inspire.record(data_dict["xml_tree"], data_dict["iso_values"], package_dict, harvest_object.guid,
                                excluded_hosts=settings.excluded_hosts)
        # never Licence Ouverte by default: without conditions of use, the source's default
        # licence or "not specified"; an unknown licence is "not specified", kept as written
        dataset = mapping.to_datasud(record, settings, landing_page=record.get("url") or
                                     self._landing_page(harvest_object, settings))
        records.warn(*dataset.pop(mapping.WARNINGS, []))
        return dataset

    def _landing_page(self, harvest_object, settings) -> str:
        guid = harvest_object.guid or ""
        if settings.record_url_template:
            return settings.record_url_template.replace("{identifier}", quote(guid, safe=""))
        return CSWClient(harvest_object.source.url).record_url(guid)

