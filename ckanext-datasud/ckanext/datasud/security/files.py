"""User files served so that they cannot script the portal.

Every file a user or a partner's server gave us — resource uploads and download-mode
copies (``/dataset/<id>/resource/<rid>/download[/<file>]``), group, organisation and user
images, the site logo (``/uploads/<kind>/<file>``, CKAN's static route on
``ckan.storage_path``), scanned conventions (``/partenaires/conventions/document/<file>``)
— leaves with:

- ``X-Content-Type-Options: nosniff``: the browser keeps the media type we send;
- ``Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline';
  frame-ancestors 'self'; sandbox``: even rendered as a document, the file runs no
  script, loads nothing, and its origin is opaque (no cookies, no same-origin requests);
- ``Content-Disposition: attachment`` unless its media type is on :data:`PASSIVE_TYPES`
  (CSV, text, JSON, PDF, bitmap images): HTML, XHTML, SVG, XML, JavaScript and every type
  we do not know are downloaded, never rendered; a malformed or ambiguous
  ``Content-Type`` (a list, no subtype) becomes ``application/octet-stream``.

The decision is made on the ``Content-Type`` the response carries (what the browser will
see: CKAN sends the resource's recorded ``mimetype``, which an uploader or a remote
server chose), after every view ran, so it holds whatever the declared type or the
extension, for GET and HEAD, Range (206) and conditional answers, with or without the
``/en/`` prefix. Resource views keep working: ``image_view`` shows images through
``<img>`` and ``text_view`` reads files with XHR, neither of which a response's
``Content-Disposition`` or CSP affects.

The scanned conventions stay under ``uploads/conventions`` in the storage, but CKAN's
static route never serves them: a request resolving there is answered by the check of
:func:`convention_document_allowed` (programme team, the partner's admins) with a
redirect to the document's view, or a 404 for everyone else.

In production a separate files origin (a host name of its own, without the portal's
cookies, e.g. ``fichiers.datasud.fr`` served by the reverse proxy from the same
storage) is a further wall; these headers stay useful there.
"""
from __future__ import annotations

import os
import posixpath
import re
import unicodedata
from typing import Optional
from urllib.parse import quote, unquote, urlsplit

import flask
from werkzeug.http import dump_options_header, parse_options_header
from werkzeug.security import safe_join

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.common import current_user

__all__ = [
    "PASSIVE_TYPES", "FILE_CSP", "install", "harden", "storage_root", "upload_folder",
    "CONVENTION_DOCUMENTS", "convention_document_url", "convention_document_name",
    "conventions_with_document", "convention_document_allowed", "visible_resource",
]

# Media types a browser shows without running anything in them: served inline.
PASSIVE_TYPES = frozenset({
    "text/csv", "text/plain", "text/tab-separated-values",
    "application/json", "application/geo+json", "application/pdf",
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif",
    "image/x-icon", "image/vnd.microsoft.icon",
})

FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"

# Storage folder (under uploads/) of the scanned conventions, and the path of their view.
CONVENTION_DOCUMENTS = "conventions"
CONVENTION_DOCUMENT_PATH = "/partenaires/conventions/document/"

_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


# --- Which resource a file route may serve -----------------------------------------------

