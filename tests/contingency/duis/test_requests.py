"""The request parser reads every RTDS template from its verified tree, and refuses, with its own codes, what
makes a request unreadable or self-contradictory (contingency.duis.requests)."""

from __future__ import annotations

import base64
import copy
import datetime as dt

import pytest
from lxml import etree

from contingency.duis import requests
from contingency.duis.refusals import MessageRefused
from contingency.duis.requestid import RequestID
from tests.contingency.duis import messages as m

UTC = dt.UTC


@pytest.fixture(scope="module")
def identity():
    return m.Identity()


def _expected_body(name: str):
    """What the file name (RTDS naming: use case, SRV, scenario) says the body is."""
    if "_1.6_" in name:
        credit = name.startswith(("ECS02", "GCS02"))
        if "IMMEDIATE" in name:
            execution = None
        elif "FUTURE_DATED" in name:
            # 09:00 in every future-dated template but GCS03's, which says midnight.
            execution = dt.datetime(2030, 1, 15, 0 if name.startswith("GCS03") else 9, tzinfo=UTC)
        else:
            assert "CANCELLATION" in name
            execution = requests.CANCELLATION_DATE_TIME
        return ("UpdatePaymentMode", "Credit" if credit else "Prepayment", execution)
    if "_6.2.9_" in name:
        return ("ReadDeviceConfigurationPaymentMode", None, None)
    return (None, None, None)


@pytest.mark.parametrize("name", m.template_names())
def test_every_rtds_template_is_read_from_its_verified_tree(vectors_dir, identity, name):
    path = vectors_dir / m.TEMPLATES / name
    source = m.load(path)
    header = {child.tag.split("}")[1]: child.text for child in source.find("sr:Header", m.NS)}
    request = requests.parse(identity.verified_root(path.read_bytes()))

    originator, target, counter = header["RequestID"].split(":")
    assert request.request_id == RequestID(originator.upper(), target.upper(), int(counter))
    assert str(request.request_id) == header["RequestID"].upper()
    assert request.command_variant == int(header["CommandVariant"])
    assert request.service_reference == header["ServiceReference"]
    assert request.service_reference_variant == header["ServiceReferenceVariant"]
    assert request.schema_version == "5.4"
    assert request.body_element == etree.QName(source.find("sr:Body", m.NS)[0]).localname
    assert request.target == target.upper()
    assert request.device_id == (None if request.command_variant == 8 else target.upper())

    element, mode, execution = _expected_body(name)
    if element == "UpdatePaymentMode":
        body = request.body
        assert isinstance(body, requests.UpdatePaymentMode)
        assert body.mode == mode and body.is_credit == (mode == "Credit")
        assert body.execution == execution
        assert body.is_cancellation == ("CANCELLATION" in name)
        assert body.is_future_dated == ("FUTURE_DATED" in name)
        if mode == "Credit":
            assert (body.suspend_debt_disabled, body.suspend_debt_emergency, body.disablement_threshold) == (
                None, None, None)
    elif element == "ReadDeviceConfigurationPaymentMode":
        assert request.body == requests.ReadPaymentMode()
        assert request.command_variant == 1
    else:
        # Another SRV: read up to the body's name, so that the role check can answer E2.
        assert request.body is None


def test_prepayment_fields_are_read(vectors_dir, identity):
    electricity = requests.parse(identity.verified_root(
        (vectors_dir / m.TEMPLATES / "ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML").read_bytes())).body
    assert (electricity.mode, electricity.suspend_debt_disabled, electricity.suspend_debt_emergency,
            electricity.disablement_threshold) == ("Prepayment", True, True, 556677)
    gas = requests.parse(identity.verified_root(
        (vectors_dir / m.TEMPLATES / "GCS03_1.6_CANCELLATION_SUCCESS_REQUEST_DUIS.XML").read_bytes())).body
    assert (gas.suspend_debt_disabled, gas.suspend_debt_emergency, gas.disablement_threshold) == (True, False, 0)
    assert gas.is_cancellation


