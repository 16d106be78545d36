"""The counting download URL: ``/dataset/<id>/resource/<resource_id>/telecharger``.

Every « Télécharger » button points here: the visitor is redirected (302) to the external
link, counted here (``downloads.record``, unless a robot or a HEAD request), or to CKAN's
``/download/`` URL of an uploaded file, which checks access again and is counted when it
serves the file. A resource the visitor may not see (unknown, deleted, in a private dataset) is a
404 like on ``resource_show``: nothing about it is revealed, not even its URL.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

import redis
from flask import Blueprint, redirect, request

import ckan.plugins.toolkit as tk

from ckanext.datasud import downloads
from ckanext.datasud.security.files import visible_resource

log = logging.getLogger(__name__)

datasud_downloads = Blueprint("datasud_downloads", __name__)


def download(id: str, resource_id: str):
    resource = visible_resource(id, resource_id)
    url = (resource.get("url") or "").strip()
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return tk.abort(404, tk._("Resource not found"))
    # an uploaded file is counted when CKAN serves it (downloads.record_served_file)
    if resource.get("url_type") != "upload" and downloads.counted(request.method, request.headers.get("User-Agent")):
        try:
            downloads.record(resource["package_id"], resource["id"])
        except redis.RedisError as error:  # the download matters more than its count
            log.warning("download of %s not counted: %s", resource["id"], error)
    if resource.get("url_type") == "upload":
        # this portal's own file: by its path, whatever ckan.site_url said when it was indexed
        url = urlsplit(url)._replace(scheme="", netloc="").geturl()
    request.environ["__no_cache__"] = True  # CKAN then makes it private, not public
    response = redirect(url, code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


datasud_downloads.add_url_rule("/dataset/<id>/resource/<resource_id>/telecharger", view_func=download,
                               endpoint="download", methods=["GET", "HEAD"])
