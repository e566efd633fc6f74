"""deliver(): the states of one request, its signed Service Response, one push per request, idempotence, E20/E21,
future-dated scheduling and cancellation, and the sweeper's re-queue of stuck work (docs/delivery.md)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from cryptography import x509
from django.utils import timezone
from lxml import etree

from contingency.delivery import push, service, tasks
from contingency.gbcs import precommand as pcm
from contingency.models import MeterBehaviour, Push, PushState, RequestState, ServiceRequest, SimulatedMeter
from pki import xmldsig

from .requests import accepted_request

NS = {"sr": "http://www.dccinterface.co.uk/ServiceUserGateway"}


@pytest.fixture(autouse=True)
def fast_gateway(settings):
    settings.SOLR_GATEWAY_LATENCY_SECONDS = 0.0
    settings.SOLR_GATEWAY_JITTER_SECONDS = 0.0
    settings.SOLR_GATEWAY_RESPONSE_TIMEOUT_SECONDS = 0.05


class Queue(list):
    def __call__(self, push_id):
        self.append(push_id)


@pytest.mark.django_db
def test_a_request_is_delivered_the_meter_switches_and_a_signed_valid_i0_is_pushed_once(world, duis_schema):
    request = accepted_request(world)
    queued = Queue()
    assert service.deliver(request.pk, queue_push=queued) == "responded"
    request.refresh_from_db()
    world.device.refresh_from_db()
    assert world.device.payment_mode == "credit"
    assert request.state == RequestState.RESPONDED and request.response_code == "I0"
    assert request.sent_at and request.responded_at and request.delivery_attempts == 1
    assert request.claim_token == "" and request.claimed_until is None
    root = etree.fromstring(request.response_document.encode())
    assert duis_schema.errors(root) == []
    assert root.findtext(".//sr:ResponseCode", namespaces=NS) == "I0"
    assert root.findtext(".//sr:RequestID", namespaces=NS) == request.request_id
    assert root.findtext(".//sr:GBCSPayload", namespaces=NS)
    verified = xmldsig.verify(request.response_document.encode(),
                              certificate=x509.load_pem_x509_certificate(world.dcc_cert_pem.read_bytes()))
    assert verified.root.findtext(".//sr:ResponseID", namespaces=NS) == request.response_id
    pushed = Push.objects.get(key=f"response:{request.request_id}")
    assert queued == [pushed.pk]
    assert pushed.recipient == world.srp_solr and pushed.body == request.response_document


@pytest.mark.django_db
def test_running_the_task_twice_sends_nothing_twice(world):
    request = accepted_request(world)
    first = tasks.deliver_request.apply(args=[request.pk]).get()
    version = ServiceRequest.objects.get(pk=request.pk).version
    second = tasks.deliver_request.apply(args=[request.pk]).get()
    assert (first["outcome"], second["outcome"]) == ("responded", "not-claimed")
    assert ServiceRequest.objects.get(pk=request.pk).version == version
    assert SimulatedMeter.objects.get(device=world.device).commands == 1
    assert Push.objects.filter(key__startswith="response:").count() == 1


@pytest.mark.django_db
def test_a_request_held_by_a_live_worker_is_not_taken(world):
    request = accepted_request(world)
    assert service.claim(request.pk) is not None
    assert service.deliver(request.pk, queue_push=Queue()) == "not-claimed"
    assert SimulatedMeter.objects.filter(device=world.device).count() == 0
    assert ServiceRequest.objects.get(pk=request.pk).state == RequestState.ACCEPTED


@pytest.mark.django_db
@pytest.mark.parametrize(("behaviour", "code"), [(MeterBehaviour.SILENT, "E21"), (MeterBehaviour.UNREACHABLE, "E20")])
def test_a_meter_that_does_not_answer_gives_a_failure_response(world, duis_schema, behaviour, code):
    SimulatedMeter.objects.create(device=world.device, behaviour=behaviour)
    request = accepted_request(world)
    assert service.deliver(request.pk, queue_push=Queue()) == "failed"
    request.refresh_from_db()
    world.device.refresh_from_db()
    assert (request.state, request.response_code) == (RequestState.FAILED, code)
    assert world.device.payment_mode == "prepayment"
    root = etree.fromstring(request.response_document.encode())
    assert duis_schema.errors(root) == []
    assert root.findtext(".//sr:ResponseCode", namespaces=NS) == code
    assert Push.objects.filter(key=f"response:{request.request_id}").count() == 1


@pytest.mark.django_db
def test_a_command_the_meter_refuses_is_answered_i0_with_its_refusal_and_changes_nothing(world):
    request = accepted_request(world, signed=False)  # a SMETS2 meter needs the Supplier's signature
    assert service.deliver(request.pk, queue_push=Queue()) == "responded"
    request.refresh_from_db()
    assert (request.response_code, request.gateway_refusal != "") == ("I0", True)
    world.device.refresh_from_db()
    assert world.device.payment_mode == "prepayment"


@pytest.mark.django_db
def test_a_command_the_gateway_cannot_read_fails_with_e20_and_its_code(world):
    request = accepted_request(world)
    ServiceRequest.objects.filter(pk=request.pk).update(signed_precommand=b"\xde\xad", precommand=b"\xde\xad")
    assert service.deliver(request.pk, queue_push=Queue()) == "failed"
    request.refresh_from_db()
    assert (request.state, request.response_code) == (RequestState.FAILED, "E20")
    assert request.gateway_refusal.startswith("gateway-") or request.gateway_refusal.startswith("gbcs-")
    assert Push.objects.filter(key=f"response:{request.request_id}").count() == 1


@pytest.mark.django_db
def test_a_future_dated_request_is_scheduled_and_a_cancellation_stops_it(world):
    execute_at = (timezone.now() + dt.timedelta(hours=2)).replace(microsecond=0)
    request = accepted_request(world, execution=execute_at)
    assert service.deliver(request.pk, queue_push=Queue()) == "responded"
    world.device.refresh_from_db()
    assert world.device.payment_mode == "prepayment"  # not yet: at its time
    from contingency.delivery.gateway.interface import get_gateway

    assert [c.request_ref for c in get_gateway().scheduled(world.device)] == [request.request_id]
    cancel = accepted_request(world, execution=pcm.CANCEL)
    assert service.deliver(cancel.pk, queue_push=Queue()) == "responded"
    assert get_gateway().scheduled(world.device) == []
    get_gateway().execute_due(at=execute_at + dt.timedelta(minutes=1))
    world.device.refresh_from_db()
    assert world.device.payment_mode == "prepayment"


@pytest.mark.django_db
def test_the_sweeper_requeues_work_whose_worker_died_and_leaves_live_work(world, settings, monkeypatch):
    settings.SOLR_DELIVERY_STUCK_SECONDS = 60
    now = timezone.now()
    fresh = accepted_request(world)
    never_taken = accepted_request(world, accepted_at=now - dt.timedelta(seconds=61))
    dead_holder = accepted_request(world)
    service.claim(dead_holder.pk, now=now - dt.timedelta(seconds=61))  # its claim ran out a second ago
    ServiceRequest.objects.filter(pk=dead_holder.pk).update(state=RequestState.SENT)
    live_holder = accepted_request(world, accepted_at=now - dt.timedelta(seconds=120))
    service.claim(live_holder.pk)
    assert sorted(service.stuck_request_ids()) == sorted([never_taken.pk, dead_holder.pk])
    queued = []
    monkeypatch.setattr(tasks.deliver_request, "delay", queued.append)
    assert tasks.sweep_requests() == {"requeued": 2, "expired": 0}
    assert sorted(queued) == sorted([never_taken.pk, dead_holder.pk])
    assert fresh.pk not in queued
    # The dead holder's request is taken again and reaches its one outcome.
    assert service.deliver(dead_holder.pk, queue_push=Queue()) in ("responded", "failed")
    assert ServiceRequest.objects.get(pk=dead_holder.pk).state in (RequestState.RESPONDED, RequestState.FAILED)


@pytest.mark.django_db
def test_the_sweeper_queues_a_stuck_request_again_once_per_stuck_timeout(world, settings, monkeypatch):
    """A queue more than a stuck timeout behind: each sweep (every 10 s) queued every unclaimed request again."""
    settings.SOLR_DELIVERY_STUCK_SECONDS = 60
    now = timezone.now()
    waiting = accepted_request(world, accepted_at=now - dt.timedelta(seconds=61))
    queued = []
    monkeypatch.setattr(tasks.deliver_request, "delay", queued.append)
    assert tasks.sweep_requests()["requeued"] == 1
    assert tasks.sweep_requests()["requeued"] == 0  # its copy still waits in the queue
    assert queued == [waiting.pk]
    # A stuck timeout later it is still unclaimed (that copy was lost too): queued again.
    ServiceRequest.objects.filter(pk=waiting.pk).update(requeued_at=now - dt.timedelta(seconds=61))
    assert tasks.sweep_requests()["requeued"] == 1
    assert queued == [waiting.pk, waiting.pk]
    # Its worker dies holding it: the claim runs out and it is queued again, once.
    service.claim(waiting.pk, now=now - dt.timedelta(seconds=61))
    ServiceRequest.objects.filter(pk=waiting.pk).update(requeued_at=now - dt.timedelta(seconds=61))
    assert [tasks.sweep_requests()["requeued"], tasks.sweep_requests()["requeued"]] == [1, 0]


@pytest.mark.django_db
def test_an_accepted_request_nobody_delivered_in_time_expires_with_e20(world, settings, monkeypatch):
    settings.SOLR_DELIVERY_EXPIRY_SECONDS = 3600
    old = accepted_request(world, accepted_at=timezone.now() - dt.timedelta(hours=2))
    monkeypatch.setattr(tasks.deliver_request, "delay", lambda pk: None)
    assert tasks.sweep_requests()["expired"] == 1
    old.refresh_from_db()
    assert (old.state, old.response_code, old.gateway_refusal) == (RequestState.EXPIRED, "E20", "delivery-expired")
    assert service.deliver(old.pk, queue_push=Queue()) == "not-claimed"
    assert SimulatedMeter.objects.filter(device=world.device).count() == 0
    # Without accepted_at, the age of its receipt does not expire it (it is re-queued instead).
    unstamped = accepted_request(world, accepted_at=timezone.now() - dt.timedelta(hours=2))
    ServiceRequest.objects.filter(pk=unstamped.pk).update(accepted_at=None)
    assert service.expired_request_ids() == []
    assert unstamped.pk in service.stuck_request_ids()


@pytest.mark.django_db
def test_an_endpoint_that_fails_twice_then_accepts_gets_the_response_once(world, endpoint, settings):
    settings.SOLR_PUSH_BASE_DELAY_SECONDS = 0
    endpoint.script = [503, 500]
    request = accepted_request(world)
    service.deliver(request.pk, queue_push=Queue())
    request.refresh_from_db()
    pushed = Push.objects.get(key=f"response:{request.request_id}")
    outcomes = [push.attempt(pushed.pk).outcome for _ in range(4)]
    assert outcomes == ["failed", "failed", "delivered", "not-claimed"]
    assert Push.objects.get(pk=pushed.pk).state == PushState.DELIVERED
    accepted = endpoint.accepted("/srp")
    assert len(accepted) == 1 and accepted[0].body == request.response_document.encode()
    assert re.search(rb"<sr:ResponseCode>I0</sr:ResponseCode>", accepted[0].body)
    assert [r.status for r in endpoint.received] == [503, 500, 204]


@pytest.mark.django_db
def test_without_the_dcc_signing_identity_nothing_goes_to_the_meter(world, monkeypatch):
    def missing():
        raise LookupError("no DCC XML signing key")

    monkeypatch.setattr(service, "signing_identity", missing)
    request = accepted_request(world)
    with pytest.raises(LookupError):
        service.deliver(request.pk, queue_push=Queue())
    request.refresh_from_db()
    assert (request.state, request.delivery_attempts, request.claim_token) == (RequestState.ACCEPTED, 0, "")
    assert SimulatedMeter.objects.filter(device=world.device).count() == 0


@pytest.mark.django_db
def test_the_sweeper_leaves_a_fresh_response_push_to_its_queued_message_and_takes_a_lost_one(world, endpoint, settings,
                                                                                               monkeypatch):
    """A campaign's backlog: the first attempt of a Service Response's push waits in the queue. The sweeper must not
    queue it again at every run (it did: every due pending push, so the queue grew by up to SOLR_PUSH_SWEEP_BATCH
    messages a sweep); it queues it once the stuck-timeout passed (the first message was lost)."""
    settings.SOLR_DELIVERY_STUCK_SECONDS = 60
    request = accepted_request(world)
    service.deliver(request.pk, queue_push=Queue())
    pushed = Push.objects.get(key=f"response:{request.request_id}")
    queued = []
    monkeypatch.setattr(tasks.deliver_push, "delay", queued.append)
    assert tasks.sweep_pushes() == 0 and queued == []
    assert pushed.pk not in push.due_push_ids(at=timezone.now() + dt.timedelta(seconds=55))
    assert pushed.pk in push.due_push_ids(at=timezone.now() + dt.timedelta(seconds=61))
    # The first attempt's own message is not held back by that.
    assert push.attempt(pushed.pk).outcome == "delivered"
    assert len(endpoint.accepted("/srp")) == 1
    assert push.attempt(pushed.pk).outcome == "not-claimed"


@pytest.mark.django_db
def test_a_failed_first_attempt_waits_for_its_backoff_even_for_a_second_message(world, endpoint, settings):
    settings.SOLR_PUSH_BASE_DELAY_SECONDS = 30
    endpoint.script = [503]
    request = accepted_request(world)
    service.deliver(request.pk, queue_push=Queue())
    pushed = Push.objects.get(key=f"response:{request.request_id}")
    assert push.attempt(pushed.pk).outcome == "failed"
    assert push.attempt(pushed.pk).outcome == "not-claimed"  # tried once: due again only after the backoff
    assert [r.status for r in endpoint.received] == [503]
