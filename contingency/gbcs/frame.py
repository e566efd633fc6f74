"""The GBCS General-Signing APDU: its grouping header, content and signature fields (reference digest §5;
GBCS "General-Signing" and its ASN.1/A-XDR encoding).

Layout, every field strictly checked when parsing::

    DF                      general-signing tag
    09 | CRA | counter(8)   transaction-id: length 9, CRA flag (01 command, 02 response, 03 alert),
                            originator counter (big-endian)
    08 | title(8)           originator system title (the GBCS originator's EUI-64)
    08 | title(8)           recipient system title (the device's EUI-64)
    00  or  0C | dt(12)     date-time: absent in commands, a DLMS date-time in responses and alerts
    len | other-information message code (2 bytes), then e.g. a supplementary remote party for responses
    BER length | content    the DLMS or GBZ payload
    [signature]             absent (an unsigned Pre-Command), 00 (a null signature length), or 40 | r‖s (64)

What is signed is everything after the leading ``DF`` up to the end of the content (digest §5, "Signing").
This module knows nothing of SRV 1.6; :mod:`.decode` reads the payload.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import GbcsRefused

GENERAL_SIGNING = 0xDF
TRANSACTION_ID_LENGTH = 9
SYSTEM_TITLE_LENGTH = 8
DLMS_DATE_TIME_LENGTH = 12
SIGNATURE_LENGTH = 64

CRA_COMMAND, CRA_RESPONSE, CRA_ALERT = 1, 2, 3

#: A GBCS APDU is far smaller than this (GBCS caps the APDU; the biggest SRV 1.6 one is 437 bytes): a longer
#: length field is refused rather than read, so a hostile length costs nothing.
MAX_CONTENT_LENGTH = 0xFFFF


def eui_bytes(value: str | bytes, field: str = "EUI-64") -> bytes:
    """The 8 bytes of an EUI-64 given as 8 bytes or as 16 hex digits (separators ``-`` / ``:`` allowed).

    Deliberately small: ``portal.eui`` is the registry's full parser, but it imports Django and this room must
    not (DESIGN §3). Callers pass User IDs and device IDs the registry has already validated."""
    if isinstance(value, bytes | bytearray):
        if len(value) != SYSTEM_TITLE_LENGTH:
            raise GbcsRefused("gbcs-eui-invalid", f"{field}: an EUI-64 is 8 bytes, got {len(value)}")
        return bytes(value)
    if isinstance(value, str):
        digits = value.replace("-", "").replace(":", "").strip()
        if len(digits) == 16 and all(c in "0123456789abcdefABCDEF" for c in digits):
            return bytes.fromhex(digits)
    raise GbcsRefused("gbcs-eui-invalid", f"{field}: {value!r} is not an EUI-64")


def eui_text(raw: bytes) -> str:
    """The canonical text form the registry uses (``portal.eui``): upper case, hyphen separated."""
    return "-".join(f"{b:02X}" for b in raw)


def ber_length(n: int) -> bytes:
    """A BER definite length in its shortest form (X.690 §8.1.3), as GBCS writes the content length."""
    if n < 0x80:
        return bytes([n])
    if n <= 0xFF:
        return bytes([0x81, n])
    if n <= MAX_CONTENT_LENGTH:
        return bytes([0x82]) + n.to_bytes(2, "big")
    raise GbcsRefused("gbcs-length-invalid", f"content of {n} bytes is longer than a GBCS APDU")


class Reader:
    """Reads a byte string front to back; running past the end is the refusal ``gbcs-truncated``, never an
    IndexError. Every read moves forward, so a parser built on it always ends."""

    def __init__(self, data: bytes, what: str = "APDU"):
        self.data = data
        self.pos = 0
        self.what = what

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise GbcsRefused("gbcs-truncated", f"the {self.what} ends at byte {self.pos}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def take(self, n: int) -> bytes:
        if n > self.remaining:
            raise GbcsRefused("gbcs-truncated", f"the {self.what} ends {n - self.remaining} bytes early")
        value = self.data[self.pos : self.pos + n]
        self.pos += n
        return value

    def rest(self) -> bytes:
        return self.take(self.remaining)

    def ber_length(self) -> int:
        first = self.byte()
        if first < 0x80:
            return first
        if first == 0x81:
            n = self.byte()
            minimal = n >= 0x80
        elif first == 0x82:
            n = int.from_bytes(self.take(2), "big")
            minimal = n > 0xFF
        else:  # 0x80 is BER's indefinite form; 0x83 and up would announce more than any GBCS APDU holds
            raise GbcsRefused("gbcs-length-invalid", f"length byte {first:#04x} is not a GBCS content length")
        if not minimal:
            raise GbcsRefused("gbcs-length-invalid", "the content length is not in its shortest form")
        return n


@dataclass(frozen=True)
class Frame:
    """One General-Signing APDU, field by field. ``encode()`` gives back exactly the parsed bytes."""

    cra_flag: int
    counter: int
    originator: str
    recipient: str
    date_time: bytes
    other_information: bytes
    content: bytes
    #: ``None``: no signature field (an unsigned Pre-Command, as the DCC issues it); ``b""``: a null signature
    #: length byte ``00``; otherwise the 64-byte IEEE P1363 r‖s.
    signature: bytes | None = None

    @property
    def message_code(self) -> int | None:
        return int.from_bytes(self.other_information[:2], "big") if len(self.other_information) >= 2 else None

    @property
    def unsigned(self) -> bytes:
        """The APDU up to the end of the content: what the signature covers (after its first byte)."""
        return b"".join((
            bytes([GENERAL_SIGNING, TRANSACTION_ID_LENGTH, self.cra_flag]), self.counter.to_bytes(8, "big"),
            bytes([SYSTEM_TITLE_LENGTH]), eui_bytes(self.originator),
            bytes([SYSTEM_TITLE_LENGTH]), eui_bytes(self.recipient),
            bytes([len(self.date_time)]), self.date_time,
            bytes([len(self.other_information)]), self.other_information,
            ber_length(len(self.content)), self.content,
        ))

    def encode(self) -> bytes:
        if self.signature is None:
            return self.unsigned
        return self.unsigned + bytes([len(self.signature)]) + self.signature


def parse_frame(data: bytes) -> Frame:
    """Split a General-Signing APDU into its fields, refusing (``GbcsRefused``) anything that is not one.

    Generic over message codes and CRA flags; the payload is not read here."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"a GBCS APDU is bytes, not {type(data).__name__}")
    data = bytes(data)
    r = Reader(data)
    if r.byte() != GENERAL_SIGNING:
        raise GbcsRefused("gbcs-not-general-signing", "a General-Signing APDU starts with DF")
    if r.byte() != TRANSACTION_ID_LENGTH:
        raise GbcsRefused("gbcs-transaction-id-invalid", "the transaction-id is 9 bytes (CRA flag, counter)")
    cra = r.byte()
    if cra not in (CRA_COMMAND, CRA_RESPONSE, CRA_ALERT):
        raise GbcsRefused("gbcs-transaction-id-invalid", f"CRA flag {cra:#04x} is not 01, 02 or 03")
    counter = int.from_bytes(r.take(8), "big")
    titles = []
    for name in ("originator", "recipient"):
        if r.byte() != SYSTEM_TITLE_LENGTH:
            raise GbcsRefused("gbcs-system-title-invalid", f"the {name} system title is not 8 bytes")
        titles.append(eui_text(r.take(SYSTEM_TITLE_LENGTH)))
    dt_length = r.byte()
    if dt_length not in (0, DLMS_DATE_TIME_LENGTH):
        raise GbcsRefused("gbcs-date-time-invalid", f"a date-time field of {dt_length} bytes")
    date_time = r.take(dt_length)
    other_length = r.byte()
    if other_length < 2 or other_length >= 0x80:
        raise GbcsRefused("gbcs-other-information-invalid", "other-information must hold a 2-byte message code")
    other = r.take(other_length)
    content = r.take(r.ber_length())
    signature = _signature_field(r.rest())
    return Frame(cra, counter, titles[0], titles[1], date_time, other, content, signature)


def _signature_field(rest: bytes) -> bytes | None:
    if not rest:
        return None
    if rest == b"\x00":  # the null signature length early DCC Boxed sent (digest §5); decode.py limits it
        return b""
    if rest[0] == SIGNATURE_LENGTH and len(rest) == 1 + SIGNATURE_LENGTH:
        return rest[1:]
    raise GbcsRefused("gbcs-signature-malformed",
                      "after the content only a signature (40 and 64 bytes) or a null length (00) may follow")
