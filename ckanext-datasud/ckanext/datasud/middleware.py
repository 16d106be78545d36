"""What DataSud installs on CKAN's Flask app (through the plugin's ``IMiddleware``)."""
from __future__ import annotations


def install(app):
    from ckanext.datasud import degraded, home, page_cache
    from ckanext.datasud.security import csrf, files, headers, sessions, throttling

    for module in (headers, files, sessions, throttling, csrf, degraded, home, page_cache):
        module.install(app)
    return app
