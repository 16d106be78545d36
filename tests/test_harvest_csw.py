"""Harvesting partners' INSPIRE catalogues (CSW 2.0.2, ISO 19139).

The catalogue is a real pycsw (tests/csw_server.py) on 127.0.0.1, loaded with the
records of tests/fixtures/csw; it answers two records a page, so every harvest pages.
Hostile catalogues are a CatalogueServer posing as a CSW server."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud.harvesting.csw import CSWClient
from tests.csw_server import PycswServer
from tests.harvesting import CatalogueServer, Page, allowed_hosts, create_source, gather_errors, object_errors, \
    run, source_datasets

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

FIXTURES = Path(__file__).parent / "fixtures" / "csw"
RECORDS = {path.name: path.read_text(encoding="utf-8") for path in sorted(FIXTURES.glob("*.xml"))}

PPRI = "Plan de prévention du risque inondation (PPRI) du Rhône et de la Durance à Avignon"
BAIGNADE = "Qualité des eaux de baignade en mer et en eau douce — Provence-Alpes-Côte d'Azur"
CADASTRE = "Parcelles cadastrales de Marseille"
OCSOL = "Occupation du sol régionale (OCSOL) 2020 en Provence-Alpes-Côte d'Azur"
VERDON = "Itinéraires de randonnée du Parc naturel régional du Verdon"
WARNING = "Avertissement INSPIRE : "


@pytest.fixture(scope="module")
def pycsw():
    with PycswServer() as server:
        yield server


@pytest.fixture
def csw(pycsw):
    pycsw.load(RECORDS)
    with allowed_hosts(pycsw.host):
        yield pycsw


def csw_source(partner, url, **settings):
    return create_source(partner["sysadmin"], partner["org"], url, source_type="datasud_csw", **settings)


def by_title(source) -> dict[str, dict]:
    return {d["title"]: d for d in source_datasets(source)}


def history(dataset_id: str) -> dict:
    return helpers.call_action("datasud_workflow_show", {"ignore_auth": True}, id=dataset_id)


def errors_without_warnings(job) -> list[str]:
    return [e for e in object_errors(job) if not e.startswith(WARNING)]


def test_reference_mode_prevalidated_with_inspire_fields(csw, partner):
    source = csw_source(partner, csw.url, publication_mode="reference", validation="convention")
    result = run(source)
    job = result["job"]
    assert job["status"] == "Finished"
    assert gather_errors(job) == []
    assert errors_without_warnings(job) == []
    assert job["stats"]["added"] == 5  # two records a page: three GetRecords pages
    datasets = by_title(source)
    assert set(datasets) == {PPRI, BAIGNADE, CADASTRE, OCSOL, VERDON}

    ppri = datasets[PPRI]
    assert ppri["private"] is False
    assert ppri["publication_mode"] == "reference"
    assert ppri["notes"].startswith("Zonage réglementaire et aléas du plan de prévention")
    assert set(ppri["themes"]) == {"environnement-climat", "amenagement-urbanisme"}  # INSPIRE nz, ISO topic
    assert ppri["inspire_theme"] == "http://inspire.ec.europa.eu/theme/nz"  # French label in the GEMET thesaurus
    assert ppri["provenance"].startswith("Numérisation du zonage réglementaire annexé à l'arrêté préfectoral")
    assert ppri["inspire_conformity"] == "not-conformant"
    assert "spatial_resolution_in_meters" not in ppri  # an equivalent scale (1:5000) is left out
    assert json.loads(ppri["spatial"]) == {"type": "Polygon", "coordinates": [
        [[4.7392, 43.8867], [4.9271, 43.8867], [4.9271, 43.9967], [4.7392, 43.9967], [4.7392, 43.8867]]]}
    assert ppri["license_id"] == "etalab-2.0"  # gmx:Anchor to Etalab's page
    assert ppri["frequency"] == "http://publications.europa.eu/resource/authority/frequency/IRREG"  # asNeeded
    assert (ppri["contact_name"], ppri["contact_email"]) == ("DDT de Vaucluse — Service Risques",
                                                             "ddt-risques@vaucluse.gouv.fr")
    assert (ppri["issued"], ppri["modified"]) == ("2021-06-30", "2023-11-20")
    assert {t["name"] for t in ppri["tags"]} >= {"PPRI", "inondation", "risque d'inondation (zonage réglementaire)",
                                                 "Zones à risque naturel"}
    # resources stay links to the partner's services and files
    assert [(r["url"], r["format"]) for r in ppri["resources"]] == [
        ("https://georisques.example.gouv.fr/wms/ppri_avignon", "WMS"),
        ("https://donnees.example.gouv.fr/ppri/ppri_avignon_zonage.zip", "ZIP")]
    # landing page: the record on the partner's CSW (no record_url_template)
    page = urlsplit(ppri["url"])
    assert f"{page.scheme}://{page.netloc}{page.path}" == csw.url
    assert "request=GetRecordById" in page.query and "id=fr-120066022-jdd-ppri-avignon-2021" in page.query
    assert "fr-120066022-jdd-ppri-avignon-2021" in requests.get(ppri["url"], timeout=10).text
    extras = {e["key"]: e["value"] for e in ppri.get("extras", [])}
    assert extras["guid"] == "fr-120066022-jdd-ppri-avignon-2021"
    assert extras["identifier"] == \
        "http://catalogue.geo-ide.developpement-durable.gouv.fr/fr-120066022-jdd-ppri-avignon-2021"
    schema = helpers.call_action("scheming_dataset_schema_show", type="dataset")
    assert not set(extras) & {f["field_name"] for f in schema["dataset_fields"]}  # ckan/ckan#8968
    assert not {"spatial", "lineage", "licence", "bbox-east-long", "responsible-party"} & set(extras)
    assert history(ppri["id"])["state"] == "published"
    assert history(ppri["id"])["history"][-1]["transition"] == "harvest_publish"

    baignade = datasets[BAIGNADE]
    assert baignade["inspire_theme"] == "http://inspire.ec.europa.eu/theme/hh"  # gmx:Anchor, English label
    assert baignade["themes"] == ["social-sante-sports"]
    assert baignade["inspire_conformity"] == "conformant"
    assert float(baignade["spatial_resolution_in_meters"]) == 10
    assert (baignade["temporal_start"], baignade["temporal_end"]) == ("2015-06-01", "2024-09-30")
    assert baignade["frequency"].endswith("/ANNUAL")
    assert baignade["license_id"] == "etalab-2.0"  # licence name followed by its URL

    cadastre = datasets[CADASTRE]
    assert cadastre["inspire_theme"] == "http://inspire.ec.europa.eu/theme/cp"
    assert cadastre["themes"] == ["amenagement-urbanisme"]
    assert cadastre["inspire_conformity"] == "not-evaluated"  # gmd:pass gco:nilReason="unknown"
    assert float(cadastre["spatial_resolution_in_meters"]) == 0.5
    assert cadastre["license_id"] == "odc-odbl"
    assert cadastre["frequency"].endswith("/QUARTERLY")

    ocsol = datasets[OCSOL]
    assert ocsol["inspire_theme"] == "http://inspire.ec.europa.eu/theme/lc"  # English label
    assert ocsol["themes"] == ["imagerie"]
    assert float(ocsol["spatial_resolution_in_meters"]) == 20  # 0.02 km
    assert ocsol["license_id"] == "etalab-2.0"

    # a record with only what ISO 19139 requires: imported, with French warnings
    verdon = datasets[VERDON]
    assert verdon["themes"] == ["mobilite-transports"]  # ISO topic category
    assert "inspire_theme" not in verdon and "provenance" not in verdon and "spatial" not in verdon
    assert verdon["license_id"] == "notspecified"  # never Licence Ouverte by default
    warnings = [e for e in object_errors(job) if e.startswith(WARNING)]
    assert len(warnings) == 6 and all(e.startswith(WARNING) for e in warnings)
    assert any("pas de généalogie" in w for w in warnings)
    assert any("pas de mot-clé du thésaurus « GEMET - INSPIRE themes »" in w for w in warnings)
    assert any("aucune licence n'en est déduite" in w for w in warnings)
    report = helpers.call_action("harvest_job_report", {"ignore_auth": True}, id=job["id"])
    warned = {o["guid"] for o in report["object_errors"].values()}
    assert warned == {"pnr-verdon-itineraires-randonnee"}


def test_workflow_mode_and_record_page_on_the_partners_site(csw, partner):
    source = csw_source(partner, csw.url, validation="workflow",
                        record_url_template="https://geo.partenaire.example/catalogue/fiche/{identifier}")
    run(source)
    datasets = by_title(source)
    assert len(datasets) == 5
    cadastre = datasets[CADASTRE]
    assert cadastre["private"] is True
    assert cadastre["url"] == \
        "https://geo.partenaire.example/catalogue/fiche/metropole-amp-parcelles-cadastrales-marseille"
    assert history(cadastre["id"])["state"] == "submitted"
    assert history(cadastre["id"])["history"][-1]["transition"] == "harvest_submit"
    assert helpers.call_action("package_search", q="*:*")["count"] == 0  # nothing public yet


def test_download_mode(csw, partner):
    source = csw_source(partner, csw.url, publication_mode="download", validation="convention")
    run(source)
    datasets = by_title(source)
    assert len(datasets) == 5
    assert {d["publication_mode"] for d in datasets.values()} == {"download"}


def test_licences_are_never_silently_licence_ouverte(csw, partner):
    records = dict(RECORDS)
    records["ppri-avignon.xml"] = RECORDS["ppri-avignon.xml"].replace(
        '<gmx:Anchor xlink:href="https://www.etalab.gouv.fr/licence-ouverte-open-licence">Licence Ouverte version '
        '2.0</gmx:Anchor>', "<gco:CharacterString>Licence de la DDT : réutilisation sur demande</gco:CharacterString>")
    csw.load(records)
    source = csw_source(partner, csw.url, validation="convention", default_licence="odc-odbl")
    job = run(source)["job"]
    datasets = by_title(source)
    # conditions naming a licence DataSud does not know: "not specified", kept as written
    ppri = datasets[PPRI]
    assert ppri["license_id"] == "notspecified"
    assert {e["key"]: e["value"] for e in ppri["extras"]}["harvested_licence"] == \
        "Licence de la DDT : réutilisation sur demande"
    assert any(e.startswith("Avertissement : fiche « ") and "champ licence = « Licence de la DDT : réutilisation "
               "sur demande » : licence non reconnue : le jeu de données est importé avec la licence « Autre "
               "licence / licence non précisée », le texte d'origine est conservé." in e for e in object_errors(job))
    # no conditions at all: the source's default licence
    assert datasets[VERDON]["license_id"] == "odc-odbl"
    assert datasets[CADASTRE]["license_id"] == "odc-odbl" and datasets[OCSOL]["license_id"] == "etalab-2.0"


def test_cql_filter(csw, partner):
    source = csw_source(partner, csw.url, cql="apiso:TopicCategory = 'planningCadastre'")
    result = run(source)
    assert gather_errors(result["job"]) == []
    assert set(by_title(source)) == {PPRI, CADASTRE}


def test_cql_refused_by_the_server(csw, partner):
    source = csw_source(partner, csw.url, cql="titre contient baignade")
    result = run(source)
    assert result["job"]["status"] == "Finished"
    assert gather_errors(result["job"]) == [
        "Impossible de lister les fiches du serveur CSW : Le serveur CSW a renvoyé une erreur : Invalid Filter "
        "syntax."]
    assert source_datasets(source) == []


def test_update_removal_and_reappearance(csw, partner):
    source = csw_source(partner, csw.url, validation="convention")
    run(source)
    first = by_title(source)

    # the land cover record is modified upstream, the cadastre removed
    changed = dict(RECORDS)
    changed["occupation-sol.xml"] = RECORDS["occupation-sol.xml"].replace(
        "Occupation du sol régionale (OCSOL) 2020", "Occupation du sol régionale (OCSOL) 2020, version corrigée"
    ).replace("2023-02-10T09:00:00", "2024-10-01T09:00:00")
    del changed["cadastre-marseille.xml"]
    csw.load(changed)
    second = run(source)
    stats = second["job"]["stats"]
    assert (stats["updated"], stats["deleted"], stats["not modified"]) == (1, 1, 3)
    datasets = by_title(source)
    ocsol = datasets[OCSOL.replace("2020", "2020, version corrigée", 1)]
    assert ocsol["id"] == first[OCSOL]["id"] and ocsol["private"] is False
    withdrawn = helpers.call_action("package_show", id=first[CADASTRE]["id"])
    assert withdrawn["private"] is True and withdrawn["state"] == "active"
    steps = history(withdrawn["id"])
    assert steps["state"] == "withdrawn"
    assert [h["transition"] for h in steps["history"]] == ["harvest_publish", "harvest_withdraw"]
    assert CADASTRE not in {d["title"] for d in helpers.call_action("package_search", q="*:*")["results"]}

    # the cadastre comes back: the same dataset, published again; the rest not modified
    back = dict(changed, **{"cadastre-marseille.xml": RECORDS["cadastre-marseille.xml"]})
    csw.load(back)
    third = run(source)
    stats = third["job"]["stats"]
    assert (stats["updated"], stats["added"], stats["not modified"]) == (1, 0, 4)
    assert len(source_datasets(source)) == 5
    cadastre = helpers.call_action("package_show", id=first[CADASTRE]["id"])
    assert cadastre["private"] is False
    steps = history(cadastre["id"])
    assert steps["state"] == "published"
    assert [h["transition"] for h in steps["history"]] == ["harvest_publish", "harvest_withdraw", "harvest_reappear"]


def test_unchanged_records_are_not_rewritten(csw, partner):
    source = csw_source(partner, csw.url, validation="convention")
    run(source)
    before = {d["id"]: d["metadata_modified"] for d in source_datasets(source)}
    second = run(source)
    assert second["job"]["stats"]["not modified"] == 5
    assert {d["id"]: d["metadata_modified"] for d in source_datasets(source)} == before


# --- Hostile catalogues: a CatalogueServer posing as a CSW server --------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"><csw:SearchResults
 numberOfRecordsMatched="1" numberOfRecordsReturned="1" nextRecord="0">&lol3;</csw:SearchResults>
</csw:GetRecordsResponse>"""

