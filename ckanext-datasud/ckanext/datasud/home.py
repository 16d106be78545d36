"""The home page (issue 12, item 1): what it lists besides the key figures.

Why this shape: the page must stay fast with 20,000 datasets, so nothing here reads a
table of datasets. One ``package_search`` (five rows sorted by modification date, facets
on themes and organisations) gives the themes' counts, the five datasets modified last
and the organisations that publish most; the most downloaded come from the indexed
download counts (``downloads.most_downloaded``); the featured partners' titles and logos
from one lookup of a few organisations by name. The result is kept in each web worker
for ``ckanext.datasud.home.cache_seconds`` and only while the catalogue is unchanged
(``catalogue_cache``: a dataset withdrawn or updated is never listed from the cache
after the change). Labels (the themes' names in the visitor's language) are added on
each request, outside the cache.

CKAN's own home view also runs a search on each visit, for lists our page does not
show: ``index`` replaces it (``middleware.py``).
"""
from __future__ import annotations

import logging
from typing import Any, Optional

import ckan.plugins.toolkit as tk

from ckanext.datasud import catalogue_cache, dates, vocabularies
from ckanext.datasud.search import THEMES_FIELD

log = logging.getLogger(__name__)

RECENT = 5
MOST_DOWNLOADED = 5
FEATURED_PARTNERS = 6

# Font Awesome 6 (shipped with CKAN) icon of each theme on the home page
THEME_ICONS = {
    "agriculture": "tractor",
    "administration": "landmark",
    "citoyennete": "people-group",
    "economie": "briefcase",
    "imagerie": "satellite",
    "limites-administratives": "map",
    "mer-littoral-montagne": "mountain-sun",
    "social-sante-sports": "heart-pulse",
    "amenagement-urbanisme": "city",
    "sciences-recherche": "flask",
    "energies-reseaux": "bolt",
    "equipements-logement": "building",
    "formation-emploi": "graduation-cap",
    "culture-tourisme": "masks-theater",
    "mobilite-transports": "bus",
    "environnement-climat": "leaf",
}

def cache_seconds() -> int:
    return tk.asint(tk.config.get("ckanext.datasud.home.cache_seconds") or 0)


def clear_cache() -> None:
    """Forget what was computed (tests, or after a change one wants to see at once)."""
    catalogue_cache.forget()


def search_public() -> dict[str, Any]:
    """The one search of the home page: public datasets (no harvest source), the
    newest first, with every theme's and organisation's count."""
    return tk.get_action("package_search")({"ignore_auth": True}, {
        "q": "*:*", "fq": "+dataset_type:dataset", "rows": RECENT, "sort": "metadata_modified desc",
        "facet": "true", "facet.field": [THEMES_FIELD, "organization"], "facet.limit": -1,
        "facet.mincount": 1, "include_private": False, "include_drafts": False})


def featured_partners(counts: dict[str, int], limit: int = FEATURED_PARTNERS) -> list[dict[str, Any]]:
    """The organisations with most public datasets, most first (ties by name), with
    their title and logo: one lookup of ``limit`` organisations by name."""
    names = sorted(counts, key=lambda name: (-counts[name], name))[:limit]
    if not names:
        return []
    found = tk.get_action("organization_list")({"ignore_auth": True}, {
        "organizations": names, "all_fields": True, "include_dataset_count": False, "limit": limit})
    by_name = {org["name"]: org for org in found}
    return [{"name": name, "title": by_name[name].get("title") or name,
             "image_url": by_name[name].get("image_display_url") or "", "count": counts[name]}
            for name in names if name in by_name]


def collect() -> dict[str, Any]:
    """What the home page lists, from Solr (and the featured partners' records)."""
    from ckanext.datasud.helpers import datasud_most_downloaded

    result = search_public()
    facets = result.get("facets", {})
    return {
        "count": int(result.get("count", 0)),
        "theme_counts": {slug: int(n) for slug, n in facets.get(THEMES_FIELD, {}).items()},
        "recent": result.get("results", []),
        "most_downloaded": datasud_most_downloaded(MOST_DOWNLOADED),
        "partners": featured_partners({name: int(n) for name, n in facets.get("organization", {}).items()}),
    }


def cached() -> dict[str, Any]:
    """``collect()``, computed at most once per ``cache_seconds`` in this worker and
    again whenever the catalogue changes."""
    return catalogue_cache.cached("home", collect, cache_seconds())


def themes(counts: dict[str, int], lang: str) -> list[dict[str, Any]]:
    """The 16 themes in the vocabulary's order, with their label, icon, count and search link."""
    return [{"slug": theme.slug, "label": vocabularies.label("themes", theme.slug, lang),
             "icon": THEME_ICONS.get(theme.slug, "folder"), "count": counts.get(theme.slug, 0),
             "url": tk.h.url_for("dataset.search", **{THEMES_FIELD: theme.slug})}
            for theme in vocabularies.THEMES]


def solr_known_down() -> bool:
    """Whether this request already found Solr unreachable (``degraded.py`` then answers
    for the home page): no need to wait for it again."""
    from flask import g, has_request_context
    return has_request_context() and bool(getattr(g, "datasud_solr_unavailable", False))


def page_data(lang: str) -> Optional[dict[str, Any]]:
    """What the home page lists, with labels in ``lang``; None when search is unavailable
    (the page then shows its other parts, or degraded.py's notice)."""
    if solr_known_down():
        return None
    try:
        data = dict(cached())
    except Exception:  # noqa: BLE001 - logged; the home page renders without these lists
        log.exception("the home page's lists could not be computed")
        return None
    data["themes"] = themes(data["theme_counts"], lang)
    data["recent"] = [dict(pkg, datasud_modified=dates.long_date(pkg.get("metadata_modified"), lang))
                      for pkg in data["recent"]]
    return data


def index() -> str:
    """The home page: CKAN's ``home.index`` without its own ``package_search`` (four
    datasets and facets our template never shows, one Solr query per visit). The
    lists come from ``page_data`` and the key figures from ``key_figures``, both
    cached while the catalogue is unchanged."""
    from ckan.common import current_user
    if current_user.is_authenticated and not current_user.email:
        url = tk.h.url_for("user.edit")
        tk.h.flash_notice(
            tk._('Please <a href="%s">update your profile</a> and add your email address. ') % url
            + tk._("%s uses your email address if you need to reset your password.")
            % tk.config.get("ckan.site_title"), allow_html=True)
    return tk.render("home/index.html", extra_vars={"search_facets": {}})


def install(app) -> None:
    """Serve ``/`` with ``index`` (the endpoint stays ``home.index``: every
    ``url_for('home.index')`` and CKAN's templates keep working)."""
    if "home.index" in app.view_functions:
        app.view_functions["home.index"] = index
