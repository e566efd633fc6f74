"""What a simulated meter does with one command it receives: plain Python, no Django (the simulator keeps the
state in the database and calls :func:`receive`).

The meter is strict, as a GBCS device is (GBCS 4.3 §4 "Processing of commands"; reference digest §5):

1. The command is the General-Ciphering APDU the DCC sends (``DD 00…``, contingency.gbcs.command) addressed to
   this device; anything else cannot be processed (:class:`MeterRefused`, nothing answered).
2. Its MAC verifies (the ACB's, GBCS "ACB-MAC"): otherwise ``gbcs-mac-invalid``.
3. An SRV 1.6 command (ECS02/ECS03, GCS02/GCS03) decodes strictly (contingency.gbcs.decode) and, on a SMETS2+
   meter, carries a GBCS signature that verifies with the registered Supplier's Digital Signing key
   (``gbcs-signature-missing``, ``gbcs-signature-invalid``). A SMETS1 service provider takes the same command
   unsigned (for SMETS1 the DCC's Dual Control Organisation authorises critical commands, not a device key); a
   signature it is given must still verify.
4. The originator counter is strictly greater than the last one this meter accepted from that originator
   (GBCS "Originator Counter"): otherwise ``gbcs-counter-replayed``.

A command refused at 2–4 is answered with an error response (every SET denied: DLMS ``read-write-denied``; gas:
ZCL ``NOT_AUTHORIZED``) and changes nothing. An accepted command sets the payment mode at once (immediate),
is kept for its execution time (future-dated), or cancels the kept one (the cancellation value, DUIS
3000-12-31). A meter marked ``fault`` answers the RTDS error response (hardware fault) and changes nothing.

Responses are byte-compatible with RTDS 4.5.0 (tests/contingency/gateway): SRV 1.6 responses are General-Signing
APDUs (CRA 02) with the device's date-time, signed with the device's Digital Signing key when the simulator has
one (``00`` otherwise); 6.2.9 read responses are General-Ciphering with the MAC between the device and the
command's originator, as RTDS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from ...gbcs import command as gbcs_command
from ...gbcs import precommand as pcm
from ...gbcs.decode import decode
from ...gbcs.errors import GbcsRefused
from ...gbcs.frame import CRA_COMMAND, CRA_RESPONSE, Frame, ber_length, parse_frame
from ...gbcs.signature import is_signed_by, sign

# 6.2.9 Read Device Configuration (Payment Mode): ECS26j / GCS21j (reference digest §5).
READ_ESME, READ_GSME = 0x00BE, 0x00BF
READ_CODES = frozenset({READ_ESME, READ_GSME})
UPDATE_CODES = frozenset(pcm.USE_CASES)

# DLMS data-access-result (IEC 62056-5-3): success, hardware fault, read-write-denied, other reason.
SUCCESS, HARDWARE_FAULT, READ_WRITE_DENIED, OTHER_REASON = 0x00, 0x01, 0x03, 0xFA
# ZCL status codes: the RTDS GSME error (C0), and NOT_AUTHORIZED for a command the meter does not trust.
ZCL_FAULT, ZCL_NOT_AUTHORIZED = 0xC0, 0x7E
GET_RESULT = 0x01
ACCOUNT_STATUS_ACTIVE = 0x02  # account_mode_and_status.account_status in RTDS's read response

#: What the gas meter reports in its Change Payment Mode Response (ZSE): RTDS publishes no gas response, so these
#: are the simulator's own (no friendly credit, no emergency credit configured; docs/device-gateway.md).
GAS_RESPONSE_SETTINGS = (0, 0, 0, 0)

_ESME_READ_CONTENT = bytes.fromhex("00010100 6F 0000130000FF 02 0100".replace(" ", ""))  # after D9 + invoke-id
_GSME_READ_CONTENT = bytes.fromhex("0109 01 01 0705 0005 00 00 00 0000".replace(" ", ""))


class MeterRefused(ValueError):
    """A command the meter cannot process at all (not for this device, not a DCC command): no response."""

    def __init__(self, code: str, message: str = ""):
        self.code = code
        self.message = message or code
        super().__init__(f"{code}: {self.message}")


class MeterKeys(Protocol):
    """The keys a simulated meter works with. ECDH is symmetric, so a MAC key needs either side's private key with
    the other side's public key: the pair returned may be (device private, party public) or the reverse."""

    def acb_pair(self, device: str) -> tuple[ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey]:
        """For the ACB MAC of commands to ``device``."""

    def party_pair(self, device: str, party: str) -> tuple[ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey]:
        """For the MAC of a response from ``device`` to the remote party ``party``."""

    def supplier_signing_keys(self, device: str, supplier: str) -> Iterable[ec.EllipticCurvePublicKey]:
        """The Digital Signing keys the meter trusts for its Supplier (a meter holds no CRL: revoked ones count)."""

    def device_signing_key(self, device: str) -> ec.EllipticCurvePrivateKey | None:
        """The device's own Digital Signing key (None: responses carry a null signature length)."""


