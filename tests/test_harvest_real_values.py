"""Harvesting the values partners really write (issue 11, items 1, 2, 4, 5, 6): media types
as IANA URIs, SHA-1 and bare SHA-256 checksums, blank-node and service landing pages,
keywords with commas, apostrophes and slashes, French and US dates.

Two catalogues in real publishers' shapes (tests/fixtures/dcat/real-values: a GeoNetwork
RDF/XML export, a udata Turtle export) are harvested once for the module, through a real
HTTP server; each test then checks one record's values and its warnings in the job report.
The names are unique to this module, whose first fixture cleans the database once."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud.harvesting import reports
from tests import factories
from tests.harvesting import CatalogueServer, Page, allowed_hosts, create_source, gather_errors, run, \
    source_datasets, has_warning, resources_by_name

FIXTURES = Path(__file__).parent / "fixtures" / "dcat" / "real-values"

HUVEAUNE = "Cours d'eau du bassin versant de l'Huveaune"
ZONES_HUMIDES = "Zones humides du Var"
EQUIPEMENTS = "Équipements culturels de la Métropole"
BUDGET = "Budget primitif 2023"
GEONETWORK = "https://geo.partenaire.example/geonetwork/srv/resources/datasets/"
UDATA = "https://data.partenaire.example/fr/datasets/"


@pytest.fixture(scope="module")
def harvested(clean_module_db):
    """The two catalogues, each harvested once by its own source (published by convention)."""
    partner = factories.Organization()
    sysadmin = ckan_factories.Sysadmin()
    with CatalogueServer() as server, allowed_hosts(server.host):
        server.pages["/geonetwork/srv/fre/dcat"] = Page((FIXTURES / "geonetwork.rdf").read_text(encoding="utf-8"),
                                                        "application/rdf+xml")
        server.pages["/catalog.ttl"] = Page((FIXTURES / "udata.ttl").read_text(encoding="utf-8"), "text/turtle")
        jobs, datasets = {}, {}
        for name, path in (("geonetwork", "/geonetwork/srv/fre/dcat"), ("udata", "/catalog.ttl")):
            source = create_source(sysadmin, partner, server.url(path), validation="convention",
                                   publication_mode="reference", default_themes=["environnement-climat"])
            jobs[name] = run(source)["job"]
            datasets.update({d["title"]: d for d in source_datasets(source)})
    model.Session.remove()
    reports_ = {name: reports.job_report(job["id"]) for name, job in jobs.items()}
    return {"jobs": jobs, "datasets": datasets, "reports": reports_, "partner": partner}


def warnings_of(harvested, catalogue: str, title: str) -> list[str]:
    return [w["message"] for w in harvested["reports"][catalogue]["warnings"] if f"« {title} »" in w["message"]]




def test_every_titled_record_is_imported_and_only_the_untitled_one_refused(harvested):
    assert set(harvested["datasets"]) == {HUVEAUNE, ZONES_HUMIDES, EQUIPEMENTS, BUDGET}
    for name in ("geonetwork", "udata"):
        assert gather_errors(harvested["jobs"][name]) == []
    assert harvested["reports"]["geonetwork"]["record_errors"] == []
    [refused] = harvested["reports"]["udata"]["record_errors"]
    assert refused["message"] == "Enregistrement sans titre : il n'est pas importé."
    assert harvested["jobs"]["udata"]["stats"]["added"] == 2
    assert harvested["jobs"]["geonetwork"]["stats"]["added"] == 2
    assert all(not d["private"] for d in harvested["datasets"].values())


def test_iana_media_types_and_sha1_checksum_geonetwork(harvested):
    dataset = harvested["datasets"][HUVEAUNE]
    resources = resources_by_name(dataset)
    csv = resources["Cours d'eau (CSV)"]
    assert csv["mimetype"] == "text/csv"
    assert csv["format"] == "CSV"
    assert csv["hash"] == "sha1:61324a2e9c04d1a00ac51af96a0e9dfd0980ea65"
    wms = resources["Service de visualisation WMS"]
    assert wms["mimetype"] == "application/vnd.ogc.wms_xml"  # the http://www.iana.org form


def test_html_landing_page_preferred_to_the_wms_one(harvested):
    dataset = harvested["datasets"][HUVEAUNE]
    assert dataset["url"] == ("https://geo.partenaire.example/geonetwork/srv/fre/catalog.search"
                              "#/metadata/8f1c2b9e-huveaune")


def test_french_keywords_kept_as_written_and_dates_of_geonetwork(harvested):
    dataset = harvested["datasets"][HUVEAUNE]
    assert sorted(t["name"] for t in dataset["tags"]) == ["cours d'eau", "eau / hydrographie"]
    assert dataset["issued"] == "2009-05-06"  # a midnight dateTime: the date, silently
    assert dataset["modified"] == "2019-03-12"
    warnings = warnings_of(harvested, "geonetwork", HUVEAUNE)
    assert has_warning(warnings, "date de modification", "« 20190312 »", "lue comme le 2019-03-12")
    assert not has_warning(warnings, "date de publication")
    assert not has_warning(warnings, "ressource")


def test_unusable_values_of_zones_humides_dropped_with_warnings(harvested):
    dataset = harvested["datasets"][ZONES_HUMIDES]
    warnings = warnings_of(harvested, "geonetwork", ZONES_HUMIDES)
    # landing page with a space: dropped, the record's URI is its page
    assert dataset["url"] == GEONETWORK + "2d7a40c1-zones-humides"
    assert has_warning(warnings, "page de la donnée", "« https://geo.partenaire.example/fiche zones humides »",
                       "espaces")
    resources = resources_by_name(dataset)
    assert set(resources) == {"Inventaire (tableur)", "Contours (Shapefile)"}
    # the archive whose only address has a space is dropped, the record stays
    assert has_warning(warnings, "ressource « Archive des contours »", "zones humides.zip", "n'est pas importée")
    xls = resources["Inventaire (tableur)"]
    assert (xls["mimetype"], xls["format"]) == ("application/vnd.ms-excel", "XLS")
    assert xls["hash"] == "sha256:3d7e36b4460ec4b7f32d6681229e087793ba05b8ce83dc8acf343dec1205ae77"
    shp = resources["Contours (Shapefile)"]
    assert not shp.get("mimetype") and shp["format"] == "SHP" and not shp.get("hash")
    assert has_warning(warnings, "ressource « Contours (Shapefile) », mimetype", "« Shapefile ESRI »",
                       "type de média illisible")
    assert has_warning(warnings, "ressource « Contours (Shapefile) », hash", "compte 40 chiffres")
    assert dataset["issued"] == "2009-05-06"
    assert has_warning(warnings, "date de publication", "« 06.05.2009 »", "format français")


def test_udata_keywords_unsplit_with_apostrophes_and_slashes(harvested):
    dataset = harvested["datasets"][EQUIPEMENTS]
    assert sorted(t["name"] for t in dataset["tags"]) == [
        "Culture, Société, Service", "document d'urbanisme / PLU", "équipement (culturel) & loisirs"]


def test_udata_french_and_us_dates_and_blank_node_landing_page(harvested):
    dataset = harvested["datasets"][EQUIPEMENTS]
    warnings = warnings_of(harvested, "udata", EQUIPEMENTS)
    assert (dataset["issued"], dataset["modified"]) == ("2009-05-06", "2010-05-23")
    assert (dataset["temporal_start"], dataset["temporal_end"]) == ("2009-05-01", "2012-12-31")
    assert has_warning(warnings, "date de publication", "« 06/05/2009 »", "format français")
    assert has_warning(warnings, "date de modification", "« 05/23/2010 »", "format américain")
    assert has_warning(warnings, "début de la couverture temporelle", "« mai 2009 »", "incomplète")
    assert has_warning(warnings, "fin de la couverture temporelle", "« 2012 »", "2012-12-31")
    # the blank node is no page: dropped with a warning, the record's URI is its page
    assert has_warning(warnings, "page de la donnée", "nœud anonyme")
    assert dataset["url"] == UDATA + "5e2a9c0b8b4c41a3d2f1e001/"
    [csv] = dataset["resources"]
    assert csv["url"] == "https://static.data.partenaire.example/resources/equipements/equipements.csv"
    assert (csv["mimetype"], csv["format"]) == ("text/csv", "CSV")
    assert csv["hash"] == "sha1:eccb8360e0a2f94e7e96badc302b472aa30b3519"


def test_udata_budget_unreadable_date_long_keyword_ftp_resource(harvested):
    dataset = harvested["datasets"][BUDGET]
    warnings = warnings_of(harvested, "udata", BUDGET)
    assert "issued" not in dataset or not dataset["issued"]
    assert has_warning(warnings, "date de publication", "« hier »", "illisible")
    assert dataset["modified"] == "2023-04-12T15:30:00+00:00"
    names = sorted(t["name"] for t in dataset["tags"])
    assert names[1] == "finances publiques"
    assert len(names[0]) <= 100 and names[0].startswith("Données budgétaires de la collectivité")
    assert has_warning(warnings, "mot-clé", "raccourci")
    [csv] = dataset["resources"]  # the ftp: archive is dropped, with a warning
    assert has_warning(warnings, "ressource « Archive FTP »", "ftp://", "n'est pas importée")
    assert csv["mimetype"] == "text/csv"  # "text/csv; charset=utf-8"
    assert csv["hash"] == "sha256:82a0a2bc33bf3e824bd818185c986695f29046e2b3f35abf14eb3193277dd388"
    assert has_warning(warnings, "ressource « budget.csv », hash", "déduit de la longueur")


def test_keyword_with_apostrophe_and_slash_indexed_shown_and_faceted(app, harvested):
    dataset = harvested["datasets"][EQUIPEMENTS]
    tag = "document d'urbanisme / PLU"
    found = helpers.call_action("package_search", {"user": ""}, fq=f'tags:"{tag}"')
    assert [d["id"] for d in found["results"]] == [dataset["id"]]
    page = app.get(f"/dataset/{dataset['name']}").body
    tag_list = page.split('<ul class="tag-list">')[1].split("</ul>")[0]
    links = {html.unescape(title): html.unescape(href)
             for href, title in re.findall(r'<a class="tag" href="([^"]+)" title="([^"]+)"', tag_list)}
    assert set(links) == {"Culture, Société, Service", tag, "équipement (culturel) & loisirs"}
    for name, link in links.items():  # each tag's facet link finds the dataset, and only it
        listing = app.get(link).body
        assert EQUIPEMENTS in listing and HUVEAUNE not in listing and BUDGET not in listing, name


def test_schema_keyword_rule_for_api_and_form(harvested):
    """The schema accepts the keywords the harvesters keep, and refuses < > " \\."""
    partner = harvested["partner"]
    sysadmin = ckan_factories.Sysadmin()
    context = {"user": sysadmin["name"]}
    dataset = factories.Dataset(owner_org=partner["id"], private=True,
                                tags=[{"name": "Culture, Société, Service"}, {"name": "PLU / PLUi"}])
    assert sorted(t["name"] for t in dataset["tags"]) == ["Culture, Société, Service", "PLU / PLUi"]
    patched = helpers.call_action("package_patch", context, id=dataset["id"],
                                  tag_string="aménagement, l’écho : (revue) / n°2")
    assert sorted(t["name"] for t in patched["tags"]) == [  # the form's keywords are added
        "Culture, Société, Service", "PLU / PLUi", "aménagement", "l’écho : (revue) / n°2"]
    # the edit form joins the keywords with commas: the one holding commas stays whole
    form = {k: v for k, v in patched.items() if k not in ("tags", "resources")}
    form["tag_string"] = "Culture, Société, Service, PLU / PLUi, nouveau"
    updated = helpers.call_action("package_update", context, **form)
    assert sorted(t["name"] for t in updated["tags"]) == ["Culture, Société, Service", "PLU / PLUi", "nouveau"]
    with pytest.raises(tk.ValidationError) as refused:
        helpers.call_action("package_patch", context, id=dataset["id"], tags=[{"name": 'dit "oui"'}])
    assert "tags" in refused.value.error_dict
    with pytest.raises(tk.ValidationError):
        helpers.call_action("package_patch", context, id=dataset["id"], tag_string="<b>gras</b>")
    with pytest.raises(tk.ValidationError):
        helpers.call_action("package_patch", context, id=dataset["id"], tags=[{"name": "x" * 101}])
    short = helpers.call_action("package_patch", context, id=dataset["id"], tags=[{"name": "A"}])
    assert [t["name"] for t in short["tags"]] == ["A"]  # one character is a keyword (CKAN wanted two)
