"""The command as sent to the device (issue 10, optional point): the Signed Pre-Command inside the General-Ciphering
wrapper with the ACB's AES-GCM MAC, byte-identical to every RTDS ``*_COMMAND_GBCS.HEX``."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from contingency.gbcs import command, signature
from contingency.gbcs.errors import GbcsRefused
from contingency.gbcs.precommand import gsme_precommand
from tests.contingency.gbcs import rtds

COMMANDS = rtds.vector_names("COMMAND")


@pytest.fixture(scope="module")
def keys(vectors_dir):
    base = vectors_dir / rtds.KEYSTORE
    return {
        "acb_ka": load_pem_private_key((base / rtds.ACB_KA_KEY).read_bytes(), None),
        "supplier_ds": load_pem_private_key((base / rtds.SUPPLIER_DS_KEY).read_bytes(), None),
        **{eui: x509.load_pem_x509_certificate((base / name).read_bytes())
           for eui, name in rtds.DEVICE_KA_CERT.items()},
    }


@pytest.mark.parametrize("name", COMMANDS)
def test_wrap_is_byte_identical_to_rtds(vectors_dir, keys, name):
    expected = rtds.hex_file(vectors_dir / rtds.RTDS / name)
    signed = rtds.signed_from_command(expected)
    assert command.wrap(signed, keys["acb_ka"], keys[rtds.ESME]) == expected
    assert command.unwrap(expected, acb_private_key=keys["acb_ka"], device_public_key=keys[rtds.ESME]) == signed


def test_a_changed_bit_or_another_device_key_fails_the_mac(vectors_dir, keys):
    expected = rtds.hex_file(vectors_dir / rtds.RTDS / COMMANDS[0])
    changed = expected[:60] + bytes([expected[60] ^ 0x10]) + expected[61:]
    with pytest.raises(GbcsRefused) as refused:
        command.unwrap(changed, acb_private_key=keys["acb_ka"], device_public_key=keys[rtds.ESME])
    assert refused.value.code == "gbcs-mac-invalid"
    with pytest.raises(GbcsRefused) as refused:
        command.unwrap(expected, acb_private_key=keys["acb_ka"], device_public_key=keys[rtds.GSME])
    assert refused.value.code == "gbcs-mac-invalid"


def test_a_gas_command_round_trips(keys):
    signed = signature.sign(gsme_precommand(originator=rtds.SUPPLIER, device=rtds.GSME, counter=1000,
                                            issuer_event_id=0x1C374A80), keys["supplier_ds"])
    wrapped = command.wrap(signed, keys["acb_ka"], keys[rtds.GSME])
    assert wrapped[:9] == bytes.fromhex("DD000000000000" "8191")  # 0x91 = 5 + 124 + 12
    assert command.unwrap(wrapped, acb_private_key=keys["acb_ka"], device_public_key=keys[rtds.GSME]) == signed


@pytest.mark.parametrize(("data", "code"), [
    (bytes.fromhex("DF09"), "gbcs-not-general-ciphering"),
    (bytes.fromhex("DD00000000000100"), "gbcs-not-general-ciphering"),
    (bytes.fromhex("DD000000000000051100000000"), "gbcs-not-general-ciphering"),
    (bytes.fromhex("DD00000000000010") + bytes(8), "gbcs-truncated"),
])
def test_what_is_not_a_command_is_refused(data, code):
    with pytest.raises(GbcsRefused) as refused:
        command.unwrap(data)
    assert refused.value.code == code


def test_only_a_signed_apdu_is_wrapped(keys):
    unsigned = gsme_precommand(originator=rtds.SUPPLIER, device=rtds.GSME, counter=1, issuer_event_id=1)
    with pytest.raises(GbcsRefused) as refused:
        command.wrap(unsigned, keys["acb_ka"], keys[rtds.GSME])
    assert refused.value.code == "gbcs-signature-missing"
    with pytest.raises(GbcsRefused) as refused:
        command.wrap(unsigned + b"\x40" + bytes(64), ec.generate_private_key(ec.SECP256R1()).public_key(),
                     keys[rtds.GSME])
    assert refused.value.code == "gbcs-key-unsupported"
