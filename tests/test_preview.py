"""Previews of data files (issue 12): the resource view ``datasud_preview`` and the
resource page.

The reading of files (``preview/reading.py``) is tested on real bytes, clean and odd:
French exports in Windows-1252, ragged rows, HTML saved as .csv, binary files, an XLSX
that is not a zip or is a zip bomb, a GeoJSON that is not JSON or is in Lambert 93, a
« PDF » that is a web page. Then through the app with real uploads: the views created by
``ckan.views.default_views`` and by ``ckan views create``, the resource page (title, the
counted download button, the preview, the additional information without empty
technical fields), and the file URL of the previews (``/apercu``: who may read it, its
headers, not counted as a download).
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import zipfile

import pytest
import redis
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud import downloads
from ckanext.datasud.preview import reading
from tests import factories

# --- Files ---------------------------------------------------------------------------------

LYCEES = "uai;nom;commune\n0130040Y;Lycée Thiers;Marseille\n0060030A;Lycée Masséna;Nice\n"
PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
             b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]/Contents 4 0 R/Resources<</Font"
             b"<</F1 5 0 R>>>>>>endobj\n4 0 obj<</Length 44>>stream\nBT /F1 24 Tf 30 100 Td (Bonjour PDF) Tj ET\n"
             b"endstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n"
             b"%%EOF\n")
CALES = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "properties": {"nom": "Cale du Vieux-Port", "commune": "Marseille", "places": 4},
         "geometry": {"type": "Point", "coordinates": [5.3698, 43.2951]}},
        {"type": "Feature", "properties": {"nom": "Cale de l'Estaque", "commune": "Marseille", "extra": {"a": 1}},
         "geometry": {"type": "LineString", "coordinates": [[5.31, 43.36], [5.32, 43.37]]}},
        {"type": "Feature", "properties": None,
         "geometry": {"type": "Polygon", "coordinates": [[[7.26, 43.69], [7.28, 43.69], [7.27, 43.70], [7.26, 43.69]]]}},
    ],
}
HTML_AS_CSV = b"<!DOCTYPE html><html><head><script>alert('pwned')</script></head><body>x;y</body></html>"


def workbook(rows, sheets=("Lycées",)) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = sheets[0]
    for row in rows:
        book.active.append(row)
    for name in sheets[1:]:
        book.create_sheet(name).append(["autre"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def table(data: bytes, rows: int = 100, delimiter=None) -> reading.Preview:
    return reading.read_table(data, rows, delimiter)


def stored(tmp_path, data: bytes, name="file") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


# --- CSV / TSV -----------------------------------------------------------------------------

def test_csv_delimiter_and_encoding_are_found():
    semicolon = table(LYCEES.encode("utf-8"))
    assert semicolon.ok and semicolon.delimiter == ";" and semicolon.encoding == "UTF-8"
    assert semicolon.columns == ["uai", "nom", "commune"]
    assert semicolon.rows == [["0130040Y", "Lycée Thiers", "Marseille"], ["0060030A", "Lycée Masséna", "Nice"]]
    assert semicolon.total_rows == 2 and not semicolon.more_rows

    # Excel's « CSV (séparateur : point-virgule) » in Windows-1252, with a BOM-less header
    latin = table("commune;région;œuvres\nÉvenos;Provence-Alpes-Côte d'Azur;€ 12\n".encode("cp1252"))
    assert latin.ok and latin.encoding == "Windows-1252"
    assert latin.columns == ["commune", "région", "œuvres"] and latin.rows == [["Évenos", "Provence-Alpes-Côte d'Azur", "€ 12"]]

    bom = table(b"\xef\xbb\xbf" + 'a,b\n"Nice, la belle","ligne\nsuivante"\n'.encode())
    assert bom.ok and bom.delimiter == "," and bom.columns == ["a", "b"]  # no BOM glued to the first header
    assert bom.rows == [["Nice, la belle", "ligne\nsuivante"]]

    utf16 = table("x\ty\n1\t2\n".encode("utf-16"))
    assert utf16.ok and utf16.encoding == "UTF-16" and utf16.rows == [["1", "2"]]

    tsv = table(b"a;b\tc\n1;2\t3\n", delimiter="\t")  # a .tsv: the tab whatever else the line holds
    assert tsv.columns == ["a;b", "c"]

    single = table(b"commune\nNice\nToulon\n")
    assert single.ok and single.columns == ["commune"] and len(single.rows) == 2


def test_csv_first_rows_only_ragged_rows_padded_wide_tables_cut():
    many = table(("n;carre\n" + "".join(f"{i};{i * i}\n" for i in range(250))).encode(), rows=100)
    assert len(many.rows) == 100 and many.rows[-1] == ["99", "9801"]
    assert many.more_rows and many.total_rows == 250

    ragged = table(b"a;b;c\n1\n1;2;3;4;5\n\n;;\n7;8;9\n")
    assert ragged.ok
    assert ragged.columns == ["a", "b", "c", "", ""]  # the longest row's width, headers padded
    assert ragged.rows == [["1", "", "", "", ""], ["1", "2", "3", "4", "5"], ["7", "8", "9", "", ""]]  # blank rows skipped

    wide = table((";".join(f"c{i}" for i in range(80)) + "\n" + ";".join("x" * 400 for _ in range(80)) + "\n").encode())
    assert len(wide.columns) == reading.MAX_COLUMNS and wide.more_columns
    assert len(wide.rows[0][0]) == reading.MAX_CELL and wide.rows[0][0].endswith("…")


@pytest.mark.parametrize("data, problem", [
    (b"", "empty"),
    (b"  \n\r\n \n", "empty"),
    (HTML_AS_CSV, "not_csv"),
    (b"\n  <html><body><table><tr><td>1</td></tr></table>", "not_csv"),
    (b'<?xml version="1.0"?><root/>', "not_csv"),
    (b"a;b\n1;2\x00\x00\x00\x01\x02", "binary"),
    (bytes(range(256)) * 20, "binary"),
    (os.urandom(4096).replace(b"\x00", b"\x01") + b"\x81\x8d\x8f" * 200, "binary"),
    (b'a;b\n"' + b"x" * 200_000 + b'";1\n', "not_csv"),  # a field beyond csv's limit
], ids=["empty", "blank", "html", "html-spaces", "xml", "nul", "bytes", "random", "huge-field"])
def test_odd_csv_give_a_reason_not_an_error(data, problem):
    preview = table(data)
    assert not preview.ok and preview.problem == problem


def test_a_file_above_the_limit_is_not_read(tmp_path):
    path = stored(tmp_path, LYCEES.encode() * 100)
    assert reading.read(reading.TABLE, path, limit=1000, rows=10).problem == "too_big"
    assert reading.read(reading.TABLE, path, limit=10_000_000, rows=10).ok
    assert reading.read(reading.TABLE, str(tmp_path / "missing"), limit=1000, rows=10).problem == "missing"
    assert reading.read(reading.TABLE, stored(tmp_path, b"", "empty"), limit=1000, rows=10).problem == "empty"


# --- XLSX ----------------------------------------------------------------------------------

def test_xlsx_first_sheet_as_a_table(tmp_path):
    rows = [["uai", "ouverture", "élèves", "taux", "public"]]
    rows += [[f"013{i:04d}Y", dt.datetime(2001, 9, 3), 1200 + i, 0.5 + i / 1000, True] for i in range(150)]
    path = stored(tmp_path, workbook(rows, sheets=("Lycées", "Notes")))
    preview = reading.read(reading.SPREADSHEET, path, limit=5_000_000, rows=100)
    assert preview.ok and preview.sheet == "Lycées" and preview.sheets == 2
    assert preview.columns == ["uai", "ouverture", "élèves", "taux", "public"]
    assert preview.rows[0] == ["0130000Y", "03/09/2001", "1200", "0.5", "VRAI"]
    assert len(preview.rows) == 100 and preview.more_rows

    formula = stored(tmp_path, workbook([["a", "b"], [1, "=A2*2"]]), "formula.xlsx")
    shown = reading.read(reading.SPREADSHEET, formula, limit=5_000_000, rows=100)
    assert shown.ok and shown.rows == [["1", ""]]  # never computed by us: the cached value (none here)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_odd_xlsx_give_a_reason_not_an_error(tmp_path):
    def problem(data: bytes) -> str:
        return reading.read(reading.SPREADSHEET, stored(tmp_path, data, "w.xlsx"), limit=1_000_000, rows=10).problem

    assert problem(LYCEES.encode()) == "not_xlsx"  # a CSV named .xlsx
    assert problem(b"PK\x03\x04 truncated zip") == "not_xlsx"
    assert problem(_zip({"word/document.xml": b"<w/>"})) == "not_xlsx"  # another Office file
    # a zip bomb: 100 MB of zeros in a few hundred kB
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                 "xl/worksheets/sheet1.xml": b"\0" * 100_000_000})
    assert len(bomb) < 1_000_000 and problem(bomb) == "xlsx_too_big"
    # the parts of a workbook, broken
    assert problem(_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"not xml"})) == "not_xlsx"
    # billion laughs in the sheet: refused by defusedxml, not expanded
    good = zipfile.ZipFile(io.BytesIO(workbook([["a"], ["b"]])))
    members = {name: good.read(name) for name in good.namelist()}
    assert problem(_zip(members)) is None
    lol = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(b"<worksheet", lol + b"<worksheet", 1)
    assert problem(_zip(members)) == "not_xlsx"


# --- GeoJSON -------------------------------------------------------------------------------

def test_geojson_checked_and_summarised():
    preview = reading.read_geojson(json.dumps(CALES).encode(), rows=2)
    assert preview.ok and preview.total_rows == 3 and preview.more_rows
    assert preview.bbox == [5.31, 43.2951, 7.28, 43.7]
    assert preview.columns == ["nom", "commune", "places", "extra"]
    assert preview.rows == [["Cale du Vieux-Port", "Marseille", "4", ""], ["Cale de l'Estaque", "Marseille", "", '{"a": 1}']]

    point = reading.read_geojson(b'{"type": "Point", "coordinates": [5.4, 43.5, 120]}', rows=10)
    assert point.ok and point.bbox == [5.4, 43.5, 5.4, 43.5] and point.columns == []
    collection = {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [6, 44]}]}
    assert reading.read_geojson(json.dumps({"type": "Feature", "geometry": collection}).encode(), 10).ok


@pytest.mark.parametrize("data, problem", [
    (b"{not json", "not_geojson"),
    (b"\xff\xfe garbage", "not_geojson"),
    (b"[1, 2, 3]", "not_geojson"),
    (b'{"type": "Topology", "objects": {}}', "not_geojson"),
    (b'{"type": "FeatureCollection", "features": {"a": 1}}', "not_geojson"),
    (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", '
     b'"coordinates": ["5", "43"]}}]}', "not_geojson"),
    (b'{"type": "Point", "coordinates": [NaN, 43]}', "not_geojson"),
    (b'{"type": "Point", "coordinates": []}', "not_geojson"),
    (b'{"type": "FeatureCollection", "features": []}', "no_geometry"),
    (b'{"type": "Feature", "geometry": null, "properties": {}}', "no_geometry"),
    (b'{"type": "Point", "coordinates": [893000.5, 6247000.2]}', "not_wgs84"),  # Lambert 93
    (b'{"type": "Point", "coordinates": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not_geojson"),
], ids=["not-json", "not-utf8", "array", "topojson", "features-object", "string-coords", "nan", "no-coords",
        "no-features", "null-geometry", "lambert93", "deep"])
def test_odd_geojson_give_a_reason_not_an_error(data, problem):
    preview = reading.read_geojson(data, rows=10)
    assert not preview.ok and preview.problem == problem


def test_pdf_checked_by_its_header_and_kinds_by_format_type_or_extension():
    assert reading.read_pdf(PDF_BYTES[:1024]).ok
    assert reading.read_pdf(b"\n\n%PDF-1.7 after a few bytes").ok
    assert reading.read_pdf(HTML_AS_CSV).problem == "not_pdf"
    kind = reading.kind_of
    assert kind({"format": "CSV"}) == kind({"format": "tsv"}) == kind({"mimetype": "text/csv"}) == reading.TABLE
    assert kind({"format": ".xlsx"}) == kind({"url": "https://x/y/Budget.XLSX"}) == reading.SPREADSHEET
    assert kind({"format": "GeoJSON"}) == kind({"format": "", "mimetype": "application/geo+json"}) == reading.GEOJSON
    assert kind({"format": "PDF"}) == reading.PDF
    assert kind({"format": "HTML"}) is None and kind({"format": "XLS"}) is None and kind({}) is None


# --- Through the app -----------------------------------------------------------------------

FILES = {  # name: (bytes, format)
    "lycees.csv": (LYCEES.encode("cp1252"), "CSV"),
    "page.csv": (HTML_AS_CSV, "CSV"),
    "cales-cassees.geojson": (b"{\"type\": \"FeatureCollection\", \"features\": [", "GeoJSON"),
    "budget-pas-zip.xlsx": (LYCEES.encode(), "XLSX"),
    "deliberation-html.pdf": (HTML_AS_CSV, "PDF"),
    "gros.csv": (LYCEES.encode() * 40, "CSV"),
    "vide.csv": (b"", "CSV"),
    "cales.geojson": (json.dumps(CALES).encode(), "GeoJSON"),
    "deliberation.pdf": (PDF_BYTES, "PDF"),
    "budget.xlsx": (workbook([["poste", "montant"], ["Lycées", 1250000.5], ["Transports", 980000]]), "XLSX"),
    "ancien.csv": (LYCEES.encode(), "CSV"),
}


def stored_files_dataset(files: dict, **dataset) -> dict:
    """A dataset whose resources are files in DataSud's storage, made in one package_create
    (a resource_create per file would reindex the dataset each time): {name: resource}."""
    resources = [{"name": name, "url": name, "url_type": "upload", "format": file_format, "size": len(data),
                  "mimetype": {"CSV": "text/csv", "PDF": "application/pdf"}.get(file_format)}
                 for name, (data, file_format) in files.items()]
    created = factories.Dataset(resources=resources, **dataset)
    by_name = {r["name"]: r for r in created["resources"]}
    for name, (data, _format) in files.items():
        path = reading.stored_path(by_name[name])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as stream:
            stream.write(data)
    return {"dataset": created, **by_name}


@pytest.fixture(scope="module")
def stored_files(clean_module_db):
    sysadmin = ckan_factories.Sysadmin()
    files = stored_files_dataset(FILES, title="Lycées publics de la région")
    link = helpers.call_action("resource_create", {"user": sysadmin["name"]}, package_id=files["dataset"]["id"],
                               name="Fiche", format="CSV", url="https://data.example.org/lycees.csv")
    private = stored_files_dataset({"cache.pdf": (PDF_BYTES, "PDF")}, private=True)
    return {**files, "link": link, "private": private, "sysadmin": sysadmin}


def page(app, dataset, resource, status=200) -> BeautifulSoup:
    response = app.get(f"/dataset/{dataset['name']}/resource/{resource['id']}", status=status)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(node) -> str:
    return re.sub(r"\s+", " ", node.get_text(" ")).strip()


def views_of(resource) -> list[str]:
    return [v["view_type"] for v in helpers.call_action("resource_view_list", id=resource["id"])]


def test_resource_page_title_download_preview_then_information(app, stored_files):
    dataset, resource = stored_files["dataset"], stored_files["lycees.csv"]
    assert views_of(resource) == ["datasud_preview"]  # ckan.views.default_views

    soup = page(app, dataset, resource)
    content = soup.select_one(".module-resource .datasud-resource")
    order = [e for e in content.find_all(True) if e.name == "h1" or "datasud-download-button" in (e.get("class") or [])
             or e.get("id") == "apercu"]
    assert [e.name for e in order] == ["h1", "a", "section"]  # title, « Télécharger », preview
    assert text(order[0]) == "lycees.csv"
    button = order[1]
    assert button["href"] == f"/dataset/{dataset['name']}/resource/{resource['id']}/telecharger"
    assert text(button) == "Télécharger (CSV, 76 o)"
    assert text(soup.select_one(".datasud-download-count")) == "0 téléchargement"

    preview = soup.select_one("#apercu")
    assert text(preview.find("h2")) == "Aperçu"
    assert [text(th) for th in preview.select("thead th")] == ["uai", "nom", "commune"]
    assert [text(td) for td in preview.select("tbody tr")[1].find_all("td")] == ["0060030A", "Lycée Masséna", "Nice"]
    assert "Séparateur : point-virgule ; encodage : Windows-1252." in text(preview)
    assert "2 lignes." in text(preview)
    assert not preview.select(".resource-view .actions")  # no « Plein écran » / « Intégrer » of CKAN's wrapper

    info = soup.select_one(".datasud-resource-info")
    labels = [text(th) for th in info.select("th[scope=row]")]
    assert "Informations complémentaires" in text(info.find("h2"))
    assert {"Format", "Taille", "Licence", "Nature"} <= set(labels)
    for hidden in ("Somme de contrôle", "ETag du fichier d'origine", "État de la copie", "Has views", "Datastore active",
                   "Copié le", "Erreur de copie", "Url type", "Position", "Cache last updated"):
        assert hidden not in text(soup), hidden
    technical = info.select_one("details.datasud-resource-technical")
    assert technical is not None and "Type de média" in text(technical)  # set: folded, not hidden
    assert not soup.select(".secondary tr")  # scheming's stray licence row is gone


@pytest.mark.ckan_config("ckanext.datasud.preview.max_size", 2000)
def test_odd_files_say_preview_unavailable_in_french_never_an_error(app, stored_files):
    dataset = stored_files["dataset"]
    cases = [
        ("page.csv", "ne peut pas être lu comme un CSV"),
        ("cales-cassees.geojson", "n'est pas un GeoJSON valide"),
        ("budget-pas-zip.xlsx", "ne peut pas être lu comme un classeur Excel"),
        ("deliberation-html.pdf", "n'est pas un document PDF"),
        ("gros.csv", "trop volumineux pour être prévisualisé (3,1 Ko ; l'aperçu s'arrête à 2 Ko)"),
        ("vide.csv", "Le fichier est vide."),
    ]
    for name, message in cases:
        resource = stored_files[name]
        soup = page(app, dataset, resource)
        unavailable = soup.select_one("#apercu .datasud-preview-unavailable")
        assert unavailable is not None, name
        assert "Aperçu indisponible" in text(unavailable) and message in text(unavailable), (name, text(unavailable))
        link = unavailable.find("a")
        assert link["href"].endswith(f"/resource/{resource['id']}/telecharger")
        assert "alert('pwned')" not in str(soup.select_one("#apercu"))  # nothing of the file in the page
        assert "<script>alert" not in str(soup)
        assert app.get(f"/dataset/{dataset['name']}/resource/{resource['id']}/apercu", status=404)


def test_xlsx_geojson_and_pdf_previews_and_their_file_url(app, stored_files):
    dataset, cales, pdf = stored_files["dataset"], stored_files["cales.geojson"], stored_files["deliberation.pdf"]
    base = f"/dataset/{dataset['name']}/resource"

    soup = page(app, dataset, stored_files["budget.xlsx"])
    assert [text(th) for th in soup.select("#apercu thead th")] == ["poste", "montant"]
    assert [[text(td) for td in tr.find_all("td")] for tr in soup.select("#apercu tbody tr")] == \
        [["Lycées", "1250000.5"], ["Transports", "980000"]]

    soup = page(app, dataset, cales)
    map_element = soup.select_one("#apercu [data-module=datasud-preview-map]")
    assert map_element["data-module-url"] == f"{base}/{cales['id']}/apercu"
    assert json.loads(map_element["data-module-bbox"]) == [5.31, 43.2951, 7.28, 43.7]
    assert json.loads(map_element["data-module-map_config"])["type"] == "custom"
    assert "3 objets sur la carte." in text(soup.select_one("#apercu"))
    assert [text(th) for th in soup.select("#apercu thead th")] == ["nom", "commune", "places", "extra"]

    soup = page(app, dataset, pdf)
    frame = soup.select_one("#apercu iframe.datasud-preview-pdf")
    assert frame["src"] == f"{base}/{pdf['id']}/apercu" and frame["title"] == "Aperçu du document deliberation.pdf"

    conn = redis.Redis.from_url(tk.config["ckan.redis.url"])
    before = conn.hgetall(downloads.pending_key())
    served = app.get(f"{base}/{pdf['id']}/apercu")
    assert served.data == PDF_BYTES
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]  # the protection of every user file, kept
    assert "private" in served.headers["Cache-Control"]
    geojson = app.get(f"{base}/{cales['id']}/apercu")
    assert geojson.headers["Content-Type"] == "application/geo+json" and json.loads(geojson.data) == CALES
    assert conn.hgetall(downloads.pending_key()) == before  # a preview is not a download
    conn.close()

    # only the kinds the browser draws, only the dataset's own resources, only for who may see them
    app.get(f"{base}/{stored_files['lycees.csv']['id']}/apercu", status=404)
    private, hidden = stored_files["private"]["dataset"], stored_files["private"]["cache.pdf"]
    app.get(f"/dataset/{private['name']}/resource/{pdf['id']}/apercu", status=404)
    app.get(f"{base}/00000000-0000-0000-0000-000000000000/apercu", status=404)
    app.get(f"/dataset/{private['id']}/resource/{hidden['id']}/apercu", status=404)
    sysadmin = stored_files["sysadmin"]["name"]
    token = helpers.call_action("api_token_create", {"user": sysadmin}, user=sysadmin, name="apercu")["token"]
    assert app.get(f"/dataset/{private['id']}/resource/{hidden['id']}/apercu",
                   headers={"Authorization": token}).data == PDF_BYTES


def test_links_have_no_preview_and_older_files_get_theirs_from_ckan_views_create(app, stored_files, cli):
    from ckan.cli.cli import ckan as ckan_command

    dataset, link, old, fresh = (stored_files[k] for k in ("dataset", "link", "ancien.csv", "lycees.csv"))
    sysadmin = {"user": stored_files["sysadmin"]["name"]}
    assert views_of(link) == []
    assert "hébergé sur un autre site" in text(page(app, dataset, link).select_one("#apercu"))
    app.get(f"/dataset/{dataset['name']}/resource/{link['id']}/apercu", status=404)
    html = helpers.call_action("resource_create", dict(sysadmin), package_id=dataset["id"], name="Site",
                               format="HTML", url="https://data.example.org/")
    assert views_of(html) == [] and "hébergé sur un autre site" in text(page(app, dataset, html).select_one("#apercu"))

    for view in helpers.call_action("resource_view_list", id=old["id"]):  # as before the plugin existed
        helpers.call_action("resource_view_delete", dict(sysadmin), id=view["id"])
    assert "Aucun aperçu" in text(page(app, dataset, old).select_one("#apercu"))
    result = cli.invoke(ckan_command, ["views", "create", "datasud_preview", "-y"])
    assert result.exit_code == 0, result.output
    # the missing view created; none added where one exists (idempotent), none for links
    assert views_of(old) == views_of(fresh) == ["datasud_preview"] and views_of(link) == views_of(html) == []

    # a link that becomes a stored file (download mode writes it with package_update; CKAN
    # makes views only for new resources and formats): its view comes with the update
    copied = helpers.call_action("resource_create", dict(sysadmin), package_id=dataset["id"], name="Copie",
                                 format="CSV", url="https://data.example.org/copie.csv")
    assert views_of(copied) == []
    pkg = helpers.call_action("package_show", id=dataset["id"])
    for resource in pkg["resources"]:
        if resource["id"] == copied["id"]:
            resource.update(url="copie.csv", url_type="upload")
    helpers.call_action("package_update", dict(sysadmin), **pkg)
    assert views_of(copied) == ["datasud_preview"]
    helpers.call_action("package_update", dict(sysadmin), **helpers.call_action("package_show", id=dataset["id"]))
    assert views_of(copied) == ["datasud_preview"] and views_of(old) == ["datasud_preview"]  # once
    assert len(page(app, dataset, old).select("#apercu tbody tr")) == 2

    # a file replaced: the new one is shown (the per-worker cache keys on the file's date and size)
    with open(reading.stored_path(old), "w", encoding="utf-8") as stream:
        stream.write("commune;habitants\nGap;40 000\nDigne;16 000\nBriançon;11 000\n")
    assert [text(th) for th in page(app, dataset, old).select("#apercu thead th")] == ["commune", "habitants"]
