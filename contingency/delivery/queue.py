"""Queuing pushes (docs/alerts.md "Delivery"; docs/architecture.md "alerts and delivery"): the Celery task that
makes one attempt of one push, the sweeper that queues the due ones, ``queue_after_commit`` for whoever has just
stored a Push row, and ``publish``, the one way a delivery message goes to the broker.

This module is the layer below both the alerts and the rest of delivery: it imports ``push`` (the attempt) and
nothing of the device gateway, ``service`` or ``tasks``. ``contingency.alerts`` imports it to queue an alert's
push, and the gateway reports device alerts to ``contingency.alerts`` (gateway → alerts → queue), so imports
between the two rooms run one way (tests/test_architecture.py).

``deliver_push`` takes one push id and makes one attempt (contingency.delivery.push.attempt): a redelivered or
duplicated message finds the push claimed or delivered and does nothing. It does not queue its own retry: the
sweeper, every few seconds, queues every pending push whose next attempt is due, so a lost broker message (or
a worker that died holding a push) delays a delivery, never drops it (DESIGN §6).

A broker outage (docs/delivery.md, "A broker outage"): every message names a row that is already committed, and
the sweepers queue it again, so a message the broker refuses is logged and left to them (:func:`publish`); it never
fails the commit it follows. No code reads these tasks' results, so they keep none (``ignore_result``).

The task names stay ``contingency.delivery.tasks.*``: they are what the beat schedule (portal/settings.py) and
messages already in the broker carry; ``contingency.delivery.tasks`` re-exports them.
"""

from __future__ import annotations

import logging

from celery import current_app, shared_task
from django.db import transaction

from contingency import conf
from portal import audit

from . import push

# The log keeps the name it had before publish moved here (what log filters and the broker-outage tests look for).
logger = logging.getLogger("contingency.delivery.tasks")


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


def publish_each(task, item_ids) -> list[int]:
    """Queue ``task`` for each id in turn (the sweepers); the ids queued. A broker that refuses one refuses the rest
    too: it stops there, and the next sweep starts again."""
    queued = []
    for item_id in item_ids:
        if not publish(task, item_id):
            break
        queued.append(item_id)
    return queued


def waiting_messages() -> int | None:
    """How many messages wait in the broker's default queue, where every delivery task goes (not counting those a
    worker holds); None when the broker cannot say (down). The declaration is not passive: Redis counts an empty
    queue as missing, and declaring the default queue, which every worker declares, changes nothing."""
    app = current_app
    try:
        # Short socket timeouts (Redis; other transports ignore them): an unreachable host must not hold a sweep.
        timeouts = {"socket_connect_timeout": 2, "socket_timeout": 5}
        with app.connection_for_read(transport_options=timeouts) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0.1)  # a sweep is not held up by an outage
            with connection.channel() as channel:
                return channel.queue_declare(queue=app.conf.task_default_queue).message_count
    except Exception:  # noqa: BLE001 - any broker failure: unknown, and the sweep goes on as without a backlog
        return None


def queue_is_behind() -> bool:
    """More messages wait in the queue than one sweep would add (SOLR_DELIVERY_SWEEP_BATCH).

    Then an item nobody has taken for a stuck timeout is most likely still waiting in that queue: a campaign's
    backlog, not a lost message. The sweepers then queue at once only what has no message left (a dead worker's
    run-out claim, a push's retry) and leave a never-taken item push.BACKLOG_HOLD_FACTOR stuck timeouts (hold
    times) before queuing it again: a message lost during a backlog, even one that never drains, is delayed that
    much, never dropped, and a backlog gets at most one copy per item per that time instead of one per stuck
    timeout (docs/delivery.md, "A backlog is not a loss")."""
    waiting = waiting_messages()
    return waiting is not None and waiting > conf.get("SOLR_DELIVERY_SWEEP_BATCH")


@shared_task(name="contingency.delivery.tasks.deliver_push", ignore_result=True)
def deliver_push(push_id: int) -> dict:
    with audit.acting_as("system:contingency.delivery.tasks.deliver_push"):
        result = push.attempt(int(push_id))
    return {"push": int(push_id), "outcome": result.outcome, "status": result.status}


@shared_task(name="contingency.delivery.tasks.sweep_pushes", ignore_result=True)
def sweep_pushes() -> int:
    """Queue one delivery attempt for every due pending push (up to SOLR_PUSH_SWEEP_BATCH); the number queued. A
    broker that refuses one refuses the rest too: the sweep stops there, and the next one starts again. While the
    queue is behind (:func:`queue_is_behind`) a push never taken waits ten hold times: its first message is queued."""
    queued = publish_each(deliver_push, push.due_push_ids(behind=queue_is_behind()))
    push.mark_requeued(queued)
    return len(queued)


def queue_after_commit(push_id: int) -> None:
    """Queue the first attempt once the transaction that made the push has committed (the worker must see it)."""
    transaction.on_commit(lambda: publish(deliver_push, push_id))