def test_other_request_vectors(vectors_dir, identity):
    lower = requests.parse(identity.verified_root(
        (vectors_dir / "dccboxed-signing-tool/requests/ECS50_9.1_SUCCESS_REQUEST_DUIS.XML").read_bytes()))
    assert lower.request_id.originator == "00-DB-12-34-56-78-00-04"  # written in lower case in the file
    assert lower.schema_version == "5.0" or lower.schema_version.startswith("5")
    with pytest.raises(MessageRefused) as refused:
        requests.parse(m.load(vectors_dir / "dccboxed-signing-tool/requests/"
                                            "ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS-invalid.XML"))
    assert refused.value.code == "request-id-malformed"
    non_device = requests.parse(m.load(vectors_dir / m.TEMPLATES / "8.2_READ_INVENTORY_REQUEST_DUIS.XML"))
    assert non_device.device_id is None and non_device.target == "90-B3-D5-1F-30-00-00-02"


def test_a_signed_pre_command_carries_the_gbcs_bytes(vectors_dir, identity):
    pre, signed = m.signed_pre_command_bytes(vectors_dir)
    # The RTDS command holds the Pre-Command, then 0x40 and the supplier's 64-byte r‖s (reference digest §5).
    assert signed[:len(pre)] == pre and signed[len(pre)] == 0x40 and len(signed) == len(pre) + 65
    root = m.signed_pre_command_request(vectors_dir, signed)
    request = requests.parse(identity.verified_root(root))
    assert request.command_variant == 5 and request.is_signed_pre_command
    assert request.body == requests.SignedPreCommand(gbcs_payload=signed, execution=None)
    assert str(request.request_id).endswith(":1002")
    future = requests.parse(identity.verified_root(m.signed_pre_command_request(
        vectors_dir, signed, variant=7, execution="3000-12-31T00:00:00.00Z")))
    assert future.body.is_cancellation and future.command_variant == 7


def test_every_rtds_signed_pre_command_is_read_within_the_limit(vectors_dir):
    commands = sorted((vectors_dir / "gbcs-parser/rtds-4.5.0").glob("1.6_*/*_COMMAND_GBCS.HEX"))
    assert len(commands) == 8
    for command in commands:
        pre, signed = m.split_command(command)
        assert signed.startswith(pre) and len(signed) == len(pre) + 65
        assert len(signed) * 4 < requests.MAX_GBCS_PAYLOAD  # the limit leaves room for larger GBCS commands
        body = requests.parse(m.signed_pre_command_request(vectors_dir, signed)).body
        assert body.gbcs_payload == signed, command.name


def test_base64_with_line_breaks_is_read(vectors_dir):
    _, signed = m.signed_pre_command_bytes(vectors_dir)
    text = base64.encodebytes(signed).decode()  # 76-character lines, as Java writes base64
    assert "\n" in text.strip()
    assert requests.parse(m.signed_pre_command_request(vectors_dir, text)).body.gbcs_payload == signed


def test_date_times_are_read_in_utc(vectors_dir):
    def execution(value):
        root = m.load(vectors_dir / m.TEMPLATES / "ECS02_1.6_FUTURE_DATED_TWIN_SUCCESS_REQUEST_DUIS.XML")
        root.find("sr:Body/sr:UpdatePaymentMode/sr:ExecutionDateTime", m.NS).text = value
        return requests.parse(root).body.execution

    assert execution("2030-01-15T10:30:00+01:30") == dt.datetime(2030, 1, 15, 9, 0, tzinfo=UTC)
    assert execution("2030-01-15T09:00:00") == dt.datetime(2030, 1, 15, 9, 0, tzinfo=UTC)  # no zone: UTC
    assert execution("2030-01-15T24:00:00Z") == dt.datetime(2030, 1, 16, tzinfo=UTC)
    assert execution("2030-01-15T09:00:00.1234567Z") == dt.datetime(2030, 1, 15, 9, 0, 0, 123456, tzinfo=UTC)


