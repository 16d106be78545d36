"""The anonymous page cache (page_cache.py, issue 14 item 5), through real requests.

With the cache on (config/test.ini has it off for the rest of the suite): anonymous
requests without cookies are answered from Redis after the first one; a dataset
withdrawn (private again), deleted or changed is never served from the cache — not its
page, not ``package_show``, not ``package_search``, not the search page, not the DCAT
catalogue; a logged-in user (session cookie from the login form, or an API token), or
any request carrying a cookie, always gets a page computed for them; errors are never
stored; each cached page carries a CSRF token of the visitor's own session, which CKAN
accepts.
"""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud import catalogue_cache
from tests import factories
from tests.test_csrf import FIELD, Browser, page_token, sysadmin_with_password

pytestmark = [pytest.mark.usefixtures("fresh_cache"),
              pytest.mark.ckan_config("ckanext.datasud.page_cache.seconds", 300)]

CACHE = "X-DataSud-Cache"
TOKEN = re.compile(r'(name="_csrf_token" (?:content|value)=")[^"]+"')


@pytest.fixture
def fresh_cache():
    """Nothing cached by an earlier test: the catalogue version moves."""
    catalogue_cache.changed()
    yield


@pytest.fixture(scope="module")
def world(clean_module_db):
    """A partner with four published datasets (one stays as it is, the others are
    withdrawn, deleted, changed by one test each) and a private draft; made once."""
    org = factories.Organization(name="ville-cache", title="Ville du cache")
    datasets = {key: factories.Dataset(owner_org=org["id"], name=f"arbres-{key}", title=title(key))
                for key in ("stable", "retire", "supprime", "modifie")}
    draft = factories.Dataset(owner_org=org["id"], name="arbres-brouillon", title="Arbres en brouillon",
                              private=True)
    return {"org": org, "datasets": datasets, "draft": draft, "sysadmin": ckan_factories.Sysadmin(),
            "admin": sysadmin_with_password()}


def title(key: str) -> str:
    """Plain ASCII, as found in HTML, JSON (which escapes accents) and Turtle alike."""
    return f"Arbres du lot {key}"


def anonymous(app, url: str, **kwargs):
    """A cookieless GET (CKAN's test app opens a new client, with an empty jar, per call)."""
    return app.get(url, status=None, **kwargs)


def without_token(body: str) -> str:
    return TOKEN.sub(r'\1"', body)


def doors(key: str) -> dict[str, str]:
    """Where an anonymous visitor meets the dataset ``arbres-<key>``."""
    return {
        "page": f"/dataset/arbres-{key}",
        "show": f"/api/3/action/package_show?id=arbres-{key}",
        "search": f"/api/3/action/package_search?q=name:arbres-{key}",
        "search_page": f"/dataset/?q=name:arbres-{key}",
        "catalogue": "/catalog.ttl",
    }


def warm(app, key: str, expected: str) -> None:
    """Every door asked twice: the second answer comes from the cache."""
    for name, url in doors(key).items():
        first, second = anonymous(app, url), anonymous(app, url)
        assert first.status_code == second.status_code == 200, (name, first.status_code)
        assert first.headers[CACHE] == "miss", name
        assert second.headers[CACHE] == "hit", name
        assert without_token(second.body) == without_token(first.body), name
        assert expected in second.body, name


def assert_gone(app, key: str, expected: str) -> None:
    """No door shows the dataset any more, and none of those answers is a cached one."""
    answers = {name: anonymous(app, url) for name, url in doors(key).items()}
    assert answers["page"].status_code == 404
    assert answers["show"].status_code in (403, 404)
    assert answers["search"].json["result"]["count"] == 0
    for name in ("search_page", "catalogue"):
        assert answers[name].status_code == 200
        assert expected not in answers[name].body, name
    assert all(a.headers.get(CACHE) != "hit" for a in answers.values())


def test_anonymous_answers_are_cached_with_a_csrf_token_of_the_visitors_own(app, world):
    warm(app, "stable", title("stable"))
    url = doors("stable")["page"]
    first, second = anonymous(app, url), anonymous(app, url)
    assert second.headers[CACHE] == "hit"
    assert page_token(first) != page_token(second)  # each visitor's own session
    assert "private" in first.headers["Cache-Control"] and "private" in second.headers["Cache-Control"]
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    assert "Set-Cookie" in second.headers
    # a visitor served from the cache can post with the token of the page: CKAN accepts it
    client = app.test_client()
    page = client.get(url)
    assert page.headers[CACHE] == "hit"
    response = client.post("/user/login", data={"login": "personne", "password": "faux",
                                                FIELD: page_token(page)}, follow_redirects=False)
    assert "CSRF" not in response.body
    assert response.status_code == 200  # the login form again, with its error: not a 400


def test_a_withdrawn_dataset_is_never_served_from_the_cache(app, world):
    warm(app, "retire", title("retire"))
    helpers.call_action("datasud_workflow_withdraw", {"user": world["sysadmin"]["name"]},
                        id=world["datasets"]["retire"]["id"], comment="Retiré pour correction.")
    assert helpers.call_action("package_show", id=world["datasets"]["retire"]["id"])["private"] is True
    assert_gone(app, "retire", title("retire"))


