"""SRV 1.6 Pre-Commands (issue 10 point 5): byte-identical to every RTDS ``*_PRECOMMAND_GBCS.HEX`` for the inputs of
its DUIS request; gas built from the reference digest §5 layout and checked field by field; polyphase and the
input refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from contingency.gbcs import precommand as pcm
from contingency.gbcs.decode import decode
from contingency.gbcs.errors import GbcsRefused
from contingency.gbcs.precommand import CANCEL, Prepayment, Variant, esme_precommand, gsme_precommand
from tests.contingency.gbcs import rtds

PRECOMMANDS = rtds.vector_names("PRECOMMAND")
UTC = dt.UTC


def test_the_vectors_are_there(vectors_dir):
    """The parametrised tests below list the folders at collection time; this one fails under CI if they are
    missing, and checks that every ECS02 / ECS03 timing and build is covered."""
    listed = sorted(str(p.relative_to(vectors_dir / rtds.RTDS))
                    for p in (vectors_dir / rtds.RTDS).glob("1.6_*/*_PRECOMMAND_GBCS.HEX"))
    assert listed == PRECOMMANDS
    names = " ".join(PRECOMMANDS)
    for scenario in ("ECS02_1.6_IMMEDIATE_SINGLE", "ECS02_1.6_FUTURE_DATED_TWIN", "ECS02_1.6_CANCELLATION_TWIN",
                     "ECS03_1.6_IMMEDIATE_SINGLE", "ECS03_1.6_FUTURE_DATED_TWIN", "ECS03_1.6_CANCELLATION_TWIN"):
        assert scenario in names


@pytest.mark.parametrize("name", PRECOMMANDS)
def test_electricity_precommand_is_byte_identical_to_rtds(vectors_dir, name):
    expected = rtds.hex_file(vectors_dir / rtds.RTDS / name)
    given = rtds.inputs_for(vectors_dir, name, expected)
    built = esme_precommand(originator=given.originator, device=given.device, counter=given.counter,
                            execution=given.execution, variant=given.variant, prepayment=given.prepayment)
    assert built.hex().upper() == expected.hex().upper()
    assert decode(built).use_case == given.use_case


def test_the_originator_is_whoever_the_caller_names():
    """A SoLR Contingency Pre-Command carries the failed Supplier's User ID (DESIGN §2 step 4), not the SRP's:
    the builder writes the originator it is given into the system title, and nothing else changes."""
    supplier = esme_precommand(originator=rtds.SUPPLIER, device=rtds.ESME, counter=1002)
    other = esme_precommand(originator="90-B3-D5-1F-30-03-00-00", device=rtds.ESME, counter=1002)
    assert supplier[12:20] == bytes.fromhex("90B3D51F30010000")
    assert other[12:20] == bytes.fromhex("90B3D51F30030000")
    assert supplier[:12] == other[:12] and supplier[20:] == other[20:]


# --- gas: the reference digest §5 layout --------------------------------------------------------------------

ISSUER_EVENT_ID = 0x1C374A80


def test_gas_credit_immediate_field_by_field_as_the_digest():
    """Digest §5's worked GCS02 immediate pre-command (counter 1000, Issuer Event ID 0x1C374A80), field by field."""
    apdu = gsme_precommand(originator=rtds.SUPPLIER, device=rtds.GSME, counter=1000,
                           issuer_event_id=ISSUER_EVENT_ID)
    fields = [
        ("general-signing tag, transaction-id length", "DF09"),
        ("CRA flag: command", "01"),
        ("originator counter 1000", "00000000000003E8"),
        ("originator system title", "0890B3D51F30010000"),
        ("recipient system title", "0800DB1234567890A1"),
        ("no date-time", "00"),
        ("other-information: message code GCS02", "02006C"),
        ("content length 29", "1D"),
        ("GBZ profile id", "0109"),
        ("one component", "01"),
        ("component control", "01"),
        ("cluster ZSE Prepayment", "0705"),
        ("ZCL length 21", "0015"),
        ("ZCL frame control, sequence, command Change Payment Mode", "010006"),
        ("Provider ID", "00000000"),
        ("Issuer Event ID, little-endian", "804A371C"),
        ("Implementation Date/Time: immediate", "00000000"),
        ("Proposed Payment Control Configuration: Credit", "940C"),
        ("cut-off value", "FFFFFFFF"),
    ]
    pos = 0
    for what, hex_value in fields:
        value = bytes.fromhex(hex_value)
        assert apdu[pos : pos + len(value)] == value, what
        pos += len(value)
    assert pos == len(apdu)