def visible_resource(id: str, resource_id: str) -> dict:
    """The resource as ``resource_show`` gives it to the current user, if it belongs to
    the dataset named ``id`` (its id or name); else a 404 (a refusal is not told apart
    from an absence). For the routes that serve or count a resource's file."""
    try:
        resource = tk.get_action("resource_show")({}, {"id": resource_id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Resource not found"))
    package = model.Package.get(resource.get("package_id"))
    if package is None or id not in (package.id, package.name):
        return tk.abort(404, tk._("Resource not found"))
    return resource


# --- Where user files live ---------------------------------------------------------------

def storage_root() -> Optional[str]:
    """The folder CKAN's static route serves from the storage (``<storage_path>/storage``)."""
    path = tk.config.get("ckan.storage_path")
    return os.path.join(path, "storage") if path else None


def upload_folder(kind: str) -> Optional[str]:
    """Where CKAN's uploader keeps the uploads of ``kind`` (``group``, ``conventions``…)."""
    root = storage_root()
    return os.path.join(root, "uploads", kind) if root else None


def _inside(path: str, folder: str) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(folder)
    return real == base or real.startswith(base + os.sep)


def _static_storage_path(filename: str) -> Optional[str]:
    """The storage file CKAN's static route would read for ``filename``, if it falls there.

    Resolved as ``send_from_directory`` resolves it (``safe_join``, then the real path),
    so that ``./``, ``//``, encoded slashes or symbolic links change nothing."""
    root = storage_root()
    if not root:
        return None
    path = safe_join(root, filename)
    if path is None or not _inside(path, root):
        return None
    return path


def _static_user_file(filename: str) -> bool:
    normalised = posixpath.normpath("/" + filename).lstrip("/")
    if normalised == "uploads" or normalised.startswith("uploads/"):
        return True
    path = _static_storage_path(filename)
    return path is not None and os.path.exists(path)


# --- Scanned conventions --------------------------------------------------------------------

def convention_document_url(name: str) -> str:
    """The URL recorded for a scanned convention stored under ``uploads/conventions``."""
    return tk.h.url_for("datasud.convention_document", name=name, qualified=True)


def convention_document_name(url: Optional[str]) -> Optional[str]:
    """The stored file name of a document URL of ours (the view's, or the old
    ``/uploads/conventions/<file>``, on the portal's host), else None (another site's)."""
    parts = urlsplit(url or "")
    if parts.netloc and parts.netloc != urlsplit(tk.config.get("ckan.site_url") or "").netloc:
        return None
    path = unquote(parts.path)
    for prefix in (CONVENTION_DOCUMENT_PATH, f"/uploads/{CONVENTION_DOCUMENTS}/"):
        if prefix in path:
            name = path.rsplit(prefix, 1)[1]
            if name and "/" not in name and name not in (".", ".."):
                return name
    return None


def conventions_with_document(name: str) -> list:
    """The conventions whose recorded document is the stored file ``name``."""
    from ckanext.datasud.model import Convention

    candidates = model.Session.query(Convention).filter(
        Convention.document_url.endswith("/" + name, autoescape=True)).all()
    return [c for c in candidates if convention_document_name(c.document_url) == name]


def convention_document_allowed(name: str, user_name: Optional[str]) -> bool:
    """Whether the user may read the stored document ``name``: the programme team, or the
    admins of a partner whose convention it is (auth ``datasud_convention_show``)."""
    for convention in conventions_with_document(name):
        try:
            tk.check_access("datasud_convention_show", {"user": user_name or ""},
                            {"organization_id": convention.organization_id})
            return True
        except tk.NotAuthorized:
            continue
    return False


def _guard_conventions():
    """Before CKAN's static route: nothing under uploads/conventions is served there."""
    request = flask.request
    if request.endpoint != "static":
        return None
    folder = upload_folder(CONVENTION_DOCUMENTS)
    path = _static_storage_path((request.view_args or {}).get("filename") or "")
    if folder is None or path is None or not _inside(path, folder):
        return None
    name = os.path.relpath(os.path.realpath(path), os.path.realpath(folder))
    if "/" not in name and name != "." and convention_document_allowed(name, current_user.name or None):
        return flask.redirect(tk.h.url_for("datasud.convention_document", name=name))
    return tk.abort(404, tk._("Document not found"))


# --- The headers of a user file -------------------------------------------------------------

def _user_file_response() -> bool:
    request = flask.request
    endpoint = request.endpoint or ""
    if endpoint == "static":
        return _static_user_file((request.view_args or {}).get("filename") or "")
    blueprint, _sep, view = endpoint.rpartition(".")
    if view == "download" and blueprint.endswith("resource"):
        return True  # resource.download and <type>_resource.download
    return endpoint == "datasud.convention_document"


def _disposition(kind: str, name: Optional[str]) -> str:
    if not name:
        return kind
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    try:
        name.encode("ascii")
        params = {"filename": name}
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        params = {"filename": simple, "filename*": "UTF-8''" + quote(name, safe="!#$&+^`|~")}
    return dump_options_header(kind, params)


def harden(response: flask.Response, fallback_name: Optional[str] = None) -> flask.Response:
    """Give a user file's response the headers that keep it from scripting the portal."""
    given = response.headers.get("Content-Type") or ""
    essence = given.split(";", 1)[0].strip().lower()
    if "," in given or not _MEDIA_TYPE.match(essence):
        response.headers["Content-Type"] = "application/octet-stream"
        essence = "application/octet-stream"
    _kind, params = parse_options_header(response.headers.get("Content-Disposition") or "")
    name = params.get("filename") or fallback_name
    if essence in PASSIVE_TYPES:
        response.headers["Content-Disposition"] = _disposition("inline", name)
    else:
        response.headers["Content-Disposition"] = _disposition("attachment", name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _after_request(response: flask.Response) -> flask.Response:
    if not (200 <= response.status_code < 300 or response.status_code == 304):
        return response
    if not _user_file_response():
        return response
    fallback = None
    if flask.request.endpoint == "static":
        fallback = posixpath.basename(flask.request.path.rstrip("/")) or None
    return harden(response, fallback)


def install(app) -> None:
    """Register this module's request hooks on CKAN's Flask app."""
    app.before_request(_guard_conventions)
    app.after_request(_after_request)
