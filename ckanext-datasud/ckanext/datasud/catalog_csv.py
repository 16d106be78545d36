"""``/catalog.csv``: the whole public catalogue in OpenDataFrance's « catalogue simplifié »
layout, for the French aggregators of local open data.

The layout is the Socle Commun des Données Locales' schema ``scdl/catalogue`` version
0.1.2 (https://schema.data.gouv.fr/scdl/catalogue/0.1.2/documentation.html, source
https://git.opendatafrance.net/scdl/catalogue): its 20 columns, in its order and with its
names (``COLUMNS``), missing values as empty cells. The file follows the SCDL's
« Recommandations relatives aux jeux de données » (CSV, UTF-8, columns separated by a
comma, several values in one cell separated by a semicolon, ``text/csv``), RFC 4180
quoting (a cell holding a comma, a quote or a line break is quoted, quotes doubled; lines
end with CRLF), dates as AAAA-MM-JJ (ISO 8601), the keywords and formats in lower case
without accents, and the closed lists of the schema for ``COUV_SPAT_MAILLE``, ``FREQ_MAJ``
and ``LICENCE``.

Byte order mark: none by default. The file is first read by programs (the aggregators,
Validata, csvkit, pandas), for which a BOM is a stray character glued to the first column
name (« \\ufeffCOLL_NOM »). Excel, on the other hand, reads a UTF-8 file without BOM as
Windows-1252 (« Ã© » for « é ») and, in a French locale, splits columns on « ; »:
``/catalog.csv?excel=1`` gives the same rows for it, with a BOM and « ; » between columns.

What is listed is what an anonymous visitor sees: ``package_search`` as the anonymous user
(published public datasets only, never a draft nor a private one), ``?organization=<name>``
for one partner's. The file is streamed: pages of ``PAGE_SIZE`` datasets fetched by keyset
paging on the dataset name (each page starts after the last name written, so each Solr
query costs the same at the 20,000th dataset as at the first and the memory used does not
grow with the catalogue); the organisations are looked up once each.

CSV injection (OWASP « CSV Injection »): a cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is prefixed with a single quote, so that a spreadsheet shows
it as text instead of running it as a formula.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import unicodedata
from typing import Any, Iterable, Iterator, Optional

from flask import Blueprint, Response, stream_with_context

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.datasud import vocabularies

log = logging.getLogger(__name__)

__all__ = ["datasud_catalog_csv", "COLUMNS", "catalogue_rows", "row_of", "neutralised", "csv_lines"]

datasud_catalog_csv = Blueprint("datasud_catalog_csv", __name__)

_ = tk._

#: The columns of scdl/catalogue 0.1.2, in its order.
COLUMNS = (
    "COLL_NOM", "COLL_SIRET", "ID", "TITRE", "DESCRIPTION", "THEME", "PRODUCTEUR_NOM",
    "PRODUCTEUR_SIRET", "COUV_SPAT_MAILLE", "COUV_SPAT_NOM", "COUV_TEMP_DEBUT", "COUV_TEMP_FIN",
    "DATE_PUBL", "FREQ_MAJ", "DATE_MAJ", "MOTS_CLES", "LICENCE", "NOMBRE_RESSOURCES",
    "FORMAT_RESSOURCES", "URL",
)

#: Datasets per Solr query (below CKAN's ``ckan.search.rows_max``, 1000 by default).
PAGE_SIZE = 500

#: The schema's closed list for COUV_SPAT_MAILLE, from DataSud's coverage level.
SPATIAL_GRAIN = {"commune": "Communale", "epci": "Intercommunale", "departement": "Départementale",
                 "region": "Régionale"}

#: The schema's closed list for FREQ_MAJ, from the EU frequency code DataSud stores.
FREQUENCY_LABELS = {
    "CONT": "Continuelle", "DAILY": "Quotidienne ou plusieurs fois par jour",
    "WEEKLY": "Hebdomadaire ou plusieurs fois par semaine", "MONTHLY": "Mensuelle ou plusieurs fois par mois",
    "QUARTERLY": "Trimestrielle", "ANNUAL_2": "Semestrielle", "ANNUAL": "Annuelle", "BIENNIAL": "Biennale",
    "IRREG": "Irrégulière", "NEVER": "Ponctuelle", "UNKNOWN": "Inconnue",
}

#: The schema's closed list for LICENCE, from DataSud's licence ids (config/licenses.json).
LICENCE_LABELS = {
    "etalab-2.0": "Licence Ouverte-LO", "etalab-1.0": "Licence Ouverte-LO",
    "odc-odbl": "Open Database License-ODBL",
    "cc-by-4.0": "Creative Commons-CC", "cc-by-sa-4.0": "Creative Commons-CC", "cc-zero": "Creative Commons-CC",
}
OTHER_LICENCE = "Spécifique ou autre"

#: What a spreadsheet would read as the start of a formula (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

SIRET = re.compile(r"^\d{14}$")
NAME = re.compile(r"^[a-z0-9_-]{1,100}$")


def neutralised(value: Any) -> str:
    """A cell as text a spreadsheet will not run: prefixed with ``'`` when it starts like
    a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def _plain(text: str) -> str:
    """Lower case without accents (the schema's rule for keywords and formats); a « ; »
    inside one value becomes a « , » (« ; » separates the values)."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace(";", ",")


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def _date(value: Any) -> str:
    """AAAA-MM-JJ from an ISO date or date-time; empty when unreadable."""
    text = str(value or "").strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return text[:10]
    return ""


def _siret(org: Optional[dict]) -> str:
    value = re.sub(r"\s", "", str((org or {}).get("siret") or ""))
    return value if SIRET.match(value) else ""


def _frequency(uri: Optional[str]) -> str:
    code = str(uri or "").rsplit("/", 1)[-1]
    return FREQUENCY_LABELS.get(code, "")


def _themes(values: Any) -> str:
    if isinstance(values, str):
        values = [values]
    labels = [vocabularies.THEMES_BY_SLUG[v].fr for v in values or [] if v in vocabularies.THEMES_BY_SLUG]
    return ";".join(label.replace(";", ",") for label in labels)


def row_of(dataset: dict, org: Optional[dict], site_url: str) -> list[Any]:
    """One dataset as the schema's 20 cells (not yet neutralised)."""
    org_name = (org or {}).get("title") or (dataset.get("organization") or {}).get("title") or ""
    siret = _siret(org)
    data_resources = [r for r in dataset.get("resources") or [] if (r.get("resource_type") or "data") != "document"]
    return [
        org_name,
        siret,
        dataset.get("name") or "",
        dataset.get("title") or "",
        dataset.get("notes") or "",
        _themes(dataset.get("themes")),
        org_name,
        siret,
        SPATIAL_GRAIN.get(dataset.get("spatial_level") or "", ""),
        dataset.get("spatial_text") or "",
        _date(dataset.get("temporal_start")),
        _date(dataset.get("temporal_end")),
        _date(dataset.get("issued")) or _date(dataset.get("metadata_created")),
        _frequency(dataset.get("frequency")),
        _date(dataset.get("modified")) or _date(dataset.get("metadata_modified")),
        ";".join(_unique(_plain(t.get("name") or "") for t in dataset.get("tags") or [])),
        LICENCE_LABELS.get(dataset.get("license_id") or "", OTHER_LICENCE),
        len(data_resources),
        ";".join(_unique(_plain(r.get("format") or "") for r in data_resources)),
        f"{site_url}/dataset/{dataset.get('name')}",
    ]


