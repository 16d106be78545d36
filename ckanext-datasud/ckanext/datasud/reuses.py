"""Reuses (« réutilisations », issue 12 item 6): what people made with DataSud's data.

Why not ckanext-showcase: its showcases are created by sysadmins or "showcase admins"
only, published as soon as they are created, and stored as CKAN datasets of another type
(searched, indexed, with the dataset's permissions). DataSud wants the opposite: anyone
logged in declares a reuse, the programme team moderates it (pending, published or
rejected with a reason, the declarant told by e-mail), and only the published ones show,
on their own page and on the pages of the public datasets they use. So reuses are two
small tables of ours (``model/reuse.py``), actions in ``logic/reuse_action.py``, their
rules in ``logic/reuse_auth.py`` and pages in ``reuse_views.py``.

This module holds what those share: the vocabulary of reuse types, the reading of the
tables (dictization, the datasets of a reuse that are public, the reuses of a dataset),
the image's address, the moderation e-mail and the template helpers.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Iterable, Optional

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.datasud import conventions
from ckanext.datasud.model import Reuse, ReuseDataset

log = logging.getLogger(__name__)

__all__ = ["datasud_reuse_types", "datasud_reuse_type_label", "datasud_dataset_reuses"]

#: The CKAN uploader's object type: images are stored under ``uploads/reuse/`` and served
#: by CKAN's static route (with the headers of ``security/files.py``).
UPLOAD_TYPE = "reuse"
MAX_DATASETS = 20


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown."""
    return message


#: Reuse types, in the order the form offers them, with their (translated) labels.
REUSE_TYPES = {
    "application": N_("Application"),
    "visualization": N_("Visualisation"),
    "article": N_("Article"),
    "api": N_("API"),
    "publication": N_("Study or publication"),
    "other": N_("Other"),
}


def datasud_reuse_types() -> list[dict[str, str]]:
    """The reuse types for a form's select: ``[{"value", "label"}]``."""
    return [{"value": value, "label": tk._(label)} for value, label in REUSE_TYPES.items()]


def datasud_reuse_type_label(value: str) -> str:
    return tk._(REUSE_TYPES[value]) if value in REUSE_TYPES else value


def is_programme_team(user_name: Optional[str]) -> bool:
    """Who moderates reuses: the programme team (sysadmins, ``ckanext.datasud.programme_team``,
    the members of ``ckanext.datasud.programme_team_group``), as for conventions."""
    return conventions.programme_team(user_name)


def user_id_of(user_name: Optional[str]) -> Optional[str]:
    user = model.User.get(user_name) if user_name else None
    return user.id if user is not None and user.state == "active" else None


def may_see_unpublished(reuse: Reuse, user_name: Optional[str]) -> bool:
    """The programme team and the declarant see a reuse that is not published."""
    return is_programme_team(user_name) or (user_id_of(user_name) or "") == reuse.user_id


def image_display_url(image_url: Optional[str]) -> Optional[str]:
    """An https image as given, an uploaded one through CKAN's static route."""
    if not image_url:
        return None
    if image_url.startswith(("http://", "https://")):
        return image_url
    return tk.h.url_for_static(f"uploads/{UPLOAD_TYPE}/{image_url}", qualified=True)


def remove_uploaded_image(image_url: Optional[str]) -> None:
    """Delete an uploaded image file (nothing for an image given by URL)."""
    if not image_url or "/" in image_url or image_url.startswith(("http://", "https://", ".")):
        return
    storage = tk.config.get("ckan.storage_path")
    if not storage:
        return
    try:
        os.remove(os.path.join(storage, "storage", "uploads", UPLOAD_TYPE, image_url))
    except OSError:
        pass


# --- Reading ------------------------------------------------------------------------------

