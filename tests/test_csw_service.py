"""The INSPIRE discovery service (issue 13, item 5): published geographic datasets served as
ISO 19139 through CSW 2.0.2 at /csw, kept in sync on publish, update, withdrawal and
deletion; nothing else reaches it, and /csw never passes a transaction.

A real pycsw (its own virtualenv, as `bin/datasud up` runs it) serves a fresh SQLite
repository on a free port; the real Celery worker of the tests syncs it after each
commit; every request goes through the portal's /csw.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from lxml import etree

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.datasud.csw import configuration, iso19139, sync
from ckanext.datasud.harvesting import inspire
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
PYCSW_VENV = Path(os.environ.get("DATASUD_CACHE", ROOT / ".cache")) / "pycsw-venv"
NS = {"csw": "http://www.opengis.net/cat/csw/2.0.2", "dc": "http://purl.org/dc/elements/1.1/",
      "gmd": "http://www.isotc211.org/2005/gmd", "gco": "http://www.isotc211.org/2005/gco",
      "ows": "http://www.opengis.net/ows"}
VAR = {"type": "Polygon", "coordinates": [[[5.65, 42.98], [6.93, 42.98], [6.93, 43.80], [5.65, 43.80], [5.65, 42.98]]]}
ALPS = {"type": "MultiPolygon", "coordinates": [[[[5.5, 44.1], [7.1, 44.1], [7.1, 45.1], [5.5, 45.1], [5.5, 44.1]]]]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def discovery(clean_module_db, tmp_path_factory):
    """pycsw on 127.0.0.1 (gunicorn, as bin/datasud starts it) with an empty repository,
    and the portal pointed at it for this module."""
    home = tmp_path_factory.mktemp("pycsw")
    config_path = home / "pycsw.cfg"
    configuration.write(str(config_path), repository=f"sqlite:///{home / 'records.db'}")
    port = free_port()
    log = open(home / "service.log", "wb")
    service = subprocess.Popen(
        [str(PYCSW_VENV / "bin" / "gunicorn"), "--chdir", str(ROOT / "ckanext-datasud/ckanext/datasud/csw"),
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", "--no-control-socket",
         "pycsw_service:application"],
        env=dict(os.environ, PYCSW_CONFIG=str(config_path)), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/csw"
    try:
        deadline = time.time() + 60
        while True:
            assert service.poll() is None, (home / "service.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.time() < deadline, "pycsw did not start"
                time.sleep(0.3)
        yield url
    finally:
        service.terminate()
        service.wait(20)
        log.close()


@pytest.fixture(autouse=True)
def csw_on(request, ckan_config, monkeypatch):
    """The portal pointed at this module's service (CKAN's ckan_config is reset after
    each test, hence a function-scoped fixture)."""
    if "discovery" in request.fixturenames:
        monkeypatch.setitem(ckan_config, "ckanext.datasud.csw.service_url", request.getfixturevalue("discovery"))


@pytest.fixture(scope="module")
def region(discovery):
    """A partner, its geographic datasets (two published, one private) and one without an extent."""
    org = factories.Organization(name="crige-csw", title="CRIGE PACA (test CSW)")
    made = {
        "plages": factories.Dataset(
            owner_org=org["id"], name="plages-du-var", title="Qualité des eaux de baignade du Var",
            themes=["environnement-climat", "social-sante-sports"], spatial=json.dumps(VAR),
            spatial_text="Var", inspire_theme="http://inspire.ec.europa.eu/theme/hh",
            inspire_conformity="conformant", provenance="Prélèvements de l'ARS, saison 2025.",
            spatial_resolution_in_meters=25, temporal_start="2025-06-01", temporal_end="2025-09-30",
            frequency="http://publications.europa.eu/resource/authority/frequency/ANNUAL",
            contact_name="Service SIG", contact_email="sig@crige.example.org", tag_string="baignade,eau",
            resources=[{"url": "https://data.example.org/baignade.csv", "format": "CSV", "name": "Résultats"}]),
        "alpes": factories.Dataset(owner_org=org["id"], name="refuges-des-alpes", title="Refuges des Alpes du Sud",
                                   spatial=json.dumps(ALPS), themes=["culture-tourisme"]),
        "secret": factories.Dataset(owner_org=org["id"], name="brouillon-geo", title="Brouillon géographique",
                                    spatial=json.dumps(VAR), private=True),
        "flat": factories.Dataset(owner_org=org["id"], name="sans-emprise", title="Budget sans emprise"),
    }
    # made before the portal is pointed at the service (module-scoped fixtures come first):
    # loaded as `ckan datasud csw sync` does
    assert sync.sync_all(discovery) == {"replaced": 2, "deleted": 0}
    return dict(made, organization=org)


def csw_get(app, **params):
    response = app.get("/csw", query_string={"service": "CSW", "version": "2.0.2", **params})
    return response, etree.fromstring(response.data)


def record_titles(app) -> dict[str, str]:
    _, root = csw_get(app, request="GetRecords", typeNames="csw:Record", elementSetName="brief",
                      resultType="results", maxRecords="50")
    return {r.findtext("dc:identifier", namespaces=NS): r.findtext("dc:title", namespaces=NS)
            for r in root.iterfind(".//csw:BriefRecord", NS)}


def eventually(check, what: str, seconds: float = 60):
    """The Celery worker syncs after the commit: wait for it."""
    deadline = time.time() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.time() < deadline, f"the discovery service never showed: {what}"
        time.sleep(0.5)


def test_published_geographic_datasets_are_served_and_nothing_else(app, region, celery_worker):
    eventually(lambda: set(record_titles(app)) == {region["plages"]["id"], region["alpes"]["id"]},
               "the two published geographic datasets")
    titles = record_titles(app)
    assert titles[region["plages"]["id"]] == "Qualité des eaux de baignade du Var"
    assert region["secret"]["id"] not in titles and region["flat"]["id"] not in titles


def test_get_record_by_id_is_an_inspire_iso_19139_record(app, region, celery_worker):
    dataset = region["plages"]
    eventually(lambda: dataset["id"] in record_titles(app), "the record")
    response, root = csw_get(app, request="GetRecordById", id=dataset["id"], outputSchema=NS["gmd"],
                             elementSetName="full")
    assert root.find(".//gmd:MD_Metadata", NS) is not None, response.data[:2000]
    assert response.status_code == 200 and "xml" in response.headers["Content-Type"]
    xml = root.find(".//gmd:MD_Metadata", NS)
    # read back by the portal's own reader of harvested INSPIRE records
    assert inspire.bounding_box(xml)["coordinates"][0][0] == pytest.approx([5.65, 42.98])
    assert inspire.inspire_themes(xml) == ["http://inspire.ec.europa.eu/theme/hh"]
    assert inspire.conformity(xml) == "conformant"
    assert inspire.temporal_extent(xml) == ("2025-06-01", "2025-09-30")
    assert inspire.resolution_in_metres(xml) == 25
    assert inspire.point_of_contact(xml).get("email") == "sig@crige.example.org"
    text = etree.tostring(xml, encoding="unicode")
    assert "Licence Ouverte" in text and "noLimitations" in text
    assert f"/dataset/{dataset['name']}" in text and "https://data.example.org/baignade.csv" in text
    assert "Prélèvements de l'ARS" in text and ">annually<" in text


def test_get_records_pages_like_a_harvester(app, region, celery_worker):
    eventually(lambda: len(record_titles(app)) >= 2, "two records")
    seen, start = [], 1
    while start:
        _, root = csw_get(app, request="GetRecords", typeNames="csw:Record", elementSetName="brief",
                          resultType="results", maxRecords="1", startPosition=str(start))
        results = root.find(".//csw:SearchResults", NS)
        seen += [r.findtext("dc:identifier", namespaces=NS) for r in results.iterfind("csw:BriefRecord", NS)]
        start = int(results.get("nextRecord") or 0)
        assert len(seen) <= 10
    assert sorted(seen) == sorted([region["plages"]["id"], region["alpes"]["id"]])
    # a text search, in XML POST (as GeoNetwork's harvester sends it)
    body = f"""<csw:GetRecords xmlns:csw="{NS['csw']}" xmlns:ogc="http://www.opengis.net/ogc" service="CSW"
        version="2.0.2" resultType="results" outputSchema="{NS['gmd']}"><csw:Query typeNames="csw:Record">
        <csw:ElementSetName>summary</csw:ElementSetName><csw:Constraint version="1.1.0"><ogc:Filter>
        <ogc:PropertyIsLike wildCard="%" singleChar="_" escapeChar="\\"><ogc:PropertyName>csw:AnyText</ogc:PropertyName>
        <ogc:Literal>%refuges%</ogc:Literal></ogc:PropertyIsLike></ogc:Filter></csw:Constraint></csw:Query>
        </csw:GetRecords>"""
    response = app.post("/csw", data=body, headers={"Content-Type": "application/xml"})
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    assert root.find(".//csw:SearchResults", NS).get("numberOfRecordsMatched") == "1", response.data[:500]
    ids = [n.text for n in root.iterfind(".//gmd:fileIdentifier/gco:CharacterString", NS)]
    assert ids == [region["alpes"]["id"]]


def test_kept_in_sync_on_publication_update_withdrawal_and_deletion(app, region, celery_worker):
    sysadmin = factories.Sysadmin()
    calanques = factories.Dataset(owner_org=region["organization"]["id"], name="calanques", title="Calanques",
                                  spatial=json.dumps(VAR), themes=["mer-littoral-montagne"])
    eventually(lambda: record_titles(app).get(calanques["id"]) == "Calanques", "the newly published dataset")
    alpes = region["alpes"]
    helpers.call_action("package_patch", {"user": sysadmin["name"]}, id=alpes["id"],
                        title="Refuges et cabanes des Alpes du Sud")
    eventually(lambda: record_titles(app).get(alpes["id"]) == "Refuges et cabanes des Alpes du Sud",
               "the new title")
    helpers.call_action("datasud_workflow_withdraw", {"user": sysadmin["name"]}, id=alpes["id"],
                        comment="Emprise à revoir")
    eventually(lambda: alpes["id"] not in record_titles(app), "the withdrawal")
    plages = region["plages"]
    helpers.call_action("package_delete", {"user": sysadmin["name"]}, id=plages["id"])
    eventually(lambda: plages["id"] not in record_titles(app), "the deletion")
    helpers.call_action("bulk_update_private", {"user": sysadmin["name"]}, datasets=[calanques["id"]],
                        org_id=region["organization"]["id"])
    eventually(lambda: calanques["id"] not in record_titles(app), "the organisation's bulk « make private »")
    # a private dataset made geographic never shows
    helpers.call_action("package_patch", {"user": sysadmin["name"]}, id=region["secret"]["id"],
                        title="Brouillon géographique modifié")
    # the nightly reconciliation agrees with what the worker did
    assert sync.sync_all() == {"deleted": 0}
    assert record_titles(app) == {}


@pytest.mark.parametrize("method, payload", [
    ("GET", {"service": "CSW", "version": "2.0.2", "request": "Transaction"}),
    ("GET", {"service": "CSW", "version": "2.0.2", "REQUEST": "Harvest", "source": "http://x.example.org"}),
    ("POST", f'<csw:Transaction xmlns:csw="{NS["csw"]}" service="CSW" version="2.0.2"><csw:Delete>'
             '<csw:Constraint version="1.1.0"><ogc:Filter xmlns:ogc="http://www.opengis.net/ogc">'
             '<ogc:PropertyIsLike wildCard="%" singleChar="_" escapeChar="\\"><ogc:PropertyName>AnyText'
             '</ogc:PropertyName><ogc:Literal>%</ogc:Literal></ogc:PropertyIsLike></ogc:Filter></csw:Constraint>'
             '</csw:Delete></csw:Transaction>'),
    ("POST", f'<csw:Harvest xmlns:csw="{NS["csw"]}" service="CSW" version="2.0.2"><csw:Source>'
             'http://127.0.0.1:1/</csw:Source></csw:Harvest>'),
    ("POST", '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'),
    ("POST", "ceci n'est pas du XML"),
])
def test_csw_passes_no_transaction_and_no_odd_request(app, region, method, payload):
    sync.sync_all()
    before = record_titles(app)
    if method == "GET":
        response = app.get("/csw", query_string=payload)
    else:
        response = app.post("/csw", data=payload, headers={"Content-Type": "application/xml"})
    assert response.status_code == 400
    root = etree.fromstring(response.data)
    assert root.find("ows:Exception", NS).get("exceptionCode") in ("OperationNotSupported", "NoApplicableCode")
    assert "passwd" not in response.data.decode() and "root:" not in response.data.decode()
    assert record_titles(app) == before


def test_too_large_a_request_and_a_service_down_get_clear_answers(app, discovery):
    response = app.post("/csw", data=b"<a>" + b"x" * (300 * 1024) + b"</a>", headers={"Content-Type": "application/xml"})
    assert response.status_code == 413
    tk.config["ckanext.datasud.csw.service_url"] = f"http://127.0.0.1:{free_port()}/csw"  # reset after the test
    response = app.get("/csw", query_string={"service": "CSW", "request": "GetCapabilities"})
    assert response.status_code == 503
    assert "Le service de découverte est momentanément indisponible" in response.data.decode()


def test_get_capabilities_names_the_portal_in_french(app, discovery):
    response, root = csw_get(app, request="GetCapabilities")
    assert response.status_code == 200
    text = response.data.decode()
    assert "service de découverte INSPIRE" in text and "Région Sud" in text
    assert f"{tk.config['ckan.site_url'].rstrip('/')}/csw" in text  # clients come back through the portal


def test_iso_record_of_odd_datasets():
    """No extent, a GeometryCollection, a point, no resources, no organisation, text with
    markup: a well-formed record, or no record."""
    base = {"id": "x1", "name": "x", "title": "Titre <b>&amp; « guillemets »", "notes": "",
            "metadata_modified": "2026-01-02T03:04:05.123456"}
    assert not iso19139.is_geographic(base)
    assert not iso19139.is_geographic(dict(base, spatial="pas du json"))
    assert not iso19139.is_geographic(dict(base, spatial='{"type": "Point", "coordinates": []}'))
    point = dict(base, spatial='{"type": "Point", "coordinates": [5.4, 43.3]}')
    assert iso19139.bounding_box(point["spatial"]) == (5.4, 5.4, 43.3, 43.3)
    collection = {"type": "GeometryCollection", "geometries": [
        {"type": "Point", "coordinates": [5, 43]}, {"type": "LineString", "coordinates": [[6, 44], [7, 45]]}]}
    assert iso19139.bounding_box(collection) == (5, 7, 43, 45)
    xml = etree.fromstring(iso19139.record(point, "http://portail.example.org/"))
    assert xml.findtext(".//gmd:title/gco:CharacterString", namespaces=NS) == "Titre <b>&amp; « guillemets »"
    assert xml.findtext(".//gmd:abstract/gco:CharacterString", namespaces=NS) == base["title"]
