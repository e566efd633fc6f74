"""Delivery of alerts to a real HTTP endpoint the test runs (issue 9 point 7): retried with backoff until
accepted, exactly one accepted delivery per alert, every attempt logged, nothing lost or duplicated — also when
task messages are redelivered; compare-and-set claims; no endpoint URL or an http:// one kept pending."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contingency.alerts.services import raise_device_alert
from contingency.delivery import push as delivery
from contingency.delivery import tasks
from contingency.models import Push, PushAttempt, PushState
from portal.models import AuditRecord

pytestmark = pytest.mark.django_db


def _deliver(push_id: int) -> str:
    """What the worker does with one task message (the task's own function, run here)."""
    return tasks.deliver_push(push_id)["outcome"]


def test_fails_twice_then_accepts_one_delivery_three_attempts_logged(world, endpoint):
    endpoint.script = [503, 500]
    raised = raise_device_alert(world.device.eui, "8F20")
    push_id = raised.push.pk

    assert [_deliver(push_id) for _ in range(3)] == ["failed", "failed", "delivered"]
    # The same message delivered again (a redelivery after a lost ack): nothing is sent.
    assert _deliver(push_id) == delivery.Outcome.NOT_CLAIMED

    assert [r.status for r in endpoint.received] == [503, 500, 204]
    assert {r.body for r in endpoint.received} == {raised.alert.document.encode()}
    assert {(r.path, r.content_type) for r in endpoint.received} == {("/supplier", "application/xml")}
    assert len(endpoint.accepted()) == 1
    push = Push.objects.get(pk=push_id)
    assert (push.state, push.attempts, push.last_status) == (PushState.DELIVERED, 3, 204)
    assert push.delivered_at is not None and push.endpoint_url == f"{endpoint.url}/supplier"
    log = list(PushAttempt.objects.filter(push=push).values_list("number", "http_status", "delivered"))
    assert log == [(1, 503, False), (2, 500, False), (3, 204, True)]
    delivered = AuditRecord.objects.get(action="push.delivered", subject_id=str(push_id))
    assert delivered.after["attempts"] == 3


def test_two_alerts_with_every_task_message_delivered_twice(world, endpoint):
    """Two alerts (one routed via SoLR), the endpoint failing twice; every queued message arrives twice."""
    endpoint.script = [503, 503]
    first = raise_device_alert(world.device.eui, "8F20")
    world.revoke_licence()
    second = raise_device_alert(world.device.eui, "8F21")
    for _ in range(5):  # sweeper runs; each message is handled twice
        for push_id in delivery.due_push_ids():
            _deliver(push_id)
            _deliver(push_id)
    assert Push.objects.filter(state=PushState.DELIVERED).count() == 2
    accepted = endpoint.accepted()
    assert sorted(r.body for r in accepted) == sorted([first.alert.document.encode(), second.alert.document.encode()])
    assert {r.path for r in accepted} == {"/supplier", "/srp"}
    assert len(endpoint.received) == 4  # two failures and two acceptances: nothing else was sent
    assert PushAttempt.objects.count() == 4


def test_failed_attempts_back_off_exponentially_up_to_the_cap(world, endpoint, settings):
    settings.SOLR_PUSH_BASE_DELAY_SECONDS = 10
    settings.SOLR_PUSH_MAX_DELAY_SECONDS = 25
    assert [delivery.retry_delay(n) for n in (1, 2, 3, 4, 50)] == [10, 20, 25, 25, 25]
    endpoint.then = 503
    push_id = raise_device_alert(world.device.eui, "8F20").push.pk
    before = timezone.now()
    assert _deliver(push_id) == "failed"
    push = Push.objects.get(pk=push_id)
    assert before + dt.timedelta(seconds=9) < push.next_attempt_at < timezone.now() + dt.timedelta(seconds=11)
    # Not due yet: a second message (or the sweeper) sends nothing, and the push is shown as failing.
    assert _deliver(push_id) == delivery.Outcome.NOT_CLAIMED
    assert push_id not in delivery.due_push_ids()
    assert list(Push.objects.failing()) == [push]
    assert len(endpoint.received) == 1


def test_a_claim_is_compare_and_set(world):
    push_id = raise_device_alert(world.device.eui, "8F20").push.pk
    token = delivery.claim(push_id)
    assert token
    assert delivery.claim(push_id) is None  # a second worker gets nothing
    assert delivery.attempt(push_id).outcome == delivery.Outcome.NOT_CLAIMED
    # A worker that died holding it: once the hold expires, the push is free again (the sweeper sees it).
    Push.objects.filter(pk=push_id).update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    assert push_id in delivery.due_push_ids()
    assert delivery.claim(push_id) not in (None, token)


def test_no_endpoint_url_keeps_it_pending_until_one_is_set(world, endpoint):
    world.supplier.endpoint_url = ""
    world.supplier.save()
    push_id = raise_device_alert(world.device.eui, "8F20").push.pk
    assert _deliver(push_id) == delivery.Outcome.NO_ENDPOINT
    push = Push.objects.get(pk=push_id)
    assert (push.state, push.attempts, push.last_error) == (PushState.PENDING, 0, "no-endpoint")
    assert endpoint.received == []
    world.supplier.endpoint_url = f"{endpoint.url}/supplier"
    world.supplier.save()
    assert delivery.due_push_ids() == [push_id]  # the sweeper picks it up
    assert _deliver(push_id) == "delivered"
    assert len(endpoint.accepted("/supplier")) == 1


def test_http_endpoints_only_when_insecure_endpoints_are_allowed(world, endpoint, settings):
    settings.SOLR_ALLOW_INSECURE_ENDPOINTS = False
    push_id = raise_device_alert(world.device.eui, "8F20").push.pk
    assert _deliver(push_id) == delivery.Outcome.INSECURE_ENDPOINT
    assert endpoint.received == []
    assert Push.objects.get(pk=push_id).state == PushState.PENDING
    settings.SOLR_ALLOW_INSECURE_ENDPOINTS = True
    assert _deliver(push_id) == "delivered"


def test_refused_connections_and_redirects_are_failures_not_deliveries(world, endpoint):
    endpoint.script = [302]
    push_id = raise_device_alert(world.device.eui, "8F20").push.pk
    assert _deliver(push_id) == "failed"  # a redirect is not followed
    endpoint.close()  # nothing listens any more
    result = delivery.attempt(push_id)
    assert (result.outcome, result.status) == ("failed", None)
    push = Push.objects.get(pk=push_id)
    assert (push.state, push.attempts, push.last_status) == (PushState.PENDING, 2, None)
    assert push.last_error  # the connection error, for the service desk
    assert list(PushAttempt.objects.filter(push=push).values_list("http_status", flat=True)) == [302, None]


def test_the_sweeper_queues_due_pending_pushes_only(world, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.deliver_push, "delay", queued.append)
    due = raise_device_alert(world.device.eui, "8F20").push
    later = raise_device_alert(world.device.eui, "8F21").push
    Push.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + dt.timedelta(minutes=5))
    done = raise_device_alert(world.device.eui, "8F22").push
    Push.objects.filter(pk=done.pk).update(state=PushState.DELIVERED, delivered_at=timezone.now())
    assert tasks.sweep_pushes() == 1
    assert queued == [due.pk]


