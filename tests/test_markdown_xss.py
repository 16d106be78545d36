"""CVE-2025-54384 regression: Markdown and HTML written by a partner (a dataset's
description, a resource's description, an organisation's description) render harmless on
every page that shows them: no script, no event handler, no javascript:/vbscript:/data:
link, whatever the case, spaces, control characters or HTML entities used to hide them.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from tests import factories

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

# Each payload calls alert()/msgbox() or carries a base64 script: what must never become live.
PAYLOADS = [
    '<script>alert("xss")</script>',
    '<SCRIPT SRC=//evil.example/x.js></SCRIPT>alert(1)',
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](  javascript:alert(1))",
    "[clic](&#106;avascript:alert(1))",
    "[clic](&#x6A;avascript&#x3A;alert(1))",
    "[clic](java&#x09;script:alert(1))",
    "[clic](vbscript:msgbox(1))",
    "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[clic][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '<img src=x onerror=alert(1)>',
    '![image](x" onerror="alert(1))',
    '<a href="javascript:alert(1)">clic</a>',
    '<a href="&#14;javascript:alert(1)">clic</a>',
    '<a href="jav&#x0A;ascript:alert(1)">clic</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<svg onload=alert(1)>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '&lt;script&gt;alert(1)&lt;/script&gt;',
]
TEXT = "\n\n".join(f"Paragraphe {i} : {p}" for i, p in enumerate(PAYLOADS))
DANGER = re.compile(r"alert|msgbox|PHNjcmlw", re.IGNORECASE)
ACTIVE_SCHEMES = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)


class LiveParts(HTMLParser):
    """What a browser would run: script bodies, event handlers, active links and sources."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False
        self._data_island = False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        # data islands (JSON-LD of the dataset, with the description in it) are not run;
        # they must not let the text close their element (checked in handle_data)
        self._data_island = tag == "script" and (dict(attrs).get("type") or "").endswith(("json", "ld+json"))
        for name, value in attrs:
            value = value or ""
            # browsers drop whitespace and control characters inside a URL's scheme
            squeezed = re.sub(r"[\x00-\x20]", "", html.unescape(value))
            if name.startswith("on") and DANGER.search(value):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "data", "xlink:href", "style") and (
                    ACTIVE_SCHEMES.match(squeezed) or "javascript:" in squeezed.lower()) and DANGER.search(squeezed):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag in ("iframe", "object", "embed", "svg", "math") and DANGER.search(str(attrs)):
            self.found.append(f"<{tag} {attrs!r}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and self._data_island:
            if "<" in data:
                self.found.append(f"<script json> with raw '<': {data[:80]}")
        elif self._in_script and DANGER.search(data):
            self.found.append(f"<script>{data[:80]}")


def live_parts(body: str) -> list[str]:
    parser = LiveParts()
    parser.feed(body)
    return parser.found


@pytest.fixture
def hostile():
    sysadmin = ckan_factories.Sysadmin()
    org = factories.Organization(description=TEXT)
    dataset = factories.Dataset(owner_org=org["id"], notes=TEXT, title="Jeu piégé")
    resource = helpers.call_action("resource_create", {"user": sysadmin["name"]}, package_id=dataset["id"],
                                   url="https://exemple.fr/donnees.csv", name="Données", description=TEXT)
    return {"org": org, "dataset": dataset, "resource": resource}


def test_the_payloads_are_stored_as_written(hostile):
    # stored as text: the defence is in how they are rendered
    assert helpers.call_action("package_show", id=hostile["dataset"]["id"])["notes"] == TEXT


@pytest.mark.parametrize("page", ["dataset", "resource", "organization", "organization_about", "search",
                                  "activity", "home"])
def test_partner_markdown_renders_harmless(app, hostile, page):
    ds, res, org = hostile["dataset"], hostile["resource"], hostile["org"]
    url = {"dataset": f"/dataset/{ds['name']}",
           "resource": f"/dataset/{ds['name']}/resource/{res['id']}",
           "organization": f"/organization/{org['name']}",
           "organization_about": f"/organization/about/{org['name']}",
           "search": "/dataset/?q=piégé",
           "activity": f"/dataset/activity/{ds['name']}",
           "home": "/"}[page]
    response = app.get(url)
    assert response.status_code == 200
    assert live_parts(response.body) == [], url
    if page in ("dataset", "resource", "organization_about"):
        # the text itself is still shown (escaped), not dropped
        assert "Paragraphe 0" in response.body


def test_the_parser_sees_live_parts():
    """The check above is not blind: raw payloads are flagged."""
    assert live_parts('<a href="java&#x0A;script:alert(1)">x</a>')
    assert live_parts("<img src=x onerror=alert(1)>")
    assert live_parts("<script>alert(1)</script>")
    assert live_parts('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>')
    assert live_parts('<script type="application/ld+json">{"d": "<b>"}</script>')
    assert not live_parts('<script type="application/ld+json">{"d": "\\u003cscript\\u003ealert(1)"}</script>')
