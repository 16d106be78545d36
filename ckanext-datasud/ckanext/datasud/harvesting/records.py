"""What happens to a harvested record in DataSud, whatever the harvester:

- while a record is imported, :func:`importing` holds its source's settings, so the
  dataset actions know a pre-validated source publishes (and nothing else does);
- a new record is published directly with a history line (pre-validated source) or
  enters the validation workflow, waiting for the legal service (:func:`after_import`);
- a record removed upstream is withdrawn, never deleted (:func:`withdraw`), and comes
  back when it reappears;
- an unchanged record is not rewritten (:func:`unchanged`, content digest).
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import json
import logging
from typing import Any, Iterator, Optional

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckanext.harvest.model import HarvestObject, HarvestObjectExtra

from ckanext.datasud import conventions
from ckanext.datasud.harvesting.settings import SourceSettings
from ckanext.datasud.model.review import Review, WorkflowState

log = logging.getLogger(__name__)

DIGEST_KEY = "datasud_digest"
WITHDRAW = "harvest_withdraw"

_current: contextvars.ContextVar[Optional[SourceSettings]] = contextvars.ContextVar(
    "datasud_harvest_import", default=None)
_publishes: contextvars.ContextVar[bool] = contextvars.ContextVar("datasud_harvest_publishes", default=False)
_warnings: contextvars.ContextVar[Optional[list[str]]] = contextvars.ContextVar("datasud_harvest_warnings",
                                                                                default=None)


@contextlib.contextmanager
def importing(harvest_object) -> Iterator[SourceSettings]:
    """Run an import with its source's settings at hand, and whether it publishes
    (decided once per record: the dataset actions and hooks ask several times)."""
    settings = SourceSettings.of(harvest_object.source)
    token = _current.set(settings)
    publishes = _publishes.set(bool(settings.prevalidated and settings.owner_org and
                                    conventions.may_publish(settings.owner_org)))
    warnings = _warnings.set([])
    try:
        yield settings
    finally:
        _warnings.reset(warnings)
        _publishes.reset(publishes)
        _current.reset(token)


def current() -> Optional[SourceSettings]:
    return _current.get()


def publishes_directly() -> bool:
    """Whether the import under way may make its dataset public: a pre-validated source
    of a partner whose convention is in force."""
    return current() is not None and _publishes.get()


def warn(*messages: str) -> None:
    """Keep French warnings for the record being imported (what was absorbed: a value
    dropped, normalised or guessed); the harvester writes them into the job report once
    the import is over (:func:`warnings`)."""
    kept = _warnings.get()
    if kept is None:
        return
    for message in messages:
        if message and message not in kept:
            kept.append(message)


def warnings() -> list[str]:
    """The warnings kept for the record being imported, in order, without repeats."""
    return list(_warnings.get() or [])


def is_datasud_source(source_type: Optional[str]) -> bool:
    return bool(source_type) and source_type.startswith("datasud_")


# --- What the dataset becomes ------------------------------------------------------

def state_of(package_id: Optional[str]) -> Optional[WorkflowState]:
    return model.Session.get(WorkflowState, package_id) if package_id else None


def withdrawn_by_harvest(package_id: str) -> bool:
    row = state_of(package_id)
    if row is None or row.state != "withdrawn":
        return False
    last = (model.Session.query(Review).filter_by(package_id=package_id)
            .order_by(Review.created.desc()).first())
    return last is not None and last.transition == WITHDRAW


def target_private(package_id: Optional[str]) -> bool:
    """Whether the imported dataset stays (or becomes) private."""
    row = state_of(package_id)
    if row is not None and row.state == "published":
        return False
    if row is not None and row.state == "withdrawn" and not withdrawn_by_harvest(package_id):
        return True  # withdrawn by a person: the harvest does not bring it back
    return not publishes_directly()


def _harvest_user() -> model.User:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return model.User.get(site_user["name"])


def _record(package: model.Package, transition: str, to_state: str, comment: str,
            details: dict[str, Any]) -> Review:
    row = state_of(package.id)
    if row is None:
        row = WorkflowState(package_id=package.id, state="draft", version=0)
        model.Session.add(row)
    review = Review(package_id=package.id, transition=transition, from_state=row.state, to_state=to_state,
                    decision=transition, comment=comment, details=details, user_id=_harvest_user().id)
    model.Session.add(review)
    row.state, row.version, row.modified = to_state, (row.version or 0) + 1, dt.datetime.utcnow()
    package.private = to_state != "published"
    return review


def _source_details(settings: SourceSettings) -> dict[str, Any]:
    return {"harvest_source_id": settings.source_id, "harvest_source": settings.title,
            "validation": settings.validation}


def after_import(package_id: str, created: bool) -> None:
    """Record in the workflow what an import did: a new dataset published by convention
    or submitted for validation; a withdrawn one back."""
    settings = current()
    package = model.Package.get(package_id)
    if settings is None or package is None:
        return
    convention = conventions.convention_in_force(settings.owner_org) if settings.owner_org else None
    reference = convention.reference if convention is not None else ""
    review = None
    if created or state_of(package_id) is None:
        if publishes_directly():
            review = _record(package, "harvest_publish", "published",
                             f"Publié par moissonnage de « {settings.title} » : pré-validé par la convention "
                             f"{reference}.".replace(" .", "."), _source_details(settings))
        else:
            review = _record(package, "harvest_submit", "submitted",
                             f"Moissonné depuis « {settings.title} » : soumis à la validation.",
                             _source_details(settings))
    elif withdrawn_by_harvest(package_id):
        if publishes_directly():
            review = _record(package, "harvest_reappear", "published",
                             f"De retour dans le catalogue « {settings.title} » : publié à nouveau "
                             f"(convention {reference}).".replace(" )", ")"), _source_details(settings))
        else:
            review = _record(package, "harvest_reappear", "submitted",
                             f"De retour dans le catalogue « {settings.title} » : soumis à nouveau à la "
                             "validation.", _source_details(settings))
    if review is None:
        return
    was_private = package.private
    model.Session.commit()
    if review.to_state != "published" or not created or was_private:
        from ckan.lib.search import rebuild
        rebuild(package.id)
    if review.to_state == "submitted":
        from ckanext.datasud.logic.workflow_action import _notify
        _notify(review.id)


EMPTY_CATALOGUE = ("Le catalogue ne liste plus aucune fiche : par précaution, aucun jeu de données n'est retiré. "
                   "Si le partenaire a vraiment vidé son catalogue, supprimez la source.")


def has_current_records(source_id: str) -> bool:
    return model.Session.query(HarvestObject.id).filter(
        HarvestObject.harvest_source_id == source_id, HarvestObject.current == True).first() is not None  # noqa: E712


def withdraw(harvest_object) -> bool:
    """A record removed upstream: the dataset leaves the public catalogue, keeps its
    history, and comes back if the record reappears."""
    package = model.Package.get(harvest_object.package_id or "")
    if package is None or package.state == "deleted":
        return True
    row = state_of(package.id)
    if row is not None and row.state == "withdrawn":
        return True
    source = harvest_object.source
    _record(package, WITHDRAW, "withdrawn",
            f"Retiré : l'enregistrement n'est plus dans le catalogue « {source.title} ».",
            {"harvest_source_id": source.id, "harvest_source": source.title, "guid": harvest_object.guid})
    model.Session.commit()
    from ckan.lib.search import rebuild
    rebuild(package.id)
    log.info("withdrew %s (guid %s), gone from source %s", package.name, harvest_object.guid, source.id)
    return True


# --- Unchanged records ---------------------------------------------------------------

VOLATILE_KEYS = ("name",)  # generated from the title at each gather, not content


def digest(content: str, settings: SourceSettings) -> str:
    """A digest of a record as harvested, and of the source settings applied to it."""
    try:
        record = json.loads(content)
        if isinstance(record, dict):
            for key in VOLATILE_KEYS:
                record.pop(key, None)
        content = json.dumps(record, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        pass
    h = hashlib.sha256(content.encode("utf-8"))
    h.update(json.dumps([settings.publication_mode, settings.validation, settings.default_themes,
                         settings.default_licence, settings.record_url_template]).encode("utf-8"))
    return h.hexdigest()


def previous_digest(harvest_object) -> Optional[str]:
    row = _previous_import(harvest_object)
    return row[1] if row else None


def _previous_import(harvest_object) -> Optional[tuple[str, str]]:
    """(dataset id, digest) of the last successful import of this record."""
    return (model.Session.query(HarvestObject.package_id, HarvestObjectExtra.value)
            .select_from(HarvestObjectExtra)
            .join(HarvestObject, HarvestObject.id == HarvestObjectExtra.harvest_object_id)
            .filter(HarvestObject.guid == harvest_object.guid,
                    HarvestObject.harvest_source_id == harvest_object.harvest_source_id,
                    HarvestObject.id != harvest_object.id,
                    HarvestObject.package_id.isnot(None),
                    HarvestObject.state == "COMPLETE",
                    HarvestObjectExtra.key == DIGEST_KEY)
            .order_by(HarvestObject.gathered.desc()).first())


def remember_digest(harvest_object, value: str) -> None:
    harvest_object.extras.append(HarvestObjectExtra(key=DIGEST_KEY, value=value))


def skip_if_unchanged(harvest_object) -> bool:
    """Before any work on the dataset: whether the record is the same as at its last
    successful import; then this harvest object becomes the current one (as the stock
    import would do) and nothing else is read, written or indexed."""
    settings = current()
    previous = _previous_import(harvest_object) if settings is not None else None
    if previous is None:
        return False
    package_id, previous_value = previous
    value = digest(harvest_object.content or "", settings)
    package = model.Package.get(package_id)
    if previous_value != value or package is None or package.state != "active" or withdrawn_by_harvest(package_id):
        return False
    model.Session.query(HarvestObject).filter(
        HarvestObject.guid == harvest_object.guid, HarvestObject.harvest_source_id == harvest_object.harvest_source_id,
        HarvestObject.current == True, HarvestObject.id != harvest_object.id).update(  # noqa: E712
        {"current": False}, synchronize_session=False)
    harvest_object.current = True
    harvest_object.package_id = package_id
    remember_digest(harvest_object, value)
    harvest_object.add()
    model.Session.commit()
    return True


def unchanged(harvest_object, package_id: str, content: str) -> bool:
    """Whether the record is the same as at its last successful import (then the dataset
    is neither rewritten nor reindexed); records the digest either way."""
    settings = current()
    if settings is None:
        return False
    value = digest(content, settings)
    same = previous_digest(harvest_object) == value and not withdrawn_by_harvest(package_id)
    remember_digest(harvest_object, value)
    harvest_object.package_id = package_id
    harvest_object.add()
    return same
