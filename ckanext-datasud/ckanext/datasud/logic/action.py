"""Actions of DataSud (registered by ``tk.blanket.actions``).

Partner conventions (``datasud_convention_*``), the public list of partners, the key
figures of the home page, publication overrides, and the rule that only a partner with
a convention in force publishes, enforced on every action that can make a dataset
public or run a harvest source.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.navl.dictization_functions import validate

from ckanext.datasud import catalogue_cache, conventions, downloads
from ckanext.datasud.harvesting import actions as harvest_actions, batches, indexing, records
from ckanext.datasud.logic import schema as datasud_schema
from ckanext.datasud.logic import publication, workflow_action
from ckanext.datasud.logic.workflow_action import *  # noqa: F401,F403 - the workflow's actions
from ckanext.datasud.logic.workflow_action import revalidate, state_of
from ckanext.datasud.harvesting.actions import *  # noqa: F401,F403 - harvest sources
from ckanext.datasud.model import Convention, PublicationOverride

__all__ = [
    "datasud_convention_create", "datasud_convention_update", "datasud_convention_show",
    "datasud_convention_list", "datasud_convention_delete", "datasud_partner_list",
    "datasud_publication_override_set", "datasud_publication_override_delete", "datasud_key_figures",
    "package_show", "package_create", "package_update", "bulk_update_public", "bulk_update_private", "bulk_update_delete",
    "package_owner_org_update",
    "harvest_job_create",
] + workflow_action.__all__ + harvest_actions.__all__

_ = tk._

# What only the programme team (and the organisation's admins) may read.
INTERNAL_FIELDS = ("scope_notes", "signatories", "document_url", "created_by", "modified_by")


def convention_dictize(convention: Convention, internal: bool = True) -> dict[str, Any]:
    org = model.Group.get(convention.organization_id)
    data = {
        "id": convention.id,
        "organization_id": convention.organization_id,
        "organization_name": org.name if org else None,
        "organization_title": org.title if org else None,
        "reference": convention.reference,
        "kind": convention.kind,
        "status": convention.status,
        "signed_on": convention.signed_on.isoformat() if convention.signed_on else None,
        "starts_on": convention.starts_on.isoformat(),
        "ends_on": convention.ends_on.isoformat() if convention.ends_on else None,
        "in_force": convention.in_force_on(conventions.today()),
        "signatories": convention.signatories or "",
        "document_url": convention.document_url or "",
        "scope_notes": convention.scope_notes or "",
        "created": convention.created.isoformat(),
        "created_by": convention.created_by,
        "modified": convention.modified.isoformat(),
        "modified_by": convention.modified_by,
    }
    if not internal:
        for key in INTERNAL_FIELDS:
            data.pop(key, None)
    return data


def _validate(data_dict: dict, schema: dict, context) -> dict:
    data, errors = validate(data_dict, schema, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _check_overlap(data: dict, exclude_id: str | None = None) -> None:
    """Two live conventions of the same kind for the same partner must not overlap."""
    if data["status"] in ("expired", "terminated"):
        return
    start, end = data["starts_on"], data.get("ends_on")
    query = model.Session.query(Convention).filter(
        Convention.organization_id == data["organization_id"], Convention.kind == data["kind"],
        Convention.status.notin_(("expired", "terminated")))
    if exclude_id:
        query = query.filter(Convention.id != exclude_id)
    for other in query:
        if (other.ends_on is None or start <= other.ends_on) and (end is None or other.starts_on <= end):
            raise tk.ValidationError({"starts_on": [_(
                "This convention overlaps convention {reference} of the same kind ({start} – {end}).").format(
                reference=other.reference, start=other.starts_on.isoformat(),
                end=other.ends_on.isoformat() if other.ends_on else "…")]})


def _check_reference(data: dict, exclude_id: str | None = None) -> None:
    query = model.Session.query(Convention).filter(Convention.reference == data["reference"])
    if exclude_id:
        query = query.filter(Convention.id != exclude_id)
    if query.count():
        raise tk.ValidationError({"reference": [_('A convention with reference "{reference}" already exists.')
                                                .format(reference=data["reference"])]})


def _store_document(data_dict: dict, data: dict) -> None:
    """A scanned convention: an uploaded file (stored by CKAN's uploader) or a URL."""
    from ckan.lib.uploader import get_uploader

    if not data_dict.get("document_upload") and not data_dict.get("clear_upload"):
        return
    holder = {"document_url": data.get("document_url", ""),
              "document_upload": data_dict.get("document_upload"),
              "clear_upload": data_dict.get("clear_upload")}
    upload = get_uploader("conventions", holder.get("document_url"))
    upload.update_data_dict(holder, "document_url", "document_upload", "clear_upload")
    upload.upload(tk.config.get("ckan.max_resource_size"))
    url = holder.get("document_url") or ""
    if url and not url.startswith(("http://", "https://")):
        # served by a view that checks who asks, never by the storage's static route
        from ckanext.datasud.security.files import convention_document_url
        url = convention_document_url(url)
    data["document_url"] = url


def datasud_convention_create(context, data_dict):
    """Record a convention signed by a partner (the programme team). A partner publishes
    datasets and runs harvest sources only while a convention is in force.

    :param organization_id: the partner (organisation id or name)
    :type organization_id: string
    :param reference: the convention's reference number (unique)
    :type reference: string
    :param kind: ``partnership``, ``data_opening_support`` or ``harvesting``
    :type kind: string
    :param status: ``draft`` (default), ``in_force``, ``suspended``, ``expired`` or ``terminated``
    :type status: string
    :param signed_on: date of signature, YYYY-MM-DD (optional)
    :type signed_on: string
    :param starts_on: start date, YYYY-MM-DD
    :type starts_on: string
    :param ends_on: end date, YYYY-MM-DD (optional: open-ended)
    :type ends_on: string
    :param signatories: who signed (optional, internal)
    :type signatories: string
    :param scope_notes: internal notes (optional)
    :type scope_notes: string
    :param document_url: the scanned convention's address (optional), or
    :param document_upload: the scanned convention, a file sent as multipart form data
    :param clear_upload: true to remove the stored document
    :type clear_upload: bool

    :returns: the convention: the fields above, ``id``, ``organization_name``,
        ``organization_title``, ``in_force`` (whether it is in force today), ``created``,
        ``created_by``, ``modified``, ``modified_by``
    :rtype: dict
    :raises NotAuthorized: (403) not the programme team
    :raises ValidationError: (409) a field missing or invalid, a reference already used,
        an overlap with another live convention of the same kind
    """
    tk.check_access("datasud_convention_create", context, data_dict)
    data = _validate(data_dict, datasud_schema.convention_schema(), context)
    _check_reference(data)
    _check_overlap(data)
    _store_document(data_dict, data)
    user = context.get("user")
    convention = Convention(created_by=user, modified_by=user, **{
        k: data.get(k) for k in ("organization_id", "reference", "kind", "status", "signed_on", "starts_on",
                                 "ends_on", "signatories", "document_url", "scope_notes")})
    model.Session.add(convention)
    model.Session.commit()
    return convention_dictize(convention)


def _get(data_dict) -> Convention:
    reference = tk.get_or_bust(data_dict, "id")
    convention = model.Session.get(Convention, reference) if isinstance(reference, str) else None
    if convention is None:
        raise tk.ObjectNotFound(_("Convention not found"))
    return convention


def datasud_convention_update(context, data_dict):
    """Change a convention (the programme team). The fields left out keep their value.

    :param id: the convention's id
    :type id: string
    :param organization_id: the partner (organisation id or name)
    :type organization_id: string
    :param reference: the convention's reference number (unique)
    :type reference: string
    :param kind: ``partnership``, ``data_opening_support`` or ``harvesting``
    :type kind: string
    :param status: ``draft`` (default), ``in_force``, ``suspended``, ``expired`` or ``terminated``
    :type status: string
    :param signed_on: date of signature, YYYY-MM-DD (optional)
    :type signed_on: string
    :param starts_on: start date, YYYY-MM-DD
    :type starts_on: string
    :param ends_on: end date, YYYY-MM-DD (optional: open-ended)
    :type ends_on: string
    :param signatories: who signed (optional, internal)
    :type signatories: string
    :param scope_notes: internal notes (optional)
    :type scope_notes: string
    :param document_url: the scanned convention's address (optional), or
    :param document_upload: the scanned convention, a file sent as multipart form data
    :param clear_upload: true to remove the stored document
    :type clear_upload: bool

    :returns: the convention: the fields above, ``id``, ``organization_name``,
        ``organization_title``, ``in_force`` (whether it is in force today), ``created``,
        ``created_by``, ``modified``, ``modified_by``
    :rtype: dict
    :raises ObjectNotFound: (404) no convention ``id``
    :raises NotAuthorized: (403) not the programme team
    :raises ValidationError: (409) ``id`` missing, a field invalid, a reference already
        used, an overlap with another live convention of the same kind
    """
    convention = _get(data_dict)
    current = convention_dictize(convention)
    merged = {**{k: v for k, v in current.items() if v is not None}, **data_dict}
    tk.check_access("datasud_convention_update", context, merged)
    data = _validate(merged, datasud_schema.convention_update_schema(), context)
    _check_reference(data, exclude_id=convention.id)
    _check_overlap(data, exclude_id=convention.id)
    _store_document(data_dict, data)
    for key in ("organization_id", "reference", "kind", "status", "signed_on", "starts_on", "ends_on",
                "signatories", "document_url", "scope_notes"):
        setattr(convention, key, data.get(key))
    convention.modified = dt.datetime.utcnow()
    convention.modified_by = context.get("user")
    model.Session.commit()
    return convention_dictize(convention)


@tk.side_effect_free
def datasud_convention_show(context, data_dict):
    """A convention, with its internal fields (the programme team and the partner's admins).

    :param id: the convention's id
    :type id: string

    :returns: the convention: the fields above, ``id``, ``organization_name``,
        ``organization_title``, ``in_force`` (whether it is in force today), ``created``,
        ``created_by``, ``modified``, ``modified_by``
    :rtype: dict
    :raises ObjectNotFound: (404) no convention ``id``
    :raises NotAuthorized: (403) neither the programme team nor the partner's admins
    :raises ValidationError: (409) ``id`` missing
    """
    convention = _get(data_dict)
    tk.check_access("datasud_convention_show", context, {"organization_id": convention.organization_id})
    return convention_dictize(convention)


@tk.side_effect_free
def datasud_convention_list(context, data_dict):
    """Conventions, latest start first (the programme team; a partner's admins for their
    own organisation's).

    :param organization_id: only this partner's (organisation id or name; optional)
    :type organization_id: string
    :param status: only those in this status (optional): ``draft``, ``in_force``,
        ``suspended``, ``expired`` or ``terminated``
    :type status: string

    :returns: the conventions, as ``datasud_convention_show`` gives them
    :rtype: list of dicts
    :raises ObjectNotFound: (404) no organisation ``organization_id``
    :raises NotAuthorized: (403) neither the programme team nor the partner's admins
    """
    tk.check_access("datasud_convention_list", context, data_dict)
    query = model.Session.query(Convention)
    if data_dict.get("organization_id"):
        org = conventions.organization_of(data_dict["organization_id"])
        if org is None:
            raise tk.ObjectNotFound(_("Organisation not found"))
        query = query.filter(Convention.organization_id == org.id)
    if data_dict.get("status"):
        query = query.filter(Convention.status == data_dict["status"])
    return [convention_dictize(c) for c in query.order_by(Convention.starts_on.desc(), Convention.reference)]


def datasud_convention_delete(context, data_dict):
    """Delete a convention (the programme team); its history is not kept: to end a
    convention, prefer ``datasud_convention_update`` with ``status=terminated``.

    :param id: the convention's id
    :type id: string

    :returns: nothing
    :raises ObjectNotFound: (404) no convention ``id``
    :raises NotAuthorized: (403) not the programme team
    :raises ValidationError: (409) ``id`` missing
    """
    convention = _get(data_dict)
    tk.check_access("datasud_convention_delete", context, {"organization_id": convention.organization_id})
    model.Session.delete(convention)
    model.Session.commit()


@tk.side_effect_free
def datasud_partner_list(context, data_dict):
    """The partners with a convention in force, by title (public: anyone, no parameters).

    :returns: each partner's ``id``, ``name``, ``title``, ``partner_type``, ``image_url``,
        ``image_display_url``, ``convention_since`` (YYYY-MM-DD) and
        ``public_dataset_count``; never the conventions' internal fields
    :rtype: list of dicts
    """
    tk.check_access("datasud_partner_list", context, data_dict)
    today = conventions.today()
    counts = tk.get_action("package_search")(
        {"ignore_auth": True}, {"rows": 0, "facet.field": ["organization"], "facet.limit": -1,
                                "include_private": False})["facets"].get("organization", {})
    partners = []
    org_ids = {c.organization_id for c in Convention.in_force_query(today)}
    for org_id in org_ids:
        org = model.Group.get(org_id)
        if org is None or org.state != "active":
            continue
        extras = org.extras or {}
        partners.append({
            "id": org.id, "name": org.name, "title": org.title,
            "partner_type": extras.get("partner_type"),
            "image_url": org.image_url,
            "image_display_url": _image_display_url(org.image_url),
            "convention_since": conventions.partner_since(org.id, today).isoformat(),
            "public_dataset_count": counts.get(org.name, 0),
        })
    return sorted(partners, key=lambda p: p["title"].lower())


def _image_display_url(image_url: str | None) -> str | None:
    """As CKAN shows an organisation's logo: uploaded files live under uploads/group/."""
    if not image_url:
        return None
    if image_url.startswith(("http://", "https://")):
        return image_url
    from ckan.lib.munge import munge_filename_legacy
    return tk.h.url_for_static(f"uploads/group/{munge_filename_legacy(image_url)}", qualified=True)


def datasud_publication_override_set(context, data_dict):
    """Let an organisation publish without a convention in force (sysadmins), or change
    the reason of its override.

    :param organization_id: the organisation (id or name)
    :type organization_id: string
    :param reason: why it may publish without a convention (recorded)
    :type reason: string

    :returns: ``organization_id``, ``reason``, ``created``, ``created_by``
    :rtype: dict
    :raises NotAuthorized: (403) not a sysadmin
    :raises ValidationError: (409) ``organization_id`` unknown or ``reason`` missing
    """
    tk.check_access("datasud_publication_override_set", context, data_dict)
    data = _validate(data_dict, datasud_schema.override_schema(), context)
    override = model.Session.get(PublicationOverride, data["organization_id"]) or PublicationOverride(
        organization_id=data["organization_id"])
    override.reason = data["reason"]
    override.created = dt.datetime.utcnow()
    override.created_by = context.get("user")
    model.Session.add(override)
    model.Session.commit()
    return {"organization_id": override.organization_id, "reason": override.reason,
            "created": override.created.isoformat(), "created_by": override.created_by}


def datasud_publication_override_delete(context, data_dict):
    """End an organisation's override (sysadmins): it publishes again only with a
    convention in force.

    :param organization_id: the organisation (id or name)
    :type organization_id: string

    :returns: nothing
    :raises ObjectNotFound: (404) no override for this organisation
    :raises NotAuthorized: (403) not a sysadmin
    :raises ValidationError: (409) ``organization_id`` missing
    """
    tk.check_access("datasud_publication_override_delete", context, data_dict)
    org = conventions.organization_of(tk.get_or_bust(data_dict, "organization_id"))
    override = org and model.Session.get(PublicationOverride, org.id)
    if override is None:
        raise tk.ObjectNotFound(_("No override for this organisation"))
    model.Session.delete(override)
    model.Session.commit()


@tk.side_effect_free
def datasud_key_figures(context, data_dict):
    """The key figures (« Chiffres clés ») of the home page (public: anyone, no parameters).

    :returns: ``partners_with_convention`` (partners with a convention in force),
        ``producer_organisations`` (organisations with at least one public dataset),
        ``datasets`` (public datasets), ``reuses`` and ``downloads`` (downloads counted
        since the beginning)
    :rtype: dict
    """
    tk.check_access("datasud_key_figures", context, data_dict)
    from ckanext.datasud.services import downloads_total
    from ckanext.datasud.reuses import published_count as reuses_published_count
    search = tk.get_action("package_search")(
        {"ignore_auth": True}, {"rows": 0, "facet.field": ["organization"], "facet.limit": -1,
                                "include_private": False})
    return {
        "partners_with_convention": Convention.in_force_query().with_entities(
            Convention.organization_id).distinct().count(),
        "producer_organisations": len([n for n, c in search["facets"].get("organization", {}).items() if c]),
        "datasets": search["count"],
        "reuses": reuses_published_count(),
        "downloads": downloads_total(),
    }


# --- Nothing public outside the workflow; only a partner with a convention publishes ---
# The rule is decided on the values CKAN stores, by the dataset hooks (logic/publication.py).
# These chained actions refuse earlier, with the same errors, on CKAN's own reading of the
# input (before any work is done), and cover what the hooks do not see: bulk updates and
# changes of organisation, which write without package_update.

def _refuse_if_cannot_publish(org_id: str | None) -> None:
    org = conventions.organization_of(org_id) if org_id else None
    if org is not None and not conventions.may_publish(org.id):
        raise tk.ValidationError({"private": [conventions.refusal_message(org.title)]})


def _refuse_if_published_by_hand(data_dict: dict) -> None:
    """A call that would store ``private=False`` on a dataset the workflow has not published."""
    if "private" in data_dict and not publication.stored_private(data_dict["private"]):
        raise publication.unvalidated_error()


# Edits of a published dataset that need a new validation: the dataset goes back to the
# legal service (submitted) and is unpublished until validated again.
REVALIDATED_FIELDS = ("license_id", "publication_mode", "owner_org")


@tk.chained_action
@tk.side_effect_free
def package_show(up_func, context, data_dict):
    # While a harvest import defers its indexing (harvesting/indexing.py), the search index
    # is behind the database for what the import touches: CKAN's look-up of the index's
    # copy (``use_cache``) would only cost a Solr request that misses or is stale.
    if indexing.deferring():
        context["use_cache"] = False
    return up_func(context, data_dict)


@tk.chained_action
def package_create(up_func, context, data_dict):
    downloads.drop_counts(data_dict)  # computed by package_show, never stored
    if "type" in data_dict:
        publication.check_type(data_dict["type"])
    if data_dict.get("type") == publication.HARVEST_SOURCE:
        if "private" in data_dict:
            publication.stored_private(data_dict["private"])  # readable, or a clear error
        harvest_actions.merge_settings(data_dict)  # settings given as fields or in config
        return up_func(context, data_dict)  # its own checks: harvesting/actions.py
    if records.current() is not None and context.get("user") and not context.get("auth_user_obj"):
        context["auth_user_obj"] = batches.user_named(context["user"])  # an import's user, read once
    if records.publishes_directly():
        return up_func(context, data_dict)  # a pre-validated harvest source (its history says so)
    publication.check_owner_org(data_dict, created=True)
    if "private" not in data_dict:
        data_dict["private"] = True  # a draft, until the workflow publishes it
    _refuse_if_published_by_hand(data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def package_update(up_func, context, data_dict):
    downloads.drop_counts(data_dict)  # computed by package_show, never stored
    name_or_id = data_dict.get("id") or data_dict.get("name")
    current = model.Package.get(name_or_id) if isinstance(name_or_id, str) else None
    if current is None:
        return up_func(context, data_dict)  # CKAN answers: missing id, or not found
    if "type" in data_dict and data_dict["type"] != current.type:
        raise tk.ValidationError({"type": [_("The type of a dataset cannot be changed.")]})
    if "private" in data_dict:
        publication.stored_private(data_dict["private"])  # readable, or a clear error
    if current.type == publication.HARVEST_SOURCE:
        harvest_actions.merge_settings(data_dict, current.id)  # settings left out are kept
    if current.type == publication.HARVEST_SOURCE or records.publishes_directly():
        return up_func(context, data_dict)
    publication.check_owner_org(data_dict, created=False)
    if state_of(current.id) != "published":
        _refuse_if_published_by_hand(data_dict)
        return up_func(context, data_dict)
    # published: stays public unless made private; some edits need a new validation
    changed = [key for key in REVALIDATED_FIELDS
               if key in data_dict and data_dict[key] not in (None, "") and
               str(data_dict[key]) not in (_current_value(current, key), _org_name(current))]
    if not changed:
        return up_func(context, data_dict)
    # the edit and the return to the legal service are committed (and indexed) together
    up_func({**context, "defer_commit": True}, data_dict)
    revalidate(context, current, changed)
    if context.get("return_id_only"):
        return current.id
    return tk.get_action("package_show")({**context, "ignore_auth": True}, {"id": current.id})


def _current_value(package: model.Package, key: str) -> str:
    value = getattr(package, key) if key in ("license_id", "owner_org") else package.extras.get(key)
    return str(value or "")


def _org_name(package: model.Package) -> str:
    org = model.Group.get(package.owner_org) if package.owner_org else None
    return org.name if org else ""


def _bulk_targets(data_dict: dict) -> list[model.Package]:
    """The datasets a bulk update will change, found as CKAN finds them (ids of the
    organisation ``org_id``); malformed input is refused (stock CKAN answers 500)."""
    datasets, org_id = data_dict.get("datasets"), data_dict.get("org_id")
    if not isinstance(datasets, list) or not all(isinstance(d, str) for d in datasets):
        raise tk.ValidationError({"datasets": [_("Give a list of dataset ids.")]})
    if not isinstance(org_id, str) or not org_id:
        raise tk.ValidationError({"org_id": [_("Give the id of the organisation.")]})
    if not datasets:
        return []
    return model.Session.query(model.Package).filter(
        model.Package.id.in_(datasets), model.Package.owner_org == org_id).all()


@tk.chained_action
def bulk_update_public(up_func, context, data_dict):
    targets = _bulk_targets(data_dict)
    tk.check_access("bulk_update_public", context, data_dict)
    if any(p.type != publication.HARVEST_SOURCE and state_of(p.id) != "published" for p in targets):
        raise publication.unvalidated_error()
    _refuse_if_cannot_publish(data_dict["org_id"])
    result = up_func(context, data_dict)
    catalogue_cache.changed(data_dict["datasets"])  # CKAN reindexes after its commit: caches learn it now
    return result


@tk.chained_action
def bulk_update_private(up_func, context, data_dict):
    _bulk_targets(data_dict)
    result = up_func(context, data_dict)
    catalogue_cache.changed(data_dict["datasets"])  # CKAN reindexes after its commit: caches learn it now
    return result


@tk.chained_action
def bulk_update_delete(up_func, context, data_dict):
    result = up_func(context, data_dict)
    catalogue_cache.changed(data_dict.get("datasets") or [])  # CKAN reindexes after its commit: caches learn it now
    return result


@tk.chained_action
def package_owner_org_update(up_func, context, data_dict):
    """A public dataset moving to another organisation (or to none) goes back to the legal
    service, as when package_update changes ``owner_org``: the new producer's convention
    and the licence are checked again. (package_create and package_update call this action
    with the organisation they have just stored: no move, nothing to do.)"""
    name_or_id, org_ref = data_dict.get("id"), data_dict.get("organization_id")
    if not isinstance(name_or_id, str) or not isinstance(org_ref, (str, type(None))):
        raise tk.ValidationError({"organization_id": [_("Give the id of the dataset and of the organisation.")]})
    package = model.Package.get(name_or_id)
    org = model.Group.get(org_ref) if org_ref else None
    moves = (package is not None and package.type != publication.HARVEST_SOURCE and not package.private
             and (org.id if org is not None else None) != package.owner_org)
    if not moves:
        return up_func(context, data_dict)
    result = up_func({**context, "defer_commit": True}, data_dict)
    revalidate(context, package, ["owner_org"])
    return result


@tk.chained_action
def harvest_job_create(up_func, context, data_dict):
    source = model.Package.get(data_dict.get("source_id") or "")
    if source is not None and source.owner_org and not conventions.may_publish(source.owner_org):
        org = model.Group.get(source.owner_org)
        raise tk.ValidationError({"source_id": [_(
            "{organization} has no convention in force with the Région: its harvest sources cannot run.")
            .format(organization=org.title)]})
    from ckanext.datasud.harvesting import jobs
    return jobs.create_job(up_func, context, data_dict)  # a clear error when the queue is down


# --- Download mode
from ckanext.datasud.harvesting.download import resource_create, resource_update  # noqa: E402

__all__ += ["resource_create", "resource_update"]

# --- Search errors in French, without Solr's internals
from ckanext.datasud.search_errors import package_search  # noqa: E402

__all__ += ["package_search"]

# --- Partners' harvest sources are listed to their members only
from ckanext.datasud.harvesting.access import harvest_source_list  # noqa: E402

__all__ += ["harvest_source_list"]

from ckanext.datasud.logic.reuse_action import *  # noqa: E402,F401,F403 - reuses
from ckanext.datasud.logic import reuse_action as _reuse_action  # noqa: E402

__all__ += _reuse_action.__all__

# --- DCAT endpoints: published datasets only, harvesters' dates, encoded Hydra paging
from ckanext.datasud.dcat_endpoints import dcat_catalog_search, dcat_catalog_show, dcat_dataset_show  # noqa: E402

__all__ += ["dcat_catalog_show", "dcat_catalog_search", "dcat_dataset_show"]