GUIDS = {"ppri-avignon.xml": "fr-120066022-jdd-ppri-avignon-2021", "eaux-baignade.xml": "ars-paca-eaux-baignade-2024"}


def get_records(*guids: str) -> str:
    briefs = "".join(f"<gmd:MD_Metadata><gmd:fileIdentifier><gco:CharacterString>{guid}</gco:CharacterString>"
                     "</gmd:fileIdentifier></gmd:MD_Metadata>" for guid in guids)
    return ('<?xml version="1.0" encoding="UTF-8"?><csw:GetRecordsResponse '
            'xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:gmd="http://www.isotc211.org/2005/gmd" '
            'xmlns:gco="http://www.isotc211.org/2005/gco" version="2.0.2"><csw:SearchResults '
            f'numberOfRecordsMatched="{len(guids)}" numberOfRecordsReturned="{len(guids)}" nextRecord="0" '
            f'elementSet="brief">{briefs}</csw:SearchResults></csw:GetRecordsResponse>')


def get_record_by_id(record_xml: str) -> str:
    body = record_xml.split("?>", 1)[1] if record_xml.startswith("<?xml") else record_xml
    return ('<?xml version="1.0" encoding="UTF-8"?><csw:GetRecordByIdResponse '
            f'xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">{body}</csw:GetRecordByIdResponse>')


