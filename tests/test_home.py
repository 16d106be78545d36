"""The home page (issue 12, item 1) and the footer, as a visitor gets them.

Real requests through the app against PostgreSQL, Solr and Redis: the search box and its
« Recherche avancée » link, the 16 themes with the counts package_search gives, the newest
datasets, the most downloaded after counted downloads and the fold, the key figures, the
featured partners with their logos, the footer's DataSud links; then the page in headless
Chromium at a phone's width (tests/test_browser.py's fixtures, with the demo data).
"""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud import downloads, home, vocabularies
from ckanext.datasud.services import downloads_total
from tests import factories
from tests.test_browser import ARTIFACTS, browser, demo_data, squeeze, web_app  # noqa: F401 - fixtures
from tests.test_downloads import BROWSER, counters, telecharger  # noqa: F401 - fixture

CACHE = "ckanext.datasud.home.cache_seconds"
LOGO = "https://example.org/atmosud-test.png"


@pytest.fixture(scope="module")
def portal(clean_module_db):
    """Three producers with public datasets (one with a logo), one with a private dataset
    only, and links to count downloads on: made once for the module's HTML tests."""
    sysadmin = ckan_factories.Sysadmin()
    atmo = factories.Organization(name="atmosud-test", title="AtmoSud (test)", image_url=LOGO)
    ville = factories.Organization(name="ville-test", title="Ville de test", image_url="")
    metropole = factories.Organization(name="metropole-test", title="Métropole de test")
    quiet = factories.Organization(name="sans-public-test", title="Sans données publiques")
    made = {}
    for key, org, title, themes in (
            ("air", atmo, "Qualité de l'air", ["environnement-climat"]),
            ("pollens", atmo, "Pollens", ["environnement-climat", "social-sante-sports"]),
            ("ozone", atmo, "Ozone", ["environnement-climat"]),
            ("cinemas", ville, "Cinémas", ["culture-tourisme"]),
            ("cales", ville, "Cales de mise à l'eau", ["mer-littoral-montagne", "culture-tourisme"]),
            ("bus", metropole, "Lignes de bus", ["mobilite-transports"])):
        made[key] = factories.Dataset(owner_org=org["id"], title=title, themes=themes)
    made["draft"] = factories.Dataset(owner_org=quiet["id"], title="Brouillon", themes=["energies-reseaux"],
                                      private=True)
    links = {key: helpers.call_action("resource_create", {"user": sysadmin["name"]}, package_id=made[key]["id"],
                                      name=f"{key} (CSV)", format="CSV", url=f"https://data.example.org/{key}.csv")
             for key in ("air", "cinemas")}
    for key in made:  # as the site shows them now (resources added)
        made[key] = helpers.call_action("package_show", id=made[key]["id"])
    return {"datasets": made, "links": links, "organizations": [atmo, ville, metropole, quiet]}


def soup_of(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.body, "html.parser")


def text(element) -> str:
    return squeeze(element.get_text(" "))


def theme_counts(page: BeautifulSoup) -> dict[str, int]:
    return {item["data-theme"]: int(item["data-count"]) for item in page.select(".datasud-theme")}


def listed(page: BeautifulSoup, kind: str) -> list[str]:
    return [item["data-dataset"] for item in page.select(f'[data-list="{kind}"] .datasud-home-dataset')]


# --- The page, from the web client -----------------------------------------------------------

