"""GBCS device alerts as the comms hub passes them on (reference digest §7; GBCS 4.3 §10 "Alerts").

A device alert is a General-Signing APDU like a command, with the CRA flag ``03`` (alert), the **device** as
originator and, as recipient, the remote party the device holds credentials for: the registered Supplier's
EUI. That recipient never changes when the DCC routes the alert elsewhere (MP134B requirement 7 sends it to
the failed Supplier's SRP, whose systems still hold the failed Supplier's keys).

Layout (the RTDS 4.5.0 ECS02 8F66 alert, read by tests/contingency/alerts/test_gbcs.py)::

    DF 09 | 03 | counter (8, BE) | 08 originator (device) | 08 recipient (Supplier) | 00 (no date-time)
    | 02 <message code, 2> | <content length, BER>
    | 0F <long-invoke-id-and-priority, 4> 00 | 02 <n> 12 <alert code, 2> 09 0C <DLMS date-time, 12> [details]
    | <signature length> [signature]

The content is a DLMS Data-Notification whose body is a structure: the alert code (long-unsigned), the time
it was raised (octet-string 12: a DLMS date-time) and, for the future-dated execution alerts 8F66 / 8F67,
a 19-byte octet-string naming the instruction it reports on (message code, originator counter, interface
class, OBIS, attribute). The device signs the APDU with its Digital Signing key; the simulated comms hub
holds no device key, so alerts it raises carry signature length ``00`` (see docs/alerts.md: everything
before the signature is byte-compatible with the RTDS vector, the signature is not).

Plain Python: no Django. Built on the room's shared pieces (``frame.Frame``, ``precommand.invoke_id`` and
``precommand.dlms_date_time``); refusals are ``GbcsRefused`` (docs/gbcs.md "Refusal codes").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import GbcsRefused
from .frame import CRA_ALERT, Frame, eui_bytes, eui_text, parse_frame
from .precommand import ACCOUNT, ACCOUNT_ACTIVATION_TIME, OCTET_STRING, STRUCTURE, dlms_date_time, invoke_id

# GBCS message codes (gbcs-parser util.ts; reference digest §5 "Other message codes").
MESSAGE_CODE_CRITICAL_ALERT = 0x1000
MESSAGE_CODE_NON_CRITICAL_ALERT = 0x1001
MESSAGE_CODE_FUTURE_DATED_DLMS = 0x00CC
MESSAGE_CODE_FUTURE_DATED_GBZ = 0x00CD

# Future-dated HAN interface command successfully (8F66) / not successfully (8F67) actioned.
FUTURE_DATED_SUCCESS = 0x8F66
FUTURE_DATED_FAILURE = 0x8F67
FUTURE_DATED_CODES = frozenset({FUTURE_DATED_SUCCESS, FUTURE_DATED_FAILURE})

DATA_NOTIFICATION = 0x0F
LONG_UNSIGNED = 0x12  # DLMS data tag of the alert code


def parse_alert_code(text: str | int) -> int:
    """A GBCS alert code from hex text (``8F66``, ``0x8f66``) or an int; GbcsRefused ``gbcs-alert-code-invalid``
    otherwise."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif isinstance(text, str):
        raw = text.strip()
        if raw[:2].lower() == "0x":
            raw = raw[2:]
        if not raw or len(raw) > 4 or any(c not in "0123456789abcdefABCDEF" for c in raw):
            raise GbcsRefused("gbcs-alert-code-invalid",
                              f"{text!r} is not a GBCS alert code: give 1 to 4 hex digits, e.g. 8F66 or 0x8F66")
        value = int(raw, 16)
    else:
        raise GbcsRefused("gbcs-alert-code-invalid", f"an alert code is hex text, not {type(text).__name__}")
    if not 0 < value <= 0xFFFF:
        raise GbcsRefused("gbcs-alert-code-invalid", f"{text!r} is not a GBCS alert code: it must be 0001 to FFFF")
    return value


