"""The front door's successful paths: CV 4 → CV 5 for an ESME (single and twin) and a GSME of a failed Supplier,
SMETS1 SRV 1.6 at serviceS, SRV 6.2.9 once the service matrix allows it, ADT quarantine, and every answer signed
by the DCC and valid DUIS (the ``send`` fixture checks each one)."""

from __future__ import annotations

import datetime as dt

import pytest

from contingency.gbcs import decode, signature
from contingency.gbcs.precommand import esme_precommand, gsme_precommand
from contingency.models import DeviceCounter, RejectedRequest, ServiceRequest
from contingency.pipeline import store
from contingency.service_matrix.services import allow
from portal.models import AuditRecord, solr_role_code

from .world import (
    ESME,
    ESME_TWIN,
    FAILED_ES,
    FAILED_GS,
    GSME,
    SMETS1_ESME,
    SOLR_EUI,
    header,
    pre_command_of,
    read_payment_mode,
    request,
    rid,
    signed_pre_command,
)

pytestmark = pytest.mark.django_db


def transform(world, send, device: str, counter: int):
    reply = send("T", world.solr.sign(request(rid(SOLR_EUI, device, counter), 4)))
    assert (reply.status, reply.code) == (200, "I0"), reply.body
    return reply


@pytest.mark.parametrize(("device", "variant"), [(ESME, "single"), (ESME_TWIN, "twin")])
def test_esme_transform_then_signed_pre_command(world, send, adt, device, variant):
    counter = world.next_counter()
    reply = transform(world, send, device, counter)
    assert header(reply.body, "ResponseID") == rid(device, SOLR_EUI, counter)
    issued = pre_command_of(reply.body)
    # The Pre-Command is in the failed Supplier's name (DESIGN §2 step 4), ECS02 for this build of meter.
    assert issued == esme_precommand(originator=FAILED_ES, device=device, counter=counter, variant=variant)
    row = ServiceRequest.objects.get(request_id=rid(SOLR_EUI, device, counter))
    assert (row.state, bytes(row.precommand), row.gbcs_originator) == ("transformed", issued, FAILED_ES)
    assert adt.calls == []  # the Transform is not counted: the CV 5 that completes it is (issue 10 point 9)

    signed = signature.sign(issued, world.es_digital.key)
    reply = send("S", world.solr.sign(request(rid(SOLR_EUI, device, counter), 5, body=signed_pre_command(signed))))
    assert (reply.status, reply.code) == (200, "I99"), reply.body
    row.refresh_from_db()
    assert (row.state, bytes(row.signed_precommand), row.version) == ("accepted", signed, 1)
    assert row.target_supplier == world.failed_es.party and row.activation == world.activation
    assert len(adt.calls) == 1 and adt.calls[0][1:3] == ("1.6", world.failed_es)
    assert DeviceCounter.objects.get(device__eui=device, originator=FAILED_ES).last_counter == counter
    assert list(AuditRecord.objects.filter(action__startswith="duis.request.").values_list("action", flat=True)
                .order_by("id")) == ["duis.request.transformed", "duis.request.accepted"]
    assert not RejectedRequest.objects.exists()


def test_gsme_transform_then_signed_pre_command(world, send):
    counter = world.next_counter()
    issued = pre_command_of(transform(world, send, GSME, counter).body)
    assert issued == gsme_precommand(originator=FAILED_GS, device=GSME, counter=counter,
                                     issuer_event_id=counter & 0xFFFFFFFF)
    assert decode.decode(issued).use_case == "GCS02"
    signed = signature.sign(issued, world.gs_digital.key)
    reply = send("S", world.solr.sign(request(rid(SOLR_EUI, GSME, counter), 5, body=signed_pre_command(signed))))
    assert (reply.status, reply.code) == (200, "I99")
    assert ServiceRequest.objects.get(request_id=rid(SOLR_EUI, GSME, counter)).state == "accepted"


