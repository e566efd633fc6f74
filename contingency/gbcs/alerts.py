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

Plain Python: no Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

GENERAL_SIGNING = b"\xdf\x09"
CRA_ALERT = 0x03
DATA_NOTIFICATION = 0x0F

# GBCS message codes (gbcs-parser util.ts; reference digest §5 "Other message codes").
MESSAGE_CODE_CRITICAL_ALERT = 0x1000
MESSAGE_CODE_NON_CRITICAL_ALERT = 0x1001
MESSAGE_CODE_FUTURE_DATED_DLMS = 0x00CC
MESSAGE_CODE_FUTURE_DATED_GBZ = 0x00CD

# Future-dated HAN interface command successfully (8F66) / not successfully (8F67) actioned (GBCS Table 16.2).
FUTURE_DATED_SUCCESS = 0x8F66
FUTURE_DATED_FAILURE = 0x8F67
FUTURE_DATED_CODES = frozenset({FUTURE_DATED_SUCCESS, FUTURE_DATED_FAILURE})

# DLMS long-invoke-id-and-priority as the RTDS alerts carry it: priority bit set, the counter's low 24 bits.
_INVOKE_ID_FLAGS = 0x20000000


class AlertCodeInvalid(ValueError):
    """Not a GBCS alert code (two bytes, 0x0001 to 0xFFFF). ``code`` is stable (docs/refusal-codes.md)."""

    code = "alert-code-invalid"


def parse_alert_code(text: str | int) -> int:
    """A GBCS alert code from hex text (``8F66``, ``0x8f66``) or an int; AlertCodeInvalid otherwise."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif isinstance(text, str):
        raw = text.strip()
        if raw[:2].lower() == "0x":
            raw = raw[2:]
        if not raw or len(raw) > 4 or any(c not in "0123456789abcdefABCDEF" for c in raw):
            raise AlertCodeInvalid(f"{text!r} is not a GBCS alert code: give 1 to 4 hex digits, e.g. 8F66 or 0x8F66")
        value = int(raw, 16)
    else:
        raise AlertCodeInvalid(f"an alert code is hex text, not {type(text).__name__}")
    if not 0 < value <= 0xFFFF:
        raise AlertCodeInvalid(f"{text!r} is not a GBCS alert code: it must be 0001 to FFFF")
    return value


def alert_code_hex(code: int) -> str:
    """The four upper-case hex digits DUIS writes in AlertCode (xs:hexBinary), e.g. ``8F66``."""
    return f"{code:04X}"


def dlms_datetime(at: dt.datetime) -> bytes:
    """A DLMS date-time (12 bytes) in UTC as the RTDS alerts write it: day of week, hundredths and clock status
    'not specified' (FF, 00, FF), deviation 0x8000 (not specified)."""
    if at.tzinfo is None:
        raise ValueError("GBCS alert times are UTC: give an aware datetime")
    at = at.astimezone(dt.UTC)
    return (at.year.to_bytes(2, "big") + bytes([at.month, at.day, 0xFF, at.hour, at.minute, at.second, 0x00])
            + b"\x80\x00" + b"\xff")


def _ber_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


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
            raise ValueError("an OBIS code is 6 bytes")
        value = (self.message_code.to_bytes(2, "big") + self.counter.to_bytes(8, "big")
                 + self.interface_class.to_bytes(2, "big") + self.obis + bytes([self.attribute]))
        return b"\x09" + _ber_length(len(value)) + value


# ECS02 / ECS03's first SET: IC 111 Account, 0-1:19.0.0.255, attribute 13 (account_activation_time) is the one
# a future-dated payment-mode change reports (reference digest §7).
ACCOUNT_IC = 0x006F
ACCOUNT_OBIS = bytes.fromhex("0001130000FF")


def alert_apdu(*, originator: bytes, recipient: bytes, counter: int, alert_code: int, at: dt.datetime,
               message_code: int | None = None, reference: InstructionReference | None = None) -> bytes:
    """The unsigned General-Signing APDU of a device alert (CRA 03), signature length 00.

    ``originator`` is the device's EUI (8 bytes), ``recipient`` the remote party's (the registered Supplier),
    ``counter`` the device's originator counter. ``message_code`` defaults to 0x00CC for 8F66 / 8F67 and the
    generic non-critical alert 0x1001 otherwise."""
    if len(originator) != 8 or len(recipient) != 8:
        raise ValueError("GBCS system titles are 8 bytes")
    if not 0 <= counter < 2**64:
        raise ValueError("the originator counter is 64 bits")
    alert_code = parse_alert_code(alert_code)
    if message_code is None:
        message_code = MESSAGE_CODE_FUTURE_DATED_DLMS if alert_code in FUTURE_DATED_CODES \
            else MESSAGE_CODE_NON_CRITICAL_ALERT
    items = [b"\x12" + alert_code.to_bytes(2, "big"), b"\x09\x0c" + dlms_datetime(at)]
    if reference is not None:
        items.append(reference.encode())
    invoke_id = (_INVOKE_ID_FLAGS | (counter & 0x00FFFFFF)).to_bytes(4, "big")
    content = bytes([DATA_NOTIFICATION]) + invoke_id + b"\x00" + bytes([0x02, len(items)]) + b"".join(items)
    return (GENERAL_SIGNING + bytes([CRA_ALERT]) + counter.to_bytes(8, "big") + b"\x08" + originator
            + b"\x08" + recipient + b"\x00" + b"\x02" + message_code.to_bytes(2, "big")
            + _ber_length(len(content)) + content + b"\x00")


@dataclass(frozen=True)
class AlertHeader:
    """The grouping header of a General-Signing alert APDU (what routing and tests read back)."""

    cra: int
    counter: int
    originator: bytes
    recipient: bytes
    message_code: int


def read_header(apdu: bytes) -> AlertHeader:
    """The header fields of a General-Signing APDU with no date-time (as device alerts and RTDS carry them)."""
    if apdu[:2] != GENERAL_SIGNING or len(apdu) < 33 or apdu[11] != 8 or apdu[20] != 8 or apdu[29] != 0:
        raise ValueError("not a General-Signing APDU without a date-time")
    return AlertHeader(cra=apdu[2], counter=int.from_bytes(apdu[3:11], "big"), originator=apdu[12:20],
                       recipient=apdu[21:29], message_code=int.from_bytes(apdu[31:33], "big"))
