"""Download counting (issue 12, item 4): every « Télécharger » goes through
``/dataset/<id>/resource/<rid>/telecharger``, counted in Redis (the real server of
``bin/datasud``), folded into PostgreSQL by the beat job, shown by package_show and the
pages, and used by search sorting and the home page.

Real requests through the app (``app``), real uploads (``create_with_upload``), the real
fold function and once the real Celery worker.
"""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
import redis
from sqlalchemy import event

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud import downloads
from ckanext.datasud.helpers import datasud_most_downloaded
from ckanext.datasud.model import DownloadCount
from tests import factories
from tests.test_browser import ARTIFACTS, browser, squeeze, web_app  # noqa: F401 - fixtures (demo_data: ours below)

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"}
CURL = {"User-Agent": "curl/7.88.1"}
CSV = "commune;lycées\nNice;12\nToulon;7\n" * 40


def new_connection() -> redis.Redis:
    """A connection of its own, as a restarted web app or worker would open."""
    return redis.Redis.from_url(tk.config["ckan.redis.url"])


@pytest.fixture
def counters():
    """No counter of an earlier test left in Redis (this run's site id only)."""
    conn = new_connection()
    conn.delete(downloads.pending_key(), *downloads.leftovers(conn))
    yield conn
    conn.delete(downloads.pending_key(), *downloads.leftovers(conn))
    conn.close()


def pending(conn) -> dict[str, int]:
    """{resource_id: downloads not yet folded}."""
    return {name.decode().rsplit(":", 1)[1]: int(value)
            for name, value in conn.hgetall(downloads.pending_key()).items() if name.startswith(b"n:")}


def stored() -> dict[str, int]:
    model.Session.remove()
    return {row.resource_id: row.count for row in model.Session.query(DownloadCount)}


def telecharger(dataset, resource) -> str:
    return f"/dataset/{dataset['name']}/resource/{resource['id']}/telecharger"


def download(app, dataset, resource, headers=BROWSER):
    """What a browser does with « Télécharger »: the counting URL, then the file it leads to
    when the portal serves it (an upload, counted there)."""
    response = app.get(telecharger(dataset, resource), headers=headers, follow_redirects=False)
    location = response.headers.get("Location", "")
    if response.status_code == 302 and "/download/" in location:
        return app.get(urlsplit(location).path, headers=headers)
    return response


@pytest.fixture
def published(create_with_upload):
    """A public dataset with an uploaded CSV and a link to a partner's file."""
    sysadmin = ckan_factories.Sysadmin()
    dataset = factories.Dataset(title="Lycées publics de la région")
    upload = create_with_upload(CSV, "lycees.csv", context={"user": sysadmin["name"]},
                                package_id=dataset["id"], name="Lycées (CSV)", format="CSV")
    link = helpers.call_action("resource_create", {"user": sysadmin["name"]}, package_id=dataset["id"],
                               name="Lycées (GeoJSON)", format="GeoJSON",
                               url="https://data.example.org/lycees.geojson")
    return {"dataset": dataset, "upload": upload, "link": link, "sysadmin": sysadmin}


# --- Pure functions -----------------------------------------------------------------

def test_robots_are_told_apart_from_people_and_scripts():
    for agent in ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                  "Mozilla/5.0 (compatible; bingbot/2.0)", "Mozilla/5.0 (compatible; AhrefsBot/7.0)",
                  "W3C-checklink/4.81 libwww-perl/6.68", "LinkChecker/10.2", "Screaming Frog SEO Spider/19",
                  "facebookexternalhit/1.1", "Mozilla/5.0 (compatible; YandexCrawler)"):
        assert downloads.is_robot(agent), agent
    for agent in (BROWSER["User-Agent"], "curl/7.88.1", "Wget/1.21.3", "python-requests/2.31.0",
                  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1",
                  "QGIS/33400/Debian GNU/Linux 12", "", None):
        assert not downloads.is_robot(agent), agent
    assert downloads.counted("GET", "curl/7.88.1") and downloads.counted("GET", None, "bytes=0-1023")
    assert not downloads.counted("HEAD", "curl/7.88.1") and not downloads.counted("GET", "LinkChecker/10.2")
    assert not downloads.counted("GET", "Mozilla/5.0", "bytes=1024-")  # the rest of a file fetched in parts


def test_downloads_is_a_sort_name_for_the_indexed_field():
    assert downloads.search_sort("downloads desc") == "resources_accessed_total desc"
    assert downloads.search_sort("score desc, downloads asc") == "score desc,resources_accessed_total asc"
    for kept in (None, "", "metadata_modified desc", "title_string asc", "downloads_x desc"):
        assert downloads.search_sort(kept) == kept


