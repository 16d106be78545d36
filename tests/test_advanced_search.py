"""The advanced search (issue 12, item 2): each criterion of the search page narrows the
results (themes, producer, licence, format, publication mode, geographic level, update
frequency, the data's update period, the map box), sorts (downloads from Solr), and odd
input (an impossible date, a box with letters, an unknown theme, a sort « drop table »,
quotes) is ignored with a French notice while the search still answers.

Three datasets made for the module (real PostgreSQL and Solr), searched through the
/dataset page and package_search.
"""
from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import pytest
from ckan.tests import helpers

import ckan.model as model
from tests import factories

ANNUAL = "http://publications.europa.eu/resource/authority/frequency/ANNUAL"
MONTHLY = "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
MARSEILLE = '{"type":"Polygon","coordinates":[[[5.3,43.25],[5.45,43.25],[5.45,43.35],[5.3,43.35],[5.3,43.25]]]}'
NICE = '{"type":"Polygon","coordinates":[[[7.2,43.65],[7.3,43.65],[7.3,43.75],[7.2,43.75],[7.2,43.65]]]}'
SOLR_INTERNALS = ("SyntaxError", "org.apache", "Solr", "solr", "permission_labels", "site_id", "Traceback")


@pytest.fixture(scope="module")
def made(clean_module_db):
    """Économie (Région, download, Licence Ouverte, CSV, annual, updated 2023-03-15, in
    Marseille); Énergies (Métropole, reference, ODbL, PDF, monthly, updated 2024-06-30,
    in Nice); Culture (Région, no declared update date: its last change on DataSud)."""
    region = factories.Organization(name="as-region", title="Région Sud Provence-Alpes-Côte d'Azur (test)")
    metropole = factories.Organization(name="as-metropole", title="Métropole Nice Côte d'Azur (test)")
    economie = factories.Dataset(
        name="as-economie", title="Entreprises régionales", themes=["economie"], owner_org=region["id"],
        license_id="etalab-2.0", publication_mode="download", spatial_level="region", spatial_code="93",
        frequency=ANNUAL, modified="2023-03-15", spatial=MARSEILLE,
        resources=[{"name": "Entreprises", "url": "https://data.example.org/entreprises.csv", "format": "CSV"}])
    energie = factories.Dataset(
        name="as-energie", title="Production d'énergie", themes=["energies-reseaux"], owner_org=metropole["id"],
        license_id="odc-odbl", publication_mode="reference", url="https://metropole.example.org/energie",
        spatial_level="departement", spatial_code="06", frequency=MONTHLY, modified="2024-06-30T18:30:00+02:00",
        spatial=NICE,
        resources=[{"name": "Rapport", "url": "https://metropole.example.org/energie.pdf", "format": "PDF"}])
    culture = factories.Dataset(
        name="as-culture", title="Lieux culturels", themes=["culture-tourisme"], owner_org=region["id"],
        resources=[{"name": "Lieux", "url": "https://data.example.org/lieux.csv", "format": "CSV"}])
    return {"region": region, "metropole": metropole, "economie": economie, "energie": energie, "culture": culture}


@pytest.fixture(scope="module")
def app(made):
    """One test client for the module (CKAN's function-scoped ``app`` builds a new one,
    seconds, for each test)."""
    return helpers._get_test_app()


def results(body: str) -> list[str]:
    """Names of the datasets listed in a search page's results, in order."""
    start = body.find('class="dataset-list')
    if start < 0:
        return []
    return re.findall(r'class="dataset-heading">.*?href="/dataset/([^"/?]+)"', body[start:], flags=re.S)


def page(app, params, status=200) -> str:
    response = app.get("/dataset/?" + urlencode(params, doseq=True), status=status)
    return html.unescape(response.get_data(as_text=True))


