"""GBCS signatures (issue 10 point 6; reference digest §5): ECDSA P-256 SHA-256 over APDU[1:], r‖s. Every RTDS
SRV 1.6 command's Signed Pre-Command verifies with the supplier's RTDS key and with no other, and no bit of it
can change."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from contingency.gbcs import signature
from contingency.gbcs.errors import GbcsRefused
from contingency.gbcs.precommand import esme_precommand
from tests.contingency.gbcs import rtds

COMMANDS = rtds.vector_names("COMMAND")


@pytest.fixture(scope="module")
def keys(vectors_dir):
    base = vectors_dir / rtds.KEYSTORE
    return {
        "supplier": x509.load_pem_x509_certificate((base / rtds.SUPPLIER_DS_CERT).read_bytes()),
        "supplier_key": load_pem_private_key((base / rtds.SUPPLIER_DS_KEY).read_bytes(), None),
        "acb": x509.load_pem_x509_certificate((base / rtds.ACB_DS_CERT).read_bytes()),
        "acb_key": load_pem_private_key((base / rtds.ACB_DS_KEY).read_bytes(), None),
    }


def _code(fn, *args) -> str:
    with pytest.raises(GbcsRefused) as refused:
        fn(*args)
    return refused.value.code


def test_there_are_commands_to_check(vectors_dir):
    assert len(COMMANDS) == 8


@pytest.mark.parametrize("name", COMMANDS)
def test_rtds_signed_precommands_verify_with_the_supplier_key_only(vectors_dir, keys, name):
    signed = rtds.signed_from_command(rtds.hex_file(vectors_dir / rtds.RTDS / name))
    frame = signature.verify(signed, keys["supplier"])  # a certificate
    assert frame.originator == rtds.SUPPLIER
    signature.verify(signed, keys["supplier"].public_key())  # or its public key
    assert _code(signature.verify, signed, keys["acb"]) == "gbcs-signature-invalid"
    assert _code(signature.verify, signed, ec.generate_private_key(ec.SECP256R1()).public_key()) \
        == "gbcs-signature-invalid"


@pytest.mark.parametrize("name", COMMANDS[:1] + COMMANDS[-1:])
def test_every_single_bit_change_is_refused(vectors_dir, keys, name):
    """Each bit of a signed RTDS Pre-Command, flipped in turn: the result never verifies (a framing refusal
    where the change breaks the frame, otherwise gbcs-signature-invalid)."""
    signed = rtds.signed_from_command(rtds.hex_file(vectors_dir / rtds.RTDS / name))
    codes = set()
    for i in range(1, len(signed)):  # byte 0 (DF) is not signed; its change is a framing refusal, checked below
        for bit in range(8):
            changed = signed[:i] + bytes([signed[i] ^ (1 << bit)]) + signed[i + 1 :]
            codes.add(_code(signature.verify, changed, keys["supplier"]))
    assert "gbcs-signature-invalid" in codes
    assert codes <= {"gbcs-signature-invalid", "gbcs-truncated", "gbcs-transaction-id-invalid",
                     "gbcs-system-title-invalid", "gbcs-date-time-invalid", "gbcs-other-information-invalid",
                     "gbcs-length-invalid", "gbcs-signature-malformed"}
    assert _code(signature.verify, b"\x5f" + signed[1:], keys["supplier"]) == "gbcs-not-general-signing"


def test_sign_then_verify_round_trip_and_the_signed_octets(keys):
    apdu = esme_precommand(originator=rtds.SUPPLIER, device=rtds.ESME, counter=4242)
    signed = signature.sign(apdu, keys["supplier_key"])
    assert signed[: len(apdu)] == apdu and signed[len(apdu)] == 0x40 and len(signed) == len(apdu) + 65
    signature.verify(signed, keys["supplier"])
    # Independently of verify(): r‖s is an ECDSA-SHA256 signature of APDU[1:] (the leading DF is not signed)
    r, s = int.from_bytes(signed[-64:-32], "big"), int.from_bytes(signed[-32:], "big")
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    keys["supplier"].public_key().verify(encode_dss_signature(r, s), apdu[1:], ec.ECDSA(hashes.SHA256()))
    assert decode_dss_signature(encode_dss_signature(r, s)) == (r, s)


def test_sign_drops_a_null_signature_length_and_refuses_a_signed_apdu(keys):
    apdu = esme_precommand(originator=rtds.SUPPLIER, device=rtds.ESME, counter=4243)
    signed = signature.sign(apdu + b"\x00", keys["supplier_key"])
    assert signed[: len(apdu) + 1] == apdu + b"\x40"
    signature.verify(signed, keys["supplier"])
    assert _code(signature.sign, signed, keys["supplier_key"]) == "gbcs-already-signed"


def test_unsigned_or_null_signed_apdus_are_refused_as_missing_a_signature(keys):
    apdu = esme_precommand(originator=rtds.SUPPLIER, device=rtds.ESME, counter=4244)
    assert _code(signature.verify, apdu, keys["supplier"]) == "gbcs-signature-missing"
    assert _code(signature.verify, apdu + b"\x00", keys["supplier"]) == "gbcs-signature-missing"


def test_keys_other_than_p256_are_refused(keys):
    apdu = esme_precommand(originator=rtds.SUPPLIER, device=rtds.ESME, counter=4245)
    p384 = ec.generate_private_key(ec.SECP384R1())
    assert _code(signature.sign, apdu, p384) == "gbcs-key-unsupported"
    signed = signature.sign(apdu, keys["supplier_key"])
    assert _code(signature.verify, signed, p384.public_key()) == "gbcs-key-unsupported"
