"""The sweepers and a queue that is behind (contingency.delivery.queue.queue_is_behind; docs/delivery.md, "A backlog").

With more messages waiting in the broker's queue than one sweep queues, an item nobody took for a stuck timeout is
most likely waiting in that queue: the sweepers then queue at once only what has no message left (a dead worker's
request, a push taken before), and leave a never-taken item ten stuck timeouts (push.BACKLOG_HOLD_FACTOR) before
queuing it again, so a message lost during a backlog that never drains is delayed, not dropped. Counted in the run's
real broker (the file-system broker, or Redis on the production path), in a queue of the test's own that stands in
for the default one.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from kombu import Connection

from contingency.delivery import push, queue, service, tasks
from contingency.models import Push, RequestState, ServiceRequest
from portal.celery import app

from .requests import accepted_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_gateway(settings):
    settings.SOLR_GATEWAY_LATENCY_SECONDS = 0.0
    settings.SOLR_GATEWAY_JITTER_SECONDS = 0.0


@pytest.fixture
def own_queue(settings):
    """The broker's default queue, as the sweepers see it, is a queue of the test's own; (name, fill, drain). One
    sweep's worth is 3 messages here, the stuck timeout 60 s."""
    settings.SOLR_DELIVERY_SWEEP_BATCH = 3
    settings.SOLR_DELIVERY_STUCK_SECONDS = 60
    name = f"test-backlog-{uuid.uuid4().hex[:8]}"
    default = app.conf.task_default_queue
    app.conf.task_default_queue = name

    def fill(n: int) -> None:
        for i in range(n):
            app.send_task("portal.tasks.ping", args=[f"backlog-{i}"], queue=name)

    def drain() -> None:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(name)

    try:
        yield name, fill, drain
    finally:
        app.conf.task_default_queue = default
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(name)
        connection.default_channel.queue_delete(name)


@pytest.fixture
def stuck(world, monkeypatch):
    """(never taken for a stuck timeout, held by a dead worker, the ids the request sweeper queues)."""
    old = timezone.now() - dt.timedelta(seconds=61)
    never_taken = accepted_request(world, accepted_at=old)
    dead_holder = accepted_request(world)
    service.claim(dead_holder.pk, now=old)  # its worker died: the claim ran out a second ago
    ServiceRequest.objects.filter(pk=dead_holder.pk).update(state=RequestState.SENT)
    queued = []
    monkeypatch.setattr(tasks.deliver_request, "delay", queued.append)
    return never_taken, dead_holder, queued


def test_the_queue_is_counted_in_the_broker(own_queue):
    name, fill, drain = own_queue
    assert queue.waiting_messages() == 0 and not queue.queue_is_behind()
    fill(3)
    assert queue.waiting_messages() == 3 and not queue.queue_is_behind()  # not more than one sweep's worth
    fill(1)
    assert queue.waiting_messages() == 4 and queue.queue_is_behind()
    drain()
    assert queue.waiting_messages() == 0


def test_behind_the_request_sweeper_queues_a_dead_workers_request_and_leaves_a_waiting_one(own_queue, stuck):
    name, fill, drain = own_queue
    never_taken, dead_holder, queued = stuck
    fill(4)
    assert tasks.sweep_requests()["requeued"] == 1
    assert queued == [dead_holder.pk]
    # The queue drained and the never-taken request still not taken: its message was lost after all.
    drain()
    assert tasks.sweep_requests()["requeued"] == 1
    assert queued == [dead_holder.pk, never_taken.pk]


def test_behind_for_ten_stuck_timeouts_a_request_nobody_took_is_queued_again_once(world, own_queue, monkeypatch):
    """A queue that never drains (new traffic keeps it full): a request whose message was lost must not wait for the
    backlog to end, nor get a copy at every stuck timeout."""
    name, fill, drain = own_queue
    now = timezone.now()
    lost = accepted_request(world, accepted_at=now - dt.timedelta(seconds=10 * 60 + 1))
    queued = []
    monkeypatch.setattr(tasks.deliver_request, "delay", queued.append)
    fill(4)
    assert tasks.sweep_requests()["requeued"] == 1 and queued == [lost.pk]
    # Its copy waits in the backlog: not again for ten stuck timeouts while the queue is behind ...
    ServiceRequest.objects.filter(pk=lost.pk).update(requeued_at=now - dt.timedelta(seconds=9 * 60))
    assert tasks.sweep_requests()["requeued"] == 0
    # ... and again after that, if that copy was lost too.
    ServiceRequest.objects.filter(pk=lost.pk).update(requeued_at=now - dt.timedelta(seconds=10 * 60 + 1))
    assert tasks.sweep_requests()["requeued"] == 1 and queued == [lost.pk, lost.pk]


def test_not_behind_the_request_sweeper_queues_both(own_queue, stuck):
    name, fill, drain = own_queue
    never_taken, dead_holder, queued = stuck
    fill(3)
    assert tasks.sweep_requests()["requeued"] == 2
    assert sorted(queued) == sorted([never_taken.pk, dead_holder.pk])


def test_behind_the_push_sweeper_queues_pushes_taken_before_and_leaves_a_waiting_one(world, endpoint, own_queue,
                                                                                       settings, monkeypatch):
    name, fill, drain = own_queue
    settings.SOLR_PUSH_BASE_DELAY_SECONDS = 0
    pushes = []
    for _ in range(5):
        request = accepted_request(world)
        service.deliver(request.pk, queue_push=lambda push_id: None)
        pushes.append(Push.objects.get(key=f"response:{request.request_id}"))
    waiting, retry, released, dead_holder, old = pushes
    endpoint.script = [503]
    assert push.attempt(retry.pk).outcome == "failed"  # tried once; due again at once (no backoff here)
    long_ago = timezone.now() - dt.timedelta(seconds=push.BACKLOG_HOLD_FACTOR * push.hold_seconds() + 1)
    due = timezone.now() - dt.timedelta(seconds=1)
    # Every one is due now (the first message of ``waiting`` has waited past its hold time, in a queue behind).
    Push.objects.filter(pk__in=[p.pk for p in pushes]).exclude(pk=retry.pk).update(next_attempt_at=due)
    Push.objects.filter(pk=released.pk).update(last_error="endpoint-missing")  # taken, nothing sent (push._release)
    Push.objects.filter(pk=dead_holder.pk).update(claim_token="x", claimed_until=due)  # its worker died in the POST
    Push.objects.filter(pk=old.pk).update(created_at=long_ago)  # made ten hold times ago: its message was lost
    queued = []
    monkeypatch.setattr(tasks.deliver_push, "delay", queued.append)
    fill(4)
    assert tasks.sweep_pushes() == 4
    assert sorted(queued) == sorted([retry.pk, released.pk, dead_holder.pk, old.pk])
    drain()
    assert tasks.sweep_pushes() == 1 and queued[-1] == waiting.pk


def test_a_broker_that_does_not_answer_is_not_a_backlog(monkeypatch, settings):
    """The count is unknown: the sweep goes on as without a backlog (and its publishing meets the outage)."""
    monkeypatch.setattr(app, "connection_for_read", lambda **options: Connection("redis://127.0.0.1:9/0", **options))
    assert queue.waiting_messages() is None
    assert not queue.queue_is_behind()