def test_the_push_sweeper_queues_a_due_push_again_once_per_hold_time(world, monkeypatch):
    """A push queue that is behind: each sweep (every 5 s) queued every due push again while its message waited."""
    from contingency.delivery import push as push_service

    queued = []
    monkeypatch.setattr(tasks.deliver_push, "delay", queued.append)
    due = raise_device_alert(world.device.eui, "8F20").push
    assert [tasks.sweep_pushes(), tasks.sweep_pushes()] == [1, 0]
    assert queued == [due.pk]
    held_back = timezone.now() - dt.timedelta(seconds=push_service.hold_seconds() + 1)
    Push.objects.filter(pk=due.pk).update(requeued_at=held_back)  # a hold time later, still not delivered
    assert tasks.sweep_pushes() == 1 and queued == [due.pk, due.pk]


def test_one_push_per_alert_and_recipient(world):
    from django.db import IntegrityError, transaction

    raised = raise_device_alert(world.device.eui, "8F20")
    with pytest.raises(IntegrityError), transaction.atomic():
        Push.objects.create(key="alert:again", alert=raised.alert, recipient=raised.push.recipient, body="x")


@pytest.mark.django_db(transaction=True)
def test_racing_workers_send_a_push_once(world, endpoint, monkeypatch):
    """Four workers handle the same push at the same instant (duplicated messages, the sweeper and the first
    queueing all at once): one sends it, the others find it claimed; the endpoint sees it once."""
    from tests.helpers.races import race

    monkeypatch.setattr(tasks.deliver_push, "delay", lambda push_id: None)  # no broker here: the race is the test
    endpoint.delay = 0.3
    push_id = raise_device_alert(world.device.eui, "8F20").push.pk
    outcomes = race(*[lambda: delivery.attempt(push_id).outcome] * 4)
    assert sorted(outcomes) == ["delivered"] + ["not-claimed"] * 3
    assert len(endpoint.received) == 1
    assert PushAttempt.objects.filter(push_id=push_id).count() == 1