@dataclass
class MeterState:
    """The meter as the simulator stores it."""

    device: str  # EUI, hyphenated upper case
    kind: str  # ESME | GSME
    generation: str  # SMETS1 | SMETS2
    payment_mode: str  # credit | prepayment
    supplier: str  # the registered Supplier's EUI: whose signing keys the meter trusts
    counters: dict[str, int] = field(default_factory=dict)
    fault: bool = False


@dataclass(frozen=True)
class Scheduled:
    """A future-dated payment-mode change the meter keeps until ``execute_at``."""

    originator: str
    counter: int
    message_code: int
    payment_mode: str
    execute_at: dt.datetime


@dataclass(frozen=True)
class Outcome:
    """What the meter did: the response it sends, and the change the simulator must store."""

    response: bytes
    success: bool
    message_code: int
    refusal: str = ""  # the GBCS code when the meter refused the command
    counter: tuple[str, int] | None = None  # (originator, counter) to remember
    payment_mode: str | None = None  # set now
    scheduled: Scheduled | None = None  # keep for later
    cancel: bool = False  # drop the kept future-dated change
    read: bool = False


def receive(command: bytes, state: MeterState, keys: MeterKeys, now: dt.datetime) -> Outcome:
    """The meter processes ``command`` at ``now`` (its clock); see the module's docstring."""
    try:
        inner = gbcs_command.unwrap(command)
        frame = parse_frame(inner)
    except GbcsRefused as exc:
        raise MeterRefused("gateway-command-invalid", f"not a DCC General-Ciphering command: {exc.message}") from None
    if frame.recipient != state.device:
        raise MeterRefused("gateway-device-mismatch", f"the command is for {frame.recipient}, not {state.device}")
    if frame.cra_flag != CRA_COMMAND or frame.message_code not in UPDATE_CODES | READ_CODES:
        raise MeterRefused("gateway-command-unsupported", "the simulated meter answers SRV 1.6 and 6.2.9 only")
    code = frame.message_code
    if (code in (0x001A, 0x001B, READ_ESME)) != (state.kind == "ESME"):
        raise MeterRefused("gateway-command-unsupported", f"message code {code:#06x} is not for a {state.kind}")
    read = code in READ_CODES

    def refuse(reason: str) -> Outcome:
        return Outcome(_read_response(frame, state, keys, denied=True) if read
                       else _update_response(frame, state, keys, now, denied=True), False, code, refusal=reason,
                       read=read)

    acb_private, device_public = keys.acb_pair(state.device)
    try:
        gbcs_command.unwrap(command, acb_private_key=acb_private, device_public_key=device_public)
    except GbcsRefused as exc:
        return refuse(exc.code)
    decoded = None
    if not read:
        try:
            decoded = decode(inner)
        except GbcsRefused as exc:
            return refuse(exc.code)
        if state.generation != "SMETS1" or frame.signature:
            if not frame.signature:
                return refuse("gbcs-signature-missing")
            if not any(is_signed_by(frame, k) for k in keys.supplier_signing_keys(state.device, state.supplier)):
                return refuse("gbcs-signature-invalid")
    elif inner != _read_command(frame):
        return refuse("gbcs-payload-invalid")
    if frame.counter <= state.counters.get(frame.originator, -1):
        return refuse("gbcs-counter-replayed")
    used = (frame.originator, frame.counter)
    if read:
        return Outcome(_read_response(frame, state, keys, fault=state.fault), not state.fault, code, counter=used,
                       read=True)
    response = _update_response(frame, state, keys, now, fault=state.fault)
    if state.fault:
        return Outcome(response, False, code, counter=used)
    mode = "credit" if decoded.is_credit else "prepayment"
    execution = decoded.precommand.execution
    if execution is None:
        return Outcome(response, True, code, counter=used, payment_mode=mode)
    if execution is pcm.CANCEL:
        return Outcome(response, True, code, counter=used, cancel=True)
    return Outcome(response, True, code, counter=used,
                   scheduled=Scheduled(frame.originator, frame.counter, code, mode, execution))


# --- responses ------------------------------------------------------------------------------------------------

def _results(sets: int, *, fault: bool, denied: bool) -> list[int]:
    if denied:
        return [READ_WRITE_DENIED] * sets
    if fault:  # RTDS ERROR responses: the last two SETs fail, with a hardware fault and "other reason"
        return [SUCCESS] * (sets - 2) + [HARDWARE_FAULT, OTHER_REASON]
    return [SUCCESS] * sets