@pytest.mark.ckan_config(CACHE, 0)
def test_home_page_search_themes_newest_partners_and_headings(app, portal):
    page = soup_of(app.get("/"))

    # one h1, and no heading level skipped
    levels = [int(h.name[1]) for h in page.find_all(re.compile(r"^h[1-6]$"))]
    assert levels.count(1) == 1 and levels[0] == 1, levels
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels
    assert text(page.h1) == "Bienvenue sur DataSud"

    # the search box, labelled, sends q to the search page; the advanced search link
    form = page.select_one(".datasud-home-search form[role=search]")
    assert form["action"] == "/dataset/" and form["method"] == "get"
    field = form.select_one("input[name=q]")
    assert text(page.select_one(f'label[for="{field["id"]}"]')) == "Rechercher dans les données ouvertes de la région"
    assert text(form.select_one("button[type=submit]")) == "Rechercher"
    advanced = page.select_one("a.datasud-advanced-search")
    assert advanced["href"] == "/dataset/?avance=1" and text(advanced) == "Recherche avancée"

    # the 16 themes, in the vocabulary's order, with the counts package_search gives
    facets = helpers.call_action("package_search", q="*:*", rows=0, **{
        "facet.field": '["vocab_themes"]', "facet.limit": -1})["facets"]["vocab_themes"]
    counts = theme_counts(page)
    assert list(counts) == [theme.slug for theme in vocabularies.THEMES]
    assert counts == {theme.slug: facets.get(theme.slug, 0) for theme in vocabularies.THEMES}
    assert {slug: n for slug, n in counts.items() if n} == {
        "environnement-climat": 3, "culture-tourisme": 2, "social-sante-sports": 1,
        "mer-littoral-montagne": 1, "mobilite-transports": 1}  # the private dataset is not counted
    culture = page.select_one('.datasud-theme[data-theme="culture-tourisme"]')
    assert text(culture) == "Culture, patrimoine et tourisme 2 jeux de données"
    assert culture.a["href"] == "/dataset/?vocab_themes=culture-tourisme"
    assert text(page.select_one('.datasud-theme[data-theme="agriculture"] .datasud-theme-count')) == \
        "0 jeu de données"
    assert len(app.get("/dataset/?vocab_themes=culture-tourisme").body.split('class="dataset-item')) == 3

    # the five newest public datasets, as package_search sorts them
    newest = helpers.call_action("package_search", q="*:*", sort="metadata_modified desc", rows=5)["results"]
    assert listed(page, "recent") == [d["name"] for d in newest]
    assert portal["datasets"]["draft"]["name"] not in listed(page, "recent")
    first = page.select_one('[data-list="recent"] .datasud-home-dataset')
    assert first.a["href"] == f"/dataset/{newest[0]['name']}"
    assert re.fullmatch(re.escape(newest[0]["organization"]["title"]) + r" · Mis à jour le \d{1,2} \w+ 20\d\d",
                        text(first.span)), text(first.span)

    # nothing downloaded yet
    assert listed(page, "most-downloaded") == []
    assert "Aucun téléchargement compté pour l'instant." in text(page.select_one('[data-list="most-downloaded"]'))

    # featured partners: most public datasets first, with their logo or CKAN's placeholder
    partners = page.select(".datasud-home-partner")
    assert [(p["data-partner"], int(p["data-count"])) for p in partners] == [
        ("atmosud-test", 3), ("ville-test", 2), ("metropole-test", 1)]
    assert text(partners[0]) == "AtmoSud (test) 3 jeux de données publics"
    assert partners[0].a["href"] == "/organization/atmosud-test"
    assert partners[0].img["src"] == LOGO and partners[0].img["alt"] == ""
    assert partners[1].img["src"].endswith("/base/images/placeholder-organization.png")

    # the key figures are still there
    figures = {item["data-figure"]: text(item) for item in page.select(".datasud-key-figure")}
    assert figures["datasets"] == "6 jeux de données"
    assert figures["partners_with_convention"] == "4 partenaires sous convention"
    assert figures["producer_organisations"] == "3 organisations productrices"


@pytest.mark.ckan_config(CACHE, 0)
def test_footer_links_to_datasud_pages_and_says_nothing_of_ckan(app, portal):
    for path in ("/", "/dataset/", "/partenaires"):
        footer = soup_of(app.get(path)).select_one("footer.site-footer")
        links = {text(a): a["href"] for a in footer.select("nav.datasud-footer-nav a")}
        assert links == {
            "À propos": "/a-propos", "Partenaires": "/partenaires", "Réutilisations": "/reutilisations",
            "Glossaire": "/glossaire", "Nous contacter": "/contact", "Licence": "/licence",
            "API (développeurs)": "/developpeurs",
            "Mentions légales": "/mentions-legales", "Accessibilité": "/accessibilite"}, path
        assert "ckan" not in text(footer).lower(), text(footer)
        assert not footer.select('a[href*="ckan.org"]')
        assert "Région Sud" in text(footer.select_one(".datasud-footer-attribution"))


@pytest.mark.ckan_config(CACHE, 0)
def test_most_downloaded_after_counted_downloads_and_the_fold(app, portal, counters):
    datasets, links = portal["datasets"], portal["links"]
    for key, times in (("cinemas", 3), ("air", 1)):
        for _ in range(times):
            response = app.get(telecharger(datasets[key], links[key]), headers=BROWSER, follow_redirects=False)
            assert response.status_code == 302
    before = soup_of(app.get("/"))
    assert listed(before, "most-downloaded") == []  # counted, not folded yet

    assert downloads.fold()["downloads"] == 4
    total_before = downloads_total()
    page = soup_of(app.get("/"))
    total_after = downloads_total()
    items = page.select('[data-list="most-downloaded"] .datasud-home-dataset')
    assert [(item["data-dataset"], text(item.select_one(".datasud-home-downloads"))) for item in items] == [
        (datasets["cinemas"]["name"], "3 téléchargements"), (datasets["air"]["name"], "1 téléchargement")]
    assert text(items[0]).startswith("Cinémas Ville de test ·")
    more = page.select_one('[data-list="most-downloaded"] p a')
    assert more["href"] == "/dataset/?sort=downloads+desc"
    # the key figure: every counted download (a total other test runs on this Redis may raise)
    shown = int(re.sub(r"\D", "", text(page.select_one('[data-figure="downloads"] .datasud-key-figure-number'))))
    assert total_before <= shown <= total_after and shown >= 4