def test_a_hash_of_counters_is_read_whatever_it_holds():
    fields = {b"n:p1:r1": b"3", b"t:p1:r1": b"1764650000", b"n:p1:r2": b"1", b"n:p2:r3": b"oops",
              b"n:p2:r4": b"0"}
    parsed = downloads.parse(fields)
    assert parsed[("p1", "r1")][0] == 3 and parsed[("p1", "r1")][1].year == 2025
    assert parsed[("p1", "r2")] == (1, None)
    assert ("p2", "r3") not in parsed and ("p2", "r4") not in parsed


# --- Counting and redirecting ---------------------------------------------------------

@pytest.mark.usefixtures("clean_db", "clean_index")
def test_downloads_are_counted_and_redirected_robots_head_and_hidden_ones_not(app, published, counters):
    dataset, upload, link = published["dataset"], published["upload"], published["link"]
    assert upload["url_type"] == "upload"

    response = app.get(telecharger(dataset, upload), headers=BROWSER, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"] == urlsplit(upload["url"]).path  # this portal's, wherever it is
    assert response.headers["Location"].endswith(f"/resource/{upload['id']}/download/lycees.csv")
    assert "no-store" in response.headers["Cache-Control"] and "public" not in response.headers["Cache-Control"]
    assert pending(counters) == {}  # an upload is counted when the file is served, where the 302 leads
    served = app.get(urlsplit(response.headers["Location"]).path, headers=BROWSER)
    assert served.status_code == 200 and "Toulon;7" in served.body
    assert pending(counters) == {upload["id"]: 1}

    response = app.get(telecharger(dataset, link), headers=CURL, follow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"] == "https://data.example.org/lycees.geojson"
    app.get(f"/dataset/{dataset['id']}/resource/{link['id']}/telecharger", headers={"User-Agent": "Wget/1.21.3"},
            follow_redirects=False)  # by id as well as by name
    assert pending(counters) == {upload["id"]: 1, link["id"]: 2}

    # not counted: HEAD, crawlers, link checkers, the rest of a file fetched in parts; still served
    client = app.test_client()
    assert client.head(telecharger(dataset, link), headers=BROWSER, follow_redirects=False).status_code == 302
    assert client.head(urlsplit(upload["url"]).path, headers=BROWSER).status_code == 200
    for agent in ("Mozilla/5.0 (compatible; Googlebot/2.1)", "LinkChecker/10.2"):
        assert download(app, dataset, link, {"User-Agent": agent}).status_code == 302
        assert download(app, dataset, upload, {"User-Agent": agent}).status_code == 200
    part = app.get(urlsplit(upload["url"]).path, headers={**BROWSER, "Range": "bytes=100-"})
    assert part.status_code == 206
    assert pending(counters) == {upload["id"]: 1, link["id"]: 2}
    # a direct link to the file (the API's url) is counted too, and a client without user agent
    app.get(urlsplit(upload["url"]).path)
    assert pending(counters) == {upload["id"]: 2, link["id"]: 2}

    # a resource one may not see is a 404 that reveals nothing
    check_a_resource_one_may_not_see_is_a_404_that_reveals_nothing(app, counters)


def check_a_resource_one_may_not_see_is_a_404_that_reveals_nothing(app, counters):
    before = pending(counters)
    sysadmin = ckan_factories.Sysadmin()
    secret = "https://intranet.example.org/secret-budget.xlsx"
    private = factories.Dataset(private=True, title="Budget en préparation")
    hidden = helpers.call_action("resource_create", {"user": sysadmin["name"]}, package_id=private["id"],
                                 name="Budget", url=secret)
    public = factories.Dataset(title="Cinémas")
    shown = helpers.call_action("resource_create", {"user": sysadmin["name"]}, package_id=public["id"],
                                name="Cinémas", url="https://data.example.org/cinemas.csv")
    gone = helpers.call_action("resource_create", {"user": sysadmin["name"]}, package_id=public["id"],
                               name="Ancien", url="https://data.example.org/ancien.csv")
    helpers.call_action("resource_delete", {"user": sysadmin["name"]}, id=gone["id"])

    for path in (telecharger(private, hidden),                                   # private dataset
                 f"/dataset/{public['name']}/resource/{hidden['id']}/telecharger",  # another dataset's
                 f"/dataset/{private['name']}/resource/{shown['id']}/telecharger",  # not of this dataset
                 telecharger(public, gone),                                       # deleted
                 f"/dataset/{public['name']}/resource/0000-inconnue/telecharger"):  # unknown
        response = app.get(path, headers=BROWSER, follow_redirects=False, status=404)
        assert "secret-budget" not in response.body and "Location" not in response.headers, path
    assert pending(counters) == before

    # the programme team sees the private dataset, and its download is counted
    token = {"Authorization": ckan_factories.APIToken(user=sysadmin["name"])["token"]}
    response = app.get(telecharger(private, hidden), headers={**BROWSER, **token}, follow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"] == secret
    assert pending(counters) == {**before, hidden["id"]: 1}


# --- Folding into PostgreSQL ----------------------------------------------------------

@pytest.mark.usefixtures("clean_db", "clean_index")
def test_fold_shows_counts_in_package_show_the_pages_and_search_sorting(app, published, counters):
    dataset, upload, link = published["dataset"], published["upload"], published["link"]
    other = factories.Dataset(title="Cales du littoral")
    slipway = helpers.call_action("resource_create", {"user": published["sysadmin"]["name"]},
                                  package_id=other["id"], name="Cales", format="HTML",
                                  url="https://data.example.org/cales")
    factories.Dataset(title="Jamais téléchargé")
    for _ in range(3):
        download(app, dataset, upload)
    download(app, dataset, link, CURL)
    for _ in range(5):
        download(app, other, slipway)

    result = downloads.fold()
    assert result["downloads"] == 9 and sorted(result["datasets"]) == sorted([dataset["id"], other["id"]])
    assert stored() == {upload["id"]: 3, link["id"]: 1, slipway["id"]: 5}
    assert counters.exists(downloads.pending_key()) == 0 and downloads.leftovers(counters) == []
    row = model.Session.query(DownloadCount).get(upload["id"])
    assert row.package_id == dataset["id"] and row.last_download is not None

    shown = helpers.call_action("package_show", id=dataset["id"])
    assert shown["downloads"] == 4
    assert {r["id"]: r["downloads"] for r in shown["resources"]} == {upload["id"]: 3, link["id"]: 1}
    assert helpers.call_action("resource_show", id=link["id"])["downloads"] == 1
    # package_show answered from the search index's copy, reindexed by the fold with its
    # counts: no query for them; read from the database: the table's, the same
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(model.meta.engine, "before_cursor_execute", note)
    try:
        again = helpers.call_action("package_show", id=dataset["id"])
    finally:
        event.remove(model.meta.engine, "before_cursor_execute", note)
    assert statements and not any("datasud_download_count" in s for s in statements)
    assert again["downloads"] == 4 and {r["id"]: r["downloads"] for r in again["resources"]} == {
        upload["id"]: 3, link["id"]: 1}
    fresh = helpers.call_action("package_show", {"use_cache": False}, id=dataset["id"])
    assert fresh["downloads"] == 4 and {r["id"]: r["downloads"] for r in fresh["resources"]} == {
        upload["id"]: 3, link["id"]: 1}
    # the datasets a harvest batch indexes: their counts read at once, the table's
    statements.clear()
    event.listen(model.meta.engine, "before_cursor_execute", note)
    try:
        with downloads.counts_read_for([dataset["id"], other["id"]]):
            counts = [downloads.package_counts(dataset["id"]), downloads.package_counts(other["id"])]
    finally:
        event.remove(model.meta.engine, "before_cursor_execute", note)
    assert len([s for s in statements if "datasud_download_count" in s]) == 1
    assert counts == [{upload["id"]: 3, link["id"]: 1}, {slipway["id"]: 5}]
    # not stored in the dataset: no new revision, and a package_update of what package_show
    # gave keeps no count as a resource extra
    modified = model.Package.get(dataset["id"]).metadata_modified
    assert shown["metadata_modified"] == modified.isoformat()
    check_pages_show_the_download_button_and_count(app, dataset, upload, link)
    helpers.call_action("package_update", {"user": published["sysadmin"]["name"]}, **shown)
    assert "downloads" not in model.Resource.get(upload["id"]).extras
    # nor in the copy of the dataset the activity stream keeps (its diffs would show counts)
    from ckanext.activity.model import Activity
    kept = model.Session.query(Activity).filter_by(object_id=dataset["id"]).order_by(
        Activity.timestamp.desc()).first().data["package"]
    assert kept["title"] == dataset["title"] and "downloads" not in kept
    assert all("downloads" not in resource for resource in kept["resources"])

    # search: sorted by downloads (the indexed int field), and the home page's helper
    found = helpers.call_action("package_search", q="*:*", sort="downloads desc", rows=3)
    assert [d["title"] for d in found["results"]] == [other["title"], dataset["title"], "Jamais téléchargé"]
    assert [d.get("downloads") for d in found["results"]] == [5, 4, 0]
    ascending = helpers.call_action("package_search", q="*:*", sort="downloads asc", rows=3)
    assert ascending["results"][0]["title"] == "Jamais téléchargé"
    most = datasud_most_downloaded(5)
    assert [(d["title"], d["downloads"]) for d in most] == [(other["title"], 5), (dataset["title"], 4)]

    # a link to a partner's web page: « Ouvrir la page », counted the same way
    other_page = re.sub(r"\s+", " ", app.get(f"/dataset/{other['name']}").body)
    assert f'href="{telecharger(other, slipway)}"' in other_page
    assert "Ouvrir la page (HTML)" in re.sub(r"<[^>]+>", "", other_page) and "5 téléchargements" in other_page

    page = app.get("/dataset/?sort=downloads+desc").body
    assert "Les plus téléchargés" in page
    assert page.index(other["title"]) < page.index(dataset["title"]) < page.index("Jamais téléchargé")


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_counted_downloads_survive_a_restart_and_a_crashed_fold(app, published, counters):
    dataset, upload, link = published["dataset"], published["upload"], published["link"]
    # Redis keeps what it acknowledged across its own restart: its append-only file
    assert counters.config_get("appendonly")["appendonly"] == "yes"
    for _ in range(2):
        download(app, dataset, upload)

    # a restart: the web app's connections are gone, the fold runs in a new process
    # (its own connection); nothing counted before is lost
    restarted = new_connection()
    assert pending(restarted) == {upload["id"]: 2}

    # a fold that crashed after RENAME and before its commit: the renamed hash stays ...
    crashed = downloads.claim(restarted)
    assert crashed and pending(restarted) == {} and downloads.leftovers(restarted) == [crashed]
    download(app, dataset, upload)  # meanwhile
    # ... a fold that crashed after its commit and before deleting its hash ...
    download(app, dataset, link)
    committed = downloads.claim(restarted)
    assert downloads.apply(restarted, committed) is not None
    assert stored() == {upload["id"]: 1, link["id"]: 1}
    download(app, dataset, link)  # meanwhile

    # the next fold takes the leftovers first: each download counted once
    result = downloads.fold(restarted)
    assert result["hashes"] == 3
    assert stored() == {upload["id"]: 3, link["id"]: 2}
    assert downloads.leftovers(restarted) == [] and not restarted.exists(downloads.pending_key())
    assert downloads.fold(restarted) == {"site": tk.config["ckan.site_id"], "hashes": 0, "downloads": 0,
                                         "datasets": []}
    assert helpers.call_action("package_show", id=dataset["id"])["downloads"] == 5
    restarted.close()


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_the_beat_job_folds_in_the_real_worker(app, published, counters, celery_worker):
    from ckanext.datasud import tasks
    from ckanext.datasud.celery_app import app as celery

    entry = celery.conf.beat_schedule["fold-downloads"]
    assert entry["task"] == "datasud.fold_downloads" and entry["schedule"].total_seconds() == 300
    dataset, link = published["dataset"], published["link"]
    for _ in range(2):
        download(app, dataset, link)
    # (another test run's worker on the same broker folds its own portal's counters: sent again)
    for _ in range(5):
        result = tasks.fold_downloads.delay().get(timeout=90)
        if result["site"] == tk.config["ckan.site_id"]:
            break
    assert result["downloads"] == 2 and result["datasets"] == [dataset["id"]]
    assert stored() == {link["id"]: 2}
    found = helpers.call_action("package_search", q="*:*", fq="+resources_accessed_total:[2 TO *]")
    assert [d["id"] for d in found["results"]] == [dataset["id"]]


# --- Pages ----------------------------------------------------------------------------

def check_pages_show_the_download_button_and_count(app, dataset, upload, link):
    """After 3 downloads of the upload and 1 of the link."""
    page = app.get(f"/dataset/{dataset['name']}").body
    items = re.findall(r'<li class="resource-item".*?</li>', page, re.S)
    assert len(items) == 2
    first = items[0] if upload["id"] in items[0] else items[1]
    # the button comes first in the item, before the title: first on a phone
    assert first.index("datasud-download-button") < first.index('class="heading"')
    assert f'href="{telecharger(dataset, upload)}"' in first
    size = re.sub(r"\s+", " ", re.search(r'datasud-download-details">(.*?)</span>', first, re.S).group(1))
    assert size.replace("\u202f", " ").replace("\xa0", " ") == "(CSV, 1,3 Ko)"
    assert "Télécharger" in first and "3 téléchargements" in first
    assert "1 téléchargement<" in items[1 - items.index(first)]
    assert "https://data.example.org/lycees.geojson" not in "".join(items)  # only through the counter
    assert "Tous les fichiers du jeu de données : 4 téléchargements" in re.sub(r"\s+", " ", page)

    resource_page = app.get(f"/dataset/{dataset['name']}/resource/{upload['id']}").body
    assert f'href="{telecharger(dataset, upload)}"' in resource_page and "3 téléchargements" in resource_page
    link_page = app.get(f"/dataset/{dataset['name']}/resource/{link['id']}").body
    assert f'href="{telecharger(dataset, link)}"' in link_page and "(GeoJSON)" in link_page
    # the address is shown, its link counted: no link to the file that bypasses the counter
    assert "https://data.example.org/lycees.geojson</a>" in link_page
    assert 'href="https://data.example.org/lycees.geojson"' not in link_page


# --- In a real browser, at a phone's width ----------------------------------------------

@pytest.fixture
def demo_data(clean_db, clean_index):
    """Overrides test_browser's demo portal for the served web app (``web_app``): one
    public dataset with a CSV file in the configured storage, which gunicorn serves."""
    import io
    from werkzeug.datastructures import FileStorage

    sysadmin = ckan_factories.Sysadmin()
    dataset = factories.Dataset(name="lycees-publics", title="Lycées publics")
    helpers.call_action("resource_create", {"user": sysadmin["name"]}, package_id=dataset["id"],
                        name="Lycées publics (CSV)", format="CSV", url="lycees.csv",
                        upload=FileStorage(io.BytesIO(CSV.encode()), "lycees.csv"))
    model.Session.commit()
    return dataset


@pytest.mark.browser
def test_the_download_button_comes_first_on_a_phone_and_counts(web_app, browser, counters):
    """Headless Chromium at 390 px: the button is shown before the file's title, a click
    downloads the file and is counted, and after the fold the page shows the count."""
    import requests
    from selenium.webdriver.common.by import By

    resource_id = helpers.call_action("package_show", id="lycees-publics")["resources"][0]["id"]
    href = f"{web_app}/dataset/lycees-publics/resource/{resource_id}/telecharger"
    # (before the browser: its idle connections would hold gunicorn's only worker)
    # where the 302 leads, the web app serves the file and counts it; a HEAD is not counted
    location = requests.head(href, headers=BROWSER, allow_redirects=False, timeout=30).headers["Location"]
    assert location.endswith(f"/resource/{resource_id}/download/lycees.csv") and location.startswith("/")
    assert pending(counters) == {}
    served = requests.get(web_app + location, headers=CURL, timeout=30)
    assert served.status_code == 200 and "Toulon;7" in served.text
    assert pending(counters) == {resource_id: 1}

    browser.set_window_size(390, 844)
    browser.get(f"{web_app}/dataset/lycees-publics")
    item = browser.find_element(By.CSS_SELECTOR, ".resource-item")
    button = item.find_element(By.CSS_SELECTOR, ".datasud-download-button")
    heading = item.find_element(By.CSS_SELECTOR, ".heading")
    assert button.is_displayed() and button.get_attribute("href") == href
    assert squeeze(button.text) == "Télécharger (CSV, 1,3 Ko)", button.text
    assert button.rect["y"] + button.rect["height"] <= heading.rect["y"]
    assert button.rect["x"] >= 0 and button.rect["x"] + button.rect["width"] <= 390
    assert squeeze(item.find_element(By.CSS_SELECTOR, ".datasud-download-count").text) == "0 téléchargement"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", button)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "telecharger-telephone.png"))
    button.click()

    deadline = time.time() + 20
    while time.time() < deadline and pending(counters).get(resource_id) != 2:
        time.sleep(0.2)
    assert pending(counters) == {resource_id: 2}
    downloads.fold()
    browser.get(f"{web_app}/dataset/lycees-publics")
    item = browser.find_element(By.CSS_SELECTOR, ".resource-item")
    assert squeeze(item.find_element(By.CSS_SELECTOR, ".datasud-download-count").text) == "2 téléchargements"

    # on a desktop screen the button sits at the right of the file's title
    browser.set_window_size(1366, 900)
    item = browser.find_element(By.CSS_SELECTOR, ".resource-item")
    button = item.find_element(By.CSS_SELECTOR, ".datasud-download-button")
    heading = item.find_element(By.CSS_SELECTOR, ".heading")
    assert button.rect["x"] > heading.rect["x"] + heading.rect["width"]
    assert abs(button.rect["y"] - heading.rect["y"]) < 40
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", button)
    browser.save_screenshot(str(ARTIFACTS / "telecharger-bureau.png"))
