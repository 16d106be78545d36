"""The file a preview shows: ``/dataset/<id>/resource/<resource_id>/apercu``.

Served for the two kinds the browser draws itself — the GeoJSON the map reads, the PDF
the ``<iframe>`` shows — and only when the preview is shown (a stored file within
``ckanext.datasud.preview.max_size``, with a valid GeoJSON or a PDF header). The
visitor must be allowed ``resource_show``; anything else is a 404 that reveals nothing.

The response has the headers of every user file (``security.files.harden``: sandboxed
CSP, ``nosniff``, inline only for passive types: PDF and GeoJSON are), is private to the
visitor, and is not counted as a download: showing a preview is not downloading.
"""
from __future__ import annotations

import flask
from flask import Blueprint

import ckan.plugins.toolkit as tk

from ckanext.datasud.preview import reading
from ckanext.datasud.security.files import harden, visible_resource

__all__ = ["datasud_preview", "preview_file"]

datasud_preview = Blueprint("datasud_preview", __name__)

_MEDIA_TYPES = {reading.PDF: "application/pdf", reading.GEOJSON: "application/geo+json"}


def preview_file(id: str, resource_id: str):
    resource = visible_resource(id, resource_id)
    kind = reading.kind_of(resource)
    if kind not in _MEDIA_TYPES or not reading.preview_of(resource).ok:
        return tk.abort(404, tk._("Resource not found"))
    path = reading.stored_path(resource)
    name = (resource.get("url") or "").rsplit("/", 1)[-1] or f"apercu.{kind}"
    flask.request.environ["__no_cache__"] = True  # CKAN then keeps it private
    response = flask.send_file(path, mimetype=_MEDIA_TYPES[kind], conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return harden(response, name)


datasud_preview.add_url_rule("/dataset/<id>/resource/<resource_id>/apercu", view_func=preview_file,
                             endpoint="file", methods=["GET", "HEAD"])
