"""Pre-Commands for SRV 1.6 Update Payment Mode: the GBCS Transform's output for Command Variant 4
(DUIS §3.8 "Transform", reference digest §5).

One function, :func:`encode`, turns a :class:`PreCommand` (validated values) into the unsigned General-Signing
APDU the DCC returns in ``sr:PreCommand/sr:GBCSPayload``:

* **ESME, ECS02 (→ Credit, message code 0x001A) / ECS03 (→ Prepayment, 0x001B)**: a DLMS access-request that
  SETs the Account object (IC 111, 0-1:19.0.0.255) attributes 2 (payment mode), 11 (credit-charge
  configuration) and 13 (activation time); ECS03 also SETs the Disablement Threshold (IC 9000 "GBCS Extended
  Data", 0-0:94.44.128.22) attributes 4 (value) and 6 (activation time).
* **GSME, GCS02 (→ Credit, 0x006C) / GCS03 (→ Prepayment, 0x006D)**: a GBZ payload with one ZSE Prepayment
  cluster (0x0705) command 0x06 "Change Payment Mode".

The GBCS originator is whoever the meter counts commands for: for a request from a SoLR Contingency sender
that is the failed Supplier's User ID, not the sender's (DESIGN §2 step 4); the caller passes it.

Byte-identical to every RTDS 4.5.0 ``*_PRECOMMAND_GBCS.HEX`` for the same inputs (tests/contingency/gbcs).
Where RTDS is silent the choices are documented in docs/gbcs.md ("Layouts and assumptions").
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from .errors import GbcsRefused
from .frame import CRA_COMMAND, Frame, eui_bytes, eui_text


class _Cancel:
    """The execution time of a cancellation (DUIS: ``ExecutionDateTime`` 3000-12-31T00:00:00Z)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "CANCEL"

    def __reduce__(self):
        return "CANCEL"


CANCEL = _Cancel()
#: DUIS writes a cancellation of a future-dated SRV 1.6 as this ExecutionDateTime (RTDS CANCELLATION templates).
DUIS_CANCELLATION_TIME = dt.datetime(3000, 12, 31, tzinfo=dt.UTC)


def execution_from_duis(value: dt.datetime | None) -> dt.datetime | _Cancel | None:
    """The Pre-Command execution value for a DUIS ``ExecutionDateTime`` (None when the element is absent)."""
    if value is not None and value == DUIS_CANCELLATION_TIME:
        return CANCEL
    return value


class DeviceKind(enum.StrEnum):
    ESME = "ESME"
    GSME = "GSME"


class Variant(enum.StrEnum):
    """The ESME's build (DESIGN §4 "Facts that shape the data"). A twin-element meter's credit-charge array
    adds the secondary element's tariff (0-0:19.20.5.255); single-element and polyphase meters have one
    active tariff, so a polyphase meter gets the single-element layout (an assumption: RTDS has no polyphase
    vector; docs/gbcs.md)."""

    SINGLE = "single"
    TWIN = "twin"
    POLYPHASE = "polyphase"


@dataclass(frozen=True)
class Prepayment:
    """The DUIS ``Prepayment`` element of SRV 1.6 (ECS03 / GCS03)."""

    suspend_debt_disabled: bool
    suspend_debt_emergency: bool
    disablement_threshold: int


MESSAGE_CODES = {
    ("ESME", "credit"): 0x001A,  # ECS02
    ("ESME", "prepayment"): 0x001B,  # ECS03
    ("GSME", "credit"): 0x006C,  # GCS02
    ("GSME", "prepayment"): 0x006D,  # GCS03
}
USE_CASES = {0x001A: "ECS02", 0x001B: "ECS03", 0x006C: "GCS02", 0x006D: "GCS03"}
CREDIT_MESSAGE_CODES = frozenset({0x001A, 0x006C})
ESME_MESSAGE_CODES = frozenset({0x001A, 0x001B})  # DLMS payloads; the GSME ones carry GBZ


