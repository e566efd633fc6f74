"""Celery tasks of delivery. The beat schedule is in portal/settings.py (CELERY_BEAT_SCHEDULE).

``deliver_push`` takes one push id and makes one attempt (contingency.delivery.push.attempt): a redelivered or
duplicated message finds the push claimed or delivered and does nothing. It does not queue its own retry: the
sweeper, every few seconds, queues every pending push whose next attempt is due, so a lost broker message (or
a worker that died holding a push) delays a delivery, never drops it (DESIGN §6).

A broker outage (docs/delivery.md, "A broker outage"): every message here names a row that is already committed, and
the sweepers queue it again, so a message the broker refuses is logged and left to them (:func:`publish`); it never
fails the commit it follows (the front door's answer to a stored request). No code reads these tasks' results, so
they keep none (``ignore_result``): with Redis as the result backend, queueing a task that keeps its result first
subscribes to the result's channel, and with the server down that alone waited 19 s before failing.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from portal import audit

from . import push

logger = logging.getLogger(__name__)


def publish(task, item_id: int) -> bool:
    """Queue ``task(item_id)``; False when the broker refuses it (down, unreachable, its folder unwritable), logged.

    Any exception counts as a refusal: the transports raise their own kinds (kombu's OperationalError, an OSError
    from the file-system broker), and the row ``item_id`` names is committed, so the sweeper queues it again."""
    try:
        task.delay(item_id)
    except Exception as exc:  # noqa: BLE001 - see above: the sweeper is the retry
        logger.warning("broker refused %s(%s), left to the sweeper: %s: %s", task.name, item_id,
                       type(exc).__name__, exc)
        return False
    return True


@shared_task(name="contingency.delivery.tasks.deliver_push", ignore_result=True)
def deliver_push(push_id: int) -> dict:
    with audit.acting_as("system:contingency.delivery.tasks.deliver_push"):
        result = push.attempt(int(push_id))
    return {"push": int(push_id), "outcome": result.outcome, "status": result.status}


@shared_task(name="contingency.delivery.tasks.sweep_pushes", ignore_result=True)
def sweep_pushes() -> int:
    """Queue one delivery attempt for every due pending push (up to SOLR_PUSH_SWEEP_BATCH); the number queued. A
    broker that refuses one refuses the rest too: the sweep stops there, and the next one starts again."""
    queued = 0
    for push_id in push.due_push_ids():
        if not publish(deliver_push, push_id):
            break
        queued += 1
    return queued


def queue_after_commit(push_id: int) -> None:
    """Queue the first attempt once the transaction that made the push has committed (the worker must see it)."""
    transaction.on_commit(lambda: publish(deliver_push, push_id))


@shared_task(name="contingency.delivery.tasks.deliver_request", ignore_result=True)
def deliver_request(request_pk: int) -> dict:
    """Deliver one accepted ServiceRequest and push its Service Response (contingency.delivery.service). The
    front door queues it after the commit that stored the request; the sweeper queues it again when stuck."""
    from . import service

    with audit.acting_as("system:contingency.delivery.tasks.deliver_request"):
        outcome = service.deliver(int(request_pk), queue_push=queue_after_commit)
    return {"request": int(request_pk), "outcome": outcome}


@shared_task(name="contingency.delivery.tasks.sweep_requests", ignore_result=True)
def sweep_requests() -> dict:
    """Re-queue requests stuck in delivery past SOLR_DELIVERY_STUCK_SECONDS (a dead worker, a lost message) and
    expire the ones accepted longer than SOLR_DELIVERY_EXPIRY_SECONDS ago; their numbers."""
    from . import service

    expired = 0
    with audit.acting_as("system:contingency.delivery.tasks.sweep_requests"):
        for request_pk in service.expired_request_ids():
            expired += bool(service.expire(request_pk, queue_push=queue_after_commit))
    requeued = 0
    for request_pk in service.stuck_request_ids():
        if not publish(deliver_request, request_pk):
            break  # the broker is down: the next sweep tries again
        requeued += 1
    return {"requeued": requeued, "expired": expired}


def queue_request(request_pk: int) -> bool:
    """Queue the delivery of a committed accepted request (the front door's hook, after its commit); False when the
    broker refused it: the request stays ``accepted`` and the sweeper queues it within SOLR_DELIVERY_STUCK_SECONDS."""
    return publish(deliver_request, request_pk)


def queue_request_after_commit(request_pk: int) -> None:
    """Queue the delivery once the transaction that accepted the request has committed."""
    transaction.on_commit(lambda: queue_request(request_pk))
