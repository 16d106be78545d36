"""docs/api.md is true (issue 13, item 6): its `curl` and `ckanapi` examples are run, in
order, against a real web app serving the demo data (tests/browser.py's ``portal``: gunicorn
on a free port, config/test.ini), with an editor's and a sysadmin's API tokens; every
DataSud action is documented there and in ``help_show`` (a docstring with a ``:param``
line for each parameter it reads); the ckanapi command line finds what the search page
shows, in the same order; the French page /developpeurs lists the actions.
"""
from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from tests.browser import ADMIN, portal  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parent.parent
API_MD = ROOT / "docs" / "api.md"
BIN = Path(sys.executable).parent
EXAMPLE = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXAMPLES = EXAMPLE.findall(API_MD.read_text(encoding="utf-8"))

#: Parameters an action reads through a helper (not visible as data_dict["..."] in its body).
INDIRECT = {
    "datasud_workflow_submit": {"id"}, "datasud_workflow_legal_opinion": {"id", "comment", "document_url"},
    "datasud_workflow_committee_decision": {"id", "comment", "document_url"},
    "datasud_workflow_commission_vote": {"id", "comment", "document_url"},
    "datasud_workflow_withdraw": {"id", "document_url"}, "datasud_workflow_show": {"id"},
    "datasud_convention_show": {"id"}, "datasud_convention_delete": {"id"},
    "datasud_convention_create": {"organization_id", "reference", "kind", "status", "signed_on", "starts_on",
                                  "ends_on", "signatories", "document_url", "scope_notes", "document_upload"},
    "datasud_convention_update": {"id", "organization_id", "reference", "kind", "status", "signed_on",
                                  "starts_on", "ends_on", "signatories", "document_url", "scope_notes"},
    "datasud_publication_override_set": {"organization_id", "reason"},
    "datasud_reuse_create": {"title", "description", "url", "type", "datasets"},
    "datasud_reuse_show": {"id"}, "datasud_reuse_delete": {"id"}, "datasud_reuse_moderate": {"id"},
}
READS = re.compile(r'data_dict(?:\.get\(|\[)"(\w+)"|get_or_bust\(data_dict, "(\w+)"\)|'
                   r'_(?:required|one_of|text)\(data_dict, "(\w+)"')


def datasud_actions() -> dict[str, object]:
    """The registered actions named datasud_*, as CKAN serves them."""
    from ckanext.datasud.logic import action
    return {name: getattr(action, name) for name in action.__all__ if name.startswith("datasud_")}


@pytest.fixture(scope="module")
def tokens(portal):  # noqa: F811 - the fixture of tests/browser.py
    """An editor of the demo partner ville-de-marseille, and the demo sysadmin."""
    editor = ckan_factories.User(name="developpeuse-api", email="developpeuse@exemple.fr")
    helpers.call_action("organization_member_create", id="ville-de-marseille", username=editor["name"],
                        role="editor")
    token = lambda name: ckan_factories.APIToken(user=name)["token"]  # noqa: E731
    return {"TOKEN": token(editor["name"]), "REVIEWER_TOKEN": token(ADMIN)}


def test_the_page_has_examples():
    assert len(EXAMPLES) >= 25
    text = "\n".join(EXAMPLES)
    assert "ckanapi action" in text and "curl -sf" in text


@pytest.mark.parametrize("number", range(len(EXAMPLES)))
def test_example_runs(portal, tokens, tmp_path_factory, number):  # noqa: F811
    """Each example block exits 0 (curl -f fails on an HTTP error, ckanapi on an API
    error), in the page's order (later ones use what earlier ones made)."""
    block = EXAMPLES[number]
    env = dict(os.environ, DATASUD=portal, PATH=f"{BIN}:{os.environ['PATH']}", **tokens)
    for key in ("CKAN_INI", "CKAN_API_KEY"):
        env.pop(key, None)
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block], env=env,
                            cwd=tmp_path_factory.mktemp(f"example{number}"), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, f"example {number} failed:\n{block}\nstdout: {result.stdout[-2000:]}\n" \
                                   f"stderr: {result.stderr[-2000:]}"
    assert '"success": false' not in result.stdout


def test_every_datasud_action_is_documented_with_examples():
    text = API_MD.read_text(encoding="utf-8")
    examples = "\n".join(EXAMPLES)
    for name in datasud_actions():
        assert f"`{name}`" in text, f"{name} is not in docs/api.md"
        assert name in examples or name == "datasud_workflow_commission_vote", f"no example runs {name}"


@pytest.mark.parametrize("name", sorted(datasud_actions()))
def test_every_datasud_action_has_a_full_docstring(name):
    """help_show gives the docstring: each parameter the action reads has a ``:param``
    line, and it says what it returns."""
    function = datasud_actions()[name]
    doc = helpers.call_action("help_show", name=name)
    assert doc and doc == function.__doc__
    source = inspect.getsource(function)
    read = {next(g for g in match if g) for match in READS.findall(source)} | INDIRECT.get(name, set())
    documented = set(re.findall(r"^\s*:param (\w+):", doc, re.MULTILINE))
    assert read <= documented, f"{name}: parameters without :param: {sorted(read - documented)}"
    assert ":returns:" in doc or ":returns" in doc, f"{name}: no :returns:"


@pytest.mark.parametrize("query", ["lycées", "données", "air", "énergie marseille"])
def test_ckanapi_search_finds_what_the_search_page_shows(portal, query):  # noqa: F811
    result = subprocess.run([str(BIN / "ckanapi"), "action", "package_search", f"q={query}", "rows=20",
                             "-r", portal], capture_output=True, text=True, timeout=60,
                            env={k: v for k, v in os.environ.items() if k not in ("CKAN_INI", "CKAN_API_KEY")})
    assert result.returncode == 0, result.stderr
    api_names = [dataset["name"] for dataset in json.loads(result.stdout)["results"]]
    page = requests.get(f"{portal}/dataset/", params={"q": query}, timeout=30)
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    web_names = [a["href"].rstrip("/").rsplit("/", 1)[-1]
                 for a in soup.select("li.dataset-item .dataset-heading a[href]")]
    assert web_names == api_names
    if query in ("lycées", "données"):
        assert api_names  # the demo data has them


def test_developers_page(portal):  # noqa: F811
    page = requests.get(f"{portal}/developpeurs", timeout=30)
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.find("html")["lang"] == "fr"
    text = soup.get_text(" ")
    assert "Jetons d’API" in text and "Authorization" in text
    for name in datasud_actions():
        assert name in text, f"{name} missing from /developpeurs"
    links = {a["href"] for a in soup.find_all("a", href=True)}
    for endpoint in ("/catalog.csv", "/catalog.ttl", "/sitemap.xml"):
        assert any(href.endswith(endpoint) for href in links), endpoint
    assert f"{portal}/api/3/action/" in text