def test_future_dated_transform_carries_the_execution_time(world, send):
    from .world import credit

    counter = world.next_counter()
    at = "2030-01-15T09:00:00Z"
    reply = send("T", world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 4, body=credit(at))))
    assert reply.code == "I0"
    assert pre_command_of(reply.body) == esme_precommand(
        originator=FAILED_ES, device=ESME, counter=counter, execution=dt.datetime(2030, 1, 15, 9, tzinfo=dt.UTC))
    assert ServiceRequest.objects.get().execution_at == dt.datetime(2030, 1, 15, 9, tzinfo=dt.UTC)


def test_smets1_credit_at_service_s_is_accepted_at_once(world, send, django_capture_on_commit_callbacks,
                                                        monkeypatch):
    queued = []
    monkeypatch.setattr(store, "queue_for_delivery", queued.append)
    counter = world.next_counter()
    with django_capture_on_commit_callbacks(execute=True):
        reply = send("S", world.solr.sign(request(rid(SOLR_EUI, SMETS1_ESME, counter), 1)))
    assert (reply.status, reply.code) == (200, "I99")
    row = ServiceRequest.objects.get()
    assert (row.state, row.command_variant) == ("accepted", 1)
    # No Pre-Command went to the sender, but the DCC built the device command for the SMETS1 service provider: to
    # Credit, for this meter, in the failed Supplier's name, with the request's counter, unsigned.
    built = decode.decode(bytes(row.precommand))
    assert (built.precommand.device, built.precommand.originator, built.precommand.counter) == \
        (SMETS1_ESME, FAILED_ES, counter)
    assert built.precommand.prepayment is None and built.frame.signature is None
    assert queued == [row]  # queued for delivery once committed


def test_quarantine_verdict_stores_the_request_quarantined_and_queues_nothing(world, send, adt,
                                                                              django_capture_on_commit_callbacks,
                                                                              monkeypatch):
    queued = []
    monkeypatch.setattr(store, "queue_for_delivery", queued.append)
    adt.outcome = "quarantine"
    counter = world.next_counter()
    issued = pre_command_of(transform(world, send, ESME, counter).body)
    body = signed_pre_command(signature.sign(issued, world.es_digital.key))
    with django_capture_on_commit_callbacks(execute=True):
        reply = send("S", world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 5, body=body)))
    assert reply.code == "I99"
    row = ServiceRequest.objects.get()
    assert row.state == "quarantined" and row.quarantined_at is not None and row.accepted_at is None
    assert queued == []


def test_warning_verdict_flags_the_request(world, send, adt):
    adt.outcome = "warning"
    send("S", world.solr.sign(request(rid(SOLR_EUI, SMETS1_ESME, world.next_counter()), 1)))
    row = ServiceRequest.objects.get()
    assert (row.state, row.adt_warning) == ("accepted", True)


def test_srv_6_2_9_works_once_the_service_matrix_allows_it(world, send, cast):
    world.instruction.srvs = ["1.6", "6.2.9"]
    world.instruction.save()
    body = read_payment_mode()

    refused = send("S", world.solr.sign(request(rid(SOLR_EUI, ESME, world.next_counter()), 1, "6.2.9", body)))
    assert (refused.status, refused.code) == (403, "E2")
    # The one change: the DCC operator lets the SoLR Contingency role send SRV 6.2.9 with CV 1.
    allow(cast.dcc_operator1.user, solr_role_code(), "6.2.9", [1], "Read Device Configuration (Payment Mode)")
    reply = send("S", world.solr.sign(request(rid(SOLR_EUI, ESME, world.next_counter()), 1, "6.2.9",
                                              read_payment_mode())))
    assert (reply.status, reply.code) == (200, "I99")
    row = ServiceRequest.objects.get()
    assert (row.srv, row.state, row.command_variant) == ("6.2.9", "accepted", 1)
