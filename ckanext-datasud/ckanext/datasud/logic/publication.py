"""Nothing becomes public outside the validation workflow, whatever door it goes through.

The rule is decided on what CKAN stores, not on what the caller sent: CKAN calls the
``IPackageController`` hooks ``create(pkg)`` and ``edit(pkg)`` from ``package_create`` and
``package_update`` (so also ``package_patch``, ``package_revise``, the resource actions,
the web forms and the harvesters) after its validators have run and the package has
been written to the session, and before the commit that indexes it. Refusing there
rolls the session back: nothing reaches PostgreSQL or Solr.

A dataset (any type but ``harvest``, ckanext-harvest's sources) may be public only when

- its workflow state is ``published`` (published datasets stay public when edited; the
  workflow itself publishes without these actions: logic/workflow_action.py), or
- it is imported by a pre-validated harvest source of a partner with a convention in
  force (harvesting/records.py).

Harvest sources get their own checks instead (partner, schedule, public URL:
harvesting/actions.py), on the values stored, whatever action wrote them.

The chained actions (logic/action.py) ask the same questions earlier, on CKAN's reading
of the input, to answer with a clear error before any work; these hooks are the rule.
"""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.datasud.harvesting import actions as harvest_actions, records
from ckanext.datasud.logic.workflow_action import state_of

HARVEST_SOURCE = "harvest"
# What CKAN's ``boolean_validator`` (the ``private`` field of every dataset schema we run:
# CKAN's default, ckanext-scheming's, ckanext-harvest's) reads as true; anything else is false.
TRUE_STRINGS = ("true", "yes", "t", "y", "1")


def declared_types() -> set[str]:
    """The dataset types the portal declares: those of its ``IDatasetForm`` plugins
    (ckanext-scheming's schemas, ckanext-harvest's ``harvest``)."""
    return {t for plugin in p.PluginImplementations(p.IDatasetForm) for t in plugin.package_types()}


def unknown_type_error(value: Any) -> tk.ValidationError:
    return tk.ValidationError({"type": [tk._(
        'Unknown dataset type: "{type}". Allowed types: {allowed}.').format(
        type=value if isinstance(value, str) else repr(value), allowed=", ".join(sorted(declared_types())))]})


def check_type(value: Any) -> None:
    """Only the declared types may be created."""
    if not isinstance(value, str) or value not in declared_types():
        raise unknown_type_error(value)


def stored_private(value: Any) -> bool:
    """What CKAN will store for ``private``, read as its boolean validator reads it; a
    value that validator cannot read (a number, a list…) is refused with a clear error
    (stock CKAN answers 500)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return value.lower() in TRUE_STRINGS
    raise tk.ValidationError({"private": [tk._("Private must be true or false.")]})


def unvalidated_error() -> tk.ValidationError:
    """``private=false`` on a dataset the workflow has not published: the message says how
    to publish (API clients read it, not the README)."""
    return tk.ValidationError({"private": [tk._(
        "A dataset is published by the validation workflow (legal opinion, steering committee, "
        "Commission permanente if needed): it stays private until it is validated. Create or update it "
        "with private=true (or without private), then submit it for validation with the action "
        "datasud_workflow_submit (or from its « Validation » page).")]})


def check_owner_org(data_dict: dict, created: bool) -> None:
    """A dataset belongs to a partner: a creation without ``owner_org`` (or an update
    emptying it) is refused with that reason alone. (CKAN would also answer that
    datasets without an organisation cannot be private, which misleads: DataSud's drafts
    are private.)"""
    if not created and "owner_org" not in data_dict:
        return
    value = data_dict.get("owner_org")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise tk.ValidationError({"owner_org": [tk._(
            "A dataset belongs to an organisation: give owner_org (the id or name of the partner "
            "publishing it).")]})


def may_be_public(package: model.Package, created: bool) -> bool:
    """Whether this dataset may be public once written."""
    if records.publishes_directly():
        return True  # a pre-validated harvest source of a partner with a convention in force
    return not created and state_of(package.id) == "published"


def _refuse(error: tk.ValidationError) -> None:
    model.Session.rollback()  # nothing of this call is written, nothing indexed
    raise error


def check_stored(package: model.Package, created: bool) -> None:
    """The ``IPackageController.create``/``edit`` hook: ``package`` as CKAN is about to commit it."""
    if package.type == HARVEST_SOURCE:
        try:
            harvest_actions.check_stored_source(package)
        except tk.ValidationError as error:
            _refuse(error)
        return
    if package.private or may_be_public(package, created):
        return
    _refuse(unvalidated_error())


def check_created(package: model.Package) -> None:
    check_stored(package, created=True)


def check_edited(package: model.Package) -> None:
    check_stored(package, created=False)
