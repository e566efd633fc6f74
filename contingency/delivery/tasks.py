"""Celery tasks of delivery. The beat schedule is in portal/settings.py (CELERY_BEAT_SCHEDULE).

``deliver_push`` takes one push id and makes one attempt (contingency.delivery.push.attempt): a redelivered or
duplicated message finds the push claimed or delivered and does nothing. It does not queue its own retry: the
sweeper, every few seconds, queues every pending push whose next attempt is due, so a lost broker message (or
a worker that died holding a push) delays a delivery, never drops it (DESIGN §6).
"""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from portal import audit

from . import push


@shared_task(name="contingency.delivery.tasks.deliver_push")
def deliver_push(push_id: int) -> dict:
    with audit.acting_as("system:contingency.delivery.tasks.deliver_push"):
        result = push.attempt(int(push_id))
    return {"push": int(push_id), "outcome": result.outcome, "status": result.status}


@shared_task(name="contingency.delivery.tasks.sweep_pushes")
def sweep_pushes() -> int:
    """Queue one delivery attempt for every due pending push (up to SOLR_PUSH_SWEEP_BATCH); their number."""
    ids = push.due_push_ids()
    for push_id in ids:
        deliver_push.delay(push_id)
    return len(ids)


def queue_after_commit(push_id: int) -> None:
    """Queue the first attempt once the transaction that made the push has committed (the worker must see it)."""
    transaction.on_commit(lambda: deliver_push.delay(push_id))


@shared_task(name="contingency.delivery.tasks.deliver_request")
def deliver_request(request_pk: int) -> dict:
    """Deliver one accepted ServiceRequest and push its Service Response (contingency.delivery.service). The
    front door queues it after the commit that stored the request; the sweeper queues it again when stuck."""
    from . import service

    with audit.acting_as("system:contingency.delivery.tasks.deliver_request"):
        outcome = service.deliver(int(request_pk), queue_push=queue_after_commit)
    return {"request": int(request_pk), "outcome": outcome}


@shared_task(name="contingency.delivery.tasks.sweep_requests")
def sweep_requests() -> dict:
    """Re-queue requests stuck in delivery past SOLR_DELIVERY_STUCK_SECONDS (a dead worker, a lost message) and
    expire the ones accepted longer than SOLR_DELIVERY_EXPIRY_SECONDS ago; their numbers."""
    from . import service

    expired = 0
    with audit.acting_as("system:contingency.delivery.tasks.sweep_requests"):
        for request_pk in service.expired_request_ids():
            expired += bool(service.expire(request_pk, queue_push=queue_after_commit))
    ids = service.stuck_request_ids()
    for request_pk in ids:
        deliver_request.delay(request_pk)
    return {"requeued": len(ids), "expired": expired}


def queue_request_after_commit(request_pk: int) -> None:
    """Queue the delivery once the transaction that accepted the request has committed."""
    transaction.on_commit(lambda: deliver_request.delay(request_pk))