def text(body: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("params, expected", [
    ({}, {"as-economie", "as-energie", "as-culture"}),
    ({"avance": "1"}, {"as-economie", "as-energie", "as-culture"}),
    ({"vocab_themes": "economie"}, {"as-economie"}),
    ({"organization": "as-metropole"}, {"as-energie"}),
    ({"organization": "as-region"}, {"as-economie", "as-culture"}),
    ({"license_id": "odc-odbl"}, {"as-energie"}),
    ({"res_format": "CSV"}, {"as-economie", "as-culture"}),
    ({"res_format": "PDF", "avance": "1"}, {"as-energie"}),
    ({"publication_mode": "reference"}, {"as-energie"}),
    ({"spatial_level": "region"}, {"as-economie"}),
    ({"frequency": MONTHLY}, {"as-energie"}),
    ({"ext_modified_from": "2023-01-01", "ext_modified_to": "2023-12-31"}, {"as-economie"}),
    ({"ext_modified_from": "2023-03-15", "ext_modified_to": "2023-03-15"}, {"as-economie"}),
    ({"ext_modified_to": "2024-06-30"}, {"as-economie", "as-energie"}),  # 18:30+02:00 is 16:30 UTC
    ({"ext_modified_from": "2024-07-01"}, {"as-culture"}),  # no declared date: its last change (today)
    ({"ext_modified_from": "01/01/2024", "ext_modified_to": "31/12/2024"}, {"as-energie"}),
    ({"ext_bbox": "5.2,43.2,5.5,43.4"}, {"as-economie"}),
    ({"ext_bbox": "7.0,43.5,7.5,43.9", "publication_mode": "reference"}, {"as-energie"}),
    ({"vocab_themes": "economie", "license_id": "odc-odbl"}, set()),
    ({"q": "énergie", "avance": "1", "organization": "as-metropole"}, {"as-energie"}),
], ids=lambda v: urlencode(v) if isinstance(v, dict) else None)
def test_each_criterion_narrows_the_search_page(app, made, params, expected):
    assert set(results(page(app, params))) == expected


def test_the_update_period_is_the_data_s_own_date_in_the_api_too(app, made):
    found = helpers.call_action("package_search", q="*:*", ext_modified_from="2024-01-01",
                                ext_modified_to="2024-12-31")
    assert [d["name"] for d in found["results"]] == ["as-energie"]
    response = app.get("/api/3/action/package_search", params={"ext_modified_to": "2023-12-31"})
    assert [d["name"] for d in response.json["result"]["results"]] == ["as-economie"]


@pytest.mark.parametrize("params, message", [
    ({"ext_modified_from": "2024-13-45"}, "« 2024-13-45 » n'est pas une date"),
    ({"ext_modified_to": "demain"}, "« demain » n'est pas une date"),
    ({"ext_bbox": "a,b,c,d"}, "La zone de la carte « a,b,c,d » n'est pas comprise"),
    ({"ext_bbox": "nan,nan,nan,nan"}, "n'est pas comprise"),
    ({"ext_bbox": "1,2,3"}, "n'est pas comprise"),
])
def test_odd_extras_are_a_french_400_in_the_api(app, made, params, message):
    response = app.get("/api/3/action/package_search", params=params, status=400)
    assert response.json["success"] is False
    assert message in response.json["error"]["message"]
    for word in SOLR_INTERNALS:
        assert word not in response.body


@pytest.mark.parametrize("params, notice", [
    ({"ext_modified_from": "2024-13-45"}, "« 2024-13-45 » n'est pas une date (mis à jour à partir du)"),
    ({"ext_bbox": "a,b,c,d"}, "La zone de la carte « a,b,c,d » n'est pas comprise : elle a été ignorée."),
    ({"sort": "drop table"}, "L'ordre de tri « drop table » n'existe pas : les résultats sont triés par pertinence."),
    ({"sort": "title_string asc; drop table packages"}, "L'ordre de tri"),
    ({"vocab_themes": "inconnu"}, "Critère inconnu (thème) : « inconnu ». Il a été ignoré."),
    ({"license_id": "ma-licence"}, "Critère inconnu (licence) : « ma-licence »."),
    ({"organization": "personne"}, "Critère inconnu (producteur) : « personne »."),
    ({"frequency": "souvent"}, "Critère inconnu (fréquence de mise à jour) : « souvent »."),
    ({"publication_mode": "x\" OR *:*"}, "Critère inconnu (mode de publication)"),
    ({"foo:(": "1"}, "Le critère de recherche « foo:( » n'existe pas"),
])
def test_odd_input_on_the_page_is_ignored_with_a_french_notice(app, made, params, notice):
    """Never a 500 nor Solr's words: the page answers 400 (the request was wrong) with
    the results of the rest of the search and says what it ignored."""
    body = page(app, dict(params, avance="1"), status=400)
    assert "Cette recherche n'a pas pu être comprise en entier" in body
    assert notice in body
    assert set(results(body)) == {"as-economie", "as-energie", "as-culture"}
    for word in SOLR_INTERNALS:
        assert word not in text(body)


def test_odd_input_with_valid_criteria_keeps_the_valid_ones(app, made):
    body = page(app, {"vocab_themes": ["inconnu", "economie"], "ext_modified_to": "2024-02-30"}, status=400)
    assert set(results(body)) == {"as-economie"}
    assert "« 2024-02-30 » n'est pas une date" in body and "« inconnu »" in body


def test_a_swapped_period_is_said_and_searched_the_right_way(app, made):
    body = page(app, {"ext_modified_from": "2023-12-31", "ext_modified_to": "2023-01-01"}, status=400)
    assert "ses deux dates ont été interverties" in body
    assert set(results(body)) == {"as-economie"}


def test_quotes_and_backslashes_in_a_value_are_searched_not_a_syntax_error(app, made):
    for value in ('a"b', 'CSV" OR res_format:"PDF', "\\", 'x\\"'):
        body = page(app, {"res_format": value})
        assert results(body) == [] and "Aucun jeu de données trouvé" in text(body)


def test_sort_by_downloads_comes_from_solr(app, made):
    """Counted downloads folded into PostgreSQL and the index; the search then sorts by
    the indexed count: deleting the counts in PostgreSQL (no reindex) changes nothing."""
    from ckanext.datasud import downloads
    from ckanext.datasud.model import DownloadCount

    for name, times in (("as-culture", 3), ("as-energie", 1)):
        dataset = helpers.call_action("package_show", id=name)
        for _ in range(times):
            downloads.record(dataset["id"], dataset["resources"][0]["id"])
    downloads.fold()
    model.Session.query(DownloadCount).delete()
    model.Session.commit()
    try:
        body = page(app, {"sort": "downloads desc"})
        assert results(body) == ["as-culture", "as-energie", "as-economie"]
        assert 'value="downloads desc" selected' in body
        api = helpers.call_action("package_search", q="*:*", sort="downloads desc")
        assert [d["name"] for d in api["results"]] == ["as-culture", "as-energie", "as-economie"]
    finally:
        downloads.reindex([helpers.call_action("package_show", id=n)["id"] for n in ("as-culture", "as-energie")])


def test_sort_orders_offered_in_french(app, made):
    body = page(app, {})
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', body[body.find('id="field-order-by"'):])
    assert options[:4] == [("score desc, metadata_modified desc", "Pertinence"),
                           ("metadata_modified desc", "Mis à jour récemment"),
                           ("downloads desc", "Les plus téléchargés"), ("title_string asc", "Titre A-Z")]
    assert results(page(app, {"sort": "title_string asc"})) == ["as-economie", "as-culture", "as-energie"]


def test_the_advanced_panel_opens_with_avance_or_a_criterion(app, made):
    closed = page(app, {"q": "énergie"})
    assert 'class="datasud-advanced is-closed"' in closed and 'aria-expanded="false"' in closed
    for params in ({"avance": "1"}, {"frequency": ANNUAL}, {"ext_modified_from": "2024-01-01"},
                   {"ext_bbox": "5.2,43.2,5.5,43.4"}):
        body = page(app, params)
        assert 'id="datasud-advanced" class="datasud-advanced"' in body and 'aria-expanded="true"' in body, params


def test_the_advanced_panel_has_a_labelled_field_per_criterion_in_french(app, made):
    body = page(app, {"avance": "1", "vocab_themes": "economie", "frequency": ANNUAL})
    panel = body[body.find('id="datasud-advanced"'):]
    labels = dict(re.findall(r'<label class="form-label" for="([^"]+)">([^<]+)</label>', panel))
    assert labels == {
        "advanced-vocab-themes": "Thème", "advanced-organization": "Producteur", "advanced-license-id": "Licence",
        "advanced-res-format": "Format", "advanced-publication-mode": "Mode de publication",
        "advanced-spatial-level": "Niveau géographique", "advanced-frequency": "Fréquence de mise à jour",
        "advanced-modified-from": "Données mises à jour à partir du",
        "advanced-modified-to": "Données mises à jour jusqu'au"}
    for field_id in labels:
        assert f'id="{field_id}"' in panel
    assert '<option value="economie" selected>Économie et entreprises</option>' in panel
    assert f'<option value="{ANNUAL}" selected>Annuelle</option>' in panel
    assert '<option value="reference">Référencement</option>' in panel
    # producers and formats: those of the search's results
    assert "Métropole Nice Côte d'Azur (test)</option>" not in panel
    assert '<option value="as-metropole">Métropole Nice Côte d\'Azur (test)</option>' in page(app, {"avance": "1"})
    assert 'type="date"' in panel and 'name="ext_modified_from"' in panel
    # the map filter in French, its « Effacer » link only with a box
    assert "Zone géographique (à dessiner sur la carte)" in panel and 'data-module="spatial-query"' in panel
    assert "Filter by location" not in body and ">Clear<" not in body
    with_box = page(app, {"ext_bbox": "5.2,43.2,5.5,43.4"})
    assert "Effacer la zone" in with_box
    # criteria shown by the panel are not repeated as hidden fields; « avance » is no pill
    assert 'type="hidden" name="vocab_themes"' not in body and "avance" not in text(body).lower()


def test_facets_with_french_labels_and_whole_names(app, made):
    body = page(app, {})
    words = text(body)
    for label in ("Fréquence de mise à jour", "Annuelle", "Mensuelle", "Niveau géographique", "Mode de publication",
                  "Référencement", "Téléchargement", "Économie et entreprises", "Énergies et réseaux",
                  "Métropole Nice Côte d'Azur (test)", "Région Sud Provence-Alpes-Côte d'Azur (test)",
                  "Open Database License (ODbL) 1.0"):
        assert label in words, label
    assert "Energies" not in words and "Economie" not in words
    assert '<button type="button" class="show-filters btn btn-default">Filtrer</button>' in body


def test_header_has_no_groups_and_no_typos(app, made):
    body = page(app, {})
    start = body.find('<ul class="navbar-nav')
    nav = body[start:body.find("</ul>", start)]
    assert 'href="/group/"' not in nav and "Groupes" not in nav
    assert "Jeux de données" in nav and "Partenaires" in nav
    words = text(body)
    for typo in ("resultats", "jeux des données", "Search Datasets", "Filter Results"):
        assert typo not in words and typo not in body, typo


def test_an_organisation_page_ignores_bad_criteria_too(app, made):
    response = app.get("/organization/as-region", query_string={"ext_modified_from": "2024-13-45"}, status=400)
    body = html.unescape(response.get_data(as_text=True))
    assert "« 2024-13-45 » n'est pas une date" in body
    assert set(results(body)) == {"as-economie", "as-culture"}
    body = html.unescape(app.get("/organization/as-region", query_string={"ext_modified_to": "2023-12-31"}).get_data(
        as_text=True))
    assert set(results(body)) == {"as-economie"}