def test_a_deleted_dataset_is_never_served_from_the_cache(app, world):
    warm(app, "supprime", title("supprime"))
    helpers.call_action("package_delete", {"user": world["sysadmin"]["name"]}, id=world["datasets"]["supprime"]["id"])
    assert_gone(app, "supprime", title("supprime"))


def test_a_changed_dataset_is_served_as_it_is_now(app, world):
    warm(app, "modifie", title("modifie"))
    helpers.call_action("package_patch", {"user": world["sysadmin"]["name"]}, id=world["datasets"]["modifie"]["id"],
                        title="Arbres du lot renomme")
    for name, url in doors("modifie").items():
        answer = anonymous(app, url)
        assert answer.headers[CACHE] == "miss", name
        assert "Arbres du lot renomme" in answer.body, name


def test_a_logged_in_user_never_gets_a_cached_page(app, world):
    warm(app, "stable", title("stable"))
    assert anonymous(app, "/dataset/arbres-brouillon").status_code == 404  # what an anonymous visitor gets
    admin = world["admin"]
    browser = Browser(app, admin)
    for url in (doors("stable")["page"], doors("stable")["search_page"], "/dataset/arbres-brouillon"):
        page = browser.client.get(url)
        assert page.status_code == 200, url
        assert page.headers.get(CACHE) == "bypass", url
        assert admin["name"] in page.body, url  # the user's own header (account menu)
    # an API token: the private dataset is found, never a cached anonymous answer
    token = {"Authorization": ckan_factories.APIToken(user=admin["name"])["token"]}
    url = "/api/3/action/package_search?q=name:arbres-*&include_private=true&rows=100"
    anonymous(app, url), anonymous(app, url)
    answer = app.get(url, headers=token)
    assert answer.headers[CACHE] == "bypass"
    assert "arbres-brouillon" in {d["name"] for d in answer.json["result"]["results"]}
    assert "arbres-brouillon" not in {d["name"] for d in anonymous(app, url).json["result"]["results"]}
    # any cookie at all (an anonymous session, a remember-me...) is never served from the cache
    client = app.test_client(use_cookies=False)
    answer = client.get(doors("stable")["page"], headers={"Cookie": "ckan=une-session-quelconque"})
    assert answer.status_code == 200
    assert answer.headers[CACHE] == "bypass"


@pytest.mark.ckan_config("apitoken_header_name", "X-Jeton-DataSud")
def test_the_api_token_header_is_read_from_ckan_s_declared_option(caplog):
    """The header carrying an API token (never answered from the cache) is CKAN's
    ``apitoken_header_name``: read without the « not declared » warning that its legacy
    name logged at every anonymous request (94,000 lines in a benchmark's web log)."""
    import logging
    from ckanext.datasud import page_cache
    with caplog.at_level(logging.WARNING):
        assert page_cache.api_token_header() == "X-Jeton-DataSud"
    assert not [r for r in caplog.records if "not declared" in r.getMessage()]


def test_errors_are_never_stored(app, world):
    for _ in range(2):
        answer = anonymous(app, "/dataset/pas-encore-la")
        assert answer.status_code == 404
        assert answer.headers.get(CACHE) == "miss"
    for _ in range(2):  # a refused search: a French 400, computed each time
        answer = anonymous(app, "/api/3/action/package_search?sort=drop%20table")
        assert answer.status_code == 400
        assert answer.headers.get(CACHE) == "miss"


def test_content_negotiation_is_part_of_the_key(app, world):
    url = doors("stable")["page"]
    for _ in range(2):
        html = anonymous(app, url, headers={"Accept": "text/html"})
        turtle = anonymous(app, url, headers={"Accept": "text/turtle"})
        assert html.headers["Content-Type"].startswith("text/html")
        assert turtle.headers["Content-Type"].startswith("text/turtle")
        assert "dcat:Dataset" in turtle.body and "<html" in html.body
    assert html.headers[CACHE] == turtle.headers[CACHE] == "hit"
    assert "Accept" in turtle.headers["Vary"]


def test_switched_off(app, world, monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.datasud.page_cache.seconds", "0")
    for _ in range(2):
        answer = anonymous(app, doors("stable")["page"])
        assert answer.status_code == 200
        assert CACHE not in answer.headers
    assert BeautifulSoup(answer.body, "html.parser").select_one(f"meta[name={FIELD}]") is not None


def test_the_hot_paths_share_one_redis_client_on_ckans_pool(app):
    """The catalogue version, the cache and the API's rate limit ask Redis several times
    per anonymous request: one client per process (redis_client.py), on CKAN's own
    connection pool, not a new client at each call."""
    from ckan.lib.redis import connect_to_redis
    from ckanext.datasud import redis_client

    client = redis_client.connection()
    assert redis_client.connection() is client
    assert client.connection_pool is connect_to_redis().connection_pool
    before = catalogue_cache.version()
    catalogue_cache.changed()
    assert catalogue_cache.version() == before + 1
    org = factories.Organization(name="ville-client", title="Ville du client Redis")
    dataset = factories.Dataset(owner_org=org["id"], name="arbres-client-redis")
    url = f"/api/3/action/package_show?id={dataset['name']}"
    assert app.get(url).headers[CACHE] == "miss"
    assert app.get(url).headers[CACHE] == "hit"
