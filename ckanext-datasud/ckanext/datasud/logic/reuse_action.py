"""Actions of reuses (« réutilisations »; exported through logic/action.py).

Anyone logged in declares a reuse (``datasud_reuse_create``): it waits for the programme
team (``datasud_reuse_moderate``), who publishes or rejects it; only published reuses are
shown to everyone (``datasud_reuse_show``, ``datasud_reuse_list``). Why these are ours and
not ckanext-showcase's: see ``ckanext/datasud/reuses.py``.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Optional
from urllib.parse import urlsplit

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.datasud import reuses
from ckanext.datasud.logic.validators import datasud_url
from ckanext.datasud.logic.workflow_action import state_of
from ckanext.datasud.model import REUSE_STATES, Reuse, ReuseDataset

__all__ = [
    "datasud_reuse_create", "datasud_reuse_show", "datasud_reuse_list", "datasud_reuse_moderate",
    "datasud_reuse_delete",
]

_ = tk._
log = logging.getLogger(__name__)

TITLE_LENGTH = (3, 200)
DESCRIPTION_LENGTH = (10, 5000)
URL_LENGTH = 2000
REASON_LENGTH = 2000
LIST_LIMIT = (20, 100)
DECISIONS = {"publish": "published", "reject": "rejected"}
#: Reuses a user (not of the programme team) may have waiting for moderation at once.
MAX_PENDING_PER_USER = 10
# A dataset's page address (…/dataset/<name>, with or without a language prefix)
DATASET_PATH = re.compile(r"/dataset/([A-Za-z0-9_-]{1,100})/?$")


def _text(data_dict: dict, key: str) -> str:
    value = data_dict.get(key)
    return value.strip() if isinstance(value, str) else ""


def _length_error(value: str, bounds: tuple[int, int]) -> Optional[str]:
    if not value:
        return _("Please fill in this field.")
    if len(value) < bounds[0]:
        return _("At least {count} characters.").format(count=bounds[0])
    if len(value) > bounds[1]:
        return _("At most {count} characters.").format(count=bounds[1])
    return None


def _dataset_references(value: Any) -> list[str]:
    """Datasets given as a list, or as text (one per line, or separated by commas)."""
    if isinstance(value, str):
        items = re.split(r"[\n,;]+", value)
    elif isinstance(value, (list, tuple)):
        items = [v for v in value if isinstance(v, str)]
    else:
        items = []
    return [item.strip() for item in items if item and item.strip()]


def _dataset_id(reference: str) -> str:
    """A dataset's id or name, or the address of its page on the portal."""
    if reference.startswith(("http://", "https://", "/")):
        match = DATASET_PATH.search(urlsplit(reference).path)
        return match.group(1) if match else reference
    return reference


def _published_datasets(references: list[str], user_name: str) -> tuple[list[str], list[str]]:
    """The ids of the datasets (each a published public dataset the user sees), and the
    French errors for the others."""
    ids: list[str] = []
    errors: list[str] = []
    for reference in references:
        shown = reference if len(reference) <= 100 else reference[:100] + "…"
        try:
            pkg = tk.get_action("package_show")({"user": user_name}, {"id": _dataset_id(reference)})
        except (tk.ObjectNotFound, tk.NotAuthorized):
            errors.append(_("Dataset not found: \"{dataset}\".").format(dataset=shown))
            continue
        except tk.ValidationError:
            errors.append(_("Dataset not found: \"{dataset}\".").format(dataset=shown))
            continue
        if (pkg.get("type") != "dataset" or pkg.get("private") or pkg.get("state") != "active"
                or state_of(pkg["id"]) != "published"):
            errors.append(_("The dataset \"{dataset}\" is not published: a reuse can only use published "
                            "public datasets.").format(dataset=pkg.get("title") or shown))
            continue
        if pkg["id"] not in ids:
            ids.append(pkg["id"])
    return ids, errors


def _image_url_error(value: str) -> Optional[str]:
    try:
        datasud_url(value)
    except tk.Invalid:
        return _("The image address must start with https://.")
    if not value.lower().startswith("https://") or len(value) > URL_LENGTH:
        return _("The image address must start with https://.")
    return None


