"""The sweepers and a queue that is behind (contingency.delivery.queue.queue_is_behind; docs/delivery.md, "A backlog").

With more messages waiting in the broker's queue than one sweep queues, an item nobody took for a stuck timeout is
waiting in that queue, not lost: the sweepers then queue only what has no message left (a dead worker's request, a
push's retry). Counted in the run's real broker (the file-system broker, or Redis on the production path), in a
queue of the test's own that stands in for the default one.
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


def test_behind_the_request_sweeper_queues_only_a_dead_workers_request(own_queue, stuck):
    name, fill, drain = own_queue
    never_taken, dead_holder, queued = stuck
    fill(4)
    assert tasks.sweep_requests()["requeued"] == 1
    assert queued == [dead_holder.pk]
    # The queue drained and the never-taken request still not taken: its message was lost after all.
    drain()
    assert tasks.sweep_requests()["requeued"] == 1
    assert queued == [dead_holder.pk, never_taken.pk]


def test_not_behind_the_request_sweeper_queues_both(own_queue, stuck):
    name, fill, drain = own_queue
    never_taken, dead_holder, queued = stuck
    fill(3)
    assert tasks.sweep_requests()["requeued"] == 2
    assert sorted(queued) == sorted([never_taken.pk, dead_holder.pk])


def test_behind_the_push_sweeper_queues_only_retries(world, endpoint, own_queue, settings, monkeypatch):
    name, fill, drain = own_queue
    settings.SOLR_PUSH_BASE_DELAY_SECONDS = 0
    pushes = []
    for _ in range(2):
        request = accepted_request(world)
        service.deliver(request.pk, queue_push=lambda push_id: None)
        pushes.append(Push.objects.get(key=f"response:{request.request_id}"))
    never_tried, retry = pushes
    endpoint.script = [503]
    assert push.attempt(retry.pk).outcome == "failed"  # tried once; due again at once (no backoff here)
    # The first one's message has waited past its hold time, in a queue that is behind.
    Push.objects.filter(pk=never_tried.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    queued = []
    monkeypatch.setattr(tasks.deliver_push, "delay", queued.append)
    fill(4)
    assert tasks.sweep_pushes() == 1 and queued == [retry.pk]
    drain()
    assert tasks.sweep_pushes() == 1 and queued == [retry.pk, never_tried.pk]


def test_a_broker_that_does_not_answer_is_not_a_backlog(monkeypatch, settings):
    """The count is unknown: the sweep goes on as without a backlog (and its publishing meets the outage)."""
    monkeypatch.setattr(app, "connection_for_read", lambda: Connection("redis://127.0.0.1:9/0"))
    assert queue.waiting_messages() is None
    assert not queue.queue_is_behind()
