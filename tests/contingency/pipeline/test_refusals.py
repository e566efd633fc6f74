"""For every check of the front door (DESIGN §4; docs/duis-checks.md) a request that fails exactly there: the answer's
HTTP status and code (the DUIS ResponseCode, signed by the DCC and valid DUIS, or the refusal code of an HTTP-only
refusal), a RejectedRequest row naming the code and the check, an audit record, nothing stored as accepted and
no meter's payment mode changed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone
from lxml import etree

from contingency.duis import codes
from contingency.gbcs import signature
from contingency.gbcs.precommand import Prepayment, esme_precommand
from contingency.models import Device, RejectedRequest, ServiceRequest
from pki.models import Certificate
from pki.revocation import revoke_certificate
from portal.models import AuditRecord, UserID
from tests.contingency.duis.messages import Identity
from tests.helpers import hostile_xml
from tests.pki.test_xmldsig_attacks import TREE_CASES

from .world import (
    ESME,
    FAILED_ES,
    GSME,
    OTHER_ESME,
    SMETS1_ESME,
    SOLR_EUI,
    SR,
    credit,
    nothing_accepted,
    payment_modes,
    pre_command_of,
    prepayment,
    read_payment_mode,
    request,
    rid,
    signed_pre_command,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def refused(world):
    """Checks a refusal: status, code, the RejectedRequest row and audit record, nothing accepted, meters unchanged."""
    def check(reply, status: int, code: str, refusal: str | None = None):
        refusal = refusal or code
        answer = codes.answer_for(refusal)
        assert (reply.status, reply.code) == (status, code), reply.body[:400]
        assert reply.status == answer.http_status and code == (answer.response_code or refusal)
        last = RejectedRequest.objects.order_by("-id").first()
        assert (last.code, last.failed_check, last.http_status) == (refusal, str(answer.check), status)
        record = AuditRecord.objects.filter(action="duis.request.rejected").order_by("-id").first()
        assert record.after["code"] == refusal and record.after["check"] == answer.check
        assert nothing_accepted()
        assert payment_modes() == check.modes
        return last

    check.modes = payment_modes()  # a test that changes a meter itself takes the snapshot again
    return check


def cv4(world, device=ESME, counter=None, body=None, signer=None, originator=SOLR_EUI):
    counter = counter or world.next_counter()
    return (signer or world.solr).sign(request(rid(originator, device, counter), 4, body=body))


# --- 1 transport -------------------------------------------------------------------------------------------

def test_1_get_is_refused(world, send, refused):
    refused(send("T", b"", method="get"), 405, "method-not-allowed")


def test_1_other_media_type_is_refused(world, send, refused):
    refused(send("T", cv4(world), content_type="text/plain"), 415, "unsupported-media-type")


def test_1_wrong_url_for_the_command_variant_is_e13(world, send, refused):
    refused(send("S", cv4(world)), 400, "E13", "wrong-url")
    refused(send("D", cv4(world)), 400, "E13", "wrong-url")
    assert ServiceRequest.objects.count() == 0


# --- 2 safe parse ------------------------------------------------------------------------------------------

def test_2_too_large_is_refused_before_reading(world, send, refused):
    refused(send("T", b"<" * (300 * 1024)), 413, "too-large")


@pytest.mark.parametrize(("body", "code"), [
    (b"<sr:Request", "not-well-formed"),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>', "dtd-forbidden"),
    (b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>', "dtd-forbidden"),
    (b" \n", "empty"),
])
def test_2_not_acceptable_xml(world, send, refused, body, code):
    refused(send("T", body), 400, code)


@pytest.mark.parametrize("bomb", [hostile_xml.ns_bomb, hostile_xml.attribute_bomb])
def test_2_xml_bombs(world, send, bomb):
    reply = send("T", bomb(cv4(world)))
    assert reply.status in (400, 413) and codes.answer_for(reply.code).check == 2
    assert RejectedRequest.objects.get().code == reply.code and nothing_accepted()


# --- 3 schema ----------------------------------------------------------------------------------------------

def test_3_schema_invalid(world, send, refused):
    root = request(rid(SOLR_EUI, ESME, world.next_counter()), 4)
    etree.SubElement(root.find(f"{SR}Header"), f"{SR}Surprise").text = "x"
    refused(send("T", world.solr.sign(root)), 400, "schema-invalid")


def test_3_wrong_namespace(world, send, refused):
    signed = cv4(world).replace(b"http://www.dccinterface.co.uk/ServiceUserGateway", b"urn:not-duis")
    refused(send("T", signed), 400, "schema-invalid")


# --- 4 signature -------------------------------------------------------------------------------------------

def test_4_unsigned(world, send, refused):
    root = request(rid(SOLR_EUI, ESME, world.next_counter()), 4)
    refused(send("T", etree.tostring(root, xml_declaration=True, encoding="UTF-8")), 403, "unsigned")


# Those that need the vectors' certificates stay in tests/pki.
WRAPPING = [c for c in TREE_CASES if c[0] != "serial-of-another-certificate"]


@pytest.mark.parametrize(("change", "code"), [(c[1], c[2]) for c in WRAPPING], ids=[c[0] for c in WRAPPING])
def test_4_signature_wrapping_and_tampering(world, send, change, code):
    root = etree.fromstring(cv4(world))
    change(root, {"attacker_key": ec.generate_private_key(ec.SECP256R1()), "certs": {}})
    reply = send("T", etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    # The schema check (3) runs first and may see some of these shapes first; either way nothing passes.
    assert reply.code == code or codes.answer_for(reply.code).check == 3, (reply.code, code)
    assert reply.status in (400, 403) and nothing_accepted()


def test_4_unknown_certificate(world, send, refused):
    stranger = Identity()
    reply = send("T", stranger.sign(request(rid(SOLR_EUI, ESME, world.next_counter()), 4)))
    refused(reply, 403, "unknown-signer")
    assert json.loads(reply.body)["signer_code"] == "unknown-certificate"


@pytest.mark.parametrize("how", ["expired", "revoked"])
def test_4_expired_or_revoked_certificate(world, send, refused, how):
    cert = world.solr.cert
    if how == "expired":
        Certificate.objects.filter(pk=cert.pk).update(not_after=timezone.now() - dt.timedelta(seconds=1))
    else:
        revoke_certificate(cert, reason="keyCompromise", decided_by="test")
    reply = send("T", cv4(world))
    refused(reply, 403, "unknown-signer")
    assert json.loads(reply.body)["signer_code"] == how
    assert AuditRecord.objects.get(action="duis.request.rejected").after["signer_code"] == how


def test_4_wrong_kind_of_certificate(world, send, refused):
    # The failed Supplier's Digital Signing certificate (GBCS commands) signing DUIS XML.
    reply = send("T", cv4(world, signer=world.es_digital, originator=FAILED_ES))
    refused(reply, 403, "unknown-signer")
    assert json.loads(reply.body)["signer_code"] == "wrong-kind"


def test_4_originator_is_not_the_signer(world, send, refused):
    refused(send("T", cv4(world, originator=FAILED_ES)), 403, "signer-not-originator")


# --- 5 RequestID -------------------------------------------------------------------------------------------

def test_5_replayed_request_id(world, send, refused):
    signed = cv4(world)
    assert send("T", signed).code == "I0"
    refused(send("T", signed), 409, "request-id-replayed")
    assert ServiceRequest.objects.count() == 1


def test_5_counter_not_increasing(world, send, refused):
    assert send("T", cv4(world, counter=5000)).code == "I0"
    refused(send("T", cv4(world, counter=4999)), 409, "counter-not-increasing")
    refused(send("T", cv4(world, counter=5000, body=credit("2030-01-15T09:00:00Z"))), 409, "request-id-replayed")
    # Another device has its own counter; a refused request does not move the counter.
    assert send("T", cv4(world, device=GSME, counter=10)).code == "I0"


def test_5_cv5_for_a_request_id_never_transformed(world, send, refused):
    gbcs = signature.sign(esme_precommand(originator=FAILED_ES, device=ESME, counter=7000), world.es_digital.key)
    signed = world.solr.sign(request(rid(SOLR_EUI, ESME, 7000), 5, body=signed_pre_command(gbcs)))
    refused(send("S", signed), 409, "pre-command-unknown")


def test_5_a_pre_command_is_used_once(world, send, refused):
    counter = world.next_counter()
    issued = pre_command_of(send("T", cv4(world, counter=counter)).body)
    body = signed_pre_command(signature.sign(issued, world.es_digital.key))
    signed = world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 5, body=body))
    assert send("S", signed).code == "I99"
    modes = payment_modes()
    reply = send("S", signed)
    assert (reply.status, reply.code) == (409, "pre-command-unknown") and payment_modes() == modes


def test_5_command_variant_against_the_body(world, send, refused):
    body = signed_pre_command(b"\xdf\x09")
    refused(send("T", world.solr.sign(request(rid(SOLR_EUI, ESME, world.next_counter()), 4, body=body))), 400, "E12",
            "command-variant-mismatch")


# --- 6 user ------------------------------------------------------------------------------------------------

def test_6_user_without_a_role(world, send, refused):
    world.solr.uid.roles.all().delete()
    refused(send("T", cv4(world)), 403, "E1", "user-unknown")


def test_6_user_not_active(world, send, refused):
    UserID.objects.filter(pk=world.solr.uid.pk).update(status="suspended")
    refused(send("T", cv4(world)), 403, "E3", "user-not-active")


# --- 7 role → SRV --------------------------------------------------------------------------------------------

def test_7_srv_not_permitted(world, send, refused):
    signed = world.solr.sign(request(rid(SOLR_EUI, ESME, world.next_counter()), 1, "6.2.9", read_payment_mode()))
    refused(send("S", signed), 403, "E2", "srv-not-permitted")


def test_7_command_variant_not_permitted(world, send, refused):
    signed = world.solr.sign(request(rid(SOLR_EUI, SMETS1_ESME, world.next_counter()), 3))
    refused(send("S", signed), 400, "E12", "command-variant-not-permitted")


# --- 8 device ----------------------------------------------------------------------------------------------

def test_8_device_unknown(world, send, refused):
    refused(send("T", cv4(world, device="00-DB-50-00-00-00-0F-FF")), 403, "E19", "device-unknown")


def test_8_device_type(world, send, refused):
    Device.objects.filter(eui=ESME).update(device_type="PPMID", esme_variant="", payment_mode="")
    refused.modes = payment_modes()
    refused(send("T", cv4(world)), 400, "E11", "device-type-mismatch")


def test_8_device_status(world, send, refused):
    Device.objects.filter(eui=ESME).update(smi_status="decommissioned")
    refused(send("T", cv4(world)), 403, "E5", "device-status-refused")


def test_8_no_pre_command_for_smets1_and_no_direct_srv_1_6_for_smets2(world, send, refused):
    refused(send("T", cv4(world, device=SMETS1_ESME)), 400, "E12", "command-variant-not-for-device")
    signed = world.solr.sign(request(rid(SOLR_EUI, ESME, world.next_counter()), 1))
    refused(send("S", signed), 400, "E12", "command-variant-not-for-device")


# --- 9 may act ---------------------------------------------------------------------------------------------

def test_9_another_suppliers_meter(world, send, refused):
    refused(send("T", cv4(world, device=OTHER_ESME)), 403, "E4", "not-authorised-for-device")


def test_9_no_active_activation(world, send, refused):
    world.activation.state = "suspended"
    world.activation.save()
    refused(send("T", cv4(world)), 403, "E4", "not-authorised-for-device")


def test_9_expired_instruction(world, send, refused):
    now = timezone.now()
    type(world.instruction).objects.filter(pk=world.instruction.pk).update(
        valid_from=now - dt.timedelta(days=3), valid_to=now - dt.timedelta(seconds=1))
    refused(send("T", cv4(world)), 403, "E4", "not-authorised-for-device")


# --- 10 content --------------------------------------------------------------------------------------------

def test_10_prepayment_body_cv4(world, send, refused):
    refused(send("T", cv4(world, body=prepayment())), 403, "E2", "payment-mode-not-credit")
    assert ServiceRequest.objects.count() == 0


def test_10_prepayment_body_smets1(world, send, refused):
    signed = world.solr.sign(request(rid(SOLR_EUI, SMETS1_ESME, world.next_counter()), 1, body=prepayment()))
    refused(send("S", signed), 403, "E2", "payment-mode-not-credit")


def _transformed(world, send) -> tuple[int, bytes]:
    counter = world.next_counter()
    reply = send("T", cv4(world, counter=counter))
    assert reply.code == "I0"
    return counter, pre_command_of(reply.body)


def _cv5(world, counter, gbcs):
    return world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 5, body=signed_pre_command(gbcs)))


def test_10_signed_pre_command_to_prepayment(world, send, refused):
    counter, _ = _transformed(world, send)
    forged = esme_precommand(originator=FAILED_ES, device=ESME, counter=counter,
                             prepayment=Prepayment(True, False, 556677))
    refused(send("S", _cv5(world, counter, signature.sign(forged, world.es_digital.key))), 403, "E2",
            "gbcs-not-credit")
    assert ServiceRequest.objects.get().state == "transformed"


def test_10_forged_pre_command_for_another_counter(world, send, refused):
    counter, _ = _transformed(world, send)
    forged = esme_precommand(originator=FAILED_ES, device=ESME, counter=counter + 1)
    refused(send("S", _cv5(world, counter, signature.sign(forged, world.es_digital.key))), 400,
            "gbcs-counter-mismatch")


def test_10_altered_signed_pre_command(world, send, refused):
    counter, issued = _transformed(world, send)
    signed = bytearray(signature.sign(issued, world.es_digital.key))
    signed[len(issued) - 3] ^= 0x01  # a byte of the content, after signing
    reply = send("S", _cv5(world, counter, bytes(signed)))
    assert reply.status in (400, 403) and codes.answer_for(reply.code).check == 10
    assert RejectedRequest.objects.get().failed_check == "10" and nothing_accepted()


def test_10_pre_command_signed_with_the_wrong_key(world, send, refused):
    counter, issued = _transformed(world, send)
    wrong = signature.sign(issued, ec.generate_private_key(ec.SECP256R1()))
    refused(send("S", _cv5(world, counter, wrong)), 403, "gbcs-signature-invalid")


def test_10_unsigned_pre_command(world, send, refused):
    counter, issued = _transformed(world, send)
    refused(send("S", _cv5(world, counter, issued)), 403, "gbcs-signature-missing")


def test_10_revoked_supplier_key_counts_while_may_act_allows(world, send):
    revoke_certificate(world.es_digital.cert, reason="cessationOfOperation", decided_by="test")
    counter, issued = _transformed(world, send)
    reply = send("S", _cv5(world, counter, signature.sign(issued, world.es_digital.key)))
    assert reply.code == "I99"


# --- 11 ADT ------------------------------------------------------------------------------------------------

def test_11_no_active_adt(world, send, refused, adt):
    adt.outcome = "no-adt"
    signed = world.solr.sign(request(rid(SOLR_EUI, SMETS1_ESME, world.next_counter()), 1))
    refused(send("S", signed), 403, "adt-missing")


# --- the DCC cannot sign ------------------------------------------------------------------------------------

def test_no_dcc_signing_identity_is_503_and_nothing_is_stored(world, send):
    assert send("T", cv4(world)).code == "I0"  # the DCC's key is now cached for its certificate
    Certificate.objects.filter(subject_eui="90-B3-D5-1F-30-00-00-02").update(
        revoked_at=timezone.now() - dt.timedelta(seconds=1))
    reply = send("T", cv4(world))
    assert (reply.status, reply.code) == (503, "dcc-signing-identity-missing")
    assert ServiceRequest.objects.count() == 1 and not RejectedRequest.objects.exists()


def test_a_replaced_dcc_key_signs_the_next_answer(world, send, tmp_path):
    from cryptography import x509
    from django.core.management import call_command

    from contingency.pipeline import run
    from pki import xmldsig

    assert send("T", cv4(world)).code == "I0"
    new_pem = tmp_path / "dcc-new.pem"
    call_command("pki_issue", "90-B3-D5-1F-30-00-00-02", "--kind", "xml-signing", "--into-keystore", "dcc/xml-signing",
                 "--replace-key", "--out", str(new_pem))
    signed = cv4(world)
    answer = run.handle("T", method="POST", content_type="application/xml", content_length=len(signed),
                        read_body=lambda: signed)
    assert answer.code == "I0"
    xmldsig.verify(answer.body, certificate=x509.load_pem_x509_certificate(new_pem.read_bytes()))
