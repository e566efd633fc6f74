"""The simulated meter against RTDS 4.5.0: its responses to the RTDS commands equal the RTDS RESPONSE files up to
the device's signature (ECS02, ECS03; success, error, future-dated, cancellation), its 6.2.9 read responses equal
them byte for byte (MAC included), gas is built from the digest (§5), and forged or replayed commands are refused
with an error response and change nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from contingency.delivery.gateway.meter import MeterRefused, MeterState, mac_wrap, receive
from contingency.gbcs import command as gbcs_command
from contingency.gbcs import precommand as pcm
from contingency.gbcs.frame import parse_frame
from contingency.gbcs.response import decode_response
from contingency.gbcs.signature import sign, verify

from .rtds import ESME, GSME, SUPPLIER, RtdsKeys, certificate, hex_file, private_key

# The RTDS device's clock in every SRV 1.6 response: 2015-01-01T00:00:00 (07DF0101FF000000008000FF).
RTDS_DEVICE_TIME = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _vectors(vectors_dir):
    """Skips (fails under CI) without the conformance data."""


def esme(**changes) -> MeterState:
    return dataclasses.replace(MeterState(ESME, "ESME", "SMETS2", "prepayment", SUPPLIER), **changes)


def gsme(**changes) -> MeterState:
    return dataclasses.replace(MeterState(GSME, "GSME", "SMETS2", "prepayment", SUPPLIER), **changes)


UPDATES = ["ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS", "ECS02_1.6_FUTURE_DATED_TWIN_SUCCESS",
           "ECS02_1.6_CANCELLATION_TWIN_SUCCESS", "ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS",
           "ECS03_1.6_FUTURE_DATED_TWIN_SUCCESS", "ECS03_1.6_CANCELLATION_TWIN_SUCCESS"]


@pytest.mark.parametrize("scenario", UPDATES)
def test_the_response_to_each_rtds_command_is_the_rtds_response_up_to_the_signature(scenario):
    keys = RtdsKeys()
    outcome = receive(hex_file(f"{scenario}_COMMAND_GBCS.HEX"), esme(), keys, RTDS_DEVICE_TIME)
    want = parse_frame(hex_file(f"{scenario}_RESPONSE_GBCS.HEX"))
    got = verify(outcome.response, keys.device_key.public_key())  # signed by the (simulated) device
    assert got.unsigned == want.unsigned
    assert outcome.success and not outcome.refusal and decode_response(outcome.response).success
    assert outcome.counter == (SUPPLIER, want.counter)


def test_what_each_rtds_command_does_to_the_meter():
    keys = RtdsKeys()
    immediate = receive(hex_file("ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_COMMAND_GBCS.HEX"), esme(), keys, RTDS_DEVICE_TIME)
    assert (immediate.payment_mode, immediate.scheduled, immediate.cancel) == ("credit", None, False)
    to_prepayment = receive(hex_file("ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_COMMAND_GBCS.HEX"), esme(), keys,
                            RTDS_DEVICE_TIME)
    assert to_prepayment.payment_mode == "prepayment"
    later = receive(hex_file("ECS02_1.6_FUTURE_DATED_TWIN_SUCCESS_COMMAND_GBCS.HEX"), esme(), keys, RTDS_DEVICE_TIME)
    assert later.payment_mode is None
    assert later.scheduled.execute_at == dt.datetime(2030, 1, 15, 9, tzinfo=dt.UTC)
    assert (later.scheduled.payment_mode, later.scheduled.counter, later.scheduled.message_code) == (
        "credit", 1005, 0x001A)
    cancel = receive(hex_file("ECS02_1.6_CANCELLATION_TWIN_SUCCESS_COMMAND_GBCS.HEX"), esme(), keys, RTDS_DEVICE_TIME)
    assert cancel.cancel and cancel.payment_mode is None and cancel.scheduled is None


@pytest.mark.parametrize("scenario", ["ECS02_1.6_IMMEDIATE_SINGLE_ERROR", "ECS03_1.6_IMMEDIATE_SINGLE_ERROR"])
def test_a_faulty_meter_answers_the_rtds_error_response_and_changes_nothing(scenario):
    outcome = receive(hex_file(f"{scenario}_COMMAND_GBCS.HEX"), esme(fault=True), RtdsKeys(), RTDS_DEVICE_TIME)
    assert parse_frame(outcome.response).unsigned == parse_frame(hex_file(f"{scenario}_RESPONSE_GBCS.HEX")).unsigned
    assert not outcome.success and not decode_response(outcome.response).success
    assert outcome.payment_mode is None and outcome.scheduled is None


@pytest.mark.parametrize("scenario, state", [
    ("ECS26j_6.2.9_SUCCESS", esme()), ("ECS26j_6.2.9_ERROR", esme(fault=True)),
    ("GCS21j_6.2.9_SUCCESS", gsme()), ("GCS21j_6.2.9_ERROR", gsme(fault=True)),
])
def test_reads_answer_6_2_9_byte_for_byte_as_rtds(scenario, state):
    outcome = receive(hex_file(f"{scenario}_COMMAND_GBCS.HEX"), state, RtdsKeys(), RTDS_DEVICE_TIME)
    assert outcome.response == hex_file(f"{scenario}_RESPONSE_GBCS.HEX")
    assert outcome.read and outcome.success is (not state.fault) and outcome.payment_mode is None


def test_a_read_reports_the_mode_the_meter_is_in():
    keys, command = RtdsKeys(), hex_file("ECS26j_6.2.9_SUCCESS_COMMAND_GBCS.HEX")
    credit = receive(command, dataclasses.replace(esme(), payment_mode="credit"), keys, RTDS_DEVICE_TIME)
    inner = parse_frame(gbcs_command.unwrap(credit.response))
    assert inner.content[8:14] == bytes.fromhex("020216011602")  # payment_mode 1 = credit
    gas = receive(hex_file("GCS21j_6.2.9_SUCCESS_COMMAND_GBCS.HEX"), dataclasses.replace(gsme(), payment_mode="credit"),
                  keys, RTDS_DEVICE_TIME)
    assert parse_frame(gbcs_command.unwrap(gas.response)).content.endswith(bytes.fromhex("19940C"))  # 0x0C94


# --- gas, from the digest's layout -----------------------------------------------------------------------

def gas_command(counter: int, *, prepayment=None, execution=None, signed=True) -> bytes:
    apdu = pcm.gsme_precommand(originator=SUPPLIER, device=GSME, counter=counter, issuer_event_id=0x1C374A80,
                               execution=execution, prepayment=prepayment)
    if signed:
        apdu = sign(apdu, private_key("90b3d51f30010000-ds.key"))
    return mac_wrap(apdu, private_key("90b3d51f30000002-ka.key"), certificate("00db1234567890a1-ka.pem").public_key())


def test_a_gas_meter_switches_to_credit_and_answers_change_payment_mode_response():
    outcome = receive(gas_command(1000), gsme(), RtdsKeys(), RTDS_DEVICE_TIME)
    response = decode_response(outcome.response)
    assert outcome.payment_mode == "credit" and response.success and response.use_case == "GCS02"
    assert response.gas is not None and response.counter == 1000 and response.business_target == SUPPLIER


def test_a_faulty_gas_meter_answers_a_default_response_c0():
    outcome = receive(gas_command(1000), gsme(fault=True), RtdsKeys(), RTDS_DEVICE_TIME)
    assert decode_response(outcome.response).results == (0xC0,) and outcome.payment_mode is None


def test_gas_future_dated_and_prepayment():
    at = dt.datetime(2030, 1, 15, 9, tzinfo=dt.UTC)
    outcome = receive(gas_command(1001, execution=at), gsme(), RtdsKeys(), RTDS_DEVICE_TIME)
    assert outcome.scheduled.execute_at == at and outcome.scheduled.message_code == 0x006C
    prepay = receive(gas_command(1002, prepayment=pcm.Prepayment(True, False, 0)), gsme(payment_mode="credit"),
                     RtdsKeys(), RTDS_DEVICE_TIME)
    assert prepay.payment_mode == "prepayment"


# --- what the meter refuses -----------------------------------------------------------------------------

def test_a_forged_mac_is_refused_with_an_error_response():
    command = bytearray(hex_file("ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_COMMAND_GBCS.HEX"))
    command[-1] ^= 0x01
    outcome = receive(bytes(command), esme(), RtdsKeys(), RTDS_DEVICE_TIME)
    assert outcome.refusal == "gbcs-mac-invalid" and not outcome.success
    assert outcome.payment_mode is None and outcome.counter is None
    assert decode_response(outcome.response).results == (0x03, 0x03, 0x03)  # every SET: read-write-denied


def test_a_command_signed_by_another_key_is_refused():
    apdu = parse_frame(hex_file("ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX")).encode()
    forged = sign(apdu, ec.generate_private_key(ec.SECP256R1()))
    command = mac_wrap(forged, private_key("90b3d51f30000002-ka.key"),
                       certificate("00db1234567890a0-ka.pem").public_key())
    outcome = receive(command, esme(), RtdsKeys(), RTDS_DEVICE_TIME)
    assert outcome.refusal == "gbcs-signature-invalid" and outcome.payment_mode is None


def test_an_unsigned_command_is_refused_by_a_smets2_meter_and_taken_by_a_smets1_service_provider():
    command = gas_command(1000, signed=False)
    smets2 = receive(command, gsme(), RtdsKeys(), RTDS_DEVICE_TIME)
    assert smets2.refusal == "gbcs-signature-missing" and smets2.payment_mode is None
    assert decode_response(smets2.response).results == (0x7E,)  # ZCL NOT_AUTHORIZED
    smets1 = receive(command, gsme(generation="SMETS1"), RtdsKeys(), RTDS_DEVICE_TIME)
    assert smets1.success and smets1.payment_mode == "credit"


def test_a_replayed_counter_is_refused():
    command = hex_file("ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_COMMAND_GBCS.HEX")  # counter 1002
    for last in (1002, 1003):
        outcome = receive(command, esme(counters={SUPPLIER: last}), RtdsKeys(), RTDS_DEVICE_TIME)
        assert outcome.refusal == "gbcs-counter-replayed" and outcome.payment_mode is None
    assert receive(command, esme(counters={SUPPLIER: 1001}), RtdsKeys(), RTDS_DEVICE_TIME).payment_mode == "credit"


@pytest.mark.parametrize("command, state, code", [
    ("garbage", esme(), "gateway-command-invalid"),
    ("precommand", esme(), "gateway-command-invalid"),  # not wrapped in General-Ciphering
    ("command", gsme(device=ESME), "gateway-command-unsupported"),  # an ESME command to a gas meter
])
def test_what_the_meter_cannot_process_at_all(command, state, code):
    data = {"garbage": b"\xdd\x00\x01",
            "precommand": hex_file("ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX"),
            "command": hex_file("ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_COMMAND_GBCS.HEX")}[command]
    with pytest.raises(MeterRefused) as caught:
        receive(data, state, RtdsKeys(), RTDS_DEVICE_TIME)
    assert caught.value.code == code


def test_a_command_for_another_device_is_not_processed():
    with pytest.raises(MeterRefused) as caught:
        receive(hex_file("ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_COMMAND_GBCS.HEX"), gsme(), RtdsKeys(), RTDS_DEVICE_TIME)
    assert caught.value.code == "gateway-device-mismatch"


def test_a_read_with_a_forged_mac_is_denied():
    command = bytearray(hex_file("ECS26j_6.2.9_SUCCESS_COMMAND_GBCS.HEX"))
    command[-1] ^= 0x01
    outcome = receive(bytes(command), esme(), RtdsKeys(), RTDS_DEVICE_TIME)
    assert outcome.refusal == "gbcs-mac-invalid" and not outcome.success and outcome.counter is None
    assert parse_frame(gbcs_command.unwrap(outcome.response)).content.endswith(bytes([0x01, 0x01, 0x03]))