@dataclass(frozen=True)
class PreCommand:
    """The values an SRV 1.6 Pre-Command is made of. ``prepayment=None`` means Credit."""

    device_kind: DeviceKind
    originator: str
    device: str
    counter: int
    #: None: immediate; an aware datetime: future-dated; CANCEL: cancel a future-dated change.
    execution: dt.datetime | _Cancel | None = None
    prepayment: Prepayment | None = None
    #: ESME only. Decoding cannot tell a polyphase meter from a single-element one (same layout): it says SINGLE.
    variant: Variant | None = None
    #: GSME only: the ZSE Issuer Event ID (uint32), chosen by the DCC per command.
    issuer_event_id: int | None = None

    @property
    def is_credit(self) -> bool:
        return self.prepayment is None

    @property
    def message_code(self) -> int:
        return MESSAGE_CODES[(str(self.device_kind), "credit" if self.is_credit else "prepayment")]

    @property
    def use_case(self) -> str:
        return USE_CASES[self.message_code]


def esme_precommand(*, originator: str | bytes, device: str | bytes, counter: int,
                    execution: dt.datetime | _Cancel | None = None, variant: Variant | str = Variant.SINGLE,
                    prepayment: Prepayment | None = None) -> bytes:
    """ECS02 (``prepayment=None``) or ECS03 for an electricity meter of the given build."""
    return encode(PreCommand(DeviceKind.ESME, _eui(originator, "originator"), _eui(device, "device"), counter,
                             execution, prepayment, variant=_variant(variant)))


def gsme_precommand(*, originator: str | bytes, device: str | bytes, counter: int, issuer_event_id: int,
                    execution: dt.datetime | _Cancel | None = None, prepayment: Prepayment | None = None) -> bytes:
    """GCS02 (``prepayment=None``) or GCS03 for a gas meter."""
    return encode(PreCommand(DeviceKind.GSME, _eui(originator, "originator"), _eui(device, "device"), counter,
                             execution, prepayment, issuer_event_id=issuer_event_id))


def encode(pc: PreCommand) -> bytes:
    """The unsigned General-Signing APDU of ``pc``; bad values are refused with a ``GbcsRefused``."""
    if not isinstance(pc.counter, int) or isinstance(pc.counter, bool) or not 0 <= pc.counter < 2**64:
        raise GbcsRefused("gbcs-counter-invalid", "the originator counter is an unsigned 64-bit number")
    if pc.prepayment is not None:
        _check_prepayment(pc.prepayment, pc.device_kind)
    if pc.device_kind == DeviceKind.ESME:
        if pc.issuer_event_id is not None:
            raise GbcsRefused("gbcs-issuer-event-id-invalid", "an ESME command carries no Issuer Event ID")
        content = _esme_content(pc)
    elif pc.device_kind == DeviceKind.GSME:
        if pc.variant is not None:
            raise GbcsRefused("gbcs-variant-invalid", "single / twin / polyphase are ESME builds")
        content = _gsme_content(pc)
    else:
        raise GbcsRefused("gbcs-device-kind-invalid", f"{pc.device_kind!r} is neither ESME nor GSME")
    frame = Frame(CRA_COMMAND, pc.counter, eui_text(eui_bytes(pc.originator, "originator")),
                  eui_text(eui_bytes(pc.device, "device")), b"", pc.message_code.to_bytes(2, "big"), content)
    return frame.encode()


# --- ESME: DLMS access-request (GBCS ECS02 / ECS03) -------------------------------------------------------

ACCOUNT = (111, bytes([0, 1, 19, 0, 0, 255]))  # IC 111 Account, 0-1:19.0.0.255
DISABLEMENT_THRESHOLD = (9000, bytes([0, 0, 94, 44, 128, 22]))  # IC 9000 GBCS Extended Data, 0-0:94.44.128.22
ACCOUNT_MODE_AND_STATUS, CREDIT_CHARGE_CONFIGURATION, ACCOUNT_ACTIVATION_TIME = 2, 11, 13
EXTENDED_VALUE, EXTENDED_ACTIVATION_TIME = 4, 6

