"""Celery tasks of delivery. The beat schedule is in portal/settings.py (CELERY_BEAT_SCHEDULE).

The push tasks (``deliver_push``, ``sweep_pushes``), ``queue_after_commit`` and ``publish`` live in
contingency.delivery.queue, below the alerts, which queue their pushes there without reaching the device gateway
that this module's request tasks use (docs/architecture.md); they are re-exported here under their task names.

A broker outage (docs/delivery.md, "A broker outage"): every message here names a row that is already committed, and
the sweepers queue it again, so a message the broker refuses is logged and left to them (:func:`publish`); it never
fails the commit it follows (the front door's answer to a stored request). No code reads these tasks' results, so
they keep none (``ignore_result``): with Redis as the result backend, queueing a task that keeps its result first
subscribes to the result's channel, and with the server down that alone waited 19 s before failing.
"""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from portal import audit

from .queue import (  # noqa: F401  (re-exported)
    deliver_push,
    publish,
    publish_each,
    queue_after_commit,
    queue_is_behind,
    sweep_pushes,
)


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
    expire the ones accepted longer than SOLR_DELIVERY_EXPIRY_SECONDS ago; their numbers. While the queue is behind
    (queue.queue_is_behind) a request nobody took waits ten stuck timeouts, not one: its message is in the queue."""
    from . import service

    expired = 0
    with audit.acting_as("system:contingency.delivery.tasks.sweep_requests"):
        for request_pk in service.expired_request_ids():
            expired += bool(service.expire(request_pk, queue_push=queue_after_commit))
    stuck = service.stuck_request_ids(behind=queue_is_behind())
    requeued = publish_each(deliver_request, stuck)  # stops where the broker refuses
    service.mark_requeued(requeued)
    return {"requeued": len(requeued), "expired": expired}


def queue_request(request_pk: int) -> bool:
    """Queue the delivery of a committed accepted request (the front door's hook, after its commit); False when the
    broker refused it: the request stays ``accepted`` and the sweeper queues it within SOLR_DELIVERY_STUCK_SECONDS."""
    return publish(deliver_request, request_pk)


def queue_request_after_commit(request_pk: int) -> None:
    """Queue the delivery once the transaction that accepted the request has committed."""
    transaction.on_commit(lambda: queue_request(request_pk))
