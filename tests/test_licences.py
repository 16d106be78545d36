"""Licences: the list CKAN serves, the mapping of harvested licence values, the /licence page."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests import factories

from ckanext.datasud import licences
from ckanext.datasud.licences import DEFAULT_LICENCE_ID, licence_id_for, licence_uri

ROOT = Path(__file__).resolve().parent.parent
LICENCES_JSON = json.loads((ROOT / "config" / "licenses.json").read_text(encoding="utf-8"))
OUR_IDS = ["etalab-2.0", "etalab-1.0", "odc-odbl", "cc-by-4.0", "cc-by-sa-4.0", "cc-zero", "notspecified"]


# --- licence_id_for: good values --------------------------------------------------------

GOOD = {
    "etalab-2.0": [
        "etalab-2.0", "ETALAB-2.0", " etalab-2.0 ", "Etalab 2.0",
        "lov2", "LOV2", "lo-2.0",
        "Licence Ouverte v2.0", "licence ouverte v2.0", "LICENCE OUVERTE 2.0", "Licence  Ouverte   2.0",
        "Licence Ouverte version 2.0", "Licence Ouverte v2.0 (Etalab)",
        "Licence Ouverte / Open Licence version 2.0", "Licence Ouverte / Open Licence version 2.0 (Etalab)",
        "Open Licence 2.0", "Open Licence version 2.0",
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
        "http://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "http://etalab.gouv.fr/licence-ouverte-open-licence",
        "HTTPS://WWW.ETALAB.GOUV.FR/LICENCE-OUVERTE-OPEN-LICENCE/",
        "https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf",
        "https://spdx.org/licenses/etalab-2.0", "http://spdx.org/licenses/etalab-2.0.html",
        "https://spdx.org/licenses/etalab-2.0.json",
    ],
    "etalab-1.0": [
        "etalab-1.0", "fr-lo", "FR-LO", "fr_lo", "lov1", "lo-1.0", "LO/OL",
        "Licence Ouverte", "licence ouverte", "Licence Ouverte / Open Licence", "Open Licence",
        "Licence Ouverte v1.0", "Licence Ouverte 1.0", "Licence Ouverte / Open Licence version 1.0 (Etalab)",
        "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
        "http://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
        "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Open_Licence.pdf",
    ],
    "odc-odbl": [
        "odc-odbl", "ODC-ODbL", "odbl", "ODbL", "ODBL", " ODbL ", "ODbL-1.0", "ODbL 1.0", "odbl_1.0",
        "Open Database License", "Open Database Licence", "Open Database License (ODbL)",
        "Open Database License (ODbL) 1.0", "Open Data Commons Open Database License (ODbL)",
        "Open Data Commons Open Database License 1.0", "Licence ODbL",
        "https://opendatacommons.org/licenses/odbl/1-0/", "http://opendatacommons.org/licenses/odbl/1-0/",
        "http://opendatacommons.org/licenses/odbl/1-0", "https://opendatacommons.org/licenses/odbl/",
        "http://opendatacommons.org/licenses/odbl", "https://opendatacommons.org/licenses/odbl/summary/",
        "http://www.opendefinition.org/licenses/odc-odbl", "https://opendefinition.org/licenses/odc-odbl/",
        "https://spdx.org/licenses/ODbL-1.0", "http://spdx.org/licenses/ODbL-1.0.html",
    ],
    "cc-by-4.0": [
        "cc-by-4.0", "CC-BY-4.0", "cc-by", "CC-BY", "CC BY", "CC BY 4.0", "cc_by_4.0",
        "Creative Commons Attribution", "Creative Commons Attribution 4.0 International",
        "Créative Commons Paternité 4.0",
        "https://creativecommons.org/licenses/by/4.0/", "http://creativecommons.org/licenses/by/4.0",
        "https://creativecommons.org/licenses/by/4.0/legalcode",
        "https://creativecommons.org/licenses/by/4.0/deed.fr",
        "http://www.opendefinition.org/licenses/cc-by",
        "https://spdx.org/licenses/CC-BY-4.0", "https://spdx.org/licenses/CC-BY-4.0.html",
    ],
    "cc-by-sa-4.0": [
        "cc-by-sa-4.0", "CC-BY-SA-4.0", "cc-by-sa", "CC-BY-SA", "CC BY-SA", "cc by sa", "CC BY-SA 4.0",
        "Creative Commons Attribution Share-Alike", "Creative Commons Attribution-ShareAlike 4.0 International",
        "Creative Commons Attribution - Partage dans les mêmes conditions 4.0",
        "Creative Commons Attribution - Partage dans les memes conditions 4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/", "http://creativecommons.org/licenses/by-sa/4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/legalcode.fr",
        "http://www.opendefinition.org/licenses/cc-by-sa",
        "https://spdx.org/licenses/CC-BY-SA-4.0",
    ],
    "cc-zero": [
        "cc-zero", "CC0", "cc0", "CC0-1.0", "CC0 1.0", "CC0 1.0 Universal", "Creative Commons CCZero",
        "https://creativecommons.org/publicdomain/zero/1.0/", "http://creativecommons.org/publicdomain/zero/1.0",
        "https://creativecommons.org/publicdomain/zero/1.0/legalcode",
        "https://spdx.org/licenses/CC0-1.0",
    ],
    "notspecified": [
        "notspecified", "NotSpecified", "other-open", "other-at", "other-pd", "License not specified",
        "Licence non précisée", "licence non precisee", "Autre licence",
    ],
}


# One test per licence (not per value): each test reloads the plugins, which is slow.
@pytest.mark.parametrize("expected", list(GOOD))
def test_licence_id_for_known_values(expected):
    wrong = {value: licence_id_for(value) for value in GOOD[expected] if licence_id_for(value) != expected}
    assert wrong == {}


def test_every_alias_id_url_and_uri_of_licenses_json_maps_to_its_entry():
    for entry in LICENCES_JSON:
        values = [entry["id"], entry["title"], *entry.get("aliases", [])]
        values += [v for v in (entry.get("url"), entry.get("uri")) if v]
        for value in values:
            assert licence_id_for(value) == entry["id"], value


def test_no_alias_is_claimed_by_two_licences():
    table, conflicts = licences._build_alias_table(LICENCES_JSON)
    assert conflicts == {}
    assert set(table.values()) == set(OUR_IDS)


UNKNOWN = [
    None, "", "   ", 42, "inconnue", "GPL-3.0", "MIT", "Apache-2.0", "CC-BY-NC", "CC BY-NC 4.0",
    "CC-BY-ND-4.0", "CC BY-NC-SA 4.0", "cc-by-3.0", "CC-BY-SA 3.0", "odc-by", "ODC-BY",
    "Open Data Commons Attribution License", "odc-pddl", "Public Domain Dedication and License",
    "uk-ogl", "other-closed", "other-nc", "Licence Ouverte (Etalab)", "Licence Ouverte 3.0",
    "Licence Ouverte v2.1", "https://example.org/licence", "https://creativecommons.org/licenses/by-nc/4.0/",
    "https://creativecommons.org/licenses/by/3.0/", "https://opendatacommons.org/licenses/by/1-0/",
    "https://www.etalab.gouv.fr/", "licence", "ouverte", "odbl cc-by", "ODbL ou CC-BY",
]


def test_licence_id_for_unknown_values_is_none():
    mapped = {repr(value): licence_id_for(value) for value in UNKNOWN if licence_id_for(value) is not None}
    assert mapped == {}


ODBL_SPELLINGS = [
    "ODbL", "odbl", "ODBL", "odc-odbl", "ODC-ODBL", "ODbL-1.0", "ODbL 1.0", "ODbL v1.0", "odbl1.0",
    "odc_odbl", "Open Database License", "Open Database Licence", "OPEN DATABASE LICENSE (ODBL)",
    "Open Data Commons Open Database License", "Open Data Commons Open Database License (ODbL) v1.0",
    "Licence ODbL", "Licence ODbL 1.0", "ODbL (Open Database License)", "ODbL - Open Database License",
    "CC-BY ODbL", "ODbL/CC-BY", "odbl-cc-by", "Open Database License CC-BY",
    "http://opendatacommons.org/licenses/odbl/1.0/", "https://opendatacommons.org/licenses/odbl/1-0/",
    "opendatacommons.org/licenses/odbl/1-0", "//opendatacommons.org/licenses/odbl/1-0/",
    "www.opendatacommons.org/licenses/odbl/", "https://opendatacommons.org/licenses/odbl/1-0/index.html",
    "http://www.opendefinition.org/licenses/odc-odbl", "https://spdx.org/licenses/ODbL-1.0.json",
]


def test_odbl_never_maps_to_cc_by():
    results = {value: licence_id_for(value) for value in ODBL_SPELLINGS}
    assert set(results.values()) <= {"odc-odbl", None}
    assert not [value for value, result in results.items() if (result or "").startswith("cc-by")]


def test_odbl_common_spellings_map_to_odbl():
    mapped = {value: licence_id_for(value) for value in ODBL_SPELLINGS}
    unmapped = [value for value, result in mapped.items() if result != "odc-odbl"]
    # Only the values naming two licences stay unmapped (to be reported, not guessed).
    assert sorted(unmapped) == sorted(["CC-BY ODbL", "ODbL/CC-BY", "odbl-cc-by", "Open Database License CC-BY"])


def test_safety_net_refuses_a_wrong_alias():
    """Even if licenses.json wrongly listed ODbL or CC-BY-SA names under CC-BY, no match."""
    broken = [dict(entry) for entry in LICENCES_JSON]
    cc_by = next(entry for entry in broken if entry["id"] == "cc-by-4.0")
    cc_by["aliases"] = cc_by["aliases"] + ["ODbL-2", "Open Database License 2", "CC BY-SA 2", "cc-by-nc"]
    table, conflicts = licences._build_alias_table(broken)
    for wrong in ("odbl 2", "open database license 2", "cc by sa 2", "cc by nc"):
        assert wrong not in table
        assert wrong in conflicts


def test_cc_by_sa_is_not_cc_by():
    for value in ("cc-by-sa", "CC-BY-SA", "CC BY-SA", "cc_by_sa", "CC-BY-SA-4.0", "cc by-sa 4.0",
                  "Creative Commons Attribution-ShareAlike", "https://creativecommons.org/licenses/by-sa/4.0/"):
        assert licence_id_for(value) == "cc-by-sa-4.0", value


def test_fr_lo_is_version_1_and_lov2_is_version_2():
    """data.gouv.fr: fr-lo = Licence Ouverte / Open Licence (2011), lov2 = version 2.0 (2017)."""
    assert licence_id_for("fr-lo") == "etalab-1.0"
    assert licence_id_for("lov2") == "etalab-2.0"
    assert licence_id_for("Licence Ouverte") == "etalab-1.0"


# --- licence_uri ------------------------------------------------------------------------

@pytest.mark.parametrize("entry", LICENCES_JSON, ids=[e["id"] for e in LICENCES_JSON])
def test_licence_uri_matches_licenses_json(entry):
    if entry["id"] == "notspecified":
        assert licence_uri("notspecified") in (None, "")
    else:
        assert entry["uri"].startswith("http")
        assert licence_uri(entry["id"]) == entry["uri"]


def test_licence_uri_of_unknown_or_empty_is_none():
    assert licence_uri("gpl-3.0") is None
    assert licence_uri("") is None
    assert licence_uri(None) is None


def test_licence_uri_values():
    assert licence_uri("etalab-2.0") == "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    assert licence_uri("odc-odbl") == "http://opendatacommons.org/licenses/odbl/1-0/"
    assert licence_uri("cc-by-4.0") == "http://creativecommons.org/licenses/by/4.0/"


def test_default_licence_is_licence_ouverte_2():
    assert DEFAULT_LICENCE_ID == "etalab-2.0"
    assert LICENCES_JSON[0]["id"] == DEFAULT_LICENCE_ID
    assert licences.licence_title(DEFAULT_LICENCE_ID).startswith("Licence Ouverte / Open Licence version 2.0")


# --- license_list -----------------------------------------------------------------------

def test_license_list_api_returns_our_licences_default_first(app):
    response = app.get("/api/3/action/license_list")
    assert response.status_code == 200
    result = response.json["result"]
    assert [licence["id"] for licence in result] == OUR_IDS
    assert result[0]["id"] == "etalab-2.0"
    by_id = {licence["id"]: licence for licence in result}
    assert by_id["odc-odbl"]["title"] == "Open Database License (ODbL) 1.0"
    assert by_id["etalab-2.0"]["uri"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    assert by_id["etalab-2.0"]["od_conformance"] == "approved"


def test_licences_function_lists_the_register():
    assert [licence["id"] for licence in licences.licences()] == OUR_IDS


# --- /licence page ----------------------------------------------------------------------

def _counts(html: str) -> dict[str, str]:
    soup = BeautifulSoup(html, "html.parser")
    return {row["data-licence-id"]: row.select_one(".datasud-licence-count").get_text(strip=True)
            for row in soup.select("tr[data-licence-id]")}


def test_licence_page_explains_licence_ouverte_in_french(app):
    response = app.get("/licence")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<html lang="fr"' in body
    for text in ("Licence Ouverte", "réutiliser", "usage commercial", "monde entier", "sans limite de durée",
                 "paternité", "Source : Région Sud – DataSud, mise à jour du 12/03/2024",
                 "CC-BY 4.0", "ODC-BY", "Open Government Licence", "données à caractère personnel",
                 "droits de tiers"):
        assert text in body, text
    soup = BeautifulSoup(body, "html.parser")
    links = [a["href"] for a in soup.find_all("a", href=True)]
    assert "https://www.etalab.gouv.fr/licence-ouverte-open-licence/" in links


def test_licence_page_lists_every_licence(app):
    body = app.get("/licence").get_data(as_text=True)
    soup = BeautifulSoup(body, "html.parser")
    rows = soup.select("tr[data-licence-id]")
    assert [row["data-licence-id"] for row in rows] == OUR_IDS
    text = soup.get_text(" ")
    for entry in LICENCES_JSON:
        assert entry["title"] in text
        if entry["url"]:
            row = soup.select_one(f'tr[data-licence-id="{entry["id"]}"]')
            assert row.find("a", href=entry["url"]) is not None


def test_licence_page_route_is_named(app):
    import ckan.plugins.toolkit as tk
    with app.flask_app.test_request_context():
        assert tk.h.url_for("datasud.licence") == "/licence"


def test_licence_page_counts_public_datasets_per_licence(app, clean_db, clean_index):
    org = factories.Organization()
    factories.Dataset(license_id="odc-odbl", owner_org=org["id"])
    factories.Dataset(license_id="odc-odbl", owner_org=org["id"])
    factories.Dataset(license_id="etalab-2.0", owner_org=org["id"])
    # Private datasets are not counted.
    factories.Dataset(license_id="cc-by-4.0", owner_org=org["id"], private=True)

    counts = _counts(app.get("/licence").get_data(as_text=True))
    assert counts == {"etalab-2.0": "1", "etalab-1.0": "0", "odc-odbl": "2", "cc-by-4.0": "0",
                      "cc-by-sa-4.0": "0", "cc-zero": "0", "notspecified": "0"}


def test_licence_page_count_links_to_the_filtered_search(app, clean_db, clean_index):
    factories.Dataset(license_id="cc-zero", owner_org=factories.Organization()["id"])
    soup = BeautifulSoup(app.get("/licence").get_data(as_text=True), "html.parser")
    link = soup.select_one('tr[data-licence-id="cc-zero"] .datasud-licence-count a')
    assert link is not None and link.get_text(strip=True) == "1"
    assert "license_id=cc-zero" in link["href"]


def test_licence_page_is_in_the_main_navigation(app):
    from bs4 import BeautifulSoup
    nav = BeautifulSoup(app.get("/").body, "html.parser").find(id="main-navigation-toggle")
    link = nav.find("a", href="/licence")
    assert link is not None and link.text.strip() == "Licence"
