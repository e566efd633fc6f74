"""The CV 5 check (issue 10 point 6): a Signed Pre-Command is accepted only if it decodes, sets Credit when the
sender is a SoLR Contingency User, is byte for byte the Pre-Command the DCC issued up to the signature, and is
signed by one of the Supplier's keys; each failure its own code."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from contingency.gbcs import signature
from contingency.gbcs.check import check_signed_precommand
from contingency.gbcs.errors import GbcsRefused
from contingency.gbcs.precommand import Prepayment, esme_precommand, gsme_precommand
from tests.contingency.gbcs import rtds


@pytest.fixture(scope="module")
def supplier(vectors_dir):
    base = vectors_dir / rtds.KEYSTORE
    return (load_pem_private_key((base / rtds.SUPPLIER_DS_KEY).read_bytes(), None),
            x509.load_pem_x509_certificate((base / rtds.SUPPLIER_DS_CERT).read_bytes()))


def issue(counter=2001, device=rtds.ESME, prepayment=None, originator=rtds.SUPPLIER):
    return esme_precommand(originator=originator, device=device, counter=counter, prepayment=prepayment)


def refused(signed, issued, keys, *, require_credit=True) -> str:
    with pytest.raises(GbcsRefused) as caught:
        check_signed_precommand(signed, issued, supplier_public_keys=keys, require_credit=require_credit)
    return caught.value.code


def test_the_rtds_signed_precommand_passes_against_its_issued_precommand(vectors_dir, supplier):
    base = vectors_dir / rtds.RTDS / "1.6_ECS02"
    signed = rtds.signed_from_command(rtds.hex_file(base / "ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_COMMAND_GBCS.HEX"))
    issued = rtds.hex_file(base / "ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX")
    other_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    got = check_signed_precommand(signed, issued, supplier_public_keys=[other_key, supplier[1]],
                                  require_credit=True)
    assert got.use_case == "ECS02" and got.precommand.counter == 1002 and got.is_signed


def test_gas_credit_passes(supplier):
    issued = gsme_precommand(originator=rtds.SUPPLIER, device=rtds.GSME, counter=3, issuer_event_id=9)
    got = check_signed_precommand(signature.sign(issued, supplier[0]), issued,
                                  supplier_public_keys=[supplier[1].public_key()], require_credit=True)
    assert got.use_case == "GCS02"


def test_a_signature_by_another_key_is_refused(supplier):
    issued = issue()
    wrong = signature.sign(issued, ec.generate_private_key(ec.SECP256R1()))
    assert refused(wrong, issued, [supplier[1]]) == "gbcs-signature-invalid"


def test_a_forged_signature_is_refused(supplier):
    issued = issue()
    good = signature.sign(issued, supplier[0])
    forged = good[:-64] + bytes(64)
    assert refused(forged, issued, [supplier[1]]) == "gbcs-signature-invalid"
    flipped = good[:-1] + bytes([good[-1] ^ 1])
    assert refused(flipped, issued, [supplier[1]]) == "gbcs-signature-invalid"


def test_an_altered_precommand_signed_by_the_supplier_is_still_refused(supplier):
    """Signed with the right key, but not what the DCC issued: the twin array in place of the single one."""
    issued = issue()
    altered = esme_precommand(originator=rtds.SUPPLIER, device=rtds.ESME, counter=2001, variant="twin")
    assert refused(signature.sign(altered, supplier[0]), issued, [supplier[1]]) == "gbcs-precommand-mismatch"


def test_a_prepayment_one_from_a_solr_sender_is_refused(supplier):
    issued = issue(prepayment=Prepayment(False, True, 0))
    signed = signature.sign(issued, supplier[0])
    assert refused(signed, issued, [supplier[1]], require_credit=True) == "gbcs-not-credit"
    gas = gsme_precommand(originator=rtds.SUPPLIER, device=rtds.GSME, counter=4, issuer_event_id=9,
                          prepayment=Prepayment(False, True, 0))
    assert refused(signature.sign(gas, supplier[0]), gas, [supplier[1]]) == "gbcs-not-credit"
    # Another role (a Supplier itself) may switch its own meter to Prepayment: the check leaves that to the caller
    got = check_signed_precommand(signed, issued, supplier_public_keys=[supplier[1]], require_credit=False)
    assert got.use_case == "ECS03"


def test_a_different_counter_is_refused(supplier):
    signed = signature.sign(issue(counter=2002), supplier[0])
    assert refused(signed, issue(counter=2001), [supplier[1]]) == "gbcs-counter-mismatch"


def test_a_different_device_is_refused(supplier):
    signed = signature.sign(issue(device="00-DB-12-34-56-78-90-A9"), supplier[0])
    assert refused(signed, issue(), [supplier[1]]) == "gbcs-device-mismatch"


def test_a_different_originator_is_refused(supplier):
    signed = signature.sign(issue(originator="90-B3-D5-1F-30-03-00-00"), supplier[0])
    assert refused(signed, issue(), [supplier[1]]) == "gbcs-originator-mismatch"


def test_an_unsigned_or_null_signed_return_is_refused(supplier):
    issued = issue()
    assert refused(issued, issued, [supplier[1]]) == "gbcs-signature-missing"
    assert refused(issued + b"\x00", issued, [supplier[1]]) == "gbcs-signature-missing"


def test_no_key_to_verify_with_is_refused(supplier):
    issued = issue()
    assert refused(signature.sign(issued, supplier[0]), issued, []) == "gbcs-no-signing-key"


def test_garbage_is_refused_by_the_decoder(supplier):
    assert refused(b"\xdf\x09", issue(), [supplier[1]]) == "gbcs-truncated"
