"""Every response the DCC sends from this room is valid DUIS 5.4, and once signed verifies here and under the
JDK's javax.xml.crypto (DESIGN §4; contingency.duis.responses)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from contingency.duis import requests, responses
from contingency.duis.codes import RESPONSE_CODES
from contingency.duis.refusals import MessageRefused
from contingency.duis.requestid import RequestID
from pki import xmldsig
from tests.contingency.duis import messages as m
from tests.helpers import jdk

AT = dt.datetime(2026, 11, 29, 3, 4, 5, 678000, tzinfo=dt.UTC)
REQUEST_ID = "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1002"
RESPONSE_ID = "00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:1002"


@pytest.fixture(scope="module")
def request_16(vectors_dir):
    return requests.parse(m.load(vectors_dir / m.TEMPLATES / m.ECS02_IMMEDIATE))


@pytest.fixture(scope="module")
def kinds(vectors_dir, request_16):
    """One response of every kind, each answering the SRV 1.6 template's request."""
    pre, signed = m.signed_pre_command_bytes(vectors_dir)
    device_response = bytes.fromhex("".join((vectors_dir / m.GBCS_ECS02 /
                                             "ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_RESPONSE_GBCS.HEX").read_text().split()))
    out = {
        "pre-command": responses.pre_command(request_16, gbcs_payload=pre, gbcs_version="4.0", at=AT),
        "acknowledgement": responses.acknowledgement(request_16, at=AT),
        "service-response": responses.service_response(request_16, gbcs_payload=device_response, at=AT),
        "E20": responses.delivery_failure("E20", request_16, at=AT),
        "E21": responses.delivery_failure("E21", request_16, at=AT),
    }
    for code, meaning in RESPONSE_CODES.items():
        if meaning.kind == "error" and code not in ("E20", "E21"):
            out[code] = responses.error(code, request_16, at=AT)
    return out


def _text(root, path):
    return root.findtext(path, namespaces=m.NS)


def test_every_kind_is_valid_against_the_official_xsd(duis_schema, kinds):
    assert {"pre-command", "acknowledgement", "service-response", "E1", "E2", "E4", "E12", "E13", "E19",
            "E20", "E21"} <= kinds.keys()
    for kind, root in kinds.items():
        assert duis_schema.errors(root) == [], kind
        assert _text(root, "sr:Header/sr:RequestID") == REQUEST_ID
        assert _text(root, "sr:Header/sr:ResponseID") == RESPONSE_ID
        assert _text(root, "sr:Header/sr:ResponseDateTime") == "2026-11-29T03:04:05.678Z"
        assert _text(root, "sr:Body/sr:ResponseMessage/sr:ServiceReference") == "1.6"
        assert _text(root, "sr:Body/sr:ResponseMessage/sr:ServiceReferenceVariant") == "1.6"


def test_what_each_kind_carries(vectors_dir, kinds):
    pre, _ = m.signed_pre_command_bytes(vectors_dir)
    pre_command = kinds["pre-command"]
    assert _text(pre_command, "sr:Header/sr:ResponseCode") == "I0"
    assert base64.b64decode(_text(pre_command, "sr:Body/sr:ResponseMessage/sr:PreCommand/sr:GBCSPayload")) == pre
    assert _text(pre_command, "sr:Body/sr:ResponseMessage/sr:PreCommand/sr:GBCSVersion") == "4.0"
    assert _text(kinds["acknowledgement"], "sr:Header/sr:ResponseCode") == "I99"
    assert len(kinds["acknowledgement"].find("sr:Body/sr:ResponseMessage", m.NS)) == 2  # references only
    service = kinds["service-response"]
    assert _text(service, "sr:Header/sr:ResponseCode") == "I0"
    device_response = bytes.fromhex("".join((vectors_dir / m.GBCS_ECS02 /
                                             "ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_RESPONSE_GBCS.HEX").read_text().split()))
    assert base64.b64decode(_text(service, "sr:Body/sr:ResponseMessage/sr:GBCSPayload")) == device_response
    assert _text(kinds["E20"], "sr:Header/sr:ResponseCode") == "E20"
    assert _text(kinds["E4"], "sr:Header/sr:ResponseCode") == "E4"


