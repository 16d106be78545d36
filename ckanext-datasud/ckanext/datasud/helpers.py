"""Template helpers of DataSud (registered by ``tk.blanket.helpers``)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.datasud import dcat_fragments, vocabularies

__all__ = [
    "datasud_region_name", "datasud_choices", "datasud_label", "datasud_theme",
    "datasud_data_resources", "datasud_document_resources", "datasud_facet_label",
    "datasud_convention_lapsed", "datasud_workflow_state", "datasud_workflow_state_label",
    "datasud_is_reviewer", "datasud_licence_title", "datasud_harvest_origin", "datasud_harvest_tab",
    "datasud_dataset_organization", "datasud_harvest_advanced_config",
    "datasud_download_url", "datasud_downloads_label", "datasud_file_size", "datasud_most_downloaded",
    "datasud_home", "structured_data",
]


def datasud_region_name() -> str:
    """The region the portal serves, as shown to citizens."""
    return tk._("Région Sud Provence-Alpes-Côte d'Azur")


def datasud_choices(field: dict[str, Any]) -> list[dict]:
    """ckanext-scheming ``choices_helper``: the choices of the field's vocabulary."""
    return vocabularies.VOCABULARIES[field["datasud_vocabulary"]]()


def current_language() -> str:
    """The language of the current request; French outside a request."""
    try:
        return tk.h.lang() or "fr"
    except Exception:  # noqa: BLE001 - outside a request
        return "fr"


def datasud_label(vocabulary: str, value: str) -> str:
    """The label of a vocabulary value in the current language."""
    return vocabularies.label(vocabulary, value, current_language())


def datasud_theme(slug: str) -> vocabularies.Theme | None:
    return vocabularies.THEMES_BY_SLUG.get(slug)


def datasud_data_resources(pkg: dict) -> list[dict]:
    """Resources that are data (files or links), in their order."""
    return [r for r in pkg.get("resources", []) if r.get("resource_type", "data") != "document"]


def datasud_document_resources(pkg: dict) -> list[dict]:
    """Administrative documents linked to the dataset, newest first."""
    docs = [r for r in pkg.get("resources", []) if r.get("resource_type") == "document"]
    return sorted(docs, key=lambda r: r.get("document_date") or "", reverse=True)





def datasud_facet_label(item: dict) -> str:
    """A facet item's label, whole (vocabulary labels are set by the search)."""
    return item.get("display_name") or item.get("name", "")


def datasud_convention_lapsed(organization_id: str | None) -> bool:
    """True when the producer may no longer publish: no convention in force, no override.
    Its public datasets stay public, flagged on their page."""
    from ckanext.datasud import conventions
    return bool(organization_id) and not conventions.may_publish(organization_id)


def datasud_workflow_state(package_id: str) -> str:
    from ckanext.datasud.logic.workflow_action import state_of
    return state_of(package_id)


def datasud_workflow_state_label(state: str) -> str:
    from ckanext.datasud.logic.workflow_action import STATE_LABELS
    return tk._(STATE_LABELS.get(state, state))


def datasud_is_reviewer() -> bool:
    """Whether the current user reviews datasets (legal service, committee, Commission)."""
    from ckan.common import current_user
    from ckanext.datasud import workflow
    return bool(current_user and current_user.is_authenticated and workflow.is_reviewer(current_user.name))


def datasud_licence_title(licence_id: str) -> str:
    from ckanext.datasud.licences import licence_title
    return licence_title(licence_id) or licence_id


def datasud_harvest_origin(package_id: str) -> dict[str, Any] | None:
    """Where a harvested dataset comes from (source title and URL, last harvest)."""
    from ckanext.datasud.harvesting.reports import origin
    return origin(package_id)


def datasud_harvest_tab(organization_id: str) -> bool:
    """Whether the user sees the « Moissonnage » tab of an organisation (its members)."""
    import ckan.authz as authz
    user = tk.g.user if tk.g else None
    return bool(user) and (authz.is_sysadmin(user) or
                           authz.has_user_permission_for_group_or_org(organization_id, user, "read"))


def datasud_harvest_advanced_config(config: Any) -> str:
    """A harvest source's configuration without the settings its form shows as fields."""
    from ckanext.datasud.harvesting import actions, settings
    if isinstance(config, dict):
        import json
        config = json.dumps(config)
    return settings.advanced(config, actions.every_setting())


