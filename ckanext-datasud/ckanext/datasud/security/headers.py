"""Security headers on every answer of the portal: pages, API, static and user files.

- ``X-Content-Type-Options: nosniff``;
- ``Content-Security-Policy``: ``ckanext.datasud.security.content_security_policy``
  (by default ``frame-ancestors 'self'; object-src 'none'; base-uri 'self'``: no other
  site frames the portal — clickjacking —, no plugins, no ``<base>`` hijack; CKAN's pages,
  their inline scripts and the map tiles keep working);
- ``X-Frame-Options: SAMEORIGIN`` (browsers without ``frame-ancestors``; CKAN embeds its
  own resource views in iframes of the portal);
- ``Referrer-Policy: strict-origin-when-cross-origin``;
- ``Strict-Transport-Security`` only when ``ckanext.datasud.security.hsts_max_age`` is
  above 0 (config/production.ini: the portal is served over HTTPS; development runs on
  http://127.0.0.1 and sends none).

A header a view already set is kept: user files get their own, stricter CSP
(``security/files.py``).
"""
from __future__ import annotations

import flask

import ckan.plugins.toolkit as tk

__all__ = ["install", "security_headers"]


def security_headers() -> dict[str, str]:
    """The headers every answer carries, from the configuration."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "SAMEORIGIN",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    policy = (tk.config.get("ckanext.datasud.security.content_security_policy") or "").strip()
    if policy:
        headers["Content-Security-Policy"] = policy
    max_age = tk.asint(tk.config.get("ckanext.datasud.security.hsts_max_age") or 0)
    if max_age > 0:
        hsts = f"max-age={max_age}"
        if tk.asbool(tk.config.get("ckanext.datasud.security.hsts_include_subdomains")):
            hsts += "; includeSubDomains"
        headers["Strict-Transport-Security"] = hsts
    return headers


def _after_request(response: flask.Response) -> flask.Response:
    for name, value in security_headers().items():
        response.headers.setdefault(name, value)
    return response


def install(app) -> None:
    """Register this module's request hooks on CKAN's Flask app."""
    app.after_request(_after_request)