ACCESS_REQUEST = 0xD9
SET = 0x02  # access-request-specification choice: set
# DLMS data tags (IEC 62056-6-2)
ARRAY, STRUCTURE, DOUBLE_LONG, BIT_STRING, OCTET_STRING, ENUM = 0x01, 0x02, 0x05, 0x04, 0x09, 0x16
PAYMENT_MODE = {1: "credit", 2: "prepayment"}  # account_mode_and_status.payment_mode


def invoke_id(counter: int) -> int:
    """Long-Invoke-Id-And-Priority of a GBCS DLMS command: 0x20 (processing option set) above the low 24 bits
    of the originator counter. RTDS shows 0x200003EA for counter 1002; a DCC Boxed response shows the same
    rule for a 41-bit counter (0x20CB75A8 for 0x18290CB75A8; docs/gbcs.md)."""
    return 0x20000000 | (counter & 0xFFFFFF)


def _credit(e: int) -> bytes:
    return bytes([0, 0, 19, 10, e, 255])  # 0-0:19.10.e.255: e=0 Meter Balance, 1 Emergency Credit, 2 Debt


def _charge(e: int) -> bytes:
    # 0-0:19.20.e.255: 0 active tariff price, 1 and 2 time-based debts, 3 payment-based debt, 4 standing charge,
    # 5 the secondary element's tariff (twin-element meters)
    return bytes([0, 0, 19, 20, e, 255])


COLLECT_ALWAYS, COLLECT_NOT_IN_FRIENDLY_CREDIT = 0xE0, 0xC0  # collection_configuration, bit-string(3)


def credit_charge_entries(variant: Variant, prepayment: Prepayment | None) -> list[tuple[int, int, int]]:
    """(credit e, charge e, collection configuration) of attribute 11, in RTDS order.

    ECS02: Meter Balance pays the active tariff and the standing charge (and, on a twin meter, the secondary
    tariff). ECS03, fitted to RTDS's three ECS03 vectors: Meter Balance and Emergency Credit pay the tariff,
    the standing charge and every debt; with SuspendDebtEmergency the Debt credit (19.10.2) pays the
    standing charge and the time-based debts as well; with SuspendDebtDisabled the time-based debts
    (19.20.1 / 19.20.2) taken from Meter Balance and Emergency Credit are C0 instead of E0."""
    twin = variant == Variant.TWIN
    if prepayment is None:
        entries = [(0, 0, COLLECT_ALWAYS), (0, 4, COLLECT_ALWAYS)]
        if twin:
            entries.append((0, 5, COLLECT_ALWAYS))
        return entries
    debt = COLLECT_NOT_IN_FRIENDLY_CREDIT if prepayment.suspend_debt_disabled else COLLECT_ALWAYS
    entries = []
    for credit in (0, 1):
        order = (0, 4, 1, 2, 3) if credit == 0 else (3, 0, 4, 1, 2)
        entries += [(credit, charge, debt if charge in (1, 2) else COLLECT_ALWAYS) for charge in order]
    if prepayment.suspend_debt_emergency:
        entries += [(2, charge, COLLECT_ALWAYS) for charge in (4, 1, 2)]
    if twin:
        entries += [(0, 5, COLLECT_ALWAYS), (1, 5, COLLECT_ALWAYS)]
    return entries


def _set_spec(target: tuple[int, bytes], attribute: int) -> bytes:
    class_id, obis = target
    return bytes([SET]) + class_id.to_bytes(2, "big") + obis + bytes([attribute])