def _validated(data_dict: dict, user_name: str) -> tuple[dict[str, Any], list[str]]:
    """The reuse's fields, checked; a ValidationError with a French message per field."""
    errors: dict[str, list[str]] = {}
    data = {key: _text(data_dict, key) for key in ("title", "description", "url", "type", "image_url")}
    for key, bounds in (("title", TITLE_LENGTH), ("description", DESCRIPTION_LENGTH)):
        error = _length_error(data[key], bounds)
        if error:
            errors[key] = [error]
    if not data["url"]:
        errors["url"] = [_("Please fill in this field.")]
    else:
        try:
            datasud_url(data["url"])
            if len(data["url"]) > URL_LENGTH:
                raise tk.Invalid("")
        except tk.Invalid:
            errors["url"] = [_("The address of the reuse must start with http:// or https://.")]
    if data["type"] not in reuses.REUSE_TYPES:
        errors["type"] = [_("Choose a type of reuse: {types}.").format(
            types=", ".join(t["label"] for t in reuses.datasud_reuse_types()))]
    if data["image_url"]:
        error = _image_url_error(data["image_url"])
        if error:
            errors["image_url"] = [error]
    references = _dataset_references(data_dict.get("datasets"))
    dataset_ids: list[str] = []
    if not references:
        errors["datasets"] = [_("Name at least one dataset used by the reuse.")]
    elif len(references) > reuses.MAX_DATASETS:
        errors["datasets"] = [_("At most {count} datasets.").format(count=reuses.MAX_DATASETS)]
    else:
        dataset_ids, dataset_errors = _published_datasets(references, user_name)
        if dataset_errors:
            errors["datasets"] = dataset_errors
    if errors:
        raise tk.ValidationError(errors)
    data["datasets"] = dataset_ids
    return data, references


def _uploaded_image(data_dict: dict, data: dict):
    """CKAN's uploader for an image sent with the form or the API (``image_upload``):
    image types only (``ckan.upload.reuse.mimetypes``, checked on the content), stored
    under ``uploads/reuse/``. None without a file."""
    from ckan.lib import uploader
    upload = uploader.get_uploader(reuses.UPLOAD_TYPE)
    fields = {"image_url": data["image_url"], "image_upload": data_dict.get("image_upload")}
    try:
        upload.update_data_dict(fields, "image_url", "image_upload", "clear_upload")
    except tk.ValidationError:
        raise tk.ValidationError({"image_upload": [
            _("The image must be a PNG, JPEG, GIF or WebP file.")]})
    if not getattr(upload, "filename", None):
        return None
    data["image_url"] = fields["image_url"]
    return upload


def datasud_reuse_create(context, data_dict):
    """Declare a reuse of DataSud's data (any logged-in user); it waits for the
    programme team's moderation (state ``pending``) before anyone else sees it.

    :param title: 3 to 200 characters
    :type title: string
    :param description: 10 to 5000 characters of plain text (shown as written: HTML is
        shown as text, never interpreted)
    :type description: string
    :param url: the reuse's address, ``http://`` or ``https://`` only
    :type url: string
    :param type: ``application``, ``visualization``, ``article``, ``api``,
        ``publication`` (study or publication) or ``other``
    :type type: string
    :param datasets: the datasets used, 1 to 20, each by id, name or the address of its
        page; each must be a published public dataset
    :type datasets: list of strings, or a string with one per line
    :param image_upload: an image file, sent as multipart form data (PNG, JPEG, GIF or
        WebP, checked on its content; at most ``ckan.max_image_size`` MB) (optional)
    :type image_upload: file
    :param image_url: or the ``https://`` address of an image (optional)
    :type image_url: string

    :returns: the reuse, as ``datasud_reuse_show`` gives it to its declarant
    :rtype: dict
    :raises NotAuthorized: (403) not logged in
    :raises ValidationError: (409) a French message per field refused; or (``title``)
        the declarant already has 10 reuses waiting for moderation
    """
    tk.check_access("datasud_reuse_create", context, data_dict)
    user_name = context.get("user")
    user_id = reuses.user_id_of(user_name)
    if not reuses.is_programme_team(user_name) and model.Session.query(Reuse).filter(
            Reuse.user_id == user_id, Reuse.state == "pending").count() >= MAX_PENDING_PER_USER:
        raise tk.ValidationError({"title": [_(
            "You already have {count} reuses waiting for moderation: please wait for the programme team to "
            "check them.").format(count=MAX_PENDING_PER_USER)]})
    data, _references = _validated(data_dict, user_name)
    upload = _uploaded_image(data_dict, data)
    reuse = Reuse(title=data["title"], description=data["description"], url=data["url"],
                  reuse_type=data["type"], image_url=data["image_url"], state="pending",
                  user_id=user_id, created=dt.datetime.utcnow(), rejection_reason="")
    model.Session.add(reuse)
    model.Session.flush()
    for package_id in data["datasets"]:
        model.Session.add(ReuseDataset(reuse_id=reuse.id, package_id=package_id))
    if upload is not None:
        from ckan.lib.uploader import get_max_image_size
        try:
            upload.upload(get_max_image_size())
        except tk.ValidationError:
            model.Session.rollback()
            raise tk.ValidationError({"image_upload": [
                _("The image is too large (at most {size} MB).").format(size=get_max_image_size())]})
    model.Session.commit()
    log.info("reuse %s declared by %s", reuse.id, user_name)
    return _dictized(reuse, user_name)