# Hostile and inconsistent requests: each mutation of a template → the code it must be refused with.

def _set(path, value):
    def mutate(root):
        root.find(path, m.NS).text = value
    return mutate


def _remove(path):
    def mutate(root):
        element = root.find(path, m.NS)
        element.getparent().remove(element)
    return mutate


def _replace_body(xml):
    def mutate(root):
        body = root.find("sr:Body", m.NS)
        for child in list(body):
            body.remove(child)
        for child in etree.fromstring(f'<w xmlns:sr="{m.SR_NS_URI}">{xml}</w>'):
            body.append(child)
    return mutate


m.SR_NS_URI = m.NS["sr"]
HEADER = "sr:Header"
UPM = "sr:Body/sr:UpdatePaymentMode"
HOSTILE = {
    "no RequestID": (_remove(f"{HEADER}/sr:RequestID"), "header-invalid"),
    "RequestID with ::": (_set(f"{HEADER}/sr:RequestID", "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0::1"),
                          "request-id-malformed"),
    "counter 2^64": (_set(f"{HEADER}/sr:RequestID", f"90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:{2**64}"),
                     "request-id-counter-out-of-range"),
    "empty RequestID": (_set(f"{HEADER}/sr:RequestID", ""), "request-id-missing"),
    "CV 9": (_set(f"{HEADER}/sr:CommandVariant", "9"), "command-variant-invalid"),
    "CV 0": (_set(f"{HEADER}/sr:CommandVariant", "0"), "command-variant-invalid"),
    "CV text": (_set(f"{HEADER}/sr:CommandVariant", "four"), "command-variant-invalid"),
    "CV huge": (_set(f"{HEADER}/sr:CommandVariant", "4" * 10000), "command-variant-invalid"),
    "no CV": (_remove(f"{HEADER}/sr:CommandVariant"), "header-invalid"),
    "SR of another SRV": (_set(f"{HEADER}/sr:ServiceReference", "6.2"), "service-reference-mismatch"),
    "SRV with spaces": (_set(f"{HEADER}/sr:ServiceReferenceVariant", " 1.6"), "service-reference-invalid"),
    "SRV garbage": (_set(f"{HEADER}/sr:ServiceReferenceVariant", "1.6; drop"), "service-reference-invalid"),
    "FirstInSequence not boolean": (
        lambda root: root.find(f"{HEADER}/sr:RequestID", m.NS).addnext(
            etree.Element(m.SR + "FirstInSequence")), "header-invalid"),
    "header out of order": (
        lambda root: root.find(HEADER, m.NS).append(root.find(f"{HEADER}/sr:RequestID", m.NS)), "header-invalid"),
    "foreign element in header": (
        lambda root: root.find(HEADER, m.NS).append(etree.Element("{urn:x}RequestID")), "header-invalid"),
    "text in header": (lambda root: setattr(root.find(HEADER, m.NS), "text", "x"), "header-invalid"),
    "empty body": (_replace_body(""), "body-invalid"),
    "two bodies": (_replace_body("<sr:UpdatePaymentMode><sr:Credit/></sr:UpdatePaymentMode>"
                                 "<sr:UpdatePaymentMode><sr:Credit/></sr:UpdatePaymentMode>"), "body-invalid"),
    "body in another namespace": (_replace_body('<x:UpdatePaymentMode xmlns:x="urn:x"><x:Credit/>'
                                                "</x:UpdatePaymentMode>"), "body-invalid"),
    "1.6 with a 6.2.9 body": (_replace_body("<sr:ReadDeviceConfigurationPaymentMode/>"), "body-mismatch"),
    "CV 4 with a Signed Pre-Command": (_replace_body("<sr:SignedPreCommand><sr:GBCSPayload>3wk=</sr:GBCSPayload>"
                                                     "</sr:SignedPreCommand>"), "command-variant-mismatch"),
    "CV 5 with a Service Request": (_set(f"{HEADER}/sr:CommandVariant", "5"), "command-variant-mismatch"),
    "Credit and Prepayment": (_replace_body(
        "<sr:UpdatePaymentMode><sr:Credit/><sr:Prepayment><sr:SuspendDebtDisabled>true</sr:SuspendDebtDisabled>"
        "<sr:SuspendDebtEmergency>true</sr:SuspendDebtEmergency><sr:DisablementThreshold>1</sr:DisablementThreshold>"
        "</sr:Prepayment></sr:UpdatePaymentMode>"), "payment-mode-invalid"),
    "no payment mode": (_replace_body("<sr:UpdatePaymentMode/>"), "payment-mode-invalid"),
    "Credit with text": (_set(f"{UPM}/sr:Credit", "Prepayment"), "payment-mode-invalid"),
    "Credit with a child": (lambda root: root.find(f"{UPM}/sr:Credit", m.NS).append(etree.Element(m.SR + "x")),
                            "payment-mode-invalid"),
    "threshold beyond xs:int": (_replace_body(
        "<sr:UpdatePaymentMode><sr:Prepayment><sr:SuspendDebtDisabled>1</sr:SuspendDebtDisabled>"
        "<sr:SuspendDebtEmergency>0</sr:SuspendDebtEmergency><sr:DisablementThreshold>2147483648"
        "</sr:DisablementThreshold></sr:Prepayment></sr:UpdatePaymentMode>"), "payment-mode-invalid"),
    "boolean spelt TRUE": (_replace_body(
        "<sr:UpdatePaymentMode><sr:Prepayment><sr:SuspendDebtDisabled>TRUE</sr:SuspendDebtDisabled>"
        "<sr:SuspendDebtEmergency>0</sr:SuspendDebtEmergency><sr:DisablementThreshold>5"
        "</sr:DisablementThreshold></sr:Prepayment></sr:UpdatePaymentMode>"), "payment-mode-invalid"),
    "fields out of order": (_replace_body(
        "<sr:UpdatePaymentMode><sr:Prepayment><sr:SuspendDebtEmergency>0</sr:SuspendDebtEmergency>"
        "<sr:SuspendDebtDisabled>1</sr:SuspendDebtDisabled><sr:DisablementThreshold>5"
        "</sr:DisablementThreshold></sr:Prepayment></sr:UpdatePaymentMode>"), "payment-mode-invalid"),
    "date-time garbage": (_replace_body("<sr:UpdatePaymentMode><sr:ExecutionDateTime>tomorrow</sr:ExecutionDateTime>"
                                        "<sr:Credit/></sr:UpdatePaymentMode>"), "execution-date-time-invalid"),
    "date-time before year 1": (_replace_body(
        "<sr:UpdatePaymentMode><sr:ExecutionDateTime>-0001-01-01T00:00:00Z</sr:ExecutionDateTime>"
        "<sr:Credit/></sr:UpdatePaymentMode>"), "execution-date-time-invalid"),
    "date-time after 9999": (_replace_body(
        "<sr:UpdatePaymentMode><sr:ExecutionDateTime>10000-01-01T00:00:00Z</sr:ExecutionDateTime>"
        "<sr:Credit/></sr:UpdatePaymentMode>"), "execution-date-time-invalid"),
    "date-time falls off the end": (_replace_body(
        "<sr:UpdatePaymentMode><sr:ExecutionDateTime>9999-12-31T23:00:00-05:00</sr:ExecutionDateTime>"
        "<sr:Credit/></sr:UpdatePaymentMode>"), "execution-date-time-invalid"),
    "30 February": (_replace_body("<sr:UpdatePaymentMode><sr:ExecutionDateTime>2030-02-30T00:00:00Z"
                                  "</sr:ExecutionDateTime><sr:Credit/></sr:UpdatePaymentMode>"),
                    "execution-date-time-invalid"),
    "two date-times": (_replace_body(
        "<sr:UpdatePaymentMode><sr:ExecutionDateTime>2030-01-01T00:00:00Z</sr:ExecutionDateTime>"
        "<sr:ExecutionDateTime>2030-01-01T00:00:00Z</sr:ExecutionDateTime><sr:Credit/></sr:UpdatePaymentMode>"),
        "payment-mode-invalid"),
    "root in another namespace": (lambda root: setattr(root, "tag", "{urn:x}Request"), "not-a-request"),
    "no schemaVersion": (lambda root: root.attrib.pop("schemaVersion"), "schema-version-invalid"),
    "schemaVersion not decimal": (lambda root: root.set("schemaVersion", "5.4.1"), "schema-version-invalid"),
    "Body before Header": (lambda root: root.append(root.find(HEADER, m.NS)), "header-invalid"),
    "an extra element after Body": (lambda root: root.append(etree.Element(m.SR + "Body")), "header-invalid"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_and_inconsistent_requests_are_refused_with_their_code(vectors_dir, identity, case):
    mutate, code = HOSTILE[case]
    root = copy.deepcopy(m.load(vectors_dir / m.TEMPLATES / m.ECS02_IMMEDIATE))
    mutate(root)
    with pytest.raises(MessageRefused) as refused:
        requests.parse(root)
    assert refused.value.code == code
    # Through the real path (signed, verified, re-parsed from the signed octets) the answer is the same.
    with pytest.raises(MessageRefused) as again:
        requests.parse(identity.verified_root(root))
    assert again.value.code == code


def test_a_refusal_after_the_header_names_the_request(vectors_dir):
    root = m.load(vectors_dir / m.TEMPLATES / m.ECS02_IMMEDIATE)
    root.find(f"{HEADER}/sr:CommandVariant", m.NS).text = "5"
    with pytest.raises(MessageRefused) as refused:
        requests.parse(root)
    assert refused.value.code == "command-variant-mismatch"
    assert str(refused.value.request_id) == "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1002"
    assert (refused.value.service_reference, refused.value.service_reference_variant) == ("1.6", "1.6")
    root.find(f"{HEADER}/sr:RequestID", m.NS).text = "bad"
    with pytest.raises(MessageRefused) as before:
        requests.parse(root)
    assert before.value.code == "request-id-malformed" and before.value.request_id is None


@pytest.mark.parametrize(("payload", "code"), [
    ("", "signed-pre-command-invalid"),
    ("3wk", "signed-pre-command-invalid"),
    ("3wk_", "signed-pre-command-invalid"),
    ("3x==", "signed-pre-command-invalid"),  # unused bits not zero: refused by the XSD too
    (base64.b64encode(b"\xdf" * (requests.MAX_GBCS_PAYLOAD + 1)).decode(), "signed-pre-command-too-large"),
    ("A" * 10**6, "signed-pre-command-too-large"),  # refused on its length, before decoding
])
def test_bad_signed_pre_command_payloads_are_refused(vectors_dir, payload, code):
    with pytest.raises(MessageRefused) as refused:
        requests.parse(m.signed_pre_command_request(vectors_dir, payload))
    assert refused.value.code == code


def test_the_largest_payload_allowed_is_read(vectors_dir):
    payload = b"\xdf" * requests.MAX_GBCS_PAYLOAD
    body = requests.parse(m.signed_pre_command_request(vectors_dir, payload)).body
    assert body.gbcs_payload == payload


def test_a_signature_still_in_the_tree_is_ignored_and_anything_else_is_not(vectors_dir):
    # Straight from the parser (not verified) the template still ends with its placeholder Signature.
    assert requests.parse(m.load(vectors_dir / m.TEMPLATES / m.ECS02_IMMEDIATE)).body.is_credit
    root = m.load(vectors_dir / m.TEMPLATES / m.ECS02_IMMEDIATE)
    root.append(etree.Element("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    with pytest.raises(MessageRefused) as refused:
        requests.parse(root)
    assert refused.value.code == "header-invalid"
