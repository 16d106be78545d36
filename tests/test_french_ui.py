"""The French site says everything in French (issue 12, item 7): the public pages,
crawled through the app with the demo data, show no English leftover (visible text and
the attributes people hear or see: title, placeholder, aria-label, alt); the Atom feeds
say ``xml:lang="fr"`` (CKAN hard-codes ``en``) with French titles; the pages DataSud owns
have one h1 and no skipped heading level; the Conventions tab tells the truth about a
publication override. Real requests of CKAN's test client on PostgreSQL, Solr and Redis.
"""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

ADMIN = "admin-french-ui"
DATASET = "lycees-publics"
REGION = "region-sud"

# Words and phrases only English says (case-sensitive, whole words). French words that
# English shares (Description, Format, Licence, Version, Source, Type, Contact, Page,
# Info, Documentation, Action) are not in the list.
ENGLISH = re.compile(
    r"\b(the|and|of|with|your|you|this|by|found|Search|Submit|Account|Skip|Username|Email|Password|"
    r"Log in|Login|Sign up|Register|Datasets?|Organizations?|Groups?|Harvest|Create|Add|Edit|View|"
    r"Download|More|Show|Filter|Sort|Order by|Name|Last|Modified|Popular|Relevance|Activity|Stream|"
    r"Followers?|Follow|Powered|Explore|Previous|Next|Cancel|Save|Delete|Remember|Forgot|Members?|"
    r"Update|Updated|Created|Additional|Field|Value|Author|Maintainer|location|extent|Toggle|"
    r"Breadcrumb|Close|Not Found|Error|Resources?|Tags?|Home|About|Dashboard|Profile|Settings|"
    r"Recently|Reset|Request|Clear|Forbidden|Bad|Internal|parameter|integer)\b")
# Proper names that contain English words: the licences' official titles.
PROPER_NAMES = re.compile(r"Open (Data Commons|Database|Government|Licence)[^,;:()\n]*(\([^)]*\))?")


@pytest.fixture(scope="module")
def demo(clean_module_db):
    """The demo portal's content (the Région with its publication override, partners,
    datasets with resources), committed and indexed once for the module; a sysadmin's
    API token for the pages behind a login."""
    from ckanext.datasud import demo as demo_data

    demo_data.ensure_sysadmin(ADMIN, "Mot-de-passe-de-test-2024", "admin-french-ui@datasud.test")
    demo_data.load(ADMIN)
    dataset = helpers.call_action("package_show", id=DATASET)
    token = ckan_factories.APIToken(user=ADMIN)["token"]
    return {"resource": dataset["resources"][0]["id"], "organization": dataset["organization"]["name"],
            "token": token}


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def english_leftovers(page: BeautifulSoup) -> set[str]:
    """The visible strings and attributes of the page's body that hold an English word
    (code samples left out)."""
    body = page.body
    for hidden in body(["script", "style", "noscript", "template", "code", "pre", "kbd", "samp"]):
        hidden.decompose()
    strings = [s.strip() for s in body.find_all(string=True) if s.strip()]
    for element in body.find_all(True):
        if element.name == "input" and element.get("type") == "hidden":
            continue
        for attribute in ("title", "placeholder", "aria-label", "alt"):
            if isinstance(element.get(attribute), str):
                strings.append(element[attribute].strip())
        if element.name in ("button", "input") and element.get("type") in ("submit", "button"):
            if (element.get("value") or element.get_text()).strip() == "Go":
                strings.append("Go")
    found = set()
    for string in strings:
        cleaned = PROPER_NAMES.sub("", string)
        if string == "Go" or ENGLISH.search(cleaned):
            found.add(string[:120])
    return found


def public_pages(demo) -> list[str]:
    return ["/", "/dataset/", "/dataset/?q=lyc%C3%A9es", f"/dataset/{DATASET}",
            f"/dataset/{DATASET}/resource/{demo['resource']}", "/organization/",
            f"/organization/{demo['organization']}", "/partenaires", "/licence", "/a-propos", "/contact",
            "/glossaire", "/mentions-legales", "/accessibilite", "/user/login", "/user/register",
            "/reutilisations", "/developpeurs",
            "/page-qui-n-existe-pas", "/dataset/jeu-qui-n-existe-pas", "/harvest/", "/dataset/?page=abc",
            f"/dataset/{DATASET}/validation", f"/organization/activity/{demo['organization']}",
            f"/dataset/activity/{DATASET}"]


def test_public_pages_have_no_english_leftovers(app, demo):
    leftovers = {}
    for url in public_pages(demo):
        response = app.get(url)
        assert response.status_code in (200, 400, 403, 404), url
        page = soup_of(response)
        assert page.html["lang"] == "fr", url
        assert page.select('[role="main"], main'), f"{url}: no main landmark"
        found = english_leftovers(page)
        if found:
            leftovers[url] = sorted(found)
    assert not leftovers, "English on the French site:\n" + "\n".join(f"{u}: {s}" for u, s in leftovers.items())


