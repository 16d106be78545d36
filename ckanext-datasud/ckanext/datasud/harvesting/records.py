"""What happens to a harvested record in DataSud, whatever the harvester:

- while a record is imported, :func:`importing` holds its source's settings, so the
  dataset actions know a pre-validated source publishes (and nothing else does);
- a new record is published directly with a history line (pre-validated source) or
  enters the validation workflow, waiting for the legal service (:func:`after_import`);
- a record removed upstream is withdrawn, never deleted (:func:`withdraw`), and comes
  back when it reappears;
- an unchanged record is not rewritten (:func:`unchanged`, digest of its canonical form);
- a guid names a dataset within its source only (:func:`dataset_of`): another source
  repeating it gets a dataset of its own, with a warning (:func:`guid_held_elsewhere`).
"""
from __future__ import annotations

import collections
import contextlib
import contextvars
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import re
from typing import Any, Iterator, Optional

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckanext.harvest.model import HarvestObject, HarvestObjectExtra, HarvestSource

from ckanext.datasud import conventions
from ckanext.datasud.harvesting import batches, indexing
from ckanext.datasud.harvesting.settings import SourceSettings
from ckanext.datasud.model.review import Review, WorkflowState

log = logging.getLogger(__name__)

DIGEST_KEY = "datasud_digest"
WITHDRAW = "harvest_withdraw"

_current: contextvars.ContextVar[Optional[SourceSettings]] = contextvars.ContextVar(
    "datasud_harvest_import", default=None)
_publishes: contextvars.ContextVar[bool] = contextvars.ContextVar("datasud_harvest_publishes", default=False)
_job: contextvars.ContextVar[Optional["JobContext"]] = contextvars.ContextVar("datasud_harvest_job", default=None)
_warnings: contextvars.ContextVar[Optional[list[str]]] = contextvars.ContextVar("datasud_harvest_warnings",
                                                                                default=None)


@dataclasses.dataclass(frozen=True)
class JobContext:
    """What every record of a harvest job shares, read once per job: the source's
    settings, whether the partner may publish (convention in force or override), the
    reference of its convention, and the harvest user's id."""
    settings: SourceSettings
    may_publish: bool
    convention_reference: str
    user_id: str


_JOBS_KEPT = 8  # a consumer may alternate between a few sources' jobs
_jobs: "collections.OrderedDict[str, JobContext]" = collections.OrderedDict()


def job_context(harvest_object) -> JobContext:
    """The :class:`JobContext` of an object's job (read at its first record)."""
    key = harvest_object.harvest_job_id or ""
    found = _jobs.get(key) if key else None
    if found is not None:
        return found
    settings = SourceSettings.of(harvest_object.source)
    owner = settings.owner_org
    convention = conventions.convention_in_force(owner) if owner else None
    found = JobContext(settings=settings,
                       may_publish=bool(owner) and (convention is not None
                                                    or conventions.override_for(owner) is not None),
                       convention_reference=convention.reference if convention is not None else "",
                       user_id=_harvest_user().id)
    if key:
        _jobs[key] = found
        while len(_jobs) > _JOBS_KEPT:
            _jobs.popitem(last=False)
    return found


@contextlib.contextmanager
def importing(harvest_object) -> Iterator[SourceSettings]:
    """Run an import with its source's settings at hand, and whether it publishes
    (decided once per job, from the settings and the partner's convention as they are
    when its first record is imported: the dataset actions and hooks ask several times)."""
    job = job_context(harvest_object)
    settings = job.settings
    token = _current.set(settings)
    job_token = _job.set(job)
    publishes = _publishes.set(bool(settings.prevalidated and job.may_publish))
    warnings = _warnings.set([])
    importing_token = _importing.set(harvest_object)
    try:
        yield settings
    finally:
        _importing.reset(importing_token)
        _warnings.reset(warnings)
        _publishes.reset(publishes)
        _job.reset(job_token)
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


def _harvest_user_id() -> str:
    job = _job.get()
    return job.user_id if job is not None else _harvest_user().id


