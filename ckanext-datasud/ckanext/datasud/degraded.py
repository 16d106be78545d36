"""(being written) How the portal answers when Solr or Redis is down."""
from __future__ import annotations


def install(app) -> None:
    """Register this module's error handlers on CKAN's Flask app."""