def _get(data_dict) -> Reuse:
    reuse_id = data_dict.get("id") if isinstance(data_dict, dict) else None
    reuse = model.Session.get(Reuse, reuse_id) if isinstance(reuse_id, str) and reuse_id else None
    if reuse is None:
        raise tk.ObjectNotFound(_("Reuse not found"))
    return reuse


def _dictized(reuse: Reuse, user_name: Optional[str]) -> dict[str, Any]:
    return reuses.dictize(reuse, reuses.public_datasets([reuse.id])[reuse.id],
                          internal=reuses.may_see_unpublished(reuse, user_name))


@tk.side_effect_free
def datasud_reuse_show(context, data_dict):
    """A reuse. Published ones for everyone; a pending or rejected one for the
    programme team and its declarant only.

    :param id: the reuse's id
    :type id: string

    :returns: ``id``, ``title``, ``description``, ``url``, ``type`` and ``type_label``,
        ``image_url`` and ``image_display_url``, ``state`` (``pending``, ``published``,
        ``rejected``), ``created``, ``published`` and ``datasets`` (the public datasets
        it uses: ``id``, ``name``, ``title``; a dataset withdrawn since is left out). The
        programme team and the declarant also get ``declared_by``, ``moderated_by``,
        ``moderated`` and ``rejection_reason``.
    :rtype: dict
    :raises ObjectNotFound: (404) no such reuse
    :raises NotAuthorized: (403) a reuse not published, to someone else
    """
    reuse = _get(data_dict)
    tk.check_access("datasud_reuse_show", context, data_dict)
    return _dictized(reuse, context.get("user"))


@tk.side_effect_free
def datasud_reuse_list(context, data_dict):
    """Reuses, newest first.

    :param state: ``published`` (the default, for everyone), ``pending`` or ``rejected``
        (all of them for the programme team, one's own for any other logged-in user)
    :type state: string
    :param dataset: only the reuses using this dataset (id or name) (optional)
    :type dataset: string
    :param limit: how many, 20 by default, at most 100
    :type limit: int
    :param offset: how many to skip (paging)
    :type offset: int
    :param sort: ``newest`` (the default) or ``oldest`` first (the moderation queue)
    :type sort: string

    :returns: ``{"count": n, "results": [reuse, ...]}`` (each as ``datasud_reuse_show``)
    :rtype: dict
    :raises NotAuthorized: (403) ``pending`` or ``rejected`` asked without logging in, or
        a dataset the caller may not see
    """
    tk.check_access("datasud_reuse_list", context, data_dict)
    data_dict = data_dict or {}
    state = data_dict.get("state") or "published"
    if state not in REUSE_STATES:
        raise tk.ValidationError({"state": [_("Unknown state: choose published, pending or rejected.")]})
    limit, offset = _paging(data_dict)
    user_name = context.get("user")
    query = model.Session.query(Reuse).filter(Reuse.state == state)
    if state != "published" and not reuses.is_programme_team(user_name):
        query = query.filter(Reuse.user_id == (reuses.user_id_of(user_name) or ""))
    dataset = data_dict.get("dataset")
    if dataset:
        package = model.Package.get(dataset) if isinstance(dataset, str) else None
        if package is None or package.state != "active":
            raise tk.ObjectNotFound(_("Dataset not found"))
        tk.check_access("package_show", {"user": user_name}, {"id": package.id})
        query = query.join(ReuseDataset, ReuseDataset.reuse_id == Reuse.id).filter(
            ReuseDataset.package_id == package.id)
    count = query.count()
    if data_dict.get("sort") == "oldest":
        order = [Reuse.created, Reuse.id]
    else:
        order = [Reuse.moderated.desc() if state != "pending" else Reuse.created.desc(), Reuse.created.desc(), Reuse.id]
    rows = query.order_by(*order).offset(offset).limit(limit).all()
    datasets = reuses.public_datasets(r.id for r in rows)
    return {"count": count, "results": [
        reuses.dictize(r, datasets[r.id], internal=reuses.may_see_unpublished(r, user_name)) for r in rows]}