def _record(package: model.Package, transition: str, to_state: str, comment: str,
            details: dict[str, Any], created: bool = False) -> Review:
    row = None if created else state_of(package.id)  # a dataset just created has no state yet
    if row is None:
        row = WorkflowState(package_id=package.id, state="draft", version=0)
        model.Session.add(row)
    review = Review(package_id=package.id, transition=transition, from_state=row.state, to_state=to_state,
                    decision=transition, comment=comment, details=details, user_id=_harvest_user_id())
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
    job = _job.get()
    if job is not None:
        reference = job.convention_reference
    else:
        convention = conventions.convention_in_force(settings.owner_org) if settings.owner_org else None
        reference = convention.reference if convention is not None else ""
    review = None
    if created or state_of(package_id) is None:
        if publishes_directly():
            review = _record(package, "harvest_publish", "published",
                             f"Publié par moissonnage de « {settings.title} » : pré-validé par la convention "
                             f"{reference}.".replace(" .", "."), _source_details(settings), created)
        else:
            review = _record(package, "harvest_submit", "submitted",
                             f"Moissonné depuis « {settings.title} » : soumis à la validation.",
                             _source_details(settings), created)
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
        indexing.reindex(package.id)
    if review.to_state == "submitted":
        from ckanext.datasud.logic.workflow_action import queue_notifications
        review_id = review.id
        batches.after_commit(lambda: queue_notifications(review_id))  # the e-mails read the review


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
    indexing.reindex(package.id)
    log.info("withdrew %s (guid %s), gone from source %s", package.name, harvest_object.guid, source.id)
    return True


# --- Unchanged records ---------------------------------------------------------------

VOLATILE_KEYS = ("name",)  # generated from the title at each gather, not content
# rdflib's generated blank-node ids ("N" or "n" + 32 hex digits, "b" + a serial number
# for some parsers): new at every parse, they say nothing about the record.
BLANK_NODE_ID = re.compile(r"\b[nN][0-9a-f]{32}(?:b\d+)?\b")


def canonical(value: Any) -> Any:
    """A record as comparable from one harvest to the next: blank-node ids blanked out
    (in any string, JSON-encoded values included), lists of dicts and of scalars sorted
    (the order of an RDF graph's nodes is not content)."""
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    if isinstance(value, str):
        return BLANK_NODE_ID.sub("_:b", value)
    return value


