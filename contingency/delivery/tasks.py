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
