"""The alert documents (issue 9 point 7): every kind valid against the official DUIS 5.4 XSD, the GBCS alert
APDU byte-compatible with the RTDS 8F66 alerts up to the signature, the signature verifying under the JDK's
independent implementation with the DCC's manifest-style xml-signing certificate, and the stored push body
exactly the signed document."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from contingency.alerts.services import raise_dcc_alert, raise_device_alert, raise_future_dated_alert
from contingency.duis import alerts as duis_alerts
from contingency.gbcs import alerts as gbcs_alerts
from contingency.gbcs.errors import GbcsRefused
from pki import xmldsig
from portal.models import AuditRecord
from tests.helpers import jdk

from .world import DCC_EUI

NS = {"sr": "http://www.dccinterface.co.uk/ServiceUserGateway", "ds": xmldsig.DS_NS}
AT = dt.datetime(2026, 11, 29, 3, 4, 5, 678000, tzinfo=dt.UTC)
RTDS = Path("gbcs-parser") / "rtds-4.5.0"
# (vector, original message code, original request counter): the ECS02 and ECS03 future-dated requests.
RTDS_ALERTS = {
    "1.6_ECS02/ECS02_1.6_8F66_FUTURE_DATED_TWIN_SUCCESS_ALERT_PAYMENT_MODE_GBCS.HEX": (0x001A, 1005),
    "1.6_ECS03/ECS03_1.6_8F66_FUTURE_DATED_TWIN_SUCCESS_ALERT_PAYMENT_MODE_GBCS.HEX": (0x001B, 1011),
}


# --- GBCS ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("vector", sorted(RTDS_ALERTS))
def test_gbcs_alert_matches_the_rtds_8f66_alert_up_to_the_signature(vectors_dir, vector):
    rtds = bytes.fromhex((vectors_dir / RTDS / vector).read_text().strip())
    header = gbcs_alerts.read_alert(rtds)
    message_code, counter = RTDS_ALERTS[vector]
    ours = gbcs_alerts.alert_apdu(
        originator=header.originator, recipient=header.recipient, counter=header.counter, alert_code="8F66",
        at=dt.datetime(2030, 1, 15, 9, tzinfo=dt.UTC),
        reference=gbcs_alerts.InstructionReference(message_code, counter, gbcs_alerts.ACCOUNT_IC,
                                                   gbcs_alerts.ACCOUNT_OBIS, 0x0D))
    # RTDS: … ‖ 0x40 ‖ the device's 64-byte signature; ours: … ‖ 0x00 (the simulator holds no device key).
    assert rtds[-65] == 0x40 and ours[-1] == 0x00
    assert ours[:-1] == rtds[:-65]
    assert header.message_code == gbcs_alerts.MESSAGE_CODE_FUTURE_DATED_DLMS


@pytest.mark.parametrize("text, value", [("8F66", 0x8F66), ("0x8f67", 0x8F67), (" 0X8F20 ", 0x8F20), ("1", 1)])
def test_alert_codes_are_hex_with_or_without_0x(text, value):
    assert gbcs_alerts.parse_alert_code(text) == value


@pytest.mark.parametrize("text", ["", "0x", "8G66", "18F66", "0000", "-1", "8F 66"])
def test_bad_alert_codes_are_refused_with_a_code(text):
    with pytest.raises(GbcsRefused) as refused:
        gbcs_alerts.parse_alert_code(text)
    assert refused.value.code == "gbcs-alert-code-invalid"


def test_alert_building_refuses_bad_values_with_room_codes(vectors_dir):
    at = dt.datetime(2030, 1, 15, 9, tzinfo=dt.UTC)
    cases = {
        "gbcs-alert-time-invalid": dict(at=dt.datetime(2030, 1, 15, 9)),
        "gbcs-counter-invalid": dict(counter=2**64),
        "gbcs-eui-invalid": dict(originator="00-DB-12"),
        "gbcs-alert-reference-invalid": dict(reference=gbcs_alerts.InstructionReference(0x001A, 2**64, 111,
                                                                                         b"\x00" * 6, 13)),
    }
    for code, bad in cases.items():
        values = {"originator": "00-DB-12-34-56-78-90-A0", "recipient": "90-B3-D5-1F-30-01-00-00", "counter": 1,
                  "alert_code": 0x8F66, "at": at, **bad}
        with pytest.raises(GbcsRefused) as refused:
            gbcs_alerts.alert_apdu(**values)
        assert refused.value.code == code
    command = (vectors_dir / RTDS / "1.6_ECS02" / "ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX")
    with pytest.raises(GbcsRefused) as refused:
        gbcs_alerts.read_alert(bytes.fromhex(command.read_text().strip()))
    assert refused.value.code == "gbcs-not-an-alert"


# --- DUIS, unsigned (no Django) ----------------------------------------------------------------------------

DEVICE, SUPPLIER, SRP = "00-DB-12-34-56-78-90-A0", "90-B3-D5-1F-30-01-00-00", "90-B3-D5-1F-30-20-00-01"
PAYLOAD = gbcs_alerts.alert_apdu(originator=bytes.fromhex("00DB1234567890A0"),
                                 recipient=bytes.fromhex("90B3D51F30010000"), counter=7, alert_code=0x8F20, at=AT)


def _unsigned_kinds():
    return {
        "device": duis_alerts.device_alert(device_eui=DEVICE, recipient_eui=SRP, counter=7, alert_code=0x8F20,
                                           gbcs_payload=PAYLOAD, at=AT),
        "future-dated": duis_alerts.future_dated_alert(
            device_eui=DEVICE, recipient_eui=SRP, counter=8, alert_code=0x8F67, gbcs_payload=PAYLOAD,
            service_reference="1.6", service_reference_variant="1.6", at=AT),
        "quarantined": duis_alerts.dcc_alert(
            code="AD1", subject_eui=DCC_EUI, recipient_eui=SRP, counter=9, at=AT,
            alert=duis_alerts.QuarantinedRequest(f"{SRP}:{DEVICE}:1002", 12345678901234567890)),
        "command-failure": duis_alerts.dcc_alert(
            code="N12", subject_eui=DEVICE, recipient_eui=SUPPLIER, counter=10, at=AT,
            alert=duis_alerts.CommandFailure(f"{SUPPLIER}:{DEVICE}:1002", DEVICE, dsp_schedule_id=42)),
    }


@pytest.mark.parametrize("kind", sorted(_unsigned_kinds()))
def test_each_kind_is_valid_duis(duis_schema, kind):
    root = _unsigned_kinds()[kind]
    assert duis_schema.errors(root) == []
    header = root.find("sr:Header", NS)
    assert header.findtext("sr:ResponseCode", namespaces=NS) == "I0"
    assert header.findtext("sr:ResponseDateTime", namespaces=NS) == "2026-11-29T03:04:05.678Z"
    assert header.find("sr:RequestID", NS) is None


def test_the_schema_check_bites_a_dcc_alert_code_the_xsd_does_not_know(duis_schema):
    root = _unsigned_kinds()["command-failure"]
    root.find(".//sr:DCCAlertCode", NS).text = "N32"  # DUIS has no N32
    assert duis_schema.errors(root) != []
    with pytest.raises(duis_alerts.AlertMessageInvalid):
        duis_alerts.dcc_alert(code="N32", subject_eui=DEVICE, recipient_eui=SUPPLIER, counter=1, at=AT,
                              alert=duis_alerts.CommandFailure(f"{SUPPLIER}:{DEVICE}:1", DEVICE))


def test_device_alert_carries_the_code_and_the_gbcs_alert():
    root = _unsigned_kinds()["device"]
    assert root.findtext(".//sr:AlertCode", namespaces=NS) == "8F20"
    assert base64.b64decode(root.findtext(".//sr:GBCSPayload", namespaces=NS)) == PAYLOAD
    assert root.findtext(".//sr:ResponseID", namespaces=NS) == f"{DEVICE}:{SRP}:7"


# --- raised, signed, stored --------------------------------------------------------------------------------

def _raise_every_kind(world):
    world.revoke_licence()  # routed via SoLR: the GBCS recipient must stay the Supplier
    reference = gbcs_alerts.InstructionReference(0x001A, 1005, gbcs_alerts.ACCOUNT_IC, gbcs_alerts.ACCOUNT_OBIS, 0x0D)
    return {
        "device": raise_device_alert(world.device.eui, "0x8F20"),
        "future-dated": raise_future_dated_alert(world.device, 0x8F66, reference=reference, service_reference="1.6",
                                                 service_reference_variant="1.6"),
        "quarantined": raise_dcc_alert("AD1", duis_alerts.QuarantinedRequest(
            f"{world.srp_solr.eui}:{world.device.eui}:1002", 4711), addressed_to=world.srp_solr),
        "command-failure": raise_dcc_alert("N12", duis_alerts.CommandFailure(
            f"{world.srp_solr.eui}:{world.device.eui}:1002", world.device.eui), addressed_to=world.supplier,
            device=world.device),
    }


@pytest.mark.django_db
def test_raised_alerts_are_signed_valid_duis_and_pushed_as_signed(world, duis_schema):
    raised = _raise_every_kind(world)
    for kind, item in raised.items():
        document = item.alert.document.encode()
        root = etree.fromstring(document)
        assert duis_schema.errors(root) == [], kind
        assert item.push.body == item.alert.document, kind
        assert item.alert.recipient == world.srp_solr, kind
        # The quarantine alert is the SRP's own (its request): direct. The others are the failed Supplier's.
        assert item.alert.via_solr == (kind != "quarantined"), kind
        # Our own verifier, with the DCC's certificate: the profile and the digest hold.
        verified = xmldsig.verify(document, certificate=x509.load_pem_x509_certificate(world.dcc_cert_pem.read_bytes()))
        assert verified.root.findtext(".//sr:ResponseID", namespaces=NS) == item.alert.response_id
        assert AuditRecord.objects.filter(action="alert.raise", subject_id=str(item.alert.pk)).exists()
    # The GBCS inside the device alerts: originator the device, recipient the registered Supplier (digest §7).
    for kind in ("device", "future-dated"):
        header = gbcs_alerts.read_alert(bytes(raised[kind].alert.gbcs_payload))
        assert (header.originator, header.recipient) == (world.device.eui, world.supplier.eui), kind
        assert header.counter == raised[kind].alert.pk and header.signature == b"", kind
    # A DCC alert about a Supplier is routed like a device alert: the SRP gets the CommandFailure.
    assert raised["command-failure"].alert.addressed_to == world.supplier


@pytest.fixture(scope="module")
def java():
    return jdk.java_or_skip()


@pytest.mark.django_db
def test_every_alert_kind_verifies_under_the_jdk_with_the_dcc_certificate(world, java, tmp_path):
    raised = _raise_every_kind(world)
    pairs = []
    for kind, item in sorted(raised.items()):
        path = tmp_path / f"{kind}.xml"
        path.write_text(item.alert.document)
        pairs.append((path, world.dcc_cert_pem))
    # And one tampered copy, so the harness is seen to refuse.
    tampered = tmp_path / "tampered.xml"
    tampered.write_text(raised["device"].alert.document.replace("<sr:AlertCode>8F20<", "<sr:AlertCode>8F21<"))
    pairs.append((tampered, world.dcc_cert_pem))
    verdicts = jdk.verdicts(java, pairs)
    assert [(status, lines[0]) for status, lines in verdicts[:-1]] == [(0, "valid=true ref=true")] * len(raised)
    assert verdicts[-1][0] == 1
