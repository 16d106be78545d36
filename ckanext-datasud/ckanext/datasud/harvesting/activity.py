"""The activity of a harvested dataset, recorded once its import is over.

CKAN's activity plugin records « new package » or « changed package » when
``package_create`` or ``package_update`` succeeds, from a ``package_show`` of its own
(the dataset dictized and validated again: about a seventh of a new record's import),
and with the dataset as it is at that moment. For a harvested record that moment comes
before the import has decided whether the dataset is published, so the creation of a
dataset published by convention was labelled as that of a private one.

While a record is imported (:func:`deferred`, entered by ``indexing.one_index_per_record``
around every DataSud harvester's import), DataSud's receiver of those two signals only
notes the activity due; once the dataset is indexed, :func:`record` writes it from the
copy the search index has just validated (what ``package_show`` returns from that copy,
the hooks of ``package_show`` run on it), with the dataset's final visibility. Outside an
import, the activity is CKAN's own, unchanged: DataSud's receiver takes the place of the
activity plugin's for these two senders (:func:`install`) and calls it.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from typing import Any, Iterator, Optional

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import get_permission_labels

from ckanext.datasud import downloads
from ckanext.datasud.harvesting import batches

log = logging.getLogger(__name__)

# the actions whose activity an import writes itself, and the activity type of each
_TYPES = {"package_create": "new package", "package_update": "changed package"}
SENDERS = tuple(_TYPES)

# package id -> (activity type, user name), for the import under way
_noted: contextvars.ContextVar[Optional[dict[str, tuple[str, str]]]] = contextvars.ContextVar(
    "datasud_harvest_activities", default=None)


def _activity_receiver():
    from ckanext.activity.subscriptions import package_changed
    return package_changed


def _connected(receiver, sender: str) -> bool:
    return any(found is receiver for found in tk.signals.action_succeeded.receivers_for(sender))


def install() -> None:
    """Put DataSud's receiver in the place of the activity plugin's for package_create
    and package_update (idempotent; again after the plugins are loaded again)."""
    if not p.plugin_loaded("activity"):
        return
    signal, stock = tk.signals.action_succeeded, _activity_receiver()
    for sender in SENDERS:
        if _connected(stock, sender):
            signal.disconnect(stock, sender=sender)
        if not _connected(package_changed, sender):
            signal.connect(package_changed, sender=sender, weak=False)


def package_changed(sender: str, **kwargs: Any) -> None:
    """During an import: note the activity due. Elsewhere: the activity plugin's own."""
    if not p.plugin_loaded("activity"):
        return
    stock = _activity_receiver()
    noted = _noted.get()
    if noted is None:
        # in its place: call it (connected again, after the plugins were loaded again,
        # it runs on its own)
        if not _connected(stock, sender):
            stock(sender, **kwargs)
        return
    result, data_dict = kwargs.get("result"), kwargs.get("data_dict") or {}
    package_id = result if isinstance(result, str) else (result or {}).get("id") or data_dict.get("id")
    package = model.Package.get(package_id) if package_id else None
    if package is None:
        return
    user = (kwargs.get("context") or {}).get("user") or ""
    noted.setdefault(package.id, (_TYPES[sender], user))


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Within: the activities of package_create and package_update are noted, and
    written by :func:`record`. Nested uses share the outer one."""
    if _noted.get() is not None:
        yield
        return
    install()
    token = _noted.set({})
    try:
        yield
    finally:
        _noted.reset(token)


def forget() -> None:
    """The activities noted so far are not due (what they describe was rolled back)."""
    noted = _noted.get()
    if noted:
        noted.clear()


def due(package_id: str) -> bool:
    return package_id in (_noted.get() or {})


def validated_copy(indexed: dict[str, Any]) -> Optional[str]:
    """The dataset as the show schema validated it for the search index (JSON), from the
    dict ``index_package`` was given: it serialises that dict into ``data_dict`` just after
    putting the validated copy in it, before the indexing hooks add what only the index
    keeps (download counts, ckanext-harvest's extras) to the ``validated_data_dict`` sent
    to Solr."""
    try:
        found = json.loads(indexed.get("data_dict") or "{}").get("validated_data_dict")
    except (TypeError, ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


def record(package_id: str, validated_json: Optional[str] = None) -> None:
    """Write the activity noted for a dataset (if any), from the search index's validated
    copy of it (:func:`validated_copy`) when given, else from ``package_show``. An
    activity that cannot be written is logged: the import loses its activity, never its
    dataset, its index or its report."""
    try:
        _write(package_id, validated_json)
    except Exception:  # noqa: BLE001
        log.exception("no activity written for dataset %s", package_id)
        model.Session.rollback()


def _write(package_id: str, validated_json: Optional[str]) -> None:
    noted = _noted.get()
    activity_type, user_name = (noted or {}).pop(package_id, (None, None))
    package = model.Package.get(package_id)
    if activity_type is None or package is None:
        return
    user = batches.user_named(user_name) if user_name else None
    if user is None:
        log.warning("no activity for dataset %s: unknown user %r", package_id, user_name)
        return
    dataset = _shown(package, validated_json)
    tk.get_action("activity_create")({"ignore_auth": True, "user": user.name, "auth_user_obj": user}, {
        "user_id": user.id,
        "object_id": package.id,
        "activity_type": activity_type,
        "data": {"package": dataset, "actor": user.name},
        "permission_labels": get_permission_labels().get_dataset_labels(package),
    })


def _shown(package: model.Package, validated_json: Optional[str]) -> dict[str, Any]:
    """What ``package_show`` returns (not for view) when it reads the search index's copy."""
    context = {"model": model, "session": model.Session, "ignore_auth": True, "for_view": False,
               "package": package}
    if not validated_json:
        return tk.get_action("package_show")(dict(context), {"id": package.id, "include_tracking": False})
    # the counts of downloads (at the index's copy, as at a show) are never kept in an activity
    dataset = downloads.drop_counts(json.loads(validated_json))
    for plugin in p.PluginImplementations(p.IPackageController):
        plugin.read(package)
    for plugin in p.PluginImplementations(p.IResourceController):
        for resource in dataset.get("resources", []):
            plugin.before_resource_show(resource)
    for plugin in p.PluginImplementations(p.IPackageController):
        plugin.after_dataset_show(context, dataset)
    return dataset


def record_remaining() -> None:
    """Write the activities still due (datasets that were not indexed)."""
    for package_id in list(_noted.get() or {}):
        record(package_id)