def test_pages_behind_a_login_have_no_english_leftovers(app, demo):
    headers = {"Authorization": demo["token"]}
    leftovers = {}
    for url in ("/dataset/new", "/harvest/new", f"/organization/conventions/{REGION}", f"/user/{ADMIN}",
                "/organization/new"):
        response = app.get(url, headers=headers)
        assert response.status_code == 200, url
        found = english_leftovers(soup_of(response))
        if found:
            leftovers[url] = sorted(found)
    assert not leftovers, "English on the French site:\n" + "\n".join(f"{u}: {s}" for u, s in leftovers.items())


def test_the_word_list_finds_english(app):
    """The check above finds what it looks for (CKAN's English pages under /en/)."""
    page = soup_of(app.get("/en/user/login"))
    found = english_leftovers(page)
    assert any("Log in" in s or "Login" in s or "Username" in s for s in found), found


def test_atom_feeds_are_in_french(app, demo):
    for url in ("/feeds/dataset.atom", f"/feeds/organization/{demo['organization']}.atom",
                "/feeds/tag/lyc%C3%A9es.atom"):
        response = app.get(url)
        assert response.status_code == 200, url
        feed = response.get_data(as_text=True)
        assert 'xml:lang="fr"' in feed, url
        subtitle = re.search(r"<subtitle>([^<]*)</subtitle>", feed).group(1)
        assert subtitle.startswith("Jeux de données récemment créés ou mis à jour sur"), subtitle
        assert "Recently" not in feed and "Organization:" not in feed, url
    organization = app.get(f"/feeds/organization/{demo['organization']}.atom").get_data(as_text=True)
    assert re.search(r"<title>[^<]* - organisation « [^<]+ »</title>", organization)
    # English under /en/, as the page
    english = app.get("/en/feeds/dataset.atom").get_data(as_text=True)
    assert 'xml:lang="en"' in english and "Recently created or updated datasets on" in english


def test_one_h1_and_no_skipped_heading_level(app, demo):
    wrong = {}
    for url in ("/", "/partenaires", "/a-propos", "/contact", "/glossaire", "/mentions-legales", "/accessibilite",
                "/licence", "/user/login", "/page-qui-n-existe-pas", "/dataset/", "/organization/",
                f"/organization/{demo['organization']}"):
        page = soup_of(app.get(url))
        levels = [int(h.name[1]) for h in page.body.find_all(re.compile(r"^h[1-6]$"))]
        # one h1; from the h1 on, a heading goes at most one level deeper than the one before
        after = levels[levels.index(1):] if 1 in levels else []
        if levels.count(1) != 1 or any(b > a + 1 for a, b in zip(after, after[1:])):
            wrong[url] = levels
    assert not wrong, wrong


def test_conventions_tab_says_the_override_lets_the_region_publish(app, demo):
    headers = {"Authorization": demo["token"]}
    page = soup_of(app.get(f"/organization/conventions/{REGION}", headers=headers))
    state = re.sub(r"\s+", " ", page.select_one(".datasud-convention-state").get_text(" ", strip=True))
    assert "dérogation de publication est enregistrée" in state and "elle peut publier" in state, state
    assert "ne peuvent pas être rendus publics" not in state
    assert "Motif" in page.select_one(".datasud-publication-override-reason").get_text()

    # an organisation with neither convention nor override is told it cannot publish
    lonely = ckan_factories.Organization(name="sans-convention-french-ui", title="Sans convention")
    page = soup_of(app.get(f"/organization/conventions/{lonely['name']}", headers=headers))
    state = re.sub(r"\s+", " ", page.select_one(".datasud-convention-state").get_text(" ", strip=True))
    assert not page.select(".datasud-publication-override")
    assert "convention en vigueur" in state and "ne peuvent pas être rendus publics" in state, state
    assert "dérogation" not in state, state


def test_becoming_a_partner_leads_to_the_contact_form(app, demo):
    for url in ("/partenaires", "/", "/a-propos"):
        page = soup_of(app.get(url))
        links = [a for a in page.find_all("a") if re.search("devenir partenaire", a.get_text(), re.I)]
        assert links, url
        assert {a["href"] for a in links} == {"/contact?sujet=partenariat"}, url
    form = soup_of(app.get("/contact?sujet=partenariat"))
    assert form.select_one("input[name=subject]")["value"] == "Devenir partenaire de DataSud"


def test_javascript_modules_are_translated(app):
    """CKAN's JS modules get their French (built at start-up: js_translations.py), ours
    included (« Edit » beside the dataset's URL, the confirmation dialogs…)."""
    translations = app.get("/api/i18n/fr").json
    assert translations[""]["lang"] == "fr"
    for msgid in ("Edit", "Cancel", "Confirm", "Upload", "Remove"):
        assert translations.get(msgid) and translations[msgid][1] and translations[msgid][1] != msgid, msgid
    assert translations["Close"] == [None, "Fermer"]  # from DataSud's catalogue (CKAN's has none)