@pytest.mark.parametrize(("execution", "raw"), [
    (None, "00000000"),
    (dt.datetime(2030, 1, 15, 9, tzinfo=UTC), "90888138"),  # digest: 90 88 81 38 = 2030-01-15T09:00Z
    (CANCEL, "FFFFFFFF"),
])
def test_gas_execution_time_is_zigbee_seconds_since_2000(execution, raw):
    apdu = gsme_precommand(originator=rtds.SUPPLIER, device=rtds.GSME, counter=1001,
                           issuer_event_id=ISSUER_EVENT_ID, execution=execution)
    assert apdu[-10:-6] == bytes.fromhex(raw)
    decoded = decode(apdu).precommand
    assert decoded.execution == execution
    assert decoded.issuer_event_id == ISSUER_EVENT_ID


def test_zigbee_time_is_seconds_since_2000_from_first_principles():
    seconds = int((dt.datetime(2030, 1, 15, 9, tzinfo=UTC) - dt.datetime(2000, 1, 1, tzinfo=UTC)).total_seconds())
    assert seconds.to_bytes(4, "little") == bytes.fromhex("90888138")
    # An offset-aware time in another zone is the same instant
    paris = dt.timezone(dt.timedelta(hours=1))
    assert pcm.zigbee_time(dt.datetime(2030, 1, 15, 10, tzinfo=paris)) == seconds


@pytest.mark.parametrize(("disabled", "emergency", "control"), [
    (True, True, "9704"), (False, True, "9700"), (True, False, "970C"), (False, False, "9708"),
])
def test_gas_prepayment_control_configuration_as_the_digest(disabled, emergency, control):
    """GCS03: the digest's four Prepayment values (0x0497, 0x0097, 0x0C97, 0x0897, written little-endian), the
    message code 0x006D, and the DisablementThreshold as the int32 cut-off value."""
    apdu = gsme_precommand(originator=rtds.SUPPLIER, device=rtds.GSME, counter=1004, issuer_event_id=7,
                           prepayment=Prepayment(disabled, emergency, -250))
    assert apdu[30:33] == bytes.fromhex("02006D")
    assert apdu[-6:-4] == bytes.fromhex(control)
    assert apdu[-4:] == (-250).to_bytes(4, "little", signed=True)
    assert decode(apdu).precommand.prepayment == Prepayment(disabled, emergency, -250)


def test_every_gas_rtds_request_builds_and_decodes_back_to_its_inputs(vectors_dir):
    """Each RTDS GCS02 / GCS03 request template: built, then decoded, gives back its use case, counter, EUIs,
    execution time and Prepayment values."""
    cases = rtds.gas_template_inputs(vectors_dir)
    assert sorted(name[:5] for name, _ in cases) == ["GCS02"] * 3 + ["GCS03"] * 3
    for name, given in cases:
        apdu = gsme_precommand(originator=given.originator, device=given.device, counter=given.counter,
                               issuer_event_id=ISSUER_EVENT_ID, execution=given.execution,
                               prepayment=given.prepayment)
        got = decode(apdu)
        assert got.use_case == given.use_case, name
        assert got.encode() == apdu
        p = got.precommand
        assert (p.originator, p.device, p.counter) == (given.originator, given.device, given.counter), name
        assert (p.execution, p.prepayment) == (given.execution, given.prepayment), name


# --- polyphase and the credit-charge arrays ------------------------------------------------------------------


@pytest.mark.parametrize("prepayment", [None, Prepayment(True, True, 1), Prepayment(False, False, 0)])
def test_polyphase_is_the_single_element_layout_and_twin_adds_the_secondary_tariff(prepayment):
    """RTDS has no polyphase vector. Assumption (docs/gbcs.md): a polyphase meter has one active tariff, so
    its arrays are the single-element ones; a twin adds 0-0:19.20.5.255 entries and nothing else."""
    args = dict(originator=rtds.SUPPLIER, device=rtds.ESME, counter=77, prepayment=prepayment)
    single = esme_precommand(variant=Variant.SINGLE, **args)
    poly = esme_precommand(variant=Variant.POLYPHASE, **args)
    twin = esme_precommand(variant="twin", **args)
    assert poly == single
    assert decode(poly).precommand.variant == Variant.SINGLE
    assert decode(twin).precommand.variant == Variant.TWIN
    secondary = bytes.fromhex("09060000131405FF")
    assert secondary not in single and secondary in twin
    added = pcm.credit_charge_entries(Variant.TWIN, prepayment)
    base = pcm.credit_charge_entries(Variant.SINGLE, prepayment)
    assert added[: len(base)] == base and {charge for _, charge, _ in added[len(base):]} == {5}


