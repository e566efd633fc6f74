"""The receiver: a DCC-signed document is handed over (204); a forged, altered or unsigned one is refused (400) and
changes nothing; only POST; the size limit; a callback that fails gives 500 so that the DCC pushes again."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests as http
from lxml import etree

from contingency.duis import alerts, responses
from pki import xmldsig
from srp_client import Outcome, Receiver, Result, Tracker

from .fakedcc import DCC_EUI, ESME, SRP_EUI, SUPPLIER_ES, device_response

RID = f"{SRP_EUI}:{ESME}:1700000000000"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _service_response(success=True) -> etree._Element:
    subject = responses.Answering(RID, "1.6", "1.6")
    payload = device_response(ESME, SUPPLIER_ES, 1700000000000, "ESME", success=success)
    return responses.service_response(subject, gbcs_payload=payload, at=NOW)


@pytest.fixture
def receiving(world):
    tracker = Tracker()
    result = Result(ESME, Outcome.ACCEPTED, request_id=RID)
    tracker.track(result)
    with Receiver(world.dcc.cert, tracker.handle) as receiver:
        yield receiver, tracker, result


def _post(receiver, body: bytes):
    return http.post(receiver.url, data=body, headers={"Content-Type": "application/xml"}, timeout=10)


def test_a_dcc_signed_service_response_is_taken(world, receiving):
    receiver, tracker, result = receiving
    answer = _post(receiver, xmldsig.sign(_service_response(), world.dcc.key, world.dcc.cert))
    assert (answer.status_code, answer.content) == (204, b"")
    assert (result.outcome, result.code) == (Outcome.SWITCHED, "I0")


@pytest.mark.parametrize("forgery", ["other-key", "altered", "unsigned", "not-xml"])
def test_a_forged_response_is_refused_and_changes_nothing(world, receiving, forgery):
    receiver, tracker, result = receiving
    if forgery == "other-key":
        other = world.ca.issue(DCC_EUI, serial=world.dcc.cert.serial_number)  # the DCC's name, another key
        body = xmldsig.sign(_service_response(), other.key, other.cert)
        cause = "bad-signature"
    elif forgery == "altered":
        # Signed as a failure, then altered: the digest no longer matches.
        body = xmldsig.sign(_service_response(success=False), world.dcc.key, world.dcc.cert)
        body = body.replace(b"<sr:ResponseCode>I0<", b"<sr:ResponseCode>I99<")
        cause = "digest-mismatch"
    elif forgery == "unsigned":
        body = etree.tostring(_service_response())
        cause = "unsigned"
    else:
        body, cause = b"hello", "not-well-formed"
    answer = _post(receiver, body)
    assert answer.status_code == 400
    assert answer.json() == {"code": "answer-signature-invalid", "cause": cause}
    assert result.outcome == Outcome.ACCEPTED and list(tracker.unmatched) == []


def test_a_dcc_alert_for_another_request_is_kept_unmatched(world, receiving):
    receiver, tracker, result = receiving
    root = alerts.dcc_alert(code="AD1", subject_eui=DCC_EUI, recipient_eui=SRP_EUI, counter=5,
                            alert=alerts.QuarantinedRequest(f"{SRP_EUI}:{ESME}:1", 5), at=NOW)
    assert _post(receiver, xmldsig.sign(root, world.dcc.key, world.dcc.cert)).status_code == 204
    assert result.outcome == Outcome.ACCEPTED
    assert [d.alert_request_id for d in tracker.unmatched] == [f"{SRP_EUI}:{ESME}:1"]


def test_an_e21_is_failed(world, receiving):
    receiver, tracker, result = receiving
    root = responses.delivery_failure("E21", responses.Answering(RID, "1.6", "1.6"), at=NOW)
    assert _post(receiver, xmldsig.sign(root, world.dcc.key, world.dcc.cert)).status_code == 204
    assert (result.outcome, result.code) == (Outcome.FAILED, "E21")


def test_only_post_and_a_size_limit(world):
    with Receiver(world.dcc.cert, lambda document: None, max_bytes=1000) as receiver:
        assert http.get(receiver.url, timeout=10).status_code == 405
        too_big = _post(receiver, b"<a/>" * 300)
        assert (too_big.status_code, too_big.json()["code"]) == (413, "too-large")


def test_a_callback_that_fails_answers_500(world):
    def broken(document):
        raise RuntimeError("disk full")

    with Receiver(world.dcc.cert, broken) as receiver:
        answer = _post(receiver, xmldsig.sign(_service_response(), world.dcc.key, world.dcc.cert))
    assert (answer.status_code, json.loads(answer.content)["code"]) == (500, "callback-failed")


def test_a_response_that_overtakes_the_answer_is_applied_when_the_request_is_tracked(world):
    from srp_client import messages

    tracker = Tracker()
    document = messages.read_document(xmldsig.sign(_service_response(), world.dcc.key, world.dcc.cert), world.dcc.cert)
    assert tracker.handle(document) is None  # nobody awaits it yet
    result = Result(ESME, Outcome.ACCEPTED, request_id=RID)
    tracker.track(result)
    assert (result.outcome, result.code, list(tracker.unmatched)) == (Outcome.SWITCHED, "I0", [])
    tracker.settle(result, Outcome.ACCEPTED, "I99")  # the late I99 never replaces a final outcome
    assert result.outcome == Outcome.SWITCHED


def test_giving_up_fails_only_the_requests_still_waiting():
    tracker = Tracker()
    switched = Result(ESME, Outcome.SWITCHED, request_id=RID, code="I0")
    waiting = Result(ESME, Outcome.ACCEPTED, request_id=RID + "1", code="I99")
    for result in (switched, waiting):
        tracker.give_up(result, "no-response")
    assert [(r.outcome, r.code) for r in (switched, waiting)] == [(Outcome.SWITCHED, "I0"),
                                                                  (Outcome.FAILED, "no-response")]
