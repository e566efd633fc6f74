"""A meter's response to SRV 1.6 (issue 10, optional point, for the device gateway): every RTDS ECS02 / ECS03
response decodes to its success or failure and verifies with the meter's certificate; gas responses built from
the digest's description; anything else refused."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contingency.gbcs import signature
from contingency.gbcs.errors import GbcsRefused
from contingency.gbcs.frame import Frame
from contingency.gbcs.response import GasCreditSettings, decode_response
from tests.contingency.gbcs import rtds

RESPONSES = rtds.vector_names("RESPONSE")
DEVICE_TIME = bytes.fromhex("07DF0101FF000000008000FF")


def test_the_responses_are_there(vectors_dir):
    assert len(RESPONSES) == 8


@pytest.mark.parametrize("name", RESPONSES)
def test_rtds_responses_decode_and_verify_with_the_meter_certificate(vectors_dir, name):
    data = rtds.hex_file(vectors_dir / rtds.RTDS / name)
    got = decode_response(data)
    assert got.use_case == name.split("/")[-1][:5]
    assert (got.device, got.business_target) == (rtds.ESME, rtds.SUPPLIER)
    assert got.success == ("_SUCCESS_" in name)
    assert len(got.results) == (3 if got.use_case == "ECS02" else 5)
    if not got.success:
        assert set(got.results) - {0} <= {0x01, 0xFA}  # hardware fault, other reason (digest §5)
    meter = x509.load_pem_x509_certificate((vectors_dir / rtds.KEYSTORE / "00db1234567890a0-ds.pem").read_bytes())
    assert signature.verify(data, meter).counter == got.counter
    supplier = x509.load_pem_x509_certificate((vectors_dir / rtds.KEYSTORE / rtds.SUPPLIER_DS_CERT).read_bytes())
    with pytest.raises(GbcsRefused) as refused:
        signature.verify(data, supplier)
    assert refused.value.code == "gbcs-signature-invalid"


def test_the_ecs02_error_response_names_each_result(vectors_dir):
    data = rtds.hex_file(vectors_dir / rtds.RTDS / "1.6_ECS02/ECS02_1.6_IMMEDIATE_SINGLE_ERROR_RESPONSE_GBCS.HEX")
    assert decode_response(data).results == (0x00, 0x01, 0xFA)


def _gas(zcl: bytes, counter: int = 1000) -> bytes:
    content = bytes.fromhex("0109 01 01 0705".replace(" ", "")) + len(zcl).to_bytes(2, "big") + zcl
    frame = Frame(2, counter, rtds.GSME, rtds.SUPPLIER, DEVICE_TIME, bytes.fromhex("006C"), content)
    return signature.sign(frame.encode(), ec.generate_private_key(ec.SECP256R1()))


def test_a_gas_change_payment_mode_response_is_success_with_its_settings():
    # ZCL: cluster-specific, server to client, no default response; seq 0; command 02; friendly credit 1,
    # calendar id 2, emergency credit limit 1 000 000, threshold 200 000 (all little-endian)
    zcl = bytes.fromhex("190002" "01" "02000000" "40420F00" "400D0300")
    got = decode_response(_gas(zcl))
    assert got.success and got.results == () and got.use_case == "GCS02"
    assert got.gas == GasCreditSettings(1, 2, 1_000_000, 200_000)


def test_a_gas_default_response_is_a_failure_with_its_status():
    got = decode_response(_gas(bytes.fromhex("08000B06C0")))
    assert not got.success and got.results == (0xC0,) and got.gas is None


@pytest.mark.parametrize(("zcl", "why"), [
    ("08000B0600", "a Default Response saying success"),
    ("08000B07C0", "a Default Response to another command"),
    ("190003" "01" "02000000" "40420F00" "400D0300", "another command"),
    ("190002" "01" "02000000" "40420F00" "400D03", "short"),
    ("190002" "01" "02000000" "40420F00" "400D0300" "00", "long"),
])
def test_bad_gas_responses_are_refused(zcl, why):
    with pytest.raises(GbcsRefused) as refused:
        decode_response(_gas(bytes.fromhex(zcl)))
    assert refused.value.code in {"gbcs-response-invalid", "gbcs-truncated"}, why


def test_bad_esme_responses_are_refused(vectors_dir):
    data = rtds.hex_file(vectors_dir / rtds.RTDS / "1.6_ECS02/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_RESPONSE_GBCS.HEX")
    body = data[:-65]

    def code(changed: bytes) -> str:
        with pytest.raises(GbcsRefused) as refused:
            decode_response(changed)
        return refused.value.code

    assert code(body.replace(bytes.fromhex("DA200003EA"), bytes.fromhex("DA200003EB"))) == "gbcs-response-invalid"
    assert body.endswith(bytes.fromhex("03020002000200"))
    assert code(body[:-2] + bytes.fromhex("0300")) == "gbcs-response-invalid"  # the last result is not a set result
    assert code(body[:2] + b"\x01" + body[3:]) == "gbcs-not-a-response"
    folder = vectors_dir / rtds.RTDS / "1.6_ECS02"
    command = rtds.hex_file(folder / "ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX")
    assert code(command) == "gbcs-not-a-response"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_responses_only_ever_give_the_refusal(data):
    prefix = bytes.fromhex("DF090200000000000003EA0800DB1234567890A00890B3D51F300100000C07DF0101FF000000008000FF")
    for candidate in (data, prefix + data, prefix + bytes.fromhex("02001A") + bytes([min(len(data), 0x7F)]) + data):
        try:
            decode_response(candidate)
        except GbcsRefused as exc:
            assert exc.code.startswith("gbcs-")
