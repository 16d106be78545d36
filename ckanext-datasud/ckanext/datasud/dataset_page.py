"""The public dataset page (issue 12, item 3): what its templates need beyond the
dataset dict ``package_show`` gives them (as the current user: nothing here reads a
dataset by another door).

Templates: ``templates/scheming/package/read.html`` (the page), ``package/read_base.html``
(the sidebar of every dataset tab), ``package/snippets/datasud_*.html``. Helpers, exported
through ``helpers.py``:

- ``datasud_licence_link``: the licence badge (title, DataSud's licence page, the text);
- ``datasud_dataset_facts``: last update, update frequency, publication year;
- ``datasud_citation``: « Citer ce jeu de données » (producer, year, title, DataSud, URL,
  date accessed);
- ``datasud_open_links``: the dataset in the Action API and in DCAT (Turtle, RDF/XML, JSON-LD);
- ``datasud_previewable``, ``datasud_preview_url``: a data file the resource page previews
  (the preview engine's rule, ``preview/reading.py``: CSV, GeoJSON… stored on DataSud) gets
  an « Aperçu » link to the resource page's ``#apercu``.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Optional

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.datasud import dates, vocabularies
from ckanext.datasud.preview import reading

log = logging.getLogger(__name__)

#: The template helpers (exported by helpers.py).
HELPERS = ["datasud_licence_link", "datasud_dataset_facts", "datasud_citation", "datasud_open_links",
           "datasud_previewable", "datasud_preview_url"]
__all__ = HELPERS + ["PREVIEW_ANCHOR"]

#: The anchor of the preview on the resource page (resource_read.html).
PREVIEW_ANCHOR = "apercu"

#: The DCAT exports linked from the page: (ckanext-dcat format, label, media type).
DCAT_FORMATS = (("ttl", "Turtle", "text/turtle"), ("rdf", "RDF/XML", "application/rdf+xml"),
                ("jsonld", "JSON-LD", "application/ld+json"))

_YEAR = re.compile(r"^\s*(\d{4})")


def _year(*values: Any) -> str:
    for value in values:
        match = _YEAR.match(str(value or ""))
        if match:
            return match.group(1)
    return ""


def datasud_licence_link(pkg: dict) -> dict[str, str]:
    """The licence badge: its title, the link to DataSud's licence page (the Licence
    Ouverte explained; the table of licences for the others) and the licence's own text."""
    from ckanext.datasud import licences

    licence_id = pkg.get("license_id") or ""
    page = tk.url_for("datasud.licence")
    if licence_id and licence_id != licences.NOT_SPECIFIED_ID:
        title = pkg.get("license_title") or licences.licence_title(licence_id) or licence_id
    else:
        title = tk._("Licence not specified")
    if licence_id != licences.DEFAULT_LICENCE_ID:
        page += "#licences"
    return {"id": licence_id, "title": title, "page": page, "text": pkg.get("license_url") or ""}


def datasud_dataset_facts(pkg: dict) -> dict[str, str]:
    """Last update (the producer's ``modified`` date, else the record's), the update
    frequency's label and the year of publication."""
    frequency = pkg.get("frequency") or ""
    return {
        "updated": dates.long_date(pkg.get("modified") or pkg.get("metadata_modified")),
        "frequency": vocabularies.label("frequencies", frequency, dates.reader_language()) if frequency else "",
        "year": _year(pkg.get("issued"), pkg.get("metadata_created")),
    }


def datasud_citation(pkg: dict) -> dict[str, str]:
    """How to cite the dataset: « Producteur (année). Titre. DataSud. URL (consulté le …) »."""
    organization = pkg.get("organization") or {}
    return {
        "producer": organization.get("title") or organization.get("name") or "",
        "year": _year(pkg.get("issued"), pkg.get("metadata_created")),
        "title": pkg.get("title") or pkg.get("name") or "",
        "site": tk.config.get("ckan.site_title") or "DataSud",
        "url": tk.url_for("dataset.read", id=pkg.get("name") or pkg.get("id"), qualified=True),
        "accessed": dates.long_date(dt.datetime.utcnow()),
    }