def alert_code_hex(code: int) -> str:
    """The four upper-case hex digits DUIS writes in AlertCode (xs:hexBinary), e.g. ``8F66``."""
    return f"{code:04X}"


@dataclass(frozen=True)
class InstructionReference:
    """What a future-dated execution alert (8F66 / 8F67) reports on: the original command's message code and
    originator counter (the DUIS RequestID counter), and the DLMS attribute it set."""

    message_code: int
    counter: int
    interface_class: int
    obis: bytes
    attribute: int

    def encode(self) -> bytes:
        if len(self.obis) != 6:
            raise GbcsRefused("gbcs-alert-reference-invalid", "an OBIS code is 6 bytes")
        try:
            value = (self.message_code.to_bytes(2, "big") + self.counter.to_bytes(8, "big")
                     + self.interface_class.to_bytes(2, "big") + self.obis + bytes([self.attribute]))
        except (OverflowError, ValueError) as exc:
            raise GbcsRefused("gbcs-alert-reference-invalid", f"a reference field out of range: {exc}") from None
        return bytes([OCTET_STRING, len(value)]) + value


# ECS02 / ECS03's activation time (IC 111 Account, 0-1:19.0.0.255, attribute 13) is what a future-dated
# payment-mode change reports (reference digest §7).
ACCOUNT_IC, ACCOUNT_OBIS = ACCOUNT
ACCOUNT_ACTIVATION = ACCOUNT_ACTIVATION_TIME


def alert_apdu(*, originator: str | bytes, recipient: str | bytes, counter: int, alert_code: int | str,
               at: dt.datetime, message_code: int | None = None,
               reference: InstructionReference | None = None) -> bytes:
    """The General-Signing APDU of a device alert (CRA 03) with a null signature length (``00``).

    ``originator`` is the device's EUI, ``recipient`` the remote party's (the registered Supplier), ``counter``
    the device's originator counter, ``at`` when it was raised (whole seconds are kept). ``message_code``
    defaults to 0x00CC for 8F66 / 8F67 and the generic non-critical alert 0x1001 otherwise."""
    code = parse_alert_code(alert_code)
    if not isinstance(counter, int) or not 0 <= counter < 2**64:
        raise GbcsRefused("gbcs-counter-invalid", "the originator counter is an unsigned 64-bit number")
    if not isinstance(at, dt.datetime) or at.tzinfo is None:
        raise GbcsRefused("gbcs-alert-time-invalid", "an alert's time is an aware datetime (UTC)")
    if message_code is None:
        message_code = MESSAGE_CODE_FUTURE_DATED_DLMS if code in FUTURE_DATED_CODES \
            else MESSAGE_CODE_NON_CRITICAL_ALERT
    items = [bytes([LONG_UNSIGNED]) + code.to_bytes(2, "big"),
             bytes([OCTET_STRING, 12]) + dlms_date_time(at.replace(microsecond=0))]
    if reference is not None:
        items.append(reference.encode())
    content = (bytes([DATA_NOTIFICATION]) + invoke_id(counter).to_bytes(4, "big") + b"\x00"
               + bytes([STRUCTURE, len(items)]) + b"".join(items))
    frame = Frame(CRA_ALERT, counter, eui_text(eui_bytes(originator, "originator")),
                  eui_text(eui_bytes(recipient, "recipient")), b"", message_code.to_bytes(2, "big"), content,
                  signature=b"")
    return frame.encode()


def read_alert(apdu: bytes) -> Frame:
    """The fields of a device alert APDU (``frame.parse_frame``), refusing one whose CRA flag is not 03."""
    frame = parse_frame(apdu)
    if frame.cra_flag != CRA_ALERT:
        raise GbcsRefused("gbcs-not-an-alert", f"CRA flag {frame.cra_flag:#04x}: an alert is 03")
    return frame