def public_datasets(reuse_ids: Iterable[str]) -> dict[str, list[dict[str, str]]]:
    """The datasets each reuse uses that everyone may see (active, public: a withdrawn or
    private one is left out), in one query: ``{reuse_id: [{"id", "name", "title"}]}``."""
    reuse_ids = list(reuse_ids)
    found: dict[str, list[dict[str, str]]] = {rid: [] for rid in reuse_ids}
    if not reuse_ids:
        return found
    rows = (model.Session.query(ReuseDataset.reuse_id, model.Package.id, model.Package.name, model.Package.title)
            .join(model.Package, model.Package.id == ReuseDataset.package_id)
            .filter(ReuseDataset.reuse_id.in_(reuse_ids), model.Package.state == "active",
                    model.Package.private.is_(False), model.Package.type == "dataset")
            .order_by(model.Package.title))
    for reuse_id, package_id, name, title in rows:
        found[reuse_id].append({"id": package_id, "name": name, "title": title or name})
    return found


def dictize(reuse: Reuse, datasets: list[dict[str, str]], internal: bool) -> dict[str, Any]:
    """A reuse as the API gives it. ``internal`` (the programme team, the declarant):
    with who declared and moderated it and the rejection reason."""
    data = {
        "id": reuse.id, "title": reuse.title, "description": reuse.description, "url": reuse.url,
        "type": reuse.reuse_type, "type_label": datasud_reuse_type_label(reuse.reuse_type),
        "image_url": reuse.image_url or "", "image_display_url": image_display_url(reuse.image_url),
        "state": reuse.state, "datasets": datasets,
        "created": reuse.created.isoformat() if reuse.created else None,
        "published": reuse.moderated.isoformat() if reuse.state == "published" and reuse.moderated else None,
    }
    if internal:
        declarant = model.User.get(reuse.user_id)
        moderator = model.User.get(reuse.moderated_by) if reuse.moderated_by else None
        data.update({
            "declared_by": declarant.name if declarant else None,
            "moderated_by": moderator.name if moderator else None,
            "moderated": reuse.moderated.isoformat() if reuse.moderated else None,
            "rejection_reason": reuse.rejection_reason or "",
        })
    return data


def published_count() -> int:
    """How many reuses are published (the home page's key figure): an indexed count."""
    return model.Session.query(Reuse).filter(Reuse.state == "published").count()


def datasud_dataset_reuses(package_id: str, limit: int = 12) -> list[dict[str, Any]]:
    """The published reuses of a dataset, newest first (one indexed query), for its page.
    Only for a dataset the viewer sees: the template has it from ``package_show``."""
    if not package_id:
        return []
    reuses = (model.Session.query(Reuse).join(ReuseDataset, ReuseDataset.reuse_id == Reuse.id)
              .filter(ReuseDataset.package_id == package_id, Reuse.state == "published")
              .order_by(Reuse.moderated.desc(), Reuse.id).limit(limit).all())
    return [dictize(reuse, [], internal=False) for reuse in reuses]


# --- The moderation e-mail (sent by the Celery task datasud.notify_reuse_moderation) --------

def notify_moderation(reuse_id: str) -> int:
    """E-mail the declarant, in French, the programme team's decision. Returns how many
    messages were sent (0 when the reuse or the declarant's address is gone)."""
    from flask_babel import force_locale
    from ckan.lib.mailer import mail_recipient

    reuse = model.Session.get(Reuse, reuse_id)
    if reuse is None or reuse.state == "pending":
        return 0
    user = model.User.get(reuse.user_id)
    if user is None or not user.email or user.state != "active":
        return 0
    url = tk.url_for("datasud_reuses.read", id=reuse.id, _external=True)
    with force_locale(tk.config.get("ckan.locale_default") or "fr"):
        if reuse.state == "published":
            subject = tk._("[DataSud] Your reuse \"{title}\" is published").format(title=reuse.title)
            body = tk._("Hello,\n\nThank you: your reuse \"{title}\" was published by the DataSud programme team. "
                        "It is shown on its own page and on the pages of the datasets it uses.\n\n{url}\n\n"
                        "-- DataSud").format(title=reuse.title, url=url)
        else:
            subject = tk._("[DataSud] Your reuse \"{title}\" was not published").format(title=reuse.title)
            body = tk._("Hello,\n\nThe DataSud programme team did not publish your reuse \"{title}\".\n\n"
                        "Reason: {reason}\n\n{url}\n\n-- DataSud").format(
                title=reuse.title, reason=reuse.rejection_reason or "-", url=url)
    mail_recipient(user.fullname or user.name, user.email, subject, body)
    return 1