def datasud_open_links(pkg: dict) -> list[dict[str, str]]:
    """The dataset for machines: the Action API's ``package_show`` and the DCAT exports."""
    name = pkg.get("name") or pkg.get("id")
    api = tk.url_for("api.action", logic_function="package_show", ver=3, id=name, qualified=True)
    links = [{"label": tk._("Action API (JSON)"), "url": api, "kind": "api", "media_type": "application/json"}]
    for fmt, label, media_type in DCAT_FORMATS:
        url = tk.url_for("dcat.read_dataset", _id=name, _format=fmt, qualified=True)
        links.append({"label": f"DCAT ({label})", "url": url, "kind": fmt, "media_type": media_type})
    return links


def datasud_previewable(res: dict) -> bool:
    """Whether the resource page shows a preview of this file: what the ``datasud_preview``
    view reads (a file stored on DataSud: CSV/TSV, XLSX, GeoJSON, PDF; ``preview/``), or a
    view the resource already has (``has_views``, set by CKAN's dataset view)."""
    if not res.get("url"):
        return False
    return bool(res.get("has_views")) or (res.get("url_type") == "upload" and reading.kind_of(res) is not None)


def datasud_preview_url(pkg: dict, res: dict) -> Optional[str]:
    """The resource page at its preview, or None when not previewable."""
    if not datasud_previewable(res):
        return None
    return tk.url_for("resource.read", id=pkg.get("name") or pkg.get("id"), resource_id=res["id"]) \
        + "#" + PREVIEW_ANCHOR


# --- The page's schema.org JSON-LD, kept ready (helpers.structured_data) -----------------

def warm_structured_data(dataset_ids: list[str]) -> int:
    """Serialize and keep the schema.org JSON-LD of these datasets' pages as an anonymous
    visitor's first visit would ask for it (about a fifth of a page computed afresh):
    the dataset dictionary the page gets — CKAN's ``dataset.read`` view's
    ``package_show`` for the view, as the anonymous visitor, each resource's ``has_views``
    — in the portal's default language. Kept under the same stamp as the page's own
    (``dcat_fragments.kept``: the dictionary, its organisation, the language, the code), so
    the page reads it back, and a dataset changed since is serialized again by its page.
    Called with the catalogue's warming (after each change, nightly) inside the CKAN app
    (a Celery task, a command); a dataset the visitor may not see is skipped. Returns how
    many were looked at."""
    from flask import current_app, has_app_context
    if not has_app_context():
        return 0
    done = 0
    # a request in the default language, as CKAN's i18n middleware marks a page without prefix
    language = tk.config.get("ckan.locale_default") or "en"
    with current_app.test_request_context(environ_overrides={"CKAN_LANG": language, "CKAN_LANG_IS_DEFAULT": True}):
        for dataset_id in dataset_ids:
            # as an anonymous visitor, whoever runs this (the page's stamp is the visitor's)
            context: dict[str, Any] = {"user": "", "for_view": True, "auth_user_obj": model.AnonymousUser()}
            try:
                pkg_dict = tk.get_action("package_show")(context, {"id": dataset_id})
                for resource in pkg_dict["resources"]:
                    views = tk.get_action("resource_view_list")(context, {"id": resource["id"]})
                    resource["has_views"] = len(views) > 0
                tk.h.structured_data(pkg_dict)
            except (tk.ObjectNotFound, tk.NotAuthorized):
                continue
            except Exception:  # noqa: BLE001 - one dataset must not stop the others' warming
                log.exception("dataset %s: its page's JSON-LD not kept ready", dataset_id)
                model.Session.rollback()  # only read here: a failed statement must not stop the next
                continue
            done += 1
    return done
