"""The client trusts nothing the DCC did not sign and signs nothing it did not ask for (MP134B requirement 5):
an unsigned or wrongly signed answer, a Pre-Command for another device, a Prepayment one, one with a changed
counter or another originator are refused, and no CV 5 is sent. Retries: a 503 is retried, a 4xx never."""

from __future__ import annotations

import pytest

from contingency.duis import requests
from pki import xmldsig
from srp_client import Outcome

from .fakedcc import ESME, GSME, OTHER_ESME, OTHER_SUPPLIER, SRP_EUI


@pytest.mark.parametrize(("tamper", "code"), [
    ({"device": OTHER_ESME}, "precommand-wrong-device"),
    ({"prepayment": True}, "precommand-not-credit"),
    ({"counter_delta": 1}, "precommand-wrong-counter"),
    ({"originator": OTHER_SUPPLIER}, "precommand-wrong-originator"),
    ({"originator": SRP_EUI}, "precommand-wrong-originator"),
])
@pytest.mark.parametrize("device", [ESME, GSME])
def test_a_precommand_other_than_the_one_asked_for_is_never_signed(dcc, make_client, tamper, code, device):
    dcc.tamper = tamper
    result = make_client().switch(device)
    assert (result.outcome, result.code) == (Outcome.FAILED, code)
    assert len(dcc.received["T"]) == 1
    assert dcc.bodies["S"] == []  # nothing signed with the Supplier's key went out


def test_an_unsigned_answer_is_refused(dcc, make_client):
    dcc.signature = "unsigned"
    result = make_client().switch(ESME)
    assert (result.outcome, result.code) == (Outcome.FAILED, "answer-signature-invalid")
    assert "[unsigned]" in result.detail
    assert dcc.bodies["S"] == []


def test_an_answer_signed_by_another_key_is_refused(dcc, make_client, world):
    # Signed by a certificate of the same CA with the DCC's EUI: only the DCC's own certificate counts.
    dcc.signature = world.ca.issue(world.dcc.eui)
    result = make_client().switch(ESME)
    assert (result.outcome, result.code) == (Outcome.FAILED, "answer-signature-invalid")
    assert dcc.bodies["S"] == []


def test_an_answer_signed_with_another_key_under_the_dcc_certificate_name_is_refused(dcc, make_client, world):
    # Same issuer and serial as the DCC's certificate, another key: the signature value does not verify.
    dcc.signature = world.ca.issue(world.dcc.eui, serial=world.dcc.cert.serial_number)
    result = make_client().switch(ESME)
    assert (result.outcome, result.code) == (Outcome.FAILED, "answer-signature-invalid")
    assert "[bad-signature]" in result.detail


def test_a_signed_duis_error_is_rejected_with_its_code(dcc, make_client):
    dcc.refuse_with = "E4"
    result = make_client().switch(ESME)
    assert (result.outcome, result.code, result.http_status) == (Outcome.REJECTED, "E4", 403)
    assert dcc.bodies["S"] == []


def test_a_503_is_retried_then_succeeds_with_a_new_counter(dcc, make_client):
    dcc.fail["T"] = [503]
    result = make_client().switch(ESME)
    assert (result.outcome, result.code, result.attempts) == (Outcome.ACCEPTED, "I99", 3)  # 2 at serviceT, 1 at S
    assert len(dcc.bodies["T"]) == 2
    assert dcc.received["S"] == [result.request_id] == dcc.received["T"]
    first, second = (_request_id(dcc, body) for body in dcc.bodies["T"])
    assert first.target == second.target and first.counter < second.counter  # a lost answer is never replayed


def test_a_503_at_service_s_is_retried(dcc, make_client):
    dcc.fail["S"] = [503, 502]
    result = make_client().switch(GSME)
    assert (result.outcome, result.code) == (Outcome.ACCEPTED, "I99")
    assert len(dcc.bodies["S"]) == 3


def test_retries_end(dcc, make_client):
    dcc.fail["T"] = [503, 503, 503]
    result = make_client().switch(ESME)  # retries=2: three attempts
    assert (result.outcome, result.code) == (Outcome.FAILED, "dcc-unavailable")
    assert len(dcc.bodies["T"]) == 3


@pytest.mark.parametrize("status", [400, 403, 409])
def test_a_4xx_is_never_retried(dcc, make_client, status):
    dcc.fail["T"] = [status]
    result = make_client().switch(ESME)
    assert (result.outcome, result.code, result.http_status) == (Outcome.REJECTED, "structure-invalid", status)
    assert len(dcc.bodies["T"]) == 1
    assert dcc.bodies["S"] == []


def test_a_refused_connection_is_retried_then_fails(world, make_client):
    from srp_client import SrpClient

    client = make_client()
    dead = SrpClient(base_url="http://127.0.0.1:9", signer=client.signer, suppliers=client.suppliers,
                     dcc_certificate=world.dcc.cert, transport=client.transport)
    result = dead.switch(ESME)
    assert (result.outcome, result.code) == (Outcome.FAILED, "transport-failed")


def _request_id(dcc, body):
    return requests.parse(xmldsig.verify(body, certificate=dcc.world.srp.cert).root).request_id


def test_a_lost_cv4_answer_is_retried_with_a_new_counter(dcc, make_client):
    dcc.drop = {"T": 1}  # the DCC stored the first CV 4; its answer never arrives
    result = make_client().switch(ESME)
    assert (result.outcome, result.code) == (Outcome.ACCEPTED, "I99")
    first, second = dcc.received["T"]
    assert second == result.request_id and first != second  # the same RequestID would be a replay


def test_a_lost_cv5_answer_then_pre_command_unknown_counts_as_accepted_unconfirmed(dcc, make_client):
    dcc.drop = {"S": 1}  # the DCC took the CV 5; its I99 never arrives; the retry finds the Pre-Command used
    result = make_client().switch(GSME)
    assert (result.outcome, result.code, result.unconfirmed) == (Outcome.ACCEPTED, "I99", True)
    assert len(dcc.bodies["S"]) == 2 and dcc.bodies["S"][0] == dcc.bodies["S"][1]


def test_pre_command_unknown_without_a_lost_answer_is_rejected(dcc, make_client):
    dcc.fail["S"] = [(409, "pre-command-unknown")]
    result = make_client().switch(ESME)
    assert (result.outcome, result.code, result.unconfirmed) == (Outcome.REJECTED, "pre-command-unknown", False)


def test_an_unexpected_error_fails_one_meter_and_the_others_go_on(dcc, make_client, monkeypatch):
    from srp_client import messages

    real = messages.credit_request

    def broken(request_id, **kwargs):
        if request_id.target == GSME:
            raise RuntimeError("a bug")
        return real(request_id, **kwargs)

    monkeypatch.setattr(messages, "credit_request", broken)
    results = make_client().switch_many([ESME, GSME, OTHER_ESME], concurrency=3)
    assert [(r.outcome, r.code) for r in results] == [
        (Outcome.ACCEPTED, "I99"), (Outcome.FAILED, "internal-error"), (Outcome.ACCEPTED, "I99")]


def test_the_ca_bundle_reaches_the_session():
    from srp_client import Transport

    assert Transport(verify="/etc/srp/dcc-ca.pem")._session().verify == "/etc/srp/dcc-ca.pem"
