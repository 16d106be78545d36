"""The public dataset page (issue 12, item 3), through the web app as a visitor, an
editor and a sysadmin see it: one h1 (the title), the publication mode in plain words,
the licence badge, the facts (producer, last update, frequency, downloads), a
« Télécharger » button per data file (format, size, count) and « Aperçu » for the files
the resource page previews, administrative documents apart, the citation, the API and
DCAT links (followed), the map of the extent, the contact point; odd datasets (no files,
no contact, no extent, referenced, a file without format or size, very long texts); the
tabs a visitor is offered all open (activity), « Membres » of an organisation only for
who may see them; nothing private shown to a visitor.

The data is created once for the module (API and factories); downloads go through the
real counting URL and are folded by ``downloads.fold()``.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from babel.dates import format_date
from babel.numbers import format_decimal
from bs4 import BeautifulSoup
from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud import downloads
from tests import factories

CSV = "équipement;commune\nStade;Test\n" * 50
GEOJSON = json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"nom": "Stade"}, "geometry": {"type": "Point", "coordinates": [5.4, 43.3]}}]})
LONG_WORD = "Anticonstitutionnellement" * 6
LONG_TITLE = "Inventaire détaillé " + " ".join(["des équipements sportifs et culturels"] * 5)
LONG_NOTES = ("Un paragraphe très long. " * 400) + LONG_WORD
#: English left in the French page by CKAN or its extensions (words of the page's text).
ENGLISH = re.compile(r"\b(Dataset extent|Follow|Unfollow|Edit|Data and Resources|Explore|License|Followers|"
                     r"Download file|No License Provided|Activity Stream|Groups|Members|Manage)\b")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " ")).strip()


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.body, "html.parser")


@pytest.fixture(scope="module")
def world(clean_module_db):
    """A partner (with a long description), its editor, a complete dataset (CSV, GeoJSON,
    a file without format nor size, an administrative document), a bare one, a referenced
    one and a private one."""
    sysadmin = ckan_factories.Sysadmin()
    editor = ckan_factories.User()
    org = factories.Organization(
        name="ville-de-test", title="Ville de Test",
        description="La Ville de Test publie ses données ouvertes depuis 2015 : équipements sportifs et "
                    "culturels, transports en commun, environnement, budget et marchés publics, dans le cadre "
                    "du programme régional DataSud porté par la Région Sud Provence-Alpes-Côte d'Azur.",
        users=[{"name": editor["name"], "capacity": "editor"}])
    context = {"user": sysadmin["name"]}
    complete = factories.Dataset(
        name="equipements-sportifs", title="Équipements sportifs de la Ville de Test", owner_org=org["id"],
        notes="Les **équipements sportifs** de la ville.", frequency=
        "http://publications.europa.eu/resource/authority/frequency/ANNUAL", modified="2024-03-01",
        issued="2019-06-15", contact_name="Service des sports", contact_email="sports@ville-de-test.fr",
        spatial='{"type":"Polygon","coordinates":[[[5.3,43.2],[5.5,43.2],[5.5,43.4],[5.3,43.4],[5.3,43.2]]]}',
        themes=["culture-tourisme"], tags=[{"name": "sport"}])

    def upload(name, content, fmt):
        return helpers.call_action("resource_create", dict(context), package_id=complete["id"], name=name,
                                   format=fmt, url=name, upload=FileStorage(io.BytesIO(content.encode()), name))

    # files stored on DataSud, which the resource page previews
    csv = upload("equipements.csv", CSV, "CSV")
    geojson = upload("equipements.geojson", GEOJSON, "GeoJSON")
    # links to a partner's site: a CSV (not previewed: not stored here), a file without format nor size
    link = helpers.call_action("resource_create", dict(context), package_id=complete["id"], name="Équipements (lien)",
                               url="https://data.ville-de-test.fr/equipements.csv", format="CSV", size=1234)
    bare_file = helpers.call_action("resource_create", dict(context), package_id=complete["id"],
                                    name="Fichier sans format", url="https://data.ville-de-test.fr/fichier")
    document = helpers.call_action("resource_create", dict(context), package_id=complete["id"],
                                   name="Délibération d'ouverture", url="https://www.ville-de-test.fr/deliberation.pdf",
                                   format="PDF", resource_type="document", document_kind="deliberation",
                                   document_date="2015-02-10")
    bare = factories.Dataset(name="jeu-sans-rien", title=LONG_TITLE, notes=LONG_NOTES, owner_org=org["id"])
    referenced = factories.Dataset(name="qualite-air-reference", title="Qualité de l'air (référencé)",
                                   owner_org=org["id"], publication_mode="reference",
                                   url="https://www.partenaire.example/donnees/air")
    private = factories.Dataset(name="jeu-prive", title="Jeu encore en brouillon", owner_org=org["id"], private=True)
    return {"sysadmin": sysadmin, "editor": editor, "org": org, "complete": complete, "csv": csv,
            "geojson": geojson, "link": link, "bare_file": bare_file, "document": document, "bare": bare,
            "referenced": referenced, "private": private,
            "sysadmin_headers": {"Authorization": ckan_factories.APIToken(user=sysadmin["name"])["token"]},
            "editor_headers": {"Authorization": ckan_factories.APIToken(user=editor["name"])["token"]}}


@pytest.fixture(scope="module")
def app(world):
    """One test client for the module (CKAN's function-scoped ``app`` builds a new one,
    seconds, for each test)."""
    return helpers._get_test_app()


@pytest.fixture
def counters():
    """No counter of another test left in Redis (this run's site id only)."""
    from ckan.lib.redis import connect_to_redis
    conn = connect_to_redis()
    conn.delete(downloads.pending_key(), *downloads.leftovers(conn))
    yield conn
    conn.delete(downloads.pending_key(), *downloads.leftovers(conn))


def test_one_h1_the_title_then_the_mode_the_licence_and_the_facts(app, world):
    page = soup(app.get("/dataset/equipements-sportifs"))
    h1s = page.find_all("h1")
    assert [squeeze(h.get_text()) for h in h1s] == ["Équipements sportifs de la Ville de Test"]
    header = page.select_one(".datasud-dataset-header")
    assert header.find("h1") is h1s[0]
    mode = header.select_one(".datasud-publication-mode")
    assert squeeze(mode.get_text()) == "Données hébergées sur DataSud"
    # a label, not a button look-alike
    assert not mode.select(".btn, .badge") and "badge" not in mode.get("class", [])
    licence = header.select_one("a.datasud-licence-badge")
    assert licence["href"] == "/licence" and "Licence Ouverte" in licence.get_text()
    facts = {squeeze(d.find("dt").get_text()): squeeze(d.find("dd").get_text())
             for d in header.select(".datasud-dataset-facts > div")}
    assert facts == {"Producteur": "Ville de Test", "Dernière mise à jour": "1 mars 2024",
                     "Fréquence de mise à jour": "Annuelle", "Téléchargements": "0 téléchargement"}
    # the files come before the description, the description before the citation
    body = str(page)
    assert body.index('id="dataset-resources"') < body.index('id="dataset-description"') \
        < body.index('id="dataset-citation"') < body.index('id="dataset-open-links"')
    # French only, whoever looks
    sysadmin_page = soup(app.get("/dataset/equipements-sportifs", headers=world["sysadmin_headers"]))
    assert sysadmin_page.select_one(".datasud-resource-links") is not None  # the editors' links are there
    assert not ENGLISH.findall(page.get_text()) and not ENGLISH.findall(sysadmin_page.get_text())


def test_each_data_file_has_its_download_button_and_count_and_documents_are_apart(app, world, counters):
    complete, csv, geojson, link, bare_file = (world[k] for k in ("complete", "csv", "geojson", "link", "bare_file"))
    page = soup(app.get("/dataset/equipements-sportifs"))
    items = {item["data-id"]: item for item in page.select("#dataset-resources .resource-item")}
    assert set(items) == {csv["id"], geojson["id"], link["id"], bare_file["id"]}  # the document is apart
    assert world["document"]["name"] in page.select_one("#dataset-documents").get_text()
    assert "Délibération" in page.select_one("#dataset-documents .datasud-document-kind").get_text()

    def button(resource_id):
        return items[resource_id].select_one("a.datasud-download-button")

    csv_size = format_decimal(len(CSV.encode()) / 1024, format="#,##0.#", locale="fr")
    assert squeeze(button(csv["id"]).get_text()) == squeeze(f"Télécharger (CSV, {csv_size} Ko)")
    assert squeeze(button(geojson["id"]).get_text()) == f"Télécharger (GeoJSON, {len(GEOJSON.encode())} o)"
    assert squeeze(button(link["id"]).get_text()) == "Télécharger (CSV, 1,2 Ko)"
    assert squeeze(button(bare_file["id"]).get_text()) == "Télécharger"  # no format, no size: no "()"
    for resource_id, item in items.items():
        assert button(resource_id)["href"] == f"/dataset/equipements-sportifs/resource/{resource_id}/telecharger"
        assert squeeze(item.select_one(".datasud-download-count").get_text()) == "0 téléchargement"
        # the raw address is not offered: every download is counted
        assert "https://data.ville-de-test.fr" not in str(item)
    # « Aperçu » for the files the resource page previews (stored here), to its preview
    for resource in (csv, geojson):
        preview = items[resource["id"]].select_one("a.datasud-preview-link")
        assert preview["href"] == f"/dataset/equipements-sportifs/resource/{resource['id']}#apercu"
        assert squeeze(preview.get_text()).startswith("Aperçu")
        resource_page = soup(app.get(preview["href"].split("#")[0]))
        assert resource_page.select_one("#apercu") is not None
    for resource in (link, bare_file):  # a link is not previewed: no « Aperçu » to an empty preview
        assert items[resource["id"]].select_one("a.datasud-preview-link") is None

    # two downloads of the linked CSV and one of the other link, folded: counts on each file and the dataset
    for resource in (link, link, bare_file):
        response = app.get(f"/dataset/{complete['name']}/resource/{resource['id']}/telecharger",
                           headers={"User-Agent": "Mozilla/5.0 Firefox/128.0"}, follow_redirects=False)
        assert response.status_code == 302
    downloads.fold()
    page = soup(app.get("/dataset/equipements-sportifs"))
    items = {item["data-id"]: item for item in page.select("#dataset-resources .resource-item")}
    assert squeeze(items[link["id"]].select_one(".datasud-download-count").get_text()) == "2 téléchargements"
    assert squeeze(items[bare_file["id"]].select_one(".datasud-download-count").get_text()) == "1 téléchargement"
    assert squeeze(items[csv["id"]].select_one(".datasud-download-count").get_text()) == "0 téléchargement"
    assert squeeze(page.select_one(".datasud-dataset-download-count").get_text()) == "3 téléchargements"
    assert "Tous les fichiers du jeu de données : 3 téléchargements" in squeeze(page.get_text())


def test_citation_and_the_api_and_dcat_links_that_work(app, world):
    page = soup(app.get("/dataset/equipements-sportifs"))
    site_url = tk.config["ckan.site_url"].rstrip("/")
    url = f"{site_url}/dataset/equipements-sportifs"
    today = format_date(dt.date.today(), format="long", locale="fr")
    citation = squeeze(page.select_one("#dataset-citation").get_text())
    assert citation.startswith("Citer ce jeu de données")
    assert (f"Ville de Test (2019). Équipements sportifs de la Ville de Test. DataSud. {url} "
            f"(consulté le {today}).") in citation
    assert page.select_one("#dataset-citation blockquote a")["href"] == url

    links = {squeeze(a.get_text()): a["href"] for a in page.select("#dataset-open-links a")}
    assert links == {"API Action de CKAN (JSON)": f"{site_url}/api/3/action/package_show?id=equipements-sportifs",
                     "DCAT (Turtle)": f"{url}.ttl", "DCAT (RDF/XML)": f"{url}.rdf", "DCAT (JSON-LD)": f"{url}.jsonld"}
    # the addresses are shown in the open, and each answers what it says
    shown = squeeze(page.select_one("#dataset-open-links").get_text())
    for href in links.values():
        assert href in shown
    api = app.get("/api/3/action/package_show?id=equipements-sportifs").json["result"]
    assert api["name"] == "equipements-sportifs"
    for ext, media_type, marker in (("ttl", "text/turtle", "dcat:Dataset"),
                                    ("rdf", "application/rdf+xml", "dcat:Dataset"),
                                    ("jsonld", "application/ld+json", "Dataset")):
        response = app.get(f"/dataset/equipements-sportifs.{ext}")
        assert response.status_code == 200 and response.headers["Content-Type"].startswith(media_type)
        assert marker in response.body and "Équipements sportifs de la Ville de Test" in response.body
    json.loads(app.get("/dataset/equipements-sportifs.jsonld").body)


def test_the_sidebar_producer_contact_licence_and_map_in_french(app, world):
    page = soup(app.get("/dataset/equipements-sportifs"))
    sidebar = page.select_one("aside.secondary")
    assert sidebar.find("h1") is None
    producer = sidebar.select_one(".datasud-producer")
    assert squeeze(producer.select_one(".datasud-producer-name").get_text()) == "Ville de Test"
    # the description cut between words (CKAN's markdown_extract, whole words), not mid-word
    description = squeeze(producer.select_one(".datasud-producer-description").get_text())
    assert description.startswith("La Ville de Test publie") and description.endswith("...")
    assert description[:-3].rstrip().split(" ")[-1] in world["org"]["description"].split(" ")
    contact = sidebar.select_one("#dataset-contact")
    assert "Service des sports" in contact.get_text()
    assert contact.select_one('a[href="mailto:sports@ville-de-test.fr"]') is not None
    licence = sidebar.select_one(".datasud-licence")
    assert licence.select_one('a[href="/licence"]') is not None
    assert licence.select_one('a[href="https://www.etalab.gouv.fr/licence-ouverte-open-licence/"]') is not None
    dataset_map = sidebar.select_one("#dataset-map")
    assert squeeze(dataset_map.find("h2").get_text()) == "Étendue géographique"
    extent = json.loads(dataset_map.select_one("[data-module=dataset-map]")["data-extent"])
    assert extent["type"] == "Polygon"
    # a visitor cannot follow: no followers box, no button
    assert page.select_one("#package-info") is None and "Suivre" not in str(page)
    # a signed-in user can, in French
    signed_in = soup(app.get("/dataset/equipements-sportifs", headers=world["editor_headers"]))
    assert "Suivre" in signed_in.select_one("#package-info").get_text()
    assert [squeeze(h.get_text()) for h in signed_in.find_all("h1")] == ["Équipements sportifs de la Ville de Test"]


def test_a_dataset_without_files_contact_extent_and_with_long_texts(app, world):
    page = soup(app.get("/dataset/jeu-sans-rien"))
    assert [squeeze(h.get_text()) for h in page.find_all("h1")] == [squeeze(LONG_TITLE)]
    assert "Ce jeu de données est vide" in squeeze(page.select_one("#dataset-resources").get_text())
    assert page.select_one(".datasud-download-button") is None
    assert page.select_one("#dataset-contact") is None and page.select_one("#dataset-map") is None
    assert page.select_one("#dataset-documents") is None
    assert page.select_one(".datasud-dataset-downloads") is None  # no "all files" line without files
    assert LONG_WORD in page.select_one("#dataset-description").get_text()
    facts = [squeeze(dt.get_text()) for dt in page.select(".datasud-dataset-facts dt")]
    assert facts == ["Producteur", "Dernière mise à jour", "Téléchargements"]  # no frequency given
    # the citation falls back on the year the record was created
    assert f"Ville de Test ({dt.date.today().year})." in squeeze(page.select_one("#dataset-citation").get_text())


def test_a_referenced_dataset_says_where_its_data_live(app, world):
    page = soup(app.get("/dataset/qualite-air-reference"))
    mode = page.select_one(".datasud-publication-mode")
    assert "datasud-mode-reference" in mode["class"]
    assert squeeze(mode.find("p").get_text()) == "Données référencées — hébergées par Ville de Test"
    assert mode.select_one('a.datasud-producer-link')["href"] == "https://www.partenaire.example/donnees/air"
    assert "DataSud n'en héberge pas de copie" in squeeze(mode.get_text())
    empty = page.select_one("#dataset-resources .empty")
    assert "Aucun fichier sur DataSud" in empty.get_text()
    assert empty.find("a")["href"] == "https://www.partenaire.example/donnees/air"


def test_search_results_show_the_mode_as_a_readable_label(app, world):
    page = soup(app.get("/dataset/", query_string={"q": "name:qualite-air-reference OR name:equipements-sportifs"}))
    labels = {squeeze(label.get_text()): label["class"] for label in page.select(".dataset-item .datasud-mode")}
    assert set(labels) == {"Référencé", "Hébergé sur DataSud"}
    for classes in labels.values():  # not Bootstrap's white on #0dcaf0 (1.95:1)
        assert "badge" not in classes and "bg-info" not in classes and "bg-success" not in classes


def test_tabs_offered_to_a_visitor_all_open(app, world):
    # the activity stream of a dataset and of an organisation
    activity = app.get("/dataset/activity/equipements-sportifs")
    assert activity.status_code == 200
    assert app.get("/organization/activity/ville-de-test").status_code == 200
    # every tab of the dataset page opens for a visitor
    page = soup(app.get("/dataset/equipements-sportifs"))
    for link in page.select(".page-header .nav-tabs a"):
        assert app.get(link["href"]).status_code == 200, link["href"]
    # « Membres » only for who may see them, and what is offered opens
    visitor = soup(app.get("/organization/ville-de-test"))
    tabs = [squeeze(a.get_text()) for a in visitor.select(".page-header .nav-tabs a")]
    assert "Membres" not in tabs and "Jeux de données" in tabs and "Flux d'activité" in tabs
    for link in visitor.select(".page-header .nav-tabs a"):
        assert app.get(link["href"]).status_code == 200, link["href"]
    assert app.get("/organization/members/ville-de-test", status=403).status_code == 403
    member = soup(app.get("/organization/ville-de-test", headers=world["editor_headers"]))
    members_tab = [a for a in member.select(".page-header .nav-tabs a") if squeeze(a.get_text()) == "Membres"]
    assert members_tab and app.get(members_tab[0]["href"], headers=world["editor_headers"]).status_code == 200


def test_nothing_private_is_shown_to_a_visitor(app, world):
    app.get("/dataset/jeu-prive", status=404)
    assert "Jeu encore en brouillon" not in app.get("/dataset/").body
    # its editor sees it
    page = soup(app.get("/dataset/jeu-prive", headers=world["editor_headers"]))
    assert [squeeze(h.get_text()) for h in page.find_all("h1")] == ["Jeu encore en brouillon"]
    assert page.select_one(".dataset-private") is not None