def test_ecs03_flags_shape_the_array_as_in_rtds():
    """SuspendDebtEmergency adds the 19.10.2 entries; SuspendDebtDisabled marks the time-based debts (19.20.1,
    19.20.2) of Meter Balance and Emergency Credit C0 (fitted to the three RTDS ECS03 vectors)."""
    both = pcm.credit_charge_entries(Variant.SINGLE, Prepayment(True, True, 0))
    neither = pcm.credit_charge_entries(Variant.SINGLE, Prepayment(False, False, 0))
    assert len(both) == 13 and len(neither) == 10
    assert {(c, ch) for c, ch, bits in both if bits == 0xC0} == {(0, 1), (0, 2), (1, 1), (1, 2)}
    assert all(bits == 0xE0 for _, _, bits in neither)


def test_invoke_id_takes_the_low_24_bits_of_a_large_counter():
    counter = 0x18290CB75A8  # a DUIS millisecond-style counter
    apdu = esme_precommand(originator=rtds.SUPPLIER, device=rtds.ESME, counter=counter)
    assert apdu[3:11] == counter.to_bytes(8, "big")
    assert apdu[34:39] == bytes.fromhex("D920CB75A8")
    assert decode(apdu).precommand.counter == counter


# --- inputs refused ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"counter": -1}, "gbcs-counter-invalid"),
    ({"counter": 2**64}, "gbcs-counter-invalid"),
    ({"counter": True}, "gbcs-counter-invalid"),
    ({"device": "00-DB-12"}, "gbcs-eui-invalid"),
    ({"originator": b"\x90" * 7}, "gbcs-eui-invalid"),
    ({"execution": dt.datetime(2030, 1, 15, 9)}, "gbcs-execution-time-invalid"),  # naive
    ({"execution": dt.datetime(2030, 1, 15, 9, 0, 0, 500000, tzinfo=UTC)}, "gbcs-execution-time-invalid"),
    ({"execution": "2030-01-15"}, "gbcs-execution-time-invalid"),
    ({"variant": "quad"}, "gbcs-variant-invalid"),
    ({"prepayment": Prepayment(True, True, 2**31)}, "gbcs-prepayment-invalid"),
    ({"prepayment": Prepayment(1, True, 0)}, "gbcs-prepayment-invalid"),
])
def test_bad_esme_inputs_are_refused(kwargs, code):
    args = {"originator": rtds.SUPPLIER, "device": rtds.ESME, "counter": 5, **kwargs}
    with pytest.raises(GbcsRefused) as refused:
        esme_precommand(**args)
    assert refused.value.code == code


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"issuer_event_id": None}, "gbcs-issuer-event-id-invalid"),
    ({"issuer_event_id": 2**32}, "gbcs-issuer-event-id-invalid"),
    ({"execution": dt.datetime(2000, 1, 1, tzinfo=UTC)}, "gbcs-execution-time-invalid"),  # would read as "now"
    ({"execution": dt.datetime(2136, 2, 8, tzinfo=UTC)}, "gbcs-execution-time-invalid"),  # beyond uint32
    ({"prepayment": Prepayment(False, False, -(2**31) - 1)}, "gbcs-prepayment-invalid"),
])
def test_bad_gsme_inputs_are_refused(kwargs, code):
    args = {"originator": rtds.SUPPLIER, "device": rtds.GSME, "counter": 5, "issuer_event_id": 1, **kwargs}
    with pytest.raises(GbcsRefused) as refused:
        gsme_precommand(**args)
    assert refused.value.code == code


def test_device_specific_fields_are_refused_on_the_other_kind():
    with pytest.raises(GbcsRefused) as refused:
        pcm.encode(pcm.PreCommand(pcm.DeviceKind.GSME, rtds.SUPPLIER, rtds.GSME, 1, issuer_event_id=1,
                                  variant=Variant.TWIN))
    assert refused.value.code == "gbcs-variant-invalid"
    with pytest.raises(GbcsRefused) as refused:
        pcm.encode(pcm.PreCommand(pcm.DeviceKind.ESME, rtds.SUPPLIER, rtds.ESME, 1, issuer_event_id=1))
    assert refused.value.code == "gbcs-issuer-event-id-invalid"


def test_duis_cancellation_time_maps_to_cancel():
    assert pcm.execution_from_duis(dt.datetime(3000, 12, 31, tzinfo=UTC)) is CANCEL
    when = dt.datetime(2030, 1, 15, 9, tzinfo=UTC)
    assert pcm.execution_from_duis(when) == when
    assert pcm.execution_from_duis(None) is None
