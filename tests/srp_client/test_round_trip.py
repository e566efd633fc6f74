"""The SRP client against a fake DCC that answers as the front door does: CV 4 → I0 Pre-Command → CV 5 → I99, then
the Service Response pushed to the client's receiver (DESIGN §2 steps 4-6)."""

from __future__ import annotations

import datetime as dt

import pytest

from contingency.duis.requestid import parse as parse_request_id
from contingency.gbcs.decode import decode
from pki import xmldsig
from srp_client import Outcome, Receiver
from srp_client.messages import CANCELLATION
from tests.helpers.waiting import wait_until

from .fakedcc import ESME, ESME_TWIN, GSME, OTHER_ESME, SRP_EUI, SUPPLIER_ES, SUPPLIER_GS


def _signed_precommand(dcc, index=0):
    """The GBCS payload of the index-th CV 5 the fake DCC received."""
    from contingency.duis import requests

    verified = xmldsig.verify(dcc.bodies["S"][index], certificate=dcc.world.srp.cert)
    return requests.parse(verified.root)


@pytest.mark.parametrize(("device", "supplier", "use_case"), [
    (ESME, SUPPLIER_ES, "ECS02"), (ESME_TWIN, SUPPLIER_ES, "ECS02"), (GSME, SUPPLIER_GS, "GCS02")])
def test_cv4_then_cv5_then_the_pushed_response_switches_the_meter(dcc, make_client, device, supplier, use_case):
    client = make_client()
    with Receiver(dcc.world.dcc.cert, client.tracker.handle) as receiver:
        dcc.push_to = receiver.url
        result = client.switch(device)
        assert client.tracker.wait([result], timeout=10)
    assert (result.outcome, result.code, result.use_case) == (Outcome.SWITCHED, "I0", use_case)
    rid = parse_request_id(result.request_id)
    assert (rid.originator, rid.target) == (SRP_EUI, device)
    # The same RequestID went to serviceT (CV 4) and serviceS (CV 5); the DCC's own check accepted the CV 5.
    assert dcc.received == {"T": [result.request_id], "S": [result.request_id]}
    cv5 = _signed_precommand(dcc)
    assert cv5.command_variant == 5
    signed = decode(cv5.body.gbcs_payload)
    assert (signed.precommand.originator, signed.precommand.device, signed.is_signed) == (supplier, device, True)
    wait_until(lambda: dcc.pushes == [204], timeout=10, what="the fake DCC to record its push")  # after the 204


def test_a_failed_delivery_and_a_meter_that_refuses_are_failed(dcc, make_client):
    client = make_client()
    dcc.device_fails = {ESME}
    with Receiver(dcc.world.dcc.cert, client.tracker.handle) as receiver:
        dcc.push_to = receiver.url
        result = client.switch(ESME)
        assert client.tracker.wait([result], timeout=10)
    assert (result.outcome, result.code) == (Outcome.FAILED, "device-refused")


def test_a_quarantine_alert_naming_the_request_makes_it_quarantined(dcc, make_client):
    client = make_client()
    dcc.quarantine = {GSME}
    with Receiver(dcc.world.dcc.cert, client.tracker.handle) as receiver:
        dcc.push_to = receiver.url
        results = [client.switch(ESME), client.switch(GSME)]
        assert client.tracker.wait(results, timeout=10)
    assert [(r.outcome, r.code) for r in results] == [(Outcome.SWITCHED, "I0"), (Outcome.QUARANTINED, "AD1")]


@pytest.mark.parametrize(("execution", "want"), [
    (dt.datetime(2030, 1, 15, 9, tzinfo=dt.UTC), dt.datetime(2030, 1, 15, 9, tzinfo=dt.UTC)),
    (CANCELLATION, CANCELLATION)])
def test_future_dated_and_cancellation(dcc, make_client, execution, want):
    result = make_client().switch(ESME_TWIN, execution=execution)
    assert result.outcome == Outcome.ACCEPTED, result
    from contingency.duis import requests

    cv4 = requests.parse(xmldsig.verify(dcc.bodies["T"][0], certificate=dcc.world.srp.cert).root)
    assert cv4.body.execution == want and cv4.body.is_credit
    assert _signed_precommand(dcc).body.execution == want


def test_an_execution_time_with_fractions_is_refused_before_sending(dcc, make_client):
    result = make_client().switch(ESME, execution=dt.datetime(2030, 1, 15, 9, 0, 0, 500, tzinfo=dt.UTC))
    assert (result.outcome, result.code) == (Outcome.FAILED, "execution-invalid")
    assert dcc.bodies == {"T": [], "S": []}


def test_without_a_receiver_the_outcome_is_accepted(dcc, make_client):
    result = make_client().switch(OTHER_ESME)
    assert (result.outcome, result.code, result.http_status) == (Outcome.ACCEPTED, "I99", 200)


def test_a_smets1_meter_gets_cv1_at_service_s_and_its_response(dcc, make_client):
    from srp_client import Meter

    from .fakedcc import SMETS1_ESME

    client = make_client()
    with Receiver(dcc.world.dcc.cert, client.tracker.handle) as receiver:
        dcc.push_to = receiver.url
        results = client.switch_many([Meter(SMETS1_ESME, "SMETS1"), Meter(ESME)], concurrency=2)
        assert client.tracker.wait(results, timeout=10)
    assert [(r.outcome, r.code, r.use_case) for r in results] == [
        (Outcome.SWITCHED, "I0", "SMETS1"), (Outcome.SWITCHED, "I0", "ECS02")]
    assert dcc.received["T"] == [results[1].request_id]  # no Transform for the SMETS1 meter
    assert sorted(dcc.received["S"]) == sorted(r.request_id for r in results)


def test_a_smets1_meter_sent_as_smets2_is_rejected_e12(dcc, make_client):
    from .fakedcc import SMETS1_ESME

    result = make_client().switch(SMETS1_ESME)
    assert (result.outcome, result.code, result.http_status) == (Outcome.REJECTED, "E12", 400)