def _esme_content(pc: PreCommand) -> bytes:
    variant = _variant(pc.variant if pc.variant is not None else Variant.SINGLE)
    when = dlms_date_time(pc.execution)
    entries = credit_charge_entries(variant, pc.prepayment)
    array = bytes([ARRAY, len(entries)]) + b"".join(
        bytes([STRUCTURE, 3, OCTET_STRING, 6]) + _credit(c) + bytes([OCTET_STRING, 6]) + _charge(ch)
        + bytes([BIT_STRING, 3, bits])
        for c, ch, bits in entries)
    dlms_time = bytes([OCTET_STRING, len(when)]) + when
    mode = 1 if pc.prepayment is None else 2
    # account_mode_and_status: structure {payment_mode, account_status = 1 (new, inactive account)}
    mode_and_status = bytes([STRUCTURE, 2, ENUM, mode, ENUM, 1])
    if pc.prepayment is None:
        specs = [_set_spec(ACCOUNT, ACCOUNT_MODE_AND_STATUS), _set_spec(ACCOUNT, CREDIT_CHARGE_CONFIGURATION),
                 _set_spec(ACCOUNT, ACCOUNT_ACTIVATION_TIME)]
        data = [mode_and_status, array, dlms_time]
    else:
        threshold = bytes([DOUBLE_LONG]) + pc.prepayment.disablement_threshold.to_bytes(4, "big", signed=True)
        specs = [_set_spec(ACCOUNT, ACCOUNT_MODE_AND_STATUS), _set_spec(DISABLEMENT_THRESHOLD, EXTENDED_VALUE),
                 _set_spec(ACCOUNT, CREDIT_CHARGE_CONFIGURATION),
                 _set_spec(DISABLEMENT_THRESHOLD, EXTENDED_ACTIVATION_TIME),
                 _set_spec(ACCOUNT, ACCOUNT_ACTIVATION_TIME)]
        data = [mode_and_status, threshold, array, dlms_time, dlms_time]
    return (bytes([ACCESS_REQUEST]) + invoke_id(pc.counter).to_bytes(4, "big") + b"\x00"  # no date-time
            + bytes([len(specs)]) + b"".join(specs) + bytes([len(data)]) + b"".join(data))


DLMS_IMMEDIATE = bytes(9) + b"\x80\x00\xff"  # all unspecified-zero: activate now (digest §5)
DLMS_CANCEL = b"\xff" * 9 + b"\x80\x00\xff"


def dlms_date_time(execution: dt.datetime | _Cancel | None) -> bytes:
    """The 12-byte DLMS date-time of an activation: year(2) month day day-of-week(FF) hour minute second
    hundredths(00) deviation(8000 = not specified) clock-status(FF), in UTC, as RTDS writes
    2030-01-15T09:00Z."""
    if execution is None:
        return DLMS_IMMEDIATE
    if execution is CANCEL:
        return DLMS_CANCEL
    t = _utc_whole_seconds(execution)
    return (t.year.to_bytes(2, "big") + bytes([t.month, t.day, 0xFF, t.hour, t.minute, t.second, 0])
            + b"\x80\x00\xff")


# --- GSME: GBZ with one ZSE Prepayment command (GBCS GCS02 / GCS03) -----------------------------------------

GBZ_PROFILE = 0x0109
ZSE_PREPAYMENT_CLUSTER = 0x0705
ZCL_CLIENT_TO_SERVER_CLUSTER_SPECIFIC = 0x01
CHANGE_PAYMENT_MODE = 0x06
GBZ_LAST_COMPONENT = 0x01  # extended header control field: the only (so the last) component, no date-time
ZIGBEE_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
ZIGBEE_IMMEDIATE, ZIGBEE_CANCEL = 0, 0xFFFFFFFF
CREDIT_CUTOFF = -1  # FF FF FF FF: no cut-off value in Credit mode

#: Proposed Payment Control Configuration (bitmap16) per digest §5: Credit is 0x0C94; in Prepayment bits 0-1 are
#: set, bit 10 is SuspendDebtDisabled and bit 11 is NOT SuspendDebtEmergency.
PAYMENT_CONTROL_CREDIT = 0x0C94
_PAYMENT_CONTROL_PREPAYMENT = 0x0097
_SUSPEND_DEBT_DISABLED_BIT = 0x0400
_NOT_SUSPEND_DEBT_EMERGENCY_BIT = 0x0800


def payment_control_configuration(prepayment: Prepayment | None) -> int:
    if prepayment is None:
        return PAYMENT_CONTROL_CREDIT
    value = _PAYMENT_CONTROL_PREPAYMENT
    if prepayment.suspend_debt_disabled:
        value |= _SUSPEND_DEBT_DISABLED_BIT
    if not prepayment.suspend_debt_emergency:
        value |= _NOT_SUSPEND_DEBT_EMERGENCY_BIT
    return value


