"""Strict decoding of SRV 1.6 (Signed) Pre-Commands (issue 10 point 6): every field, the target mode read from
the message code and the payload, each malformation refused with its own code, and fuzzing: no input raises
anything but the refusal, and whatever decodes re-encodes to the same bytes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contingency.gbcs.decode import decode
from contingency.gbcs.errors import GbcsRefused
from contingency.gbcs.frame import parse_frame
from contingency.gbcs.precommand import CANCEL, Prepayment, Variant, esme_precommand, gsme_precommand
from tests.contingency.gbcs import rtds

ECS02 = esme_precommand(originator=rtds.SUPPLIER, device=rtds.ESME, counter=1002)
ECS03 = esme_precommand(originator=rtds.SUPPLIER, device=rtds.ESME, counter=1010,
                        prepayment=Prepayment(True, True, 556677))
GCS02 = gsme_precommand(originator=rtds.SUPPLIER, device=rtds.GSME, counter=1000, issuer_event_id=0x1C374A80)
GCS03 = gsme_precommand(originator=rtds.SUPPLIER, device=rtds.GSME, counter=1004, issuer_event_id=0x1C374A80,
                        prepayment=Prepayment(False, False, 0))
FAKE_SIGNATURE = bytes([0x40]) + bytes(range(64))


def refusal(data: bytes) -> str:
    with pytest.raises(GbcsRefused) as refused:
        decode(data)
    return refused.value.code


def test_rtds_precommands_decode_field_by_field(vectors_dir):
    base = vectors_dir / rtds.RTDS
    got = decode(rtds.hex_file(base / "1.6_ECS02/ECS02_1.6_FUTURE_DATED_TWIN_SUCCESS_PRECOMMAND_GBCS.HEX"))
    assert (got.use_case, got.message_code, got.is_credit, got.is_signed) == ("ECS02", 0x001A, True, False)
    p = got.precommand
    assert (p.originator, p.device, p.counter) == (rtds.SUPPLIER, rtds.ESME, 1005)
    assert (p.execution, p.variant, p.prepayment) == (dt.datetime(2030, 1, 15, 9, tzinfo=dt.UTC), Variant.TWIN, None)
    assert got.frame.cra_flag == 1 and got.signature is None

    got = decode(rtds.hex_file(base / "1.6_ECS03/ECS03_1.6_CANCELLATION_TWIN_SUCCESS_PRECOMMAND_GBCS.HEX"))
    assert (got.use_case, got.is_credit, got.precommand.counter) == ("ECS03", False, 1012)
    assert got.precommand.execution is CANCEL
    assert got.precommand.prepayment == Prepayment(suspend_debt_disabled=False, suspend_debt_emergency=True,
                                                   disablement_threshold=556677)

    got = decode(rtds.hex_file(base / "1.6_ECS03/ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX"))
    assert got.precommand.execution is None and got.precommand.variant == Variant.SINGLE
    assert got.precommand.prepayment == Prepayment(True, True, 556677)


@pytest.mark.parametrize("name", rtds.vector_names("COMMAND"))
def test_the_signed_precommand_in_every_rtds_command_decodes_to_its_precommand(vectors_dir, name):
    base = vectors_dir / rtds.RTDS
    signed = rtds.signed_from_command(rtds.hex_file(base / name))
    got = decode(signed)
    assert got.is_signed and len(got.signature) == 64
    assert got.unsigned == rtds.hex_file(base / name.replace("_COMMAND_", "_PRECOMMAND_"))
    assert got.encode() == signed


@pytest.mark.parametrize("apdu", [GCS02, GCS03], ids=["GCS02", "GCS03"])
def test_gas_decodes(apdu):
    got = decode(apdu)
    assert got.precommand.issuer_event_id == 0x1C374A80
    assert got.is_credit == (apdu is GCS02)


def test_responses_and_alerts_are_not_precommands(vectors_dir):
    base = vectors_dir / rtds.RTDS / "1.6_ECS02"
    assert refusal(rtds.hex_file(base / "ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_RESPONSE_GBCS.HEX")) == "gbcs-not-a-command"
    alert = rtds.hex_file(base / "ECS02_1.6_8F66_FUTURE_DATED_TWIN_SUCCESS_ALERT_PAYMENT_MODE_GBCS.HEX")
    assert refusal(alert) == "gbcs-not-a-command"
    command = rtds.hex_file(base / "ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_COMMAND_GBCS.HEX")
    assert refusal(command) == "gbcs-not-general-signing"  # the MAC'd wrapper (DD …), not the APDU


def _with(apdu: bytes, at: int, old: str, new: str) -> bytes:
    old_b, new_b = bytes.fromhex(old), bytes.fromhex(new)
    assert apdu[at : at + len(old_b)] == old_b, apdu[at : at + len(old_b)].hex()
    return apdu[:at] + new_b + apdu[at + len(old_b) :]


def _replace_once(apdu: bytes, old: str, new: str) -> bytes:
    old_b = bytes.fromhex(old)
    assert apdu.count(old_b) == 1
    return apdu.replace(old_b, bytes.fromhex(new))


@pytest.mark.parametrize(("data", "code"), [
    (b"", "gbcs-truncated"),
    (ECS02[:-1], "gbcs-truncated"),
    (ECS02[:30], "gbcs-truncated"),
    (b"\xdd" + ECS02[1:], "gbcs-not-general-signing"),
    (_with(ECS02, 1, "09", "08"), "gbcs-transaction-id-invalid"),
    (_with(ECS02, 2, "01", "04"), "gbcs-transaction-id-invalid"),
    (_with(ECS02, 2, "01", "02"), "gbcs-not-a-command"),
    (_with(ECS02, 11, "08", "07"), "gbcs-system-title-invalid"),
    (_with(ECS02, 20, "08", "09"), "gbcs-system-title-invalid"),
    (_with(ECS02, 29, "00", "05"), "gbcs-date-time-invalid"),
    (_with(ECS02, 29, "00", "0C" + "07EE010FFF090000008000FF"), "gbcs-date-time-invalid"),
    (_with(ECS02, 30, "02001A", "01"), "gbcs-other-information-invalid"),
    (_with(ECS02, 30, "02001A", "03001A00"), "gbcs-other-information-invalid"),
    (_with(ECS02, 30, "02001A", "0200BE"), "gbcs-message-code-unsupported"),
    (_with(ECS02, 33, "66", "8166"), "gbcs-length-invalid"),  # not the shortest form
    (_with(ECS02, 33, "66", "80"), "gbcs-length-invalid"),  # BER indefinite
    (_with(ECS02, 33, "66", "83000066"), "gbcs-length-invalid"),
    (ECS02 + b"\x01", "gbcs-signature-malformed"),
    (ECS02 + FAKE_SIGNATURE[:-1], "gbcs-signature-malformed"),
    (ECS02 + FAKE_SIGNATURE + b"\x00", "gbcs-signature-malformed"),
    (ECS02 + b"\x00" + FAKE_SIGNATURE, "gbcs-signature-malformed"),
])
def test_malformed_frames_are_refused_with_their_code(data, code):
    assert refusal(data) == code


@pytest.mark.parametrize(("data", "what"), [
    (_with(ECS02, 30, "02001A", "02001B"), "ECS02 payload (Credit) under the ECS03 code"),
    (_replace_once(ECS02, "020216011601", "020216021601"), "ECS02 code, payload payment_mode Prepayment"),
    (_with(ECS03, 30, "02001B", "02001A"), "ECS03 payload (Prepayment) under the ECS02 code"),
    (_replace_once(ECS03, "020216021601", "020216011601"), "ECS03 code, payload payment_mode Credit"),
    (_with(GCS02, 30, "02006C", "02006D"), "GCS02 payload under the GCS03 code"),
    (_replace_once(GCS02, "940CFFFFFFFF", "9708FFFFFFFF"), "GCS02 code, Prepayment configuration"),
    (_with(GCS03, 30, "02006D", "02006C"), "GCS03 payload under the GCS02 code"),
])
def test_the_target_mode_is_read_from_code_and_payload_and_must_agree(data, what):
    assert refusal(data) == "gbcs-mode-inconsistent", what


@pytest.mark.parametrize(("data", "what"), [
    (_with(ECS02, 34, "D9200003EA", "D9200003EB"), "invoke-id not the counter's"),
    (_with(ECS02, 34, "D9200003EA", "D9400003EA"), "other priority bits"),
    (_with(ECS02, 34, "D9", "DA"), "not an access-request"),
    (_replace_once(ECS02, "0403E0090C", "0403C0090C"), "ECS02 collection configuration changed"),
    (_replace_once(ECS02, "131404FF", "131403FF"), "another charge (payment-based debt) in the ECS02 array"),
    (_replace_once(ECS02, "090C0000000000000000008000FF", "090C00000000000000000080000F"), "clock status"),
    (_replace_once(ECS02, "090C0000000000000000008000FF", "090C07EE0D0FFF090000008000FF"), "month 13"),
    (_replace_once(ECS03, "0500087E85", "0600087E85"), "threshold as double-long-unsigned"),
    (_replace_once(GCS02, "0109010107050015", "0109020107050015"), "two GBZ components announced"),
    (_replace_once(GCS02, "010006", "010106"), "ZCL sequence number"),
    (_replace_once(GCS02, "940CFFFFFFFF", "940C00000000"), "Credit with a cut-off value"),
    (_replace_once(GCS02, "940CFFFFFFFF", "9500FFFFFFFF"), "unknown payment control configuration"),
    (_replace_once(GCS02, "00000000804A371C", "00000001804A371C"), "provider id"),
])
def test_a_payload_the_transform_would_not_make_is_refused(data, what):
    assert refusal(data) == "gbcs-payload-invalid", what


def test_a_payload_with_an_extra_set_is_refused():
    """ECS02 with a fourth SET (the Disablement Threshold) squeezed in: lengths and counts all consistent."""
    frame = parse_frame(ECS02)
    spec = bytes.fromhex("02232800005E2C801604")
    content = frame.content
    # access-request header is D9 + invoke(4) + 00; then the spec count
    assert content[6] == 3
    specs_end = 7 + 3 * 10
    data_items = content[specs_end + 1 :]
    content = content[:6] + b"\x04" + content[7:specs_end] + spec + b"\x04" + data_items + bytes.fromhex("0500000000")
    changed = type(frame)(frame.cra_flag, frame.counter, frame.originator, frame.recipient, frame.date_time,
                          frame.other_information, content).encode()
    assert refusal(changed) == "gbcs-payload-invalid"


def test_a_deeply_nested_payload_is_refused_without_recursing():
    frame = parse_frame(ECS02)
    content = frame.content[:37] + b"\x03" + b"\x02\x01" * 2000 + b"\x16\x01"
    changed = type(frame)(frame.cra_flag, frame.counter, frame.originator, frame.recipient, frame.date_time,
                          frame.other_information, content[:0xFFFF]).encode()
    assert refusal(changed) == "gbcs-payload-invalid"


def test_a_null_signature_length_is_tolerated_on_a_precommand():
    """Digest §5: a Pre-Command may end with a null signature length 00 (early DCC Boxed); it decodes, says it
    is unsigned, and re-encodes with the 00."""
    got = decode(ECS02 + b"\x00")
    assert got.signature == b"" and not got.is_signed
    assert got.unsigned == ECS02 and got.encode() == ECS02 + b"\x00"


def test_a_signed_precommand_keeps_its_signature_bytes():
    got = decode(ECS02 + FAKE_SIGNATURE)
    assert got.is_signed and got.signature == FAKE_SIGNATURE[1:] and got.encode() == ECS02 + FAKE_SIGNATURE


def test_input_that_is_not_bytes_is_a_type_error():
    with pytest.raises(TypeError):
        decode(ECS02.hex())


# --- fuzzing --------------------------------------------------------------------------------------------------


def _only_refusal_or_faithful(data: bytes) -> None:
    try:
        got = decode(data)
    except GbcsRefused as exc:
        assert exc.code.startswith("gbcs-")
        return
    assert got.encode() == data
    assert got.precommand.message_code == got.message_code


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_fuzz_random_bytes_only_ever_give_the_refusal(data):
    _only_refusal_or_faithful(data)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=500))
def test_fuzz_a_valid_header_with_random_content(data):
    """Random bytes behind a well-formed ECS02 / GCS02 header reach the payload parsers."""
    _only_refusal_or_faithful(ECS02[:33] + bytes([min(len(data), 0x7F)]) + data)
    _only_refusal_or_faithful(GCS02[:30] + b"\x02\x00\x6c" + bytes([min(len(data), 0x7F)]) + data)


_MUTATIONS = st.lists(st.tuples(st.sampled_from(["flip", "set", "insert", "delete", "cut"]),
                                st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4)


def _mutate(apdu: bytes, mutations) -> bytes:
    data = bytearray(apdu)
    for kind, where, value in mutations:
        if not data:
            break
        i = where % len(data)
        if kind == "flip":
            data[i] ^= 1 << (value % 8)
        elif kind == "set":
            data[i] = value
        elif kind == "insert":
            data.insert(i, value)
        elif kind == "delete":
            del data[i]
        else:
            del data[i:]
    return bytes(data)


@pytest.fixture(scope="module")
def rtds_apdus(vectors_dir):
    base = vectors_dir / rtds.RTDS
    apdus = [rtds.hex_file(base / name) for name in rtds.vector_names("PRECOMMAND")]
    apdus += [rtds.signed_from_command(rtds.hex_file(base / name)) for name in rtds.vector_names("COMMAND")]
    return [*apdus, GCS02, GCS03, GCS02 + FAKE_SIGNATURE]


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.data(), _MUTATIONS)
def test_fuzz_mutated_rtds_apdus_only_ever_give_the_refusal_or_decode_faithfully(rtds_apdus, data, mutations):
    apdu = data.draw(st.sampled_from(rtds_apdus))
    _only_refusal_or_faithful(_mutate(apdu, mutations))


def test_every_single_byte_change_of_an_rtds_precommand_is_refused_or_faithful(rtds_apdus):
    """Exhaustive over positions for one APDU of each kind: any byte set to 00, FF or its complement."""
    for apdu in (rtds_apdus[0], GCS03):
        for i in range(len(apdu)):
            for value in {0x00, 0xFF, apdu[i] ^ 0xFF}:
                changed = apdu[:i] + bytes([value]) + apdu[i + 1 :]
                if changed != apdu:
                    _only_refusal_or_faithful(changed)
