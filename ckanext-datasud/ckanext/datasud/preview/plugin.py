"""The CKAN plugin ``datasud_preview``: a resource view of the stored data files.

Registered in ``setup.py`` (entry point ``datasud_preview``); in ``ckan.plugins`` and
``ckan.views.default_views`` of ``config/development.ini`` (and the configurations that
use it) and ``production.ini``. ``datasud`` works without it (no preview then).
"""
from __future__ import annotations

from typing import Any, Optional

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib import formatters

from ckanext.datasud.preview import reading, views

__all__ = ["DataSudPreviewPlugin", "VIEW_TYPE", "ensure_views", "problem_message", "map_config"]

VIEW_TYPE = "datasud_preview"


def problem_message(preview: reading.Preview) -> str:
    """Why the preview is not shown, in the visitor's language."""
    problem = preview.problem
    if problem == "elsewhere":
        return tk._("No preview: this file is hosted on another site; open it with the button above.")
    if problem == "too_big":
        return tk._("This file is too large to be previewed ({size}; previews stop at {limit}).").format(
            size=tk.h.datasud_file_size(preview.size), limit=tk.h.datasud_file_size(reading.max_size()))
    messages = {
        "missing": tk._("The file is not available on DataSud."),
        "empty": tk._("The file is empty."),
        "binary": tk._("The file is not text that can be read as a table."),
        "not_csv": tk._("The file cannot be read as CSV (it looks like a web page or another format)."),
        "not_xlsx": tk._("The file cannot be read as an Excel (XLSX) workbook."),
        "xlsx_too_big": tk._("The workbook is too large once uncompressed to be previewed."),
        "not_geojson": tk._("The file is not valid GeoJSON."),
        "no_geometry": tk._("The file has no geometry to show on a map."),
        "not_wgs84": tk._("The coordinates are not longitudes and latitudes (WGS 84): the file cannot be shown on the map."),
        "not_pdf": tk._("The file is not a PDF document."),
    }
    return messages.get(problem, tk._("The file cannot be previewed."))


def map_config() -> dict[str, Any]:
    """The base map of ckanext-spatial's widgets (``ckanext.spatial.common_map.*``)."""
    prefix = "ckanext.spatial.common_map."
    return {k[len(prefix):]: v for k, v in tk.config.items() if k.startswith(prefix)}


def _view_title() -> str:
    """The view's stored title, as CKAN stores its default views' (in the site's language
    when there is no request: a harvest's copy runs in a Celery worker)."""
    try:
        return tk._("Preview")
    except RuntimeError:  # outside a request
        return "Aperçu"


def ensure_views(package_id: Optional[str]) -> list[str]:
    """Give each stored file of the dataset that we preview its ``datasud_preview`` view,
    in the caller's transaction (no commit: an update that fails leaves no view behind).
    The ids of the resources given one."""
    package = model.Package.get(package_id) if package_id else None
    if package is None:
        return []
    files = [r for r in package.resources if r.state == "active" and r.url_type == "upload"
             and reading.kind_of({"format": r.format, "mimetype": r.mimetype, "url": r.url})]
    if not files:
        return []
    with model.Session.no_autoflush:
        shown = {resource_id for (resource_id,) in model.Session.query(model.ResourceView.resource_id).filter(
            model.ResourceView.resource_id.in_([r.id for r in files]), model.ResourceView.view_type == VIEW_TYPE)}
    added = []
    for resource in files:
        if resource.id in shown:
            continue
        order = model.Session.query(model.ResourceView).filter_by(resource_id=resource.id).count()
        model.Session.add(model.ResourceView(resource_id=resource.id, view_type=VIEW_TYPE, title=_view_title(),
                                             description="", order=order, config={}))
        added.append(resource.id)
    return added


class DataSudPreviewPlugin(p.SingletonPlugin):
    p.implements(p.IResourceView, inherit=True)
    p.implements(p.IBlueprint)
    p.implements(p.IPackageController, inherit=True)

    # IResourceView
    def info(self) -> dict[str, Any]:
        return {
            "name": VIEW_TYPE,
            "title": tk._("Preview"),
            "default_title": tk._("Preview"),
            "icon": "eye",
            "iframed": False,
            "always_available": False,
            "preview_enabled": False,
            "full_page_edit": False,
        }

    def can_view(self, data_dict: dict[str, Any]) -> bool:
        resource = data_dict.get("resource") or {}
        return resource.get("url_type") == "upload" and reading.kind_of(resource) is not None

    # IPackageController: a link that becomes a stored file (a partner's file copied in
    # download mode, written with package_update) gets its view, which CKAN creates only
    # with a new resource or a new format
    def after_dataset_update(self, context, pkg_dict: dict[str, Any]) -> None:
        ensure_views(pkg_dict.get("id"))

    def setup_template_variables(self, context, data_dict: dict[str, Any]) -> dict[str, Any]:
        resource = data_dict.get("resource") or {}
        package = data_dict.get("package") or {}
        if resource.get("url_type") == "upload":
            preview = reading.preview_of(resource)
        else:
            preview = reading.Preview(reading.kind_of(resource) or reading.TABLE, "elsewhere")
        file_url = None
        if preview.ok and preview.kind in (reading.GEOJSON, reading.PDF):
            file_url = tk.h.url_for("datasud_preview.file", id=package.get("name") or resource.get("package_id"),
                                    resource_id=resource.get("id"))
        return {
            "preview": preview,
            "preview_message": None if preview.ok else problem_message(preview),
            "preview_file_url": file_url,
            "preview_map_config": map_config() if preview.kind == reading.GEOJSON else {},
            "preview_max_columns": reading.MAX_COLUMNS,
            "preview_total": formatters.localised_number(preview.total_rows) if preview.total_rows else "0",
        }

    def view_template(self, context, data_dict: dict[str, Any]) -> str:
        return "datasud/preview/view.html"

    def form_template(self, context, data_dict: dict[str, Any]) -> Optional[str]:
        return None

    # IBlueprint
    def get_blueprint(self):
        return [views.datasud_preview]