def _search_page(organization: Optional[str], after: Optional[str]) -> list[dict]:
    """The next ``PAGE_SIZE`` public datasets by name, after the name ``after``."""
    fq = ["+dataset_type:dataset"]
    if organization:
        fq.append(f'+organization:"{organization}"')
    if after:
        fq.append(f'+name:{{"{after}" TO *]')
    result = tk.get_action("package_search")(
        {"user": "", "ignore_auth": False},  # the anonymous visitor: public, published datasets only
        {"q": "*:*", "fq": " ".join(fq), "sort": "name asc", "rows": PAGE_SIZE, "start": 0,
         "include_private": False, "include_drafts": False})
    return result["results"]


def catalogue_rows(organization: Optional[str] = None, first_page: Optional[list[dict]] = None,
                   ) -> Iterator[list[Any]]:
    """Every public dataset (of one organisation, by name) as its row, in name order."""
    site_url = tk.config.get("ckan.site_url").rstrip("/")
    orgs: dict[str, Optional[dict]] = {}
    page = first_page if first_page is not None else _search_page(organization, None)
    while page:
        for dataset in page:
            org_id = dataset.get("owner_org") or ""
            if org_id not in orgs:
                orgs[org_id] = _organization(org_id)
            yield row_of(dataset, orgs[org_id], site_url)
        if len(page) < PAGE_SIZE:
            return
        page = _search_page(organization, page[-1]["name"])


def _organization(org_id: str) -> Optional[dict]:
    if not org_id:
        return None
    try:
        return tk.get_action("organization_show")(
            {"user": ""}, {"id": org_id, "include_datasets": False, "include_users": False,
                           "include_groups": False, "include_tags": False, "include_followers": False,
                           "include_extras": True})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return None


def csv_lines(rows: Iterable[list[Any]], delimiter: str = ",") -> Iterator[str]:
    """The header and each row as CSV text (RFC 4180 quoting, CRLF), cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([cell if isinstance(cell, int) else neutralised(cell) for cell in row])
        yield buffer.getvalue()


def catalog_csv():
    """``/catalog.csv[?organization=<name>][&excel=1]``."""
    organization = (tk.request.args.get("organization") or "").strip() or None
    excel = tk.asbool(tk.request.args.get("excel") or False)
    filename_part = "datasud"
    if organization is not None:
        org = _organization(organization) if NAME.match(organization) else None
        if org is None or org.get("state") != "active" or not org.get("is_organization", True):
            return tk.abort(404, _("Organisation not found"))
        organization = org["name"]
        filename_part = org["name"]
    first_page = _search_page(organization, None)  # before the headers: a failure is still a clear error
    filename = f"{dt.date.today():%Y%m%d}_catalogue-{filename_part}.csv"

    def body() -> Iterator[bytes]:
        try:
            if excel:
                yield "\ufeff".encode("utf-8")
            for line in csv_lines(catalogue_rows(organization, first_page), delimiter=";" if excel else ","):
                yield line.encode("utf-8")
        finally:
            model.Session.remove()

    response = Response(stream_with_context(body()), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


datasud_catalog_csv.add_url_rule("/catalog.csv", view_func=catalog_csv, endpoint="catalog_csv")