def _update_response(frame: Frame, state: MeterState, keys: MeterKeys, now: dt.datetime, *, fault: bool = False,
                     denied: bool = False) -> bytes:
    code = frame.message_code
    if code in pcm.ESME_MESSAGE_CODES:
        sets = 3 if code == 0x001A else 5
        results = _results(sets, fault=fault, denied=denied)
        content = (bytes([0xDA]) + pcm.invoke_id(frame.counter).to_bytes(4, "big") + b"\x00\x00"
                   + bytes([sets]) + bytes(sets) + bytes([sets]) + b"".join(bytes([0x02, r]) for r in results))
    else:
        if fault or denied:
            zcl = bytes([0x08, 0x00, 0x0B, pcm.CHANGE_PAYMENT_MODE, ZCL_NOT_AUTHORIZED if denied else ZCL_FAULT])
        else:
            friendly, calendar, limit, threshold = GAS_RESPONSE_SETTINGS
            zcl = (bytes([0x19, 0x00, 0x02, friendly]) + calendar.to_bytes(4, "little")
                   + limit.to_bytes(4, "little") + threshold.to_bytes(4, "little"))
        content = _gbz(zcl)
    response = Frame(CRA_RESPONSE, frame.counter, state.device, frame.originator,
                     pcm.dlms_date_time(now.replace(microsecond=0)), code.to_bytes(2, "big"), content)
    key = keys.device_signing_key(state.device)
    if key is None:
        return replace(response, signature=b"").encode()
    return sign(response.encode(), key)


def _gbz(zcl: bytes) -> bytes:
    return (pcm.GBZ_PROFILE.to_bytes(2, "big") + bytes([1, pcm.GBZ_LAST_COMPONENT])
            + pcm.ZSE_PREPAYMENT_CLUSTER.to_bytes(2, "big") + len(zcl).to_bytes(2, "big") + zcl)


def _read_command(frame: Frame) -> bytes:
    """The one 6.2.9 command the meter accepts for this header (RTDS ECS26j / GCS21j), with a null signature."""
    if frame.message_code == READ_ESME:
        content = bytes([pcm.ACCESS_REQUEST]) + pcm.invoke_id(frame.counter).to_bytes(4, "big") + _ESME_READ_CONTENT
    else:
        content = _GSME_READ_CONTENT
    return replace(frame, content=content, signature=b"").encode()


def _read_response(frame: Frame, state: MeterState, keys: MeterKeys, *, fault: bool = False,
                   denied: bool = False) -> bytes:
    credit = state.payment_mode == "credit"
    if frame.message_code == READ_ESME:
        head = bytes([0xDA]) + pcm.invoke_id(frame.counter).to_bytes(4, "big") + b"\x00\x00\x01"
        if fault or denied:  # RTDS's error: no data, the get-result 01 hardware fault (03 read-write-denied)
            content = head + bytes([0x00, 0x01, GET_RESULT, READ_WRITE_DENIED if denied else HARDWARE_FAULT])
        else:
            mode = 1 if credit else 2
            content = head + bytes([0x02, 0x02, 0x16, mode, 0x16, ACCOUNT_STATUS_ACTIVE, 0x01, GET_RESULT, SUCCESS])
    else:
        if fault or denied:
            zcl = bytes([0x08, 0x00, 0x01, 0x00, 0x00, ZCL_NOT_AUTHORIZED if denied else ZCL_FAULT])
        else:
            # Payment Control Configuration (bitmap16): Credit 0x0C94; Prepayment as RTDS reads it, 0x0C97
            value = pcm.PAYMENT_CONTROL_CREDIT if credit else 0x0C97
            zcl = bytes([0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x19]) + value.to_bytes(2, "little")
        content = _gbz(zcl)
    inner = Frame(CRA_RESPONSE, frame.counter, state.device, frame.originator, b"",
                  frame.message_code.to_bytes(2, "big"), content, signature=b"")
    private, public = keys.party_pair(state.device, frame.originator)
    return mac_wrap(inner.encode(), private, public)


def mac_wrap(signed: bytes, private: ec.EllipticCurvePrivateKey, public: ec.EllipticCurvePublicKey) -> bytes:
    """The General-Ciphering APDU around ``signed`` with its MAC (as contingency.gbcs.command.wrap, which takes
    signed APDUs only): also for an APDU ending in a null signature length (6.2.9, a SMETS1 command)."""
    frame = parse_frame(signed)
    header = bytes([gbcs_command.SECURITY_CONTROL_AUTHENTICATED]) + bytes(4)
    tag = gbcs_command._mac(frame, signed, header, gbcs_command.mac_key(frame, private, public))
    ciphered = header + signed + tag
    return (bytes([gbcs_command.GENERAL_CIPHERING]) + bytes(6) + ber_length(len(ciphered)) + ciphered)

