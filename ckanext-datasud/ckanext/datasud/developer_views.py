"""``/developpeurs``: the page for developers (issue 13, item 6), in French like the
portal's other pages (``pages_views.py``): the Action API's base address and conventions,
examples with curl and ckanapi, API tokens, rate limits, CORS, the catalogues (CSV in
OpenDataFrance's layout, DCAT, sitemap) and DataSud's own actions.

The actions listed are the registered ``datasud_*`` ones (``logic/action.py``'s
``__all__``), each with its French summary (``ACTION_SUMMARIES``) and a link to its full
documentation (``help_show``, the English docstring); an action added without a summary
is still listed, with the first line of its docstring. docs/api.md is the developers'
reference in English (its examples are run by tests/test_api_docs.py).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint

import ckan.plugins.toolkit as tk

__all__ = ["datasud_developers", "ACTION_SUMMARIES", "action_rows"]

datasud_developers = Blueprint("datasud_developers", __name__)

#: The French summary of each action, by group (the page's order).
ACTION_SUMMARIES: dict[str, tuple[str, str]] = {
    "datasud_key_figures": ("Chiffres et partenaires", "Les chiffres clés de la page d’accueil (public)."),
    "datasud_partner_list": ("Chiffres et partenaires",
                             "Les partenaires ayant une convention en vigueur, avec leur nombre de jeux publiés (public)."),
    "datasud_workflow_submit": ("Circuit de validation",
                                "Soumettre un jeu de données à validation : c’est la seule façon de le publier."),
    "datasud_workflow_show": ("Circuit de validation", "L’état d’un jeu de données et tout son historique de validation."),
    "datasud_workflow_queue": ("Circuit de validation", "Les jeux de données qui attendent votre décision."),
    "datasud_workflow_legal_opinion": ("Circuit de validation", "L’avis du service juridique."),
    "datasud_workflow_committee_decision": ("Circuit de validation", "La décision du comité de pilotage."),
    "datasud_workflow_commission_vote": ("Circuit de validation", "Le vote de la Commission permanente."),
    "datasud_workflow_withdraw": ("Circuit de validation", "Retirer un jeu de données publié (motif obligatoire)."),
    "datasud_convention_create": ("Conventions des partenaires", "Enregistrer une convention (équipe du programme)."),
    "datasud_convention_update": ("Conventions des partenaires", "Modifier une convention."),
    "datasud_convention_show": ("Conventions des partenaires", "Une convention."),
    "datasud_convention_list": ("Conventions des partenaires", "Les conventions, d’un partenaire ou par statut."),
    "datasud_convention_delete": ("Conventions des partenaires", "Supprimer une convention."),
    "datasud_publication_override_set": ("Conventions des partenaires",
                                         "Autoriser une organisation à publier sans convention (administrateurs)."),
    "datasud_publication_override_delete": ("Conventions des partenaires", "Mettre fin à cette autorisation."),
    "datasud_reuse_list": ("Réutilisations", "Les réutilisations publiées (ou les vôtres en attente)."),
    "datasud_reuse_show": ("Réutilisations", "Une réutilisation."),
    "datasud_reuse_create": ("Réutilisations", "Déclarer une réutilisation (elle attend la modération)."),
    "datasud_reuse_moderate": ("Réutilisations", "Publier ou refuser une réutilisation (équipe du programme)."),
    "datasud_reuse_delete": ("Réutilisations", "Supprimer une réutilisation."),
}
OTHER_GROUP = "Autres actions"


def registered_actions() -> list[str]:
    from ckanext.datasud.logic import action
    return [name for name in action.__all__ if name.startswith("datasud_")]


def action_rows() -> list[dict[str, Any]]:
    """Groups of actions: ``{"title", "actions": [{"name", "summary", "help_url"}]}``."""
    names = registered_actions()
    order = list(ACTION_SUMMARIES)
    names.sort(key=lambda n: (order.index(n) if n in order else len(order), n))
    groups: dict[str, list[dict[str, str]]] = {}
    from ckanext.datasud.logic import action
    for name in names:
        group, summary = ACTION_SUMMARIES.get(name, (OTHER_GROUP, ""))
        if not summary:
            summary = ((getattr(action, name).__doc__ or "").strip().splitlines() or [""])[0]
        groups.setdefault(group, []).append({
            "name": name, "summary": summary,
            "help_url": tk.h.url_for("api.action", logic_function="help_show", ver=3, name=name),
        })
    return [{"title": title, "actions": actions} for title, actions in groups.items()]


def developers() -> str:
    site_url = tk.config.get("ckan.site_url").rstrip("/")
    return tk.render("datasud/developers.html", extra_vars={
        "site_url": site_url,
        "api_base": f"{site_url}/api/3/action/",
        "action_groups": action_rows(),
        "per_address": tk.asint(tk.config.get("ckanext.datasud.throttle.api_requests_per_address") or 0),
        "per_user": tk.asint(tk.config.get("ckanext.datasud.throttle.api_requests_per_user") or 0),
        "window": tk.asint(tk.config.get("ckanext.datasud.throttle.api_window") or 60),
    })


datasud_developers.add_url_rule("/developpeurs", view_func=developers, endpoint="developers")