class FakeCSW:
    """The pages a CatalogueServer serves as a CSW server at /csw."""

    def __init__(self, server: CatalogueServer):
        self.server = server
        self.url = server.url("/csw")
        self.client = CSWClient(self.url)

    def _path(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.path}?{parts.query}"

    def listing(self, page: Page) -> None:
        self.server.pages[self._path(self.client.records_url(1))] = page

    def record(self, guid: str, page: Page) -> None:
        self.server.pages[self._path(self.client.record_url(guid))] = page


@pytest.fixture
def harvested(partner):
    """A source on a CatalogueServer that served two valid records (harvested, public)."""
    with CatalogueServer() as server, allowed_hosts(server.host):
        fake = FakeCSW(server)
        fake.listing(Page(get_records(*GUIDS.values()), "application/xml"))
        for name, guid in GUIDS.items():
            fake.record(guid, Page(get_record_by_id(RECORDS[name]), "application/xml"))
        source = csw_source(partner, fake.url, validation="convention")
        first = run(source)
        assert first["job"]["stats"]["added"] == 2
        yield {"fake": fake, "source": source, "datasets": by_title(source)}


def assert_intact(harvested) -> None:
    now = by_title(harvested["source"])
    assert set(now) == {PPRI, BAIGNADE}
    for title, before in harvested["datasets"].items():
        assert now[title]["private"] is False
        assert now[title]["metadata_modified"] == before["metadata_modified"]
        assert history(before["id"])["state"] == "published"