def test_an_error_can_answer_a_refusal_raised_after_the_header(vectors_dir, duis_schema):
    root = m.load(vectors_dir / m.TEMPLATES / m.ECS02_IMMEDIATE)
    root.find("sr:Header/sr:CommandVariant", m.NS).text = "5"
    with pytest.raises(MessageRefused) as refused:
        requests.parse(root)
    answer = responses.error("E12", refused.value, at=AT)
    assert duis_schema.errors(answer) == []
    assert _text(answer, "sr:Header/sr:ResponseID") == RESPONSE_ID


def test_an_answer_from_explicit_values_and_a_lower_case_request_id(duis_schema):
    subject = responses.Answering(REQUEST_ID.lower(), "6.2", "6.2.9")
    root = responses.error("E19", subject, at=AT)
    assert duis_schema.errors(root) == []
    assert _text(root, "sr:Header/sr:RequestID") == REQUEST_ID


@pytest.mark.parametrize("call", [
    lambda s: responses.error("I0", s, at=AT),  # not an error code
    lambda s: responses.error("E65", s, at=AT),  # a DUIS code whose meaning the service does not know
    lambda s: responses.delivery_failure("E19", s, at=AT),
    lambda s: responses.pre_command(s, gbcs_payload=b"", gbcs_version="4.0", at=AT),
    lambda s: responses.pre_command(s, gbcs_payload=b"\xdf", gbcs_version="", at=AT),
    lambda s: responses.service_response(s, gbcs_payload=b"", at=AT),
    lambda s: responses.acknowledgement(s, at=dt.datetime(2026, 1, 1)),  # naive date-time
    lambda s: responses.acknowledgement(responses.Answering(REQUEST_ID, "", "1.6"), at=AT),
    lambda s: responses.acknowledgement(responses.Answering(None, "1.6", "1.6"), at=AT),
])
def test_responses_that_would_be_wrong_are_not_built(request_16, call):
    with pytest.raises(ValueError):
        call(request_16)


@pytest.fixture(scope="module")
def signed_kinds(kinds):
    identity = m.Identity("DCC test signer")
    return identity, {kind: identity.sign(root) for kind, root in kinds.items()}


def test_signed_responses_verify_and_stay_valid(duis_schema, signed_kinds):
    identity, signed = signed_kinds
    for kind, document in signed.items():
        verified = xmldsig.verify(document, certificate=identity.certificate)
        assert duis_schema.errors(etree.fromstring(document)) == [], kind  # the ds:Signature is valid DUIS too
        assert verified.root.findtext("sr:Header/sr:ResponseID", namespaces=m.NS) == RESPONSE_ID


def test_signed_responses_verify_under_the_jdk(tmp_path, signed_kinds):
    java = jdk.java_or_skip()
    identity, signed = signed_kinds
    cert_path = tmp_path / "dcc.pem"
    cert_path.write_bytes(identity.certificate.public_bytes(serialization.Encoding.PEM))
    tampered = signed["acknowledgement"].replace(b">I99<", b">I0<")
    documents = {**signed, "tampered acknowledgement": tampered}
    answers = jdk.verdicts(java, jdk.write_documents(tmp_path, list(documents.values()), cert_path))
    for (kind, _), (status, out) in zip(documents.items(), answers, strict=True):
        if kind == "tampered acknowledgement":
            assert status == 1 and out[0] == "valid=false ref=false", out
        else:
            assert status == 0 and out[0] == "valid=true ref=true", (kind, out)
            assert out[1].startswith("keyinfo=match "), (kind, out)


def test_request_id_objects_are_accepted_as_they_are(duis_schema):
    subject = responses.Answering(RequestID("90b3d51f30010000", "00db1234567890a0", 1002), "1.6", "1.6")
    root = responses.acknowledgement(subject, at=AT)
    assert _text(root, "sr:Header/sr:RequestID") == REQUEST_ID and duis_schema.errors(root) == []
