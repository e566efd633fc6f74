"""Decoding an SRV 1.6 Pre-Command or Signed Pre-Command strictly (Command Variant 5; reference digest §5,
"How to decide target = Credit").

:func:`decode` reads the General-Signing header (:mod:`.frame`), the message code, the payload and the optional
signature, and returns a :class:`Decoded` whose ``precommand`` holds the values
:func:`.precommand.encode` would build it from. The target mode is read twice, from the message code (ECS02 /
GCS02 Credit, ECS03 / GCS03 Prepayment) and from the payload (the DLMS ``payment_mode`` enum, or the ZSE
Proposed Payment Control Configuration); any disagreement is refused. Finally the values are encoded again and
must give back the very bytes received: anything the DCC's Transform would not have produced (another
invoke-id, an extra SET, a different credit-charge array, a non-canonical length) is refused, so what the
pipeline reasons about is exactly what the meter will execute.

Every refusal is a :class:`.errors.GbcsRefused` with a stable code (docs/gbcs.md); no other exception escapes for
any input bytes (fuzzed in tests/contingency/gbcs/test_decode.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import precommand as pcm
from .errors import GbcsRefused
from .frame import CRA_COMMAND, Frame, Reader, parse_frame
from .precommand import CANCEL, DeviceKind, PreCommand, Prepayment, Variant

#: How deep DLMS data may nest. SRV 1.6 needs three (array of structures of octet strings); a hostile payload
#: of nested structures would otherwise recurse once per two bytes.
MAX_DLMS_DEPTH = 4


@dataclass(frozen=True)
class Decoded:
    """An SRV 1.6 General-Signing APDU, decoded."""

    frame: Frame
    precommand: PreCommand

    @property
    def message_code(self) -> int:
        return self.precommand.message_code

    @property
    def use_case(self) -> str:
        return self.precommand.use_case

    @property
    def is_credit(self) -> bool:
        return self.precommand.is_credit

    @property
    def signature(self) -> bytes | None:
        return self.frame.signature

    @property
    def is_signed(self) -> bool:
        return bool(self.frame.signature)

    @property
    def unsigned(self) -> bytes:
        """The Pre-Command as the DCC issued it: everything before the signature field."""
        return self.frame.unsigned

    def encode(self) -> bytes:
        return self.frame.encode()


def decode(data: bytes) -> Decoded:
    """Decode an SRV 1.6 Pre-Command (unsigned, as issued) or Signed Pre-Command; refuse anything else."""
    frame = parse_frame(data)
    if frame.cra_flag != CRA_COMMAND:
        raise GbcsRefused("gbcs-not-a-command", f"CRA flag {frame.cra_flag:#04x}: a Pre-Command is a command (01)")
    if frame.date_time:
        raise GbcsRefused("gbcs-date-time-invalid", "a Pre-Command carries no date-time in its header")
    if len(frame.other_information) != 2:
        raise GbcsRefused("gbcs-other-information-invalid", "SRV 1.6 other-information is the message code alone")
    code = frame.message_code
    if code not in pcm.USE_CASES:
        raise GbcsRefused("gbcs-message-code-unsupported",
                          f"message code {code:#06x} is not SRV 1.6 (ECS02/ECS03/GCS02/GCS03)")
    # A null signature length (frame.signature == b"") is tolerated here, as digest §5 allows for a Pre-Command
    # (early DCC Boxed ended one with 00); a Signed Pre-Command must carry a signature: signature.verify and
    # check.py refuse it as unsigned.
    code_says_credit = code in pcm.CREDIT_MESSAGE_CODES
    if code in pcm.ESME_MESSAGE_CODES:
        values = _esme(frame.content, code_says_credit)
    else:
        values = _gsme(frame.content, code_says_credit)
    result = PreCommand(counter=frame.counter, originator=frame.originator, device=frame.recipient, **values)
    try:
        canonical = pcm.encode(result)
    except GbcsRefused as exc:  # e.g. a date the builder would refuse
        raise GbcsRefused("gbcs-payload-invalid", exc.message) from None
    if canonical != frame.unsigned:
        raise GbcsRefused("gbcs-payload-invalid", "the payload is not the SRV 1.6 layout for its message code")
    return Decoded(frame, result)


def _mode_refusal(code_says_credit: bool, payload_says_credit: bool) -> None:
    if code_says_credit != payload_says_credit:
        raise GbcsRefused("gbcs-mode-inconsistent",
                          f"the message code says {'Credit' if code_says_credit else 'Prepayment'}, the payload "
                          f"{'Credit' if payload_says_credit else 'Prepayment'}")


# --- ESME ---------------------------------------------------------------------------------------------------


def _esme(content: bytes, code_says_credit: bool) -> dict:
    r = Reader(content, "DLMS payload")
    if r.byte() != pcm.ACCESS_REQUEST:
        raise GbcsRefused("gbcs-payload-invalid", "an ESME command is a DLMS access-request (D9)")
    r.take(4)  # Long-Invoke-Id-And-Priority: checked by re-encoding
    if r.byte() != 0:
        raise GbcsRefused("gbcs-payload-invalid", "a Pre-Command's access-request carries no date-time")
    specs = []
    for _ in range(_count(r)):
        if r.byte() != pcm.SET:
            raise GbcsRefused("gbcs-payload-invalid", "SRV 1.6 only SETs attributes")
        specs.append((int.from_bytes(r.take(2), "big"), r.take(6), r.byte()))
    count = _count(r)
    if count != len(specs):
        raise GbcsRefused("gbcs-payload-invalid", f"{len(specs)} SETs but {count} data items")
    data = [_dlms_data(r, 0) for _ in range(count)]
    if r.remaining:
        raise GbcsRefused("gbcs-payload-invalid", "bytes after the last data item")
    by_target = dict(zip(specs, data, strict=True))
    if len(by_target) != len(specs):
        raise GbcsRefused("gbcs-payload-invalid", "an attribute is SET twice")

    mode = by_target.get((*pcm.ACCOUNT, pcm.ACCOUNT_MODE_AND_STATUS))
    match mode:
        case ("structure", [("enum", payment_mode), ("enum", _)]) if payment_mode in pcm.PAYMENT_MODE:
            payload_says_credit = pcm.PAYMENT_MODE[payment_mode] == "credit"
        case _:
            raise GbcsRefused("gbcs-payload-invalid", "no payment mode (Account 0-1:19.0.0.255 attribute 2) SET")
    _mode_refusal(code_says_credit, payload_says_credit)

    charges = by_target.get((*pcm.ACCOUNT, pcm.CREDIT_CHARGE_CONFIGURATION))
    entries = _credit_charge_entries(charges)
    variant = Variant.TWIN if any(charge == 5 for _, charge, _ in entries) else Variant.SINGLE
    execution = _execution_from_dlms(by_target.get((*pcm.ACCOUNT, pcm.ACCOUNT_ACTIVATION_TIME)))
    prepayment = None
    if not payload_says_credit:
        match by_target.get((*pcm.DISABLEMENT_THRESHOLD, pcm.EXTENDED_VALUE)):
            case ("double-long", threshold):
                pass
            case _:
                raise GbcsRefused("gbcs-payload-invalid", "no Disablement Threshold (0-0:94.44.128.22 attribute 4)")
        prepayment = Prepayment(
            suspend_debt_disabled=(0, 1, pcm.COLLECT_NOT_IN_FRIENDLY_CREDIT) in entries,
            suspend_debt_emergency=any(credit == 2 for credit, _, _ in entries),
            disablement_threshold=threshold)
    return {"device_kind": DeviceKind.ESME, "execution": execution, "prepayment": prepayment, "variant": variant}


def _count(r: Reader) -> int:
    n = r.byte()
    if n >= 0x80:  # A-XDR quantities above 127 take more bytes; SRV 1.6 never has that many
        raise GbcsRefused("gbcs-payload-invalid", "too many items for SRV 1.6")
    return n


def _dlms_data(r: Reader, depth: int):
    """One DLMS Data value (IEC 62056-6-2 A-XDR) of the types SRV 1.6 uses, as (type, value)."""
    tag = r.byte()
    if tag in (pcm.ARRAY, pcm.STRUCTURE):
        if depth >= MAX_DLMS_DEPTH:
            raise GbcsRefused("gbcs-payload-invalid", "DLMS data nested too deep")
        n = _count(r)
        return ("array" if tag == pcm.ARRAY else "structure", [_dlms_data(r, depth + 1) for _ in range(n)])
    if tag == pcm.ENUM:
        return ("enum", r.byte())
    if tag == pcm.DOUBLE_LONG:
        return ("double-long", int.from_bytes(r.take(4), "big", signed=True))
    if tag == pcm.OCTET_STRING:
        return ("octet-string", r.take(_count(r)))
    if tag == pcm.BIT_STRING:
        bits = _count(r)
        return ("bit-string", (bits, r.take((bits + 7) // 8)))
    raise GbcsRefused("gbcs-payload-invalid", f"DLMS data type {tag:#04x} has no place in SRV 1.6")


def _credit_charge_entries(value) -> list[tuple[int, int, int]]:
    if value is None or value[0] != "array":
        raise GbcsRefused("gbcs-payload-invalid", "no credit-charge configuration (attribute 11) SET")
    entries = []
    for item in value[1]:
        match item:
            case ("structure", [("octet-string", credit), ("octet-string", charge), ("bit-string", (3, bits))]) \
                    if len(credit) == 6 and len(charge) == 6:
                entries.append((credit[4], charge[4], bits[0]))  # the E field; re-encoding checks the rest
            case _:
                raise GbcsRefused("gbcs-payload-invalid", "a credit-charge entry is not {credit, charge, bits}")
    return entries


def _execution_from_dlms(value) -> dt.datetime | object | None:
    match value:
        case ("octet-string", raw) if len(raw) == 12:
            pass
        case _:
            raise GbcsRefused("gbcs-payload-invalid", "no activation time (attribute 13) SET")
    if raw == pcm.DLMS_IMMEDIATE:
        return None
    if raw == pcm.DLMS_CANCEL:
        return CANCEL
    try:
        return dt.datetime(int.from_bytes(raw[:2], "big"), raw[2], raw[3], raw[5], raw[6], raw[7], tzinfo=dt.UTC)
    except ValueError:
        raise GbcsRefused("gbcs-payload-invalid", f"activation time {raw.hex()} is not a date-time") from None


# --- GSME ---------------------------------------------------------------------------------------------------


def _gsme(content: bytes, code_says_credit: bool) -> dict:
    r = Reader(content, "GBZ payload")
    if int.from_bytes(r.take(2), "big") != pcm.GBZ_PROFILE:
        raise GbcsRefused("gbcs-payload-invalid", "a GSME command is a GBZ payload (profile 0109)")
    if r.byte() != 1 or r.byte() != pcm.GBZ_LAST_COMPONENT:
        raise GbcsRefused("gbcs-payload-invalid", "SRV 1.6 is one GBZ component")
    if int.from_bytes(r.take(2), "big") != pcm.ZSE_PREPAYMENT_CLUSTER:
        raise GbcsRefused("gbcs-payload-invalid", "SRV 1.6 is a ZSE Prepayment cluster (0705) command")
    zcl = Reader(r.take(int.from_bytes(r.take(2), "big")), "ZCL frame")
    if r.remaining:
        raise GbcsRefused("gbcs-payload-invalid", "bytes after the GBZ component")
    if (zcl.byte(), zcl.byte(), zcl.byte()) != (pcm.ZCL_CLIENT_TO_SERVER_CLUSTER_SPECIFIC, 0,
                                                 pcm.CHANGE_PAYMENT_MODE):
        raise GbcsRefused("gbcs-payload-invalid", "SRV 1.6 is the ZSE command Change Payment Mode (06)")
    zcl.take(4)  # Provider ID: checked by re-encoding
    issuer_event_id = int.from_bytes(zcl.take(4), "little")
    when = int.from_bytes(zcl.take(4), "little")
    control = int.from_bytes(zcl.take(2), "little")
    cutoff = int.from_bytes(zcl.take(4), "little", signed=True)
    if zcl.remaining:
        raise GbcsRefused("gbcs-payload-invalid", "bytes after the Change Payment Mode fields")
    try:
        prepayment = pcm.prepayment_from_control(control, cutoff)
    except KeyError:
        raise GbcsRefused("gbcs-payload-invalid", f"payment control configuration {control:#06x}") from None
    _mode_refusal(code_says_credit, prepayment is None)
    if when == pcm.ZIGBEE_IMMEDIATE:
        execution = None
    elif when == pcm.ZIGBEE_CANCEL:
        execution = CANCEL
    else:
        execution = pcm.ZIGBEE_EPOCH + dt.timedelta(seconds=when)
    return {"device_kind": DeviceKind.GSME, "execution": execution, "prepayment": prepayment,
            "issuer_event_id": issuer_event_id}
