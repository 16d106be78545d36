"""Pages of reuses (« réutilisations »; blueprint ``datasud_reuses``, registered through views.py):

- ``/reutilisations``: the published reuses (cards: image, type, title, datasets used);
- ``/reutilisations/nouvelle``: the declaration form (logged-in users; ``?jeu=<name>``
  prefills a dataset, as the dataset page's link does);
- ``/reutilisations/<id>``: a reuse (a pending or rejected one for the programme team and
  its declarant only), with the moderation buttons for the programme team and the delete
  button for its declarant while it is pending;
- ``/reutilisations/moderation``: the programme team's queue of pending reuses, each with
  « Publier » and « Refuser » (with a reason).

Everything goes through the actions (``logic/reuse_action.py``) as the current user, so the
pages show exactly what the API would. Every POST from a browser session checks the form's CSRF token here
(``pages_views.csrf_valid``); a request authenticated by an API token (which a browser
never adds by itself) is exempt, as CKAN exempts it.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

import ckan.plugins.toolkit as tk
from ckan.common import current_user

from ckanext.datasud import reuses
from ckanext.datasud.pages_views import csrf_valid

datasud_reuses = Blueprint("datasud_reuses", __name__)

_ = tk._
PER_PAGE = 24
FORM_FIELDS = ("title", "description", "url", "type", "image_url", "datasets")


def _context() -> dict[str, Any]:
    return {"user": current_user.name if current_user.is_authenticated else ""}


def _login_first():
    return tk.redirect_to("user.login", came_from=request.full_path.rstrip("?"))


def _form_checked() -> bool:
    """The CSRF token of a logged-in browser session; API-token requests are exempt."""
    if g.get("login_via_auth_header") and current_user.is_authenticated:
        return True
    return csrf_valid()


def _expired_form() -> str:
    return _("The form expired or was not sent from this page: please send it again.")


def index():
    """The published reuses, newest first."""
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    result = tk.get_action("datasud_reuse_list")(_context(), {
        "state": "published", "limit": PER_PAGE, "offset": (page - 1) * PER_PAGE})
    if page > 1 and not result["results"]:
        return tk.abort(404, _("Page not found"))
    pending, mine = 0, []
    team = reuses.is_programme_team(_context()["user"])
    if team:
        pending = tk.get_action("datasud_reuse_list")(_context(), {"state": "pending", "limit": 1})["count"]
    elif current_user.is_authenticated:  # the user's own reuses not published
        for state in ("pending", "rejected"):
            mine += tk.get_action("datasud_reuse_list")(_context(), {"state": state, "limit": 20})["results"]
    return tk.render("datasud/reuses/index.html", {
        "reuses": result["results"], "count": result["count"], "page": page,
        "has_next": page * PER_PAGE < result["count"], "pending_count": pending,
        "is_programme_team": team, "mine": mine})


def _prefilled_datasets() -> str:
    """The dataset of ``?jeu=`` (its name), when the visitor may see it."""
    reference = request.args.get("jeu", "")
    if not reference:
        return ""
    try:
        pkg = tk.get_action("package_show")(_context(), {"id": reference})
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):
        return ""
    return pkg["name"]


def _render_form(data: dict[str, str], errors: dict[str, list[str]], status: int = 200, notice: str = ""):
    return tk.render("datasud/reuses/new.html", {
        "data": data, "errors": errors, "notice": notice,
        "max_image_size": tk.config.get("ckan.max_image_size")}), status


def new():
    """GET: the declaration form; POST: ``datasud_reuse_create``, then the reuse's page."""
    if not current_user.is_authenticated:
        return _login_first()
    if request.method == "GET":
        data = {field: "" for field in FORM_FIELDS}
        data["datasets"] = _prefilled_datasets()
        return _render_form(data, {})
    data = {field: (request.form.get(field) or "").strip() for field in FORM_FIELDS}
    if not _form_checked():
        return _render_form(data, {}, 400, _expired_form())
    data_dict = dict(data)
    if request.files.get("image_upload"):
        data_dict["image_upload"] = request.files["image_upload"]
    try:
        reuse = tk.get_action("datasud_reuse_create")(_context(), data_dict)
    except tk.ValidationError as e:
        return _render_form(data, e.error_dict, 400)
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    tk.h.flash_success(_("Thank you! Your reuse was sent to the DataSud programme team: it will be shown "
                         "once they have checked it."))
    return tk.redirect_to("datasud_reuses.read", id=reuse["id"])


