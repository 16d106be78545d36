"""DataSud's harvest consumers: records queued for import page by page while the gather
goes on, and imported with commits that do not wait for the disk.

ckanext-harvest's gather consumer sends a job's harvest objects to the fetch queue only
once the whole gather is over: a partner's catalogue of forty Hydra pages is read page
after page while the fetch consumers wait, then imported. Under DataSud's gather consumer
(:func:`consume_gather_queue`, run by ``ckan datasud harvest-consumer gather``) a
harvester hands each page's saved objects to :func:`queue_page` as soon as the page is
committed, and the fetch consumers import them while the next pages are read.

Nothing else changes: the job is finished by ``harvest_jobs_run`` only once its gather is
over (ckanext-harvest checks ``gather_finished``) and every object is imported, with its
one Solr commit first (:mod:`.indexing`). The last page is returned as before, with the
withdrawals, for the stock callback to queue (so a one-page catalogue is queued exactly
as before). Outside the gather consumer (``ckan harvester run-test``, a test calling the
gather stage) nothing is queued here: the caller imports what the gather returns.

DataSud's fetch consumer (:func:`consume_fetch_queue`, run by ``ckan datasud
harvest-consumer fetch``) takes the records waiting in the queue a batch at a time
(:func:`take`, up to ``ckanext.datasud.harvest.batch_size``) and imports each batch in
one transaction (:mod:`.batches`); a single record, or the records of an abandoned
batch, go through ckanext-harvest's fetch callback one by one, each under
:func:`.commits.asynchronous` (two commits per record wait for the disk instead of
about ten).
"""
from __future__ import annotations

import datetime
import logging
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from ckanext.datasud.harvesting import batches, commits, records

log = logging.getLogger(__name__)

_queue_pages: ContextVar[bool] = ContextVar("datasud_queue_pages", default=False)


@contextmanager
def queueing_pages() -> Iterator[None]:
    """Within this block, :func:`queue_page` sends pages to the fetch queue."""
    token = _queue_pages.set(True)
    try:
        yield
    finally:
        _queue_pages.reset(token)


def gather_callback(channel, method, header, body):
    """ckanext-harvest's gather callback, each page's records queued as it is saved."""
    from ckanext.harvest import queue

    with queueing_pages():
        return queue.gather_callback(channel, method, header, body)


def consume_gather_queue() -> None:
    """What ``ckan harvester gather-consumer`` does, with :func:`gather_callback`: it
    stops (an exception) when Redis goes away, and its supervisor starts it again."""
    from ckanext.harvest import queue

    logging.getLogger("amqplib").setLevel(logging.INFO)
    consumer = queue.get_gather_consumer()
    for method, header, body in consumer.consume(queue=queue.get_gather_queue_name()):
        gather_callback(consumer, method, header, body)


def fetch_callback(channel, method, header, body):
    """ckanext-harvest's fetch callback, the record's commits made durable at its end
    and before its dataset reaches Solr, not each on its own (:mod:`.commits`)."""
    import ckan.model as model
    from ckanext.harvest import queue

    model.Session.remove()  # the record's transactions on connections taken for it (as the callback ends)
    with commits.asynchronous():
        return queue.fetch_callback(channel, method, header, body)


def import_messages(channel, messages: list[tuple]) -> None:
    """Import the records of these fetch-queue messages (``(method, header, body)``): in
    one transaction when there are several (:func:`.batches.import_batch`), one by one
    with :func:`fetch_callback` when there is one or the batch was abandoned."""
    if len(messages) > 1:
        try:
            # DataSud's harvesters only: their imports are indexed once, at the end (.indexing)
            batches.import_batch([body for _method, _header, body in messages], records.is_datasud_source,
                                 records.known_records)
        except batches.Abandoned as e:
            log.info("batch of %d records abandoned (%s): imported one by one", len(messages), e)
        else:
            for method, _header, _body in messages:
                channel.basic_ack(method.delivery_tag)
            return
    for method, header, body in messages:
        fetch_callback(channel, method, header, body)


def import_waiting(consumer, first: tuple) -> int:
    """What DataSud's fetch consumer does with a message its loop gave: import its record
    and those waiting behind it, a batch at a time; returns how many it took."""
    messages = take(consumer, first, batches.size())
    import_messages(consumer, messages)
    return len(messages)


def take(consumer, first: tuple, limit: int) -> list[tuple]:
    """``first`` (a message the consumer's loop gave) and up to ``limit - 1`` more already
    waiting in the queue, taken as the loop takes them (a persistence key each)."""
    from ckanext.harvest.queue import FakeMethod

    messages = [first]
    redis = getattr(consumer, "redis", None)  # ckanext-harvest's Redis consumer; AMQP: one at a time
    while redis is not None and len(messages) < limit:
        body = redis.lpop(consumer.routing_key)
        if body is None:
            break
        redis.set(consumer.persistance_key(body), str(datetime.datetime.now()))
        messages.append((FakeMethod(body), consumer, body))
    return messages


def consume_fetch_queue() -> None:
    """What ``ckan harvester fetch-consumer`` does, with the records waiting imported a
    batch at a time (:func:`import_messages`). SIGTERM stops it at once while it waits,
    after the batch under way (its records indexed and complete) while it imports."""
    import signal

    from ckanext.harvest import queue

    logging.getLogger("amqplib").setLevel(logging.INFO)
    state = {"importing": False, "stop": False}

    def stop(signum, frame):
        if not state["importing"]:
            raise SystemExit(0)
        state["stop"] = True

    signal.signal(signal.SIGTERM, stop)
    consumer = queue.get_fetch_consumer()
    for message in consumer.consume(queue=queue.get_fetch_queue_name()):
        state["importing"] = True
        import_waiting(consumer, message)
        state["importing"] = False
        if state["stop"]:
            return


def queue_page(object_ids: list[str]) -> list[str]:
    """Send a committed page's harvest objects to the fetch queue now, under the gather
    consumer; returns the ids the gather stage must still return: none once queued, those
    not sent if the queue failed (the stock callback tries them again at the end, and
    ``harvest_jobs_run`` sends again what is left waiting)."""
    if not object_ids or not _queue_pages.get():
        return object_ids
    from ckanext.harvest import queue

    sent = 0
    try:
        publisher = queue.get_fetch_publisher()
        try:
            for object_id in object_ids:
                publisher.send({"harvest_object_id": object_id})
                sent += 1
        finally:
            publisher.close()
    except Exception as e:  # noqa: BLE001 - Redis gone: the end of the gather queues the rest
        log.warning("could not queue a gathered page (%s): %d of %d records left for the end of the gather",
                    e, len(object_ids) - sent, len(object_ids))
    return object_ids[sent:]
