"""/sitemap.xml and /robots.txt (sitemap.py, issue 13 item 4).

Only what an anonymous visitor may see is listed: published datasets (not a draft, a
dataset waiting for review, a withdrawn or deleted one, whoever asks), the partners with
published datasets, DataSud's pages. Beyond ``ckanext.datasud.sitemap.urls_per_file`` URLs
the sitemap is an index of smaller files, read here with one dataset per Solr query
(``ckanext.datasud.sitemap.rows = 1``) so that the keyset paging is exercised.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from ckan.tests import helpers

from ckanext.datasud.logic.workflow_action import datasud_workflow_submit
from tests import factories

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
W3C_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


@pytest.fixture(scope="module")
def world(clean_module_db):
    # Solr commits once at the end, not at each write of the workflow (nothing searches meanwhile).
    import ckan.plugins.toolkit as tk
    from ckan.lib import search
    committing = tk.config.get("ckan.search.solr_commit")
    tk.config["ckan.search.solr_commit"] = False
    try:
        return make_world()
    finally:
        tk.config["ckan.search.solr_commit"] = committing
        search.commit()


def make_world() -> dict:
    sysadmin = factories.Sysadmin()
    publishing = factories.Organization(name="ville-publiante", title="Ville qui publie")
    silent = factories.Organization(name="ville-discrete", title="Ville sans jeu publié")
    published = [factories.Dataset(name=f"jeu-public-{i}", owner_org=publishing["id"]) for i in range(5)]
    pending = factories.Dataset(name="jeu-en-attente", owner_org=silent["id"], private=True)
    datasud_workflow_submit({"user": sysadmin["name"], "ignore_auth": False}, {"id": pending["id"]})
    draft = factories.Dataset(name="jeu-brouillon", owner_org=publishing["id"], private=True)
    deleted = factories.Dataset(name="jeu-supprime", owner_org=publishing["id"])
    helpers.call_action("package_delete", {"user": sysadmin["name"]}, id=deleted["id"])
    token = helpers.call_action("api_token_create", {"user": sysadmin["name"]}, user=sysadmin["name"],
                                name="sitemap")["token"]
    return {"published": {d["name"] for d in published}, "hidden": {pending["name"], draft["name"], deleted["name"]},
            "token": token}


@pytest.fixture(scope="module")
def app(world):
    return helpers._get_test_app()


def xml(app, path: str, **kwargs) -> ElementTree.Element:
    response = app.get(path, **kwargs)
    assert response.status_code == 200, (path, response.status_code)
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    return ElementTree.fromstring(response.get_data())


def locations(root: ElementTree.Element) -> list[str]:
    return [loc.text for loc in root.findall("s:url/s:loc", NS)]


def dataset_names(urls) -> list[str]:
    return [urlsplit(u).path.split("/dataset/", 1)[1] for u in urls if "/dataset/" in urlsplit(u).path
            and urlsplit(u).path != "/dataset/"]


def test_sitemap_lists_published_datasets_partners_and_pages(app, world):
    root = xml(app, "/sitemap.xml")
    assert root.tag == "{%s}urlset" % NS["s"]
    urls = locations(root)
    assert len(urls) == len(set(urls))
    assert all(u.startswith("http") for u in urls)
    assert set(dataset_names(urls)) == world["published"]
    paths = {urlsplit(u).path for u in urls}
    assert {"/", "/dataset/", "/themes", "/partenaires", "/licence", "/a-propos", "/organization/"} <= paths
    assert "/organization/ville-publiante" in paths and "/organization/ville-discrete" not in paths
    for url in root.findall("s:url", NS):
        if "/dataset/jeu-public" in url.find("s:loc", NS).text:
            assert W3C_DATETIME.match(url.find("s:lastmod", NS).text)


def test_a_sysadmin_gets_the_same_public_sitemap(app, world):
    urls = locations(xml(app, "/sitemap.xml", headers={"Authorization": world["token"]}))
    assert set(dataset_names(urls)) == world["published"]
    assert not world["hidden"] & set(dataset_names(urls))


@pytest.mark.ckan_config("ckanext.datasud.sitemap.urls_per_file", 2)
@pytest.mark.ckan_config("ckanext.datasud.sitemap.rows", 1)
def test_a_sitemap_index_beyond_the_limit(app, world, ckan_config):
    root = xml(app, "/sitemap.xml")
    assert root.tag == "{%s}sitemapindex" % NS["s"]
    files = [urlsplit(loc.text).path for loc in root.findall("s:sitemap/s:loc", NS)]
    assert files == ["/sitemap-pages.xml", "/sitemap-datasets-1.xml", "/sitemap-datasets-2.xml",
                     "/sitemap-datasets-3.xml"]
    pages = locations(xml(app, files[0]))
    assert not dataset_names(pages) and any(urlsplit(u).path == "/themes" for u in pages)
    names = []
    for path in files[1:]:
        urls = locations(xml(app, path))
        assert 1 <= len(urls) <= 2
        names += dataset_names(urls)
    assert sorted(names) == sorted(world["published"])  # each once, none hidden
    for path in ("/sitemap-datasets-4.xml", "/sitemap-datasets-0.xml", "/sitemap-datasets-x.xml",
                 "/sitemap-datasets--1.xml"):
        assert app.get(path).status_code == 404, path


def test_robots_txt_points_to_the_sitemap(app, world):
    response = app.get("/robots.txt")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    lines = response.get_data(as_text=True).splitlines()
    [sitemap] = [line for line in lines if line.startswith("Sitemap: ")]
    assert re.match(r"^Sitemap: https?://[^/]+/sitemap\.xml$", sitemap)
    assert "Disallow: /api/" in lines and "Disallow: /dataset/*/resource/*/telecharger" in lines
    assert "User-agent: *" in lines