def prepayment_from_control(value: int, cutoff: int) -> Prepayment | None:
    """The inverse of :func:`payment_control_configuration` (raises KeyError for any other value)."""
    if value == PAYMENT_CONTROL_CREDIT:
        return None
    flags = value & ~(_SUSPEND_DEBT_DISABLED_BIT | _NOT_SUSPEND_DEBT_EMERGENCY_BIT)
    if flags != _PAYMENT_CONTROL_PREPAYMENT:
        raise KeyError(value)
    return Prepayment(bool(value & _SUSPEND_DEBT_DISABLED_BIT), not value & _NOT_SUSPEND_DEBT_EMERGENCY_BIT, cutoff)


def zigbee_time(execution: dt.datetime | _Cancel | None) -> int:
    """ZigBee UTCTime: whole seconds since 2000-01-01T00:00Z; 0 immediate, FFFFFFFF cancellation."""
    if execution is None:
        return ZIGBEE_IMMEDIATE
    if execution is CANCEL:
        return ZIGBEE_CANCEL
    seconds = int((_utc_whole_seconds(execution) - ZIGBEE_EPOCH).total_seconds())
    if not ZIGBEE_IMMEDIATE < seconds < ZIGBEE_CANCEL:
        raise GbcsRefused("gbcs-execution-time-invalid",
                          f"{execution.isoformat()} is outside the gas meter's clock (2000-01-01 to 2136-02-07)")
    return seconds


def _gsme_content(pc: PreCommand) -> bytes:
    iei = pc.issuer_event_id
    if not isinstance(iei, int) or isinstance(iei, bool) or not 0 <= iei <= 0xFFFFFFFF:
        raise GbcsRefused("gbcs-issuer-event-id-invalid", "a gas command needs an Issuer Event ID (uint32)")
    cutoff = CREDIT_CUTOFF if pc.prepayment is None else pc.prepayment.disablement_threshold
    zcl = (bytes([ZCL_CLIENT_TO_SERVER_CLUSTER_SPECIFIC, 0x00, CHANGE_PAYMENT_MODE])  # frame control, seq, command
           + bytes(4)  # Provider ID: 0, as RTDS
           + iei.to_bytes(4, "little")
           + zigbee_time(pc.execution).to_bytes(4, "little")
           + payment_control_configuration(pc.prepayment).to_bytes(2, "little")
           + cutoff.to_bytes(4, "little", signed=True))
    return (GBZ_PROFILE.to_bytes(2, "big") + bytes([1, GBZ_LAST_COMPONENT])  # one component
            + ZSE_PREPAYMENT_CLUSTER.to_bytes(2, "big") + len(zcl).to_bytes(2, "big") + zcl)


# --- values ---------------------------------------------------------------------------------------------------


def _eui(value: str | bytes, field: str) -> str:
    return eui_text(eui_bytes(value, field))


def _variant(value: Variant | str) -> Variant:
    try:
        return Variant(value)
    except ValueError:
        raise GbcsRefused("gbcs-variant-invalid", f"{value!r} is not single, twin or polyphase") from None


def _check_prepayment(p: Prepayment, kind: DeviceKind) -> None:
    if not isinstance(p.suspend_debt_disabled, bool) or not isinstance(p.suspend_debt_emergency, bool):
        raise GbcsRefused("gbcs-prepayment-invalid", "SuspendDebtDisabled and SuspendDebtEmergency are booleans")
    threshold = p.disablement_threshold
    # DLMS double-long / ZCL int32 (DUIS DisablementThreshold fits both)
    if not isinstance(threshold, int) or isinstance(threshold, bool) or not -(2**31) <= threshold < 2**31:
        raise GbcsRefused("gbcs-prepayment-invalid", "DisablementThreshold is a signed 32-bit number")


def _utc_whole_seconds(value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise GbcsRefused("gbcs-execution-time-invalid", "the execution time is an aware datetime, CANCEL or None")
    if value.microsecond:
        # A gas meter's clock counts whole seconds and RTDS writes hundredths as 00: refuse rather than round.
        raise GbcsRefused("gbcs-execution-time-invalid", "the execution time is in whole seconds")
    return value.astimezone(dt.UTC)