def digest(content: str, settings: SourceSettings) -> str:
    """A digest of a record as harvested (its canonical form, so that an unchanged record
    full of blank nodes is recognised), and of the source settings applied to it."""
    try:
        record = json.loads(content)
        if isinstance(record, dict):
            for key in VOLATILE_KEYS:
                record.pop(key, None)
        content = json.dumps(canonical(record), sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        pass
    h = hashlib.sha256(content.encode("utf-8"))
    applied = [settings.publication_mode, settings.validation, settings.default_themes,
               settings.default_licence, settings.record_url_template]
    if settings.excluded_hosts:  # only when set: the digests of other sources stay as they were
        applied.append(sorted(settings.excluded_hosts))
    h.update(json.dumps(applied).encode("utf-8"))
    return h.hexdigest()


def previous_digest(harvest_object) -> Optional[str]:
    row = _previous_import(harvest_object)
    return row[1] if row else None


def _previous_import(harvest_object) -> Optional[tuple[str, str]]:
    """(dataset id, digest) of the last successful import of this record."""
    known = _known_of(harvest_object)
    if known is not None:
        return known.previous.get((harvest_object.harvest_source_id, harvest_object.guid))
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
    retire_previous(harvest_object)
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


# --- What a batch's records already are -------------------------------------------

@dataclasses.dataclass
class Known:
    """What the database holds about the records of a batch (:mod:`.batches`) before any
    of them is imported, read in four queries for the batch instead of four to six per record:
    each record's last import, its dataset, the datasets holding its guid, the current
    objects of its guid (this source's, other sources'). A record's own import is the only
    one that changes what is known of its guid, so a guid listed twice in the batch is not
    known (its records ask the database, as outside a batch)."""
    object_ids: frozenset
    previous: dict  # (source id, guid) -> (dataset id, digest) of the last successful import
    datasets: dict  # (source id, guid) -> the source's dataset of the record
    held: dict  # guid -> active datasets with this guid
    current_here: set  # (source id, guid) with a current object of this source
    current_elsewhere: dict  # (source id, guid) -> current objects of other sources

    def covers(self, harvest_object) -> bool:
        return harvest_object.id in self.object_ids

    def covers_guid(self, source_id: str, guid: str) -> bool:
        """Whether the record under import (:func:`importing`) is this source's guid, known."""
        obj = _importing.get()
        return obj is not None and self.covers(obj) and (obj.harvest_source_id, obj.guid) == (source_id, guid)


_known: contextvars.ContextVar[Optional[Known]] = contextvars.ContextVar("datasud_harvest_known", default=None)
_importing: contextvars.ContextVar[Any] = contextvars.ContextVar("datasud_harvest_object", default=None)


@contextlib.contextmanager
def known_records(objects: list) -> Iterator[None]:
    """Within: what the database holds about these harvest objects' records is read once
    (:class:`Known`), for those whose guid appears once among them."""
    counts = collections.Counter(obj.guid for obj in objects)
    ours = [obj for obj in objects if obj.guid and counts[obj.guid] == 1 and obj.harvest_source_id]
    if not ours:
        yield
        return
    ids = [obj.id for obj in ours]
    guids = sorted({obj.guid for obj in ours})
    sources = sorted({obj.harvest_source_id for obj in ours})
    previous: dict = {}
    for source_id, guid, package_id, value in (
            model.Session.query(HarvestObject.harvest_source_id, HarvestObject.guid, HarvestObject.package_id,
                                HarvestObjectExtra.value)
            .select_from(HarvestObjectExtra)
            .join(HarvestObject, HarvestObject.id == HarvestObjectExtra.harvest_object_id)
            .filter(HarvestObject.guid.in_(guids), HarvestObject.harvest_source_id.in_(sources),
                    HarvestObject.id.notin_(ids), HarvestObject.package_id.isnot(None),
                    HarvestObject.state == "COMPLETE", HarvestObjectExtra.key == DIGEST_KEY)
            .order_by(HarvestObject.gathered.desc())):
        previous.setdefault((source_id, guid), (package_id, value))
    datasets: dict = {}
    for source_id, guid, package_id in (
            model.Session.query(HarvestObject.harvest_source_id, HarvestObject.guid, HarvestObject.package_id)
            .join(model.Package, model.Package.id == HarvestObject.package_id)
            .filter(HarvestObject.guid.in_(guids), HarvestObject.harvest_source_id.in_(sources),
                    model.Package.state == "active")
            .order_by(HarvestObject.current.desc(), HarvestObject.gathered.desc())):
        datasets.setdefault((source_id, guid), package_id)
    held: dict = collections.defaultdict(list)
    for package_id, guid in (
            model.Session.query(model.Package.id, model.PackageExtra.value)
            .join(model.PackageExtra, model.PackageExtra.package_id == model.Package.id)
            .filter(model.PackageExtra.key == "guid", model.PackageExtra.value.in_(guids),
                    model.Package.state == "active")):
        held[guid].append(package_id)
    current_here, current_objects = set(), collections.defaultdict(list)
    for object_id, source_id, guid in (
            model.Session.query(HarvestObject.id, HarvestObject.harvest_source_id, HarvestObject.guid)
            .filter(HarvestObject.guid.in_(guids), HarvestObject.current == True,  # noqa: E712
                    HarvestObject.id.notin_(ids))):
        current_here.add((source_id, guid))
        current_objects[guid].append((source_id, object_id))
    elsewhere = {(obj.harvest_source_id, obj.guid): [object_id for source_id, object_id in current_objects[obj.guid]
                                                     if source_id != obj.harvest_source_id] for obj in ours}
    token = _known.set(Known(object_ids=frozenset(ids), previous=previous, datasets=datasets, held=dict(held),
                             current_here=current_here, current_elsewhere=elsewhere))
    try:
        yield
    finally:
        _known.reset(token)


def _known_of(harvest_object) -> Optional[Known]:
    known = _known.get()
    return known if known is not None and known.covers(harvest_object) else None


def _known_guid(source_id: str, guid: str) -> Optional[Known]:
    known = _known.get()
    return known if known is not None and known.covers_guid(source_id, guid) else None


# --- Identity: a record belongs to its source ----------------------------------------
# A guid (a record's URI or identifier, a remote CKAN id) names a dataset only within the
# source that harvested it: another partner's file repeating it must not take that
# dataset over (stock harvesters match a guid across every source).

def dataset_of(source_id: str, guid: str) -> Optional[str]:
    """The dataset this source made of this record (its latest import), if still there."""
    known = _known_guid(source_id, guid)
    if known is not None:
        return known.datasets.get((source_id, guid))
    row = (model.Session.query(HarvestObject.package_id)
           .join(model.Package, model.Package.id == HarvestObject.package_id)
           .filter(HarvestObject.harvest_source_id == source_id, HarvestObject.guid == guid,
                   model.Package.state == "active")
           .order_by(HarvestObject.current.desc(), HarvestObject.gathered.desc()).first())
    return row[0] if row else None


def holder(package_id: str) -> str:
    """Who holds a dataset, in French, for a conflict warning: « la source « X » (organisation) »,
    or a dataset entered on DataSud, or a deleted one."""
    package = model.Package.get(package_id)
    row = (model.Session.query(HarvestSource.title, HarvestSource.url)
           .join(HarvestObject, HarvestObject.harvest_source_id == HarvestSource.id)
           .filter(HarvestObject.package_id == package_id)
           .order_by(HarvestObject.current.desc(), HarvestObject.gathered.desc()).first())
    organisation = model.Group.get(package.owner_org) if package is not None and package.owner_org else None
    owner = f", organisation « {organisation.title} »" if organisation is not None else ""
    if package is not None and package.state == "deleted":
        return f"le jeu de données supprimé « {package.title} » ({package.name})"
    if row is not None:
        return f"la source « {row[0] or row[1]} »{owner}"
    name = f"« {package.title} » ({package.name})" if package is not None else package_id
    return f"le jeu de données {name} saisi directement sur DataSud{owner}"


def guid_held_elsewhere(guid: str, source_id: str) -> Optional[str]:
    """Who else holds a dataset with this guid (another source, or a dataset entered on
    DataSud), in French; ``None`` when no one does."""
    known = _known_guid(source_id, guid)
    if known is not None:
        package_ids = known.held.get(guid, [])
    else:
        package_ids = [package_id for (package_id,) in (
            model.Session.query(model.Package.id)
            .join(model.PackageExtra, model.PackageExtra.package_id == model.Package.id)
            .filter(model.PackageExtra.key == "guid", model.PackageExtra.value == guid,
                    model.Package.state == "active"))]
    for package_id in package_ids:
        if not _imported_by(package_id, source_id):
            return holder(package_id)
    return None


def _imported_by(package_id: str, source_id: str) -> bool:
    return model.Session.query(HarvestObject.id).filter(
        HarvestObject.package_id == package_id, HarvestObject.harvest_source_id == source_id).first() is not None


def conflict_text(other: str) -> str:
    """The warning's text for a record whose identifier another holder already uses."""
    return (f"identifiant déjà utilisé par {other} : la fiche est importée comme un jeu de données distinct, "
            "celui de l'autre détenteur n'est pas modifié.")


def current_elsewhere(harvest_object) -> list[str]:
    """The current harvest objects of other sources with this record's guid (the stock
    DCAT import marks the first one "not current", as if every source were one)."""
    known = _known_of(harvest_object)
    if known is not None:
        return list(known.current_elsewhere.get((harvest_object.harvest_source_id, harvest_object.guid), []))
    return [row[0] for row in model.Session.query(HarvestObject.id).filter(
        HarvestObject.guid == harvest_object.guid, HarvestObject.current == True,  # noqa: E712
        HarvestObject.harvest_source_id != harvest_object.harvest_source_id)]


def retire_previous(harvest_object) -> None:
    """This source's earlier objects of the record are no longer current (what the stock
    import means to do, within the source only)."""
    known = _known_of(harvest_object)
    if known is not None and (harvest_object.harvest_source_id, harvest_object.guid) not in known.current_here:
        return  # none
    model.Session.query(HarvestObject).filter(
        HarvestObject.guid == harvest_object.guid, HarvestObject.harvest_source_id == harvest_object.harvest_source_id,
        HarvestObject.current == True, HarvestObject.id != harvest_object.id).update(  # noqa: E712
        {"current": False}, synchronize_session=False)


def keep_current(object_ids: list[str]) -> None:
    """Give other sources back the current objects an import may have taken from them."""
    if not object_ids:
        return
    model.Session.query(HarvestObject).filter(HarvestObject.id.in_(object_ids)).update(
        {"current": True}, synchronize_session=False)
    model.Session.commit()


def withdrawal_objects(harvest_job, guids_in_source) -> list[str]:
    """Harvest objects (status ``delete``) for this source's current records no longer
    listed upstream; only this source's objects of those guids stop being current."""
    source_id = harvest_job.source.id
    current = dict(model.Session.query(HarvestObject.guid, HarvestObject.package_id).filter(
        HarvestObject.current == True, HarvestObject.harvest_source_id == source_id))  # noqa: E712
    listed = set(guids_in_source)
    ids = []
    for guid, package_id in current.items():
        if guid in listed:
            continue
        model.Session.query(HarvestObject).filter_by(guid=guid, harvest_source_id=source_id).update(
            {"current": False}, False)
        obj = HarvestObject(guid=guid, job=harvest_job, package_id=package_id,
                            extras=[HarvestObjectExtra(key="status", value="delete")])
        obj.save()
        ids.append(obj.id)
    return ids
