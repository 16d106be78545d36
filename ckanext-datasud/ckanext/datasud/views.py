"""Blueprints of DataSud (registered by ``tk.blanket.blueprints``)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

import ckan.plugins.toolkit as tk

from ckanext.datasud import licences as licences_

datasud = Blueprint("datasud", __name__)

__all__ = ["datasud"]


def _public_dataset_counts() -> tuple[dict[str, int], int]:
    """How many public datasets use each licence id (Solr facet on ``license_id``),
    and how many public datasets there are in all."""
    result = tk.get_action("package_search")(
        {"ignore_auth": True},
        {"q": "*:*", "rows": 0, "include_private": False, "include_drafts": False,
         "facet": "true", "facet.field": ["license_id"], "facet.limit": -1, "facet.mincount": 1},
    )
    counts = {licence_id: int(count)
              for licence_id, count in result.get("facets", {}).get("license_id", {}).items()}
    return counts, int(result.get("count", 0))


def licence() -> str:
    """The licence page: the Licence Ouverte 2.0 in plain French, and every licence offered."""
    counts, total = _public_dataset_counts()
    rows: list[dict[str, Any]] = []
    for entry in licences_.licences():
        rows.append({
            "id": entry["id"],
            "title": entry["title"],
            "url": entry.get("url") or "",
            "count": counts.get(entry["id"], 0),
            "default": entry["id"] == licences_.DEFAULT_LICENCE_ID,
            "search_url": tk.h.url_for("dataset.search", license_id=entry["id"]),
        })
    default = next((row for row in rows if row["default"]), None)
    return tk.render("datasud/licence.html", extra_vars={
        "licences": rows,
        "default_licence": default,
        "total_public": total,
    })


datasud.add_url_rule("/licence", view_func=licence, endpoint="licence")
