"""What the client sends is valid DUIS 5.4 (the official XSD and the project's own structural check), reads back
through the front door's parser as what was meant, and its signature verifies with the SRP's certificate."""

from __future__ import annotations

import datetime as dt

import pytest

from contingency.duis import requests, structure
from contingency.duis.requestid import RequestID
from contingency.gbcs import precommand as pcm
from contingency.gbcs import signature
from pki import xmldsig
from srp_client import ClientError, messages

from .fakedcc import ESME, SRP_EUI, SUPPLIER_ES

FUTURE = dt.datetime(2030, 1, 15, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize("execution", [None, FUTURE, messages.CANCELLATION])
def test_cv4_and_cv5_are_valid_duis_and_read_back(world, duis_schema, execution):
    rid = RequestID(SRP_EUI, ESME, 1_700_000_000_123)
    apdu = pcm.esme_precommand(originator=SUPPLIER_ES, device=ESME, counter=rid.counter,
                               execution=pcm.execution_from_duis(execution))
    signed_apdu = signature.sign(apdu, world.supplier_es.key)
    for root, variant in ((messages.credit_request(rid, execution=execution), 4),
                          (messages.signed_pre_command_request(rid, signed_apdu, execution=execution), 5)):
        signed = xmldsig.sign(root, world.srp.key, world.srp.cert)
        assert b"\n" not in signed.split(b"?>", 1)[1]  # compact: what is signed is what is sent
        verified = xmldsig.verify(signed, certificate=world.srp.cert)
        assert duis_schema.errors(verified.root) == []
        structure.check(verified.root)
        request = requests.parse(verified.root)
        assert (request.request_id, request.command_variant, request.service_reference_variant) == (rid, variant, "1.6")
        if variant == 4:
            assert request.body.is_credit and request.body.execution == execution
        else:
            assert (request.body.gbcs_payload, request.body.execution) == (signed_apdu, execution)


def test_a_precommand_with_a_null_signature_length_is_accepted_and_one_signed_is_not(world):
    apdu = pcm.esme_precommand(originator=SUPPLIER_ES, device=ESME, counter=5)
    args = dict(suppliers={SUPPLIER_ES}, device=ESME, counter=5, execution=None)
    assert messages.check_precommand(apdu + b"\x00", **args).is_credit
    with pytest.raises(ClientError) as info:
        messages.check_precommand(signature.sign(apdu, world.supplier_es.key), **args)
    assert (info.value.code, info.value.cause) == ("precommand-invalid", "signed")


@pytest.mark.parametrize(("asked", "issued", "code"), [
    (None, FUTURE, "precommand-wrong-execution"),
    (FUTURE, None, "precommand-wrong-execution"),
    (FUTURE, pcm.CANCEL, "precommand-wrong-execution"),
    (messages.CANCELLATION, FUTURE, "precommand-wrong-execution"),
])
def test_the_execution_time_must_be_the_one_asked_for(asked, issued, code):
    apdu = pcm.esme_precommand(originator=SUPPLIER_ES, device=ESME, counter=5, execution=issued)
    with pytest.raises(ClientError) as info:
        messages.check_precommand(apdu, suppliers={SUPPLIER_ES}, device=ESME, counter=5, execution=asked)
    assert info.value.code == code


def test_bytes_that_are_no_precommand_are_refused_with_the_gbcs_code():
    with pytest.raises(ClientError) as info:
        messages.check_precommand(b"\xdf\x09", suppliers={SUPPLIER_ES}, device=ESME, counter=5, execution=None)
    assert (info.value.code, info.value.cause) == ("precommand-invalid", "gbcs-truncated")


def test_an_execution_time_must_be_aware_and_whole_seconds():
    for bad in (dt.datetime(2030, 1, 1), dt.datetime(2030, 1, 1, microsecond=1, tzinfo=dt.UTC)):
        with pytest.raises(ClientError) as info:
            messages.check_execution(bad)
        assert info.value.code == "execution-invalid"
    plus_one = dt.timezone(dt.timedelta(hours=1))
    assert messages.check_execution(dt.datetime(2030, 1, 1, 10, tzinfo=plus_one)) == dt.datetime(2030, 1, 1, 9,
                                                                                                 tzinfo=dt.UTC)
