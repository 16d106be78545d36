"""Search errors in French, without Solr's internals (issue 10, item 11; CVE-2024-41674:
CKAN echoed Solr's error, with the query it built, in search error messages).

A query Solr or CKAN refuses is the caller's error: a 400 with a plain French message in
the API, on the search page and on the DCAT catalogue; never the query CKAN built (its
permission-label filter, the site id), Solr's parser messages, or Solr's URL; never a 500.
A write Solr refuses answers without Solr's text either, and stores nothing.
"""
from __future__ import annotations

import re

import pytest

import ckan.model as model
from ckan.tests import factories as ckan_factories

from tests import factories

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

# What Solr's and CKAN's own messages are made of
INTERNALS = ("permission_labels", "site_id", "SolrError", "SyntaxError", "org.apache", "solr", "Solr",
             "8983", "/solr/", "capacity:", "Traceback", "Search Query is invalid", "Search error")
NOT_UNDERSTOOD = "Cette recherche n'a pas pu être comprise"

HOSTILE_QUERIES = [
    {"q": "foo:("},                      # Solr's SyntaxError
    {"q": "title:\"unterminated"},
    {"q": "*:* AND ("},
    {"fq": "foo:("},
    {"fq": "capacity:public OR ("},
    {"q": "{!lucene}x"},                 # local params
    {"q": "x", "fq": "{!join from=id to=id}x"},
    {"q": "_val_:\"recip(1,2,3,4)\""},   # magic fields
    {"q": "_query_:\"{!dismax}x\""},
    {"sort": "foo"},
    {"sort": "title_string asc, {!func}x"},
    {"wt": "xml"},                        # a 500 before (CKAN parses Solr's answer as JSON)
    {"wt": "python"},
    {"wt": "XML "},
    {"qt": "/select"},
    {"shards": "127.0.0.1:8983/solr/ckan"},
    {"stream.body": "<delete><query>*:*</query></delete>"},
    {"stream.url": "file:///etc/passwd"},
    {"defType": "xmlparser", "q": "<x/>"},
    {"defType": "func", "q": "x"},
    {"q": "x", "facet.field": "[\"title\""},
]


def _assert_plain(text: str) -> None:
    for word in INTERNALS:
        assert word not in text, (word, text[:500])


@pytest.mark.parametrize("params", HOSTILE_QUERIES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_refused_searches_are_a_french_400_in_the_api(app, params):
    factories.Dataset()
    for method in ("get", "post"):
        if method == "get":
            response = app.get("/api/3/action/package_search", params=params, status=None)
        else:
            response = app.post("/api/3/action/package_search", json=params, status=None)
        assert response.status_code in (400, 409), (method, response.status_code, response.body[:300])
        assert response.json["success"] is False
        _assert_plain(response.body)
        message = response.json["error"].get("message") or str(response.json["error"])
        assert re.search(r"[àâçéèêëîïôùûü«]|n'est pas|Cette recherche", message), message


def test_a_syntax_error_is_a_400_saying_what_to_check(app):
    response = app.get("/api/3/action/package_search", params={"q": "titre:(lycées"}, status=None)
    assert response.status_code == 400
    assert response.json["error"]["__type"] == "Search Query Error"
    assert response.json["error"]["message"].startswith(NOT_UNDERSTOOD)


def test_a_refused_solr_parameter_is_named(app):
    response = app.get("/api/3/action/package_search", params={"q": "x", "wt": "xml"}, status=None)
    assert response.status_code == 400
    assert response.json["error"]["message"] == "Le paramètre de recherche « wt » n'est pas accepté."


def test_valid_searches_still_work(app):
    dataset = factories.Dataset(title="Cinémas de la région")
    for params in ({"q": "cinémas"}, {"q": f"name:{dataset['name']}"}, {"fq": f"name:{dataset['name']}"},
                   {"q": "cinémas", "wt": "json"}, {"q": "cinémas", "defType": "edismax"},
                   {"sort": "title_string asc"}, {"ext_bbox": "4.2,42.9,7.7,45.1"}):
        response = app.get("/api/3/action/package_search", params=params)
        assert response.json["success"] is True, params
    assert app.get("/api/3/action/package_search", params={"q": "cinémas"}).json["result"]["count"] == 1


@pytest.mark.parametrize("url", ["/dataset/?q=foo:(", "/dataset/?q=titre:(lyc%C3%A9es", "/dataset/?sort=foo",
                                 "/dataset/?q={!lucene}x", "/catalog.ttl?q=foo:(", "/catalog.xml?fq=foo:(",
                                 "/catalog.ttl?q={!lucene}x"])
def test_search_pages_say_it_in_french(app, url):
    response = app.get(url, status=None)
    assert response.status_code == 400, (url, response.status_code)
    assert NOT_UNDERSTOOD in response.body.replace("&#39;", "'")
    _assert_plain(re.sub(r"<(script|link)[^>]*>", "", response.body))


def test_the_organisation_page_with_a_bad_query_answers(app):
    org = factories.Organization()
    response = app.get(f"/organization/{org['name']}", params={"q": "foo:("}, status=None)
    assert response.status_code == 200
    _assert_plain(re.sub(r"<(script|link)[^>]*>", "", response.body))


def test_a_write_solr_refuses_says_so_in_french_and_stores_nothing(app):
    """Solr refuses a title too long to index (an immense term): CKAN answered a 500
    quoting Solr's answer; nothing was stored then, nor now."""
    sysadmin, org = ckan_factories.Sysadmin(), factories.Organization()
    headers = {"Authorization": ckan_factories.APIToken(user=sysadmin["name"])["token"]}
    response = app.post("/api/3/action/package_create", headers=headers, status=None, json={
        "name": "titre-immense", "title": "x" * 40000, "notes": "Description.", "themes": ["culture-tourisme"],
        "owner_org": org["id"], "private": True})
    assert response.status_code == 400, response.body[:300]
    assert response.json["error"]["message"].startswith("L'index de recherche a refusé ce jeu de données")
    _assert_plain(response.body)
    model.Session.remove()
    assert model.Package.get("titre-immense") is None
    # a resource whose link is too long, likewise
    dataset = factories.Dataset(owner_org=org["id"])
    response = app.post("/api/3/action/resource_create", headers=headers, status=None,
                        json={"package_id": dataset["id"], "url": "https://exemple.fr/" + "a" * 40000})
    assert response.status_code == 400
    _assert_plain(response.body)


def test_a_form_whose_write_solr_refuses_shows_no_internals(app):
    """The dataset form: CKAN's 500 page quoted Solr's answer (and, Solr down, its URL)."""
    sysadmin, org = ckan_factories.Sysadmin(), factories.Organization()
    dataset = factories.Dataset(owner_org=org["id"], private=True)
    headers = {"Authorization": ckan_factories.APIToken(user=sysadmin["name"])["token"]}
    url = f"/dataset/edit/{dataset['name']}"
    token = re.search(r'name="_csrf_token" value="([^"]+)"', app.get(url, headers=headers).body)
    response = app.post(url, headers=headers, status=None, data={
        **({"_csrf_token": token.group(1)} if token else {}), "name": dataset["name"], "title": "x" * 40000,
        "notes": "Description.", "themes": "culture-tourisme", "owner_org": org["id"], "private": "True",
        "license_id": "etalab-2.0", "publication_mode": "download", "save": ""})
    assert response.status_code == 500, response.status_code
    assert "Le portail a rencontré une erreur interne" in response.body
    _assert_plain(re.sub(r"<(script|link)[^>]*>", "", response.body))
    model.Session.remove()
    assert model.Package.get(dataset["id"]).title == dataset["title"]