def test_billion_laughs(harvested):
    harvested["fake"].listing(Page(BILLION_LAUGHS, "application/xml"))
    job = run(harvested["source"])["job"]
    assert job["status"] == "Finished"
    assert gather_errors(job) == [
        "Impossible de lister les fiches du serveur CSW : Document XML refusé : il déclare des entités (DTD), ce "
        "que le moissonnage n'accepte pas par sécurité."]
    assert_intact(harvested)


def test_external_entity_in_a_record(harvested):
    guid = GUIDS["eaux-baignade.xml"]
    hostile = get_record_by_id(RECORDS["eaux-baignade.xml"].replace("Points de prélèvement", "&xxe; Points", 1))
    hostile = hostile.replace('<?xml version="1.0" encoding="UTF-8"?>',
                              '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    harvested["fake"].record(guid, Page(hostile, "application/xml"))
    result = run(harvested["source"])
    job = result["job"]
    assert job["status"] == "Finished"
    assert object_errors(job) == [
        f"Fiche {guid} : Document XML refusé : il déclare des entités (DTD), ce que le moissonnage n'accepte pas "
        "par sécurité."]
    assert (job["stats"]["not modified"], result["objects"][guid]["report_status"]) == (1, "errored")
    assert_intact(harvested)
    assert "root:" not in json.dumps(by_title(harvested["source"]))


def test_redirect_to_a_local_address_not_allowed(harvested):
    import socket
    with socket.socket() as sock:  # a local port nobody allowed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    harvested["fake"].listing(Page(b"", status=302, headers={"Location": f"http://127.0.0.1:{port}/csw"}))
    job = run(harvested["source"])["job"]
    assert job["status"] == "Finished"
    assert gather_errors(job) == [
        "Impossible de lister les fiches du serveur CSW : Adresse refusée : 127.0.0.1 désigne une adresse interne "
        "(127.0.0.1). Le moissonnage ne s'adresse qu'à des serveurs publics."]
    assert_intact(harvested)


def test_record_without_title(harvested):
    untitled = RECORDS["cadastre-marseille.xml"].replace(
        "<gco:CharacterString>Parcelles cadastrales de Marseille</gco:CharacterString>", "")
    assert CADASTRE not in untitled
    guid = "metropole-amp-parcelles-cadastrales-marseille"
    harvested["fake"].listing(Page(get_records(*GUIDS.values(), guid), "application/xml"))
    harvested["fake"].record(guid, Page(get_record_by_id(untitled), "application/xml"))
    result = run(harvested["source"])
    job = result["job"]
    assert job["status"] == "Finished"
    assert object_errors(job) == [
        "Fiche sans titre (gmd:title) : elle n'est pas importée. Le titre est obligatoire pour INSPIRE comme pour "
        "DataSud."]
    assert result["objects"][guid]["report_status"] == "errored"
    assert job["stats"]["not modified"] == 2
    assert_intact(harvested)


def test_not_a_csw_server(harvested):
    harvested["fake"].listing(Page("<html><body>Catalogue en maintenance</body></html>", "text/html"))
    job = run(harvested["source"])["job"]
    assert gather_errors(job) == [
        "Impossible de lister les fiches du serveur CSW : Réponse inattendue du serveur CSW : <html> au lieu de "
        "<csw:GetRecordsResponse>. L'adresse de la source est-elle bien celle d'un service CSW 2.0.2 ?"]
    assert_intact(harvested)


def test_record_not_valid_iso19139_is_imported_with_a_warning(harvested):
    """The XML schema check warns; it refuses only what cannot be read (issue 11, item 7)."""
    invalid = RECORDS["cadastre-marseille.xml"].replace(
        "<gmd:dateStamp>", "<gmd:remarque>Champ hors schéma</gmd:remarque>\n  <gmd:dateStamp>", 1)
    guid = "metropole-amp-parcelles-cadastrales-marseille"
    harvested["fake"].listing(Page(get_records(*GUIDS.values(), guid), "application/xml"))
    harvested["fake"].record(guid, Page(get_record_by_id(invalid), "application/xml"))
    result = run(harvested["source"])
    assert result["objects"][guid]["report_status"] == "added"
    [warning] = object_errors(result["job"])
    assert warning.startswith(f"Avertissement : fiche « {CADASTRE} » ({guid}), champ schéma XML (iso19139) = "
                              "« ligne ")
    assert "Element '{http://www.isotc211.org/2005/gmd}remarque': This element is not expected." in warning
    assert warning.endswith("fiche non conforme au schéma XML ISO 19139 (1 écart(s), le premier cité) : elle est "
                            "importée quand même ; à corriger dans le catalogue du partenaire.")
    assert by_title(harvested["source"])[CADASTRE]["license_id"] == "odc-odbl"


def test_job_report_shows_inspire_warnings_apart_from_errors(app, csw, partner):
    source = csw_source(partner, csw.url, validation="convention")
    job = run(source)["job"]
    assert any(e.startswith(WARNING) for e in object_errors(job))  # the Verdon record is minimal
    member = ckan_factories.User()
    helpers.call_action("organization_member_create", id=partner["org"]["id"], username=member["name"],
                        role="member")
    page = app.get(f"/moissonnage/job/{job['id']}", extra_environ={"REMOTE_USER": member["name"]}).body
    warnings = page.split('class="table table-sm datasud-harvest-warnings"')[1]
    assert WARNING.strip() in warnings
    assert "datasud-harvest-record-errors" not in page  # every record was imported
    assert "Avertissements (fiches importées)" in page
