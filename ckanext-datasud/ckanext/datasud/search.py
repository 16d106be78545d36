"""Search: DataSud's facets, and how its fields are indexed in Solr."""
from __future__ import annotations

import json
from collections import OrderedDict

import ckan.plugins.toolkit as tk

# Solr fields of the facets (multi-valued fields use CKAN's `vocab_*` dynamic field).
THEMES_FIELD = "vocab_themes"


def dataset_facets(facets: OrderedDict) -> OrderedDict:
    """Theme, publication mode, partner, licence, format, geographic level."""
    _ = tk._
    ordered = OrderedDict()
    ordered[THEMES_FIELD] = _("Themes")
    ordered["publication_mode"] = _("Publication mode")
    ordered["organization"] = _("Producers")
    ordered["license_id"] = _("Licences")
    ordered["res_format"] = _("Formats")
    ordered["spatial_level"] = _("Geographic level")
    ordered["tags"] = _("Keywords")
    for key, label in facets.items():
        if key not in ordered and key != "groups":
            ordered[key] = label
    facets.clear()
    facets.update(ordered)
    return facets


def before_dataset_index(pkg_dict: dict) -> dict:
    """Index the themes as a multi-valued field; keep single values as they are."""
    themes = pkg_dict.get("themes")
    if isinstance(themes, str):
        try:
            themes = json.loads(themes)
        except ValueError:
            themes = [themes]
    if themes:
        pkg_dict[THEMES_FIELD] = list(themes)
    # The JSON text is not a valid single value for the catch-all string field.
    pkg_dict.pop("themes", None)
    # Downloads (added by package_show) in an int field for sorting, and in search results
    from ckanext.datasud import downloads
    downloads.index_counts(pkg_dict)
    if pkg_dict.get("type") == "dataset":
        from ckanext.datasud.logic.workflow_action import state_of
        state = state_of(pkg_dict["id"])
        # Public means published (a harvested dataset is indexed before its history line)
        pkg_dict["workflow_state"] = "published" if state == "draft" and not pkg_dict.get("private") else state
    return pkg_dict


FACET_VOCABULARIES = {THEMES_FIELD: "themes", "publication_mode": "publication_modes",
                      "spatial_level": "spatial_levels"}


def after_dataset_search(results: dict, lang: str) -> dict:
    """Facet items carry the vocabulary labels (in the user's language), not slugs."""
    from ckanext.datasud import vocabularies

    for facet, vocabulary in FACET_VOCABULARIES.items():
        for item in results.get("search_facets", {}).get(facet, {}).get("items", []):
            item["display_name"] = vocabularies.label(vocabulary, item["name"], lang)
    return results
