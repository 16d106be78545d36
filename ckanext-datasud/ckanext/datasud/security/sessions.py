"""(being written)"""
from __future__ import annotations


def install(app) -> None:
    """Register this module's request hooks on CKAN's Flask app."""
