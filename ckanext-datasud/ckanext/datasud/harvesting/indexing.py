"""Search indexing during a harvest: each imported dataset indexed once, one Solr commit
per job.

Stock CKAN 2.11 indexes a dataset at every database commit that touches it
(``IDomainObjectModification``, CKAN's ``SynchronousSearchPlugin``), each time with a
Solr hard commit (``ckan.search.solr_commit``): a new harvested dataset was indexed
twice by ``package_create`` alone (as a new dataset, then as the "changed" dataset of
its new resources and extras), again when the import recorded its workflow state, and
each indexing waited for a commit that opens a new searcher — half of a first harvest.

While DataSud imports a harvest object (:func:`one_index_per_record`, around every
DataSud harvester's ``import_stage``), those automatic indexings only note the
dataset; when the import is over (everything committed in PostgreSQL), the dataset is
indexed once, without Solr commit. Solr makes it searchable within a second by itself
(``autoSoftCommit`` in ``solr/configsets/ckan/conf/solrconfig.xml``), and when a harvest
job is marked finished (whatever marks it: ``harvest_jobs_run``, an abort, a timeout),
one Solr commit is made *before* the job's new status is written
(:func:`_commit_before_finished`): once a job is reported finished, every dataset it
imported is searchable. A deletion is never deferred.

Outside an import nothing changes: the web app, the API and the workers index as CKAN
does.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
from typing import Iterator, Optional

import ckan.model as model
from ckan.lib import search
from ckan.model.domain_object import DomainObjectOperation
from sqlalchemy import event, inspect

from ckanext.datasud import catalogue_cache, downloads
from ckanext.datasud.harvesting import activity, commits

log = logging.getLogger(__name__)

FINISHED = "Finished"

_pending: contextvars.ContextVar[Optional[list[str]]] = contextvars.ContextVar(
    "datasud_harvest_pending_index", default=None)


@contextlib.contextmanager
def one_index_per_record() -> Iterator[None]:
    """Within: the datasets CKAN would index at each commit are only noted (and
    :func:`reindex` notes too); at the end, each is indexed once, without a Solr commit.
    Nested uses share the outer one."""
    if _pending.get() is not None:
        yield
        return
    pending: list[str] = []
    # the import's commits tell the catalogue's readers once, after the indexing; the
    # activities of its datasets are written as they are indexed (:mod:`.activity`)
    with catalogue_cache.batched(), activity.deferred():
        token = _pending.set(pending)
        try:
            yield
        finally:
            _pending.reset(token)
            if pending:
                commits.durable()  # on disk before Solr holds it
                index(pending)
            activity.record_remaining()


def abandon() -> None:
    """What the import under way noted is void (its transaction was rolled back, nothing of
    it committed): nothing to index, no activity to write."""
    pending = _pending.get()
    if pending is not None:
        del pending[:]
    activity.forget()


def deferring() -> bool:
    return _pending.get() is not None


def reindex(package_id: str) -> None:
    """Index a dataset again: at the end of the import under way, else now (as CKAN's
    ``rebuild`` does, commit included)."""
    pending = _pending.get()
    if pending is not None:
        if package_id not in pending:
            pending.append(package_id)
        return
    search.rebuild(package_id)


def index(package_ids: list[str]) -> None:
    """Index these datasets as they are stored (as CKAN's automatic indexing does: a
    deleted one leaves the index), without a Solr commit; then write the activity due
    for each (during an import), from the copy the index has just validated."""
    from ckan.logic import get_action
    package_index = search.index_for(model.Package)
    package_ids = list(dict.fromkeys(package_ids))
    with downloads.counts_read_for(package_ids):
        for package_id in package_ids:
            if model.Package.get(package_id) is None:
                continue
            pkg_dict = get_action("package_show")({"ignore_auth": True, "validate": False, "use_cache": False},
                                                  {"id": package_id})
            package_index.update_dict(pkg_dict, defer_commit=True)
            if activity.due(package_id):
                activity.record(package_id, activity.validated_copy(pkg_dict))


def commit() -> None:
    """One Solr commit, waiting for the new searcher: what was indexed is searchable
    when this returns."""
    from ckan.lib.search.common import make_connection
    try:
        make_connection().commit(waitSearcher=True)
    except Exception as e:  # noqa: BLE001
        raise search.SearchIndexError(f"Solr commit failed: {e}")


# --- CKAN's automatic indexing, while an import runs ---------------------------------

def _deferring_notify(original):
    def notify(self, entity, operation):
        pending = _pending.get()
        if pending is not None and isinstance(entity, model.Package) and operation != DomainObjectOperation.deleted:
            if entity.id not in pending:
                pending.append(entity.id)
            return None
        return original(self, entity, operation)
    notify.datasud_deferring = True
    return notify


# --- A job marked finished: one commit first -----------------------------------------

def _commit_before_finished(session, flush_context, instances) -> None:
    from ckanext.harvest.model import HarvestJob
    finishing = [obj for obj in session.dirty if isinstance(obj, HarvestJob)
                 and FINISHED in (inspect(obj).attrs.status.history.added or ())]
    if not finishing:
        return
    commit()
    log.info("Solr commit before marking harvest job(s) %s finished", ", ".join(str(j.id) for j in finishing))
    session.info["datasud_index_committed"] = True


def _after_commit(session) -> None:
    if session.info.pop("datasud_index_committed", False):
        catalogue_cache.changed()  # pages cached while Solr caught up are not served again


def _after_rollback(session) -> None:
    session.info.pop("datasud_index_committed", None)


def install() -> None:
    """Once per process (idempotent): defer CKAN's automatic indexing during imports,
    and commit Solr before a job is marked finished."""
    plugin = search.SynchronousSearchPlugin
    if not getattr(plugin.notify, "datasud_deferring", False):
        plugin.notify = _deferring_notify(plugin.notify)
    for name, handler in (("before_flush", _commit_before_finished), ("after_commit", _after_commit),
                          ("after_rollback", _after_rollback)):
        if not event.contains(model.meta.Session, name, handler):
            event.listen(model.meta.Session, name, handler)