@pytest.mark.ckan_config(CACHE, 600)
def test_the_lists_are_cached_until_the_catalogue_changes(app, portal, monkeypatch):
    """Computed once while nothing changes; a new dataset is counted, and a withdrawn or
    deleted one is gone, at the very next visit (issue 14: the cache never serves a
    dataset that was withdrawn or made private)."""
    computed = []
    collect = home.collect
    monkeypatch.setattr(home, "collect", lambda: computed.append(1) or collect())
    home.clear_cache()
    assert theme_counts(soup_of(app.get("/")))["agriculture"] == 0
    assert theme_counts(soup_of(app.get("/")))["agriculture"] == 0
    assert len(computed) == 1  # the second visit came from the cache

    sysadmin = ckan_factories.Sysadmin()
    vines = factories.Dataset(owner_org=portal["organizations"][2]["id"], title="Vignobles du Var",
                              themes=["agriculture"])
    page = soup_of(app.get("/"))
    assert theme_counts(page)["agriculture"] == 1
    assert vines["name"] in listed(page, "recent")
    assert len(computed) == 2

    helpers.call_action("datasud_workflow_withdraw", {"user": sysadmin["name"]}, id=vines["id"],
                        comment="Données à corriger")
    assert helpers.call_action("package_show", id=vines["id"])["private"] is True
    page = soup_of(app.get("/"))
    assert theme_counts(page)["agriculture"] == 0
    assert "Vignobles du Var" not in page.get_text() and vines["name"] not in listed(page, "recent")

    # CKAN's bulk update (the organisation's « Rendre privé ») reindexes after its commit
    ozone = portal["datasets"]["ozone"]
    assert ozone["name"] in listed(soup_of(app.get("/")), "recent")
    helpers.call_action("bulk_update_private", {"user": sysadmin["name"]}, datasets=[ozone["id"]],
                        org_id=ozone["owner_org"])
    try:
        assert ozone["name"] not in str(soup_of(app.get("/")))
    finally:  # the module's other tests count on it
        helpers.call_action("bulk_update_public", {"user": sysadmin["name"], "ignore_auth": True},
                            datasets=[ozone["id"]], org_id=ozone["owner_org"])
    home.clear_cache()


def test_home_page_runs_no_search_of_ckan_s_own(app, portal, monkeypatch):
    """CKAN's home view searched four datasets and facets our page never shows: replaced."""
    from ckan.logic import get_action
    searches = []
    search = get_action("package_search")
    monkeypatch.setattr("ckanext.datasud.home.tk.get_action",
                        lambda name: (lambda c, d: searches.append(d) or search(c, d))
                        if name == "package_search" else get_action(name))
    home.clear_cache()
    soup_of(app.get("/"))
    assert searches and not [s for s in searches if s.get("sort") == "view_recent desc"]  # CKAN's is gone
    assert len(searches) == 3  # the lists (newest, most downloaded) and the key figures
    home.clear_cache()


# --- In a browser, at a phone's width --------------------------------------------------------

def test_search_box_in_the_first_screen_on_a_phone_and_search_from_home(web_app, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(390, 844)
    browser.get(f"{web_app}/")
    viewport = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    field = browser.find_element(By.ID, "field-main-search")
    advanced = browser.find_element(By.CSS_SELECTOR, "a.datasud-advanced-search")
    for element in (field, advanced):
        assert element.is_displayed()
        assert element.rect["y"] + element.rect["height"] <= viewport[1], (element.rect, viewport)
        assert element.rect["x"] >= 0 and element.rect["x"] + element.rect["width"] <= viewport[0]
    assert browser.execute_script("return document.documentElement.scrollWidth") <= viewport[0]
    themes = browser.find_elements(By.CSS_SELECTOR, ".datasud-theme")
    assert len(themes) == 16 and all(theme.rect["width"] <= viewport[0] for theme in themes)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "accueil-telephone.png"))

    field.send_keys("lycées", Keys.ENTER)
    WebDriverWait(browser, 30).until(lambda d: "/dataset/" in d.current_url)
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    assert "q=lyc" in browser.current_url
    titles = [squeeze(e.text) for e in browser.find_elements(By.CSS_SELECTOR, ".dataset-item .dataset-heading")]
    assert titles and titles[0].startswith("Localisation des lycées publics ouverts"), titles

    # the whole page, on a desktop screen and on a phone (test-artifacts/)
    for name, width in (("accueil-bureau.png", 1366), ("accueil-telephone-page.png", 390)):
        browser.set_window_size(width, 900)
        browser.get(f"{web_app}/")
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(width, min(int(height) + 120, 8000))
        browser.save_screenshot(str(ARTIFACTS / name))
        assert (ARTIFACTS / name).stat().st_size > 10_000