def _shown(reuse_id: str) -> dict[str, Any]:
    try:
        return tk.get_action("datasud_reuse_show")(_context(), {"id": reuse_id})
    except tk.ObjectNotFound:
        return tk.abort(404, _("Reuse not found"))
    except tk.NotAuthorized:
        return tk.abort(404, _("Reuse not found"))


def read(id: str):
    reuse = _shown(id)
    user_name = _context()["user"]
    return tk.render("datasud/reuses/read.html", {
        "reuse": reuse, "is_programme_team": reuses.is_programme_team(user_name),
        "can_delete": tk.h.check_access("datasud_reuse_delete", {"id": reuse["id"]}),
        "errors": {}})


def moderation():
    """The programme team's queue: the pending reuses, oldest first."""
    if not current_user.is_authenticated:
        return _login_first()
    if not reuses.is_programme_team(current_user.name):
        return tk.abort(403, _("Only the DataSud programme team moderates reuses."))
    result = tk.get_action("datasud_reuse_list")(_context(), {"state": "pending", "limit": 100, "sort": "oldest"})
    return tk.render("datasud/reuses/moderation.html", {"reuses": result["results"], "count": result["count"]})


def moderate(id: str):
    """POST from the moderation queue or the reuse's page: publish or reject."""
    if not current_user.is_authenticated:
        return _login_first()
    if not _form_checked():
        tk.h.flash_error(_expired_form())
        return tk.redirect_to("datasud_reuses.moderation")
    decision = request.form.get("decision", "")
    try:
        reuse = tk.get_action("datasud_reuse_moderate")(_context(), {
            "id": id, "decision": decision, "reason": request.form.get("reason", "")})
    except tk.NotAuthorized:
        return tk.abort(403, _("Only the DataSud programme team moderates reuses."))
    except tk.ObjectNotFound:
        return tk.abort(404, _("Reuse not found"))
    except tk.ValidationError as e:
        tk.h.flash_error(" ".join(m for messages in e.error_dict.values() for m in messages))
        return _back(id)
    if reuse["state"] == "published":
        tk.h.flash_success(_("« {title} » is published.").format(title=reuse["title"]))
    else:
        tk.h.flash_success(_("« {title} » was rejected; its declarant is told why.").format(title=reuse["title"]))
    return _back(id)


def _back(reuse_id: str):
    """Back to where the moderator clicked: the reuse's page or the queue."""
    if request.form.get("back") == "read":
        return tk.redirect_to("datasud_reuses.read", id=reuse_id)
    return tk.redirect_to("datasud_reuses.moderation")


def delete(id: str):
    if not current_user.is_authenticated:
        return _login_first()
    if not _form_checked():
        tk.h.flash_error(_expired_form())
        return tk.redirect_to("datasud_reuses.read", id=id)
    try:
        tk.get_action("datasud_reuse_delete")(_context(), {"id": id})
    except tk.ObjectNotFound:
        return tk.abort(404, _("Reuse not found"))
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    tk.h.flash_success(_("The reuse was deleted."))
    return tk.redirect_to("datasud_reuses.index")


datasud_reuses.add_url_rule("/reutilisations", view_func=index, endpoint="index")
datasud_reuses.add_url_rule("/reutilisations/nouvelle", view_func=new, endpoint="new", methods=["GET", "POST"])
datasud_reuses.add_url_rule("/reutilisations/moderation", view_func=moderation, endpoint="moderation")
datasud_reuses.add_url_rule("/reutilisations/<id>", view_func=read, endpoint="read")
datasud_reuses.add_url_rule("/reutilisations/<id>/moderer", view_func=moderate, endpoint="moderate",
                            methods=["POST"])
datasud_reuses.add_url_rule("/reutilisations/<id>/supprimer", view_func=delete, endpoint="delete",
                            methods=["POST"])