def _paging(data_dict: dict) -> tuple[int, int]:
    try:
        limit = int(data_dict.get("limit") or LIST_LIMIT[0])
        offset = int(data_dict.get("offset") or 0)
    except (TypeError, ValueError):
        raise tk.ValidationError({"limit": [_("limit and offset must be whole numbers.")]})
    if limit < 1 or offset < 0:
        raise tk.ValidationError({"limit": [_("limit and offset must be whole numbers.")]})
    return min(limit, LIST_LIMIT[1]), offset


def datasud_reuse_moderate(context, data_dict):
    """Publish or reject a reuse (the programme team). A published reuse can be rejected
    later (a dead link), a rejected one published. The declarant is told by e-mail.

    :param id: the reuse's id
    :type id: string
    :param decision: ``publish`` or ``reject``
    :type decision: string
    :param reason: why it is rejected (required to reject, at most 2000 characters; sent
        to the declarant)
    :type reason: string

    :returns: the reuse, as ``datasud_reuse_show`` gives it to the programme team
    :rtype: dict
    :raises NotAuthorized: (403) not the programme team
    :raises ValidationError: (409) an unknown decision, no reason to reject, or the reuse
        already in that state
    """
    tk.check_access("datasud_reuse_moderate", context, data_dict)
    decision = data_dict.get("decision")
    if decision not in DECISIONS:
        raise tk.ValidationError({"decision": [_("Choose publish or reject.")]})
    reason = _text(data_dict, "reason")
    if decision == "reject" and not reason:
        raise tk.ValidationError({"reason": [_("Give the reason of the rejection: it is sent to the declarant.")]})
    if len(reason) > REASON_LENGTH:
        raise tk.ValidationError({"reason": [_("At most {count} characters.").format(count=REASON_LENGTH)]})
    _get(data_dict)
    reuse = (model.Session.query(Reuse).filter(Reuse.id == data_dict["id"])
             .populate_existing().with_for_update().one())
    target = DECISIONS[decision]
    if reuse.state == target:
        model.Session.rollback()
        message = (_("This reuse is already published.") if target == "published"
                   else _("This reuse is already rejected."))
        raise tk.ValidationError({"decision": [message]})
    reuse.state = target
    reuse.moderated_by = reuses.user_id_of(context.get("user"))
    reuse.moderated = dt.datetime.utcnow()
    reuse.rejection_reason = reason if target == "rejected" else ""
    model.Session.commit()
    log.info("reuse %s %s by %s", reuse.id, target, context.get("user"))
    from ckanext.datasud import outbox, tasks
    outbox.send(tasks.notify_reuse_moderation, args=[reuse.id])
    return _dictized(reuse, context.get("user"))


def datasud_reuse_delete(context, data_dict):
    """Delete a reuse and its uploaded image: the programme team, or its declarant while
    it is pending.

    :param id: the reuse's id
    :type id: string

    :returns: nothing
    :raises ObjectNotFound: (404) no such reuse
    :raises NotAuthorized: (403) someone else, or the declarant once it was moderated
    """
    reuse = _get(data_dict)
    tk.check_access("datasud_reuse_delete", context, data_dict)
    image = reuse.image_url
    model.Session.delete(reuse)
    model.Session.commit()
    reuses.remove_uploaded_image(image)
    log.info("reuse %s deleted by %s", data_dict["id"], context.get("user"))