def datasud_dataset_organization(pkg: dict) -> dict:
    """The organisation box of a dataset page, read from the database without
    ``organization_show`` and its Solr count (producer.py): fast, and there when Solr
    is unreachable (degraded.py)."""
    from ckanext.datasud.producer import producer_of
    return producer_of(pkg)


# --- Downloads (downloads.py, download_views.py) ---------------------------------------

def datasud_download_url(pkg: dict, res: dict) -> str:
    """The portal URL that counts a download of the resource, then redirects to it."""
    return tk.url_for("datasud_downloads.download", id=pkg.get("name") or pkg["id"], resource_id=res["id"])


def _number(value: float, pattern: str = "#,##0") -> str:
    from babel.numbers import format_decimal
    return format_decimal(value, format=pattern, locale=current_language())


def datasud_downloads_label(count: Any) -> str:
    """« 12 téléchargements »."""
    count = int(count or 0)
    return tk.ungettext("{count} download", "{count} downloads", count).format(count=_number(count))


def datasud_file_size(size: Any) -> str:
    """A file size for people (« 1,2 Mo »); empty when unknown."""
    try:
        size = int(size)
    except (TypeError, ValueError):
        return ""
    if size <= 0:
        return ""
    units = ((tk._("{size} GB"), 1024 ** 3), (tk._("{size} MB"), 1024 ** 2), (tk._("{size} KB"), 1024))
    for text, factor in units:
        if size >= factor:
            return text.format(size=_number(size / factor, "#,##0.#"))
    return tk._("{size} B").format(size=_number(size))


def datasud_most_downloaded(limit: int = 5) -> list[dict]:
    """The public datasets downloaded most (from Solr), for the home page."""
    from ckanext.datasud import downloads
    try:
        return downloads.most_downloaded(limit)
    except Exception:  # noqa: BLE001 - Solr down: the home page shows without the list
        return []


# --- The home page (home.py) -------------------------------------------------------------

def datasud_home() -> dict | None:
    """What the home page lists (themes with counts, newest and most downloaded datasets,
    featured partners), cached briefly; None when search is unavailable."""
    from ckanext.datasud import home
    return home.page_data(current_language())


# --- The dataset form (dataset_form.py) -----------------------------------------------------
from ckanext.datasud.dataset_form import datasud_form_sections, datasud_form_selected  # noqa: E402
__all__ += ["datasud_form_sections", "datasud_form_selected"]


# --- The dataset page (dataset_page.py) ---------------------------------------------------
from ckanext.datasud.dataset_page import (  # noqa: E402
    datasud_citation, datasud_dataset_facts, datasud_licence_link, datasud_open_links, datasud_preview_url,
    datasud_previewable)
__all__ += ["datasud_licence_link", "datasud_dataset_facts", "datasud_citation", "datasud_open_links",
            "datasud_previewable", "datasud_preview_url"]


# --- The search page (search.py) ----------------------------------------------------------
from ckanext.datasud.search import datasud_advanced_search, datasud_search_notices  # noqa: E402
__all__ += ["datasud_advanced_search", "datasud_search_notices"]


# --- Reuses (reuses.py) -------------------------------------------------------------------
from ckanext.datasud.reuses import (  # noqa: E402
    datasud_dataset_reuses, datasud_reuse_type_label, datasud_reuse_types)
__all__ += ["datasud_dataset_reuses", "datasud_reuse_type_label", "datasud_reuse_types"]

# --- The Conventions tab (convention_pages.py) ----------------------------------------------
from ckanext.datasud.convention_pages import datasud_publication_override  # noqa: E402
__all__ += ["datasud_publication_override"]


@tk.chained_helper
def structured_data(next_helper, dataset_dict: dict, profiles: Any = None) -> str:
    """ckanext-dcat's schema.org JSON-LD of the dataset page (about a quarter of the
    page's work), kept per dataset while the dataset and its organisation are unchanged
    (``dcat_fragments.kept``), and written without looking the profiles up again at
    each page (``dcat_fragments.structured_data``)."""
    kind = "structured-data:" + ",".join(profiles or [])
    profiles = profiles or tk.config.get("ckanext.dcat.structured_data.profiles") or ["schemaorg"]
    if isinstance(profiles, str):
        profiles = profiles.split()
    return dcat_fragments.kept(kind, dataset_dict, lambda: dcat_fragments.structured_data(dataset_dict, profiles))
