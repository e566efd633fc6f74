"""DUIS RequestIDs: ``originator:target:counter`` (reference digest §1; DUIS 5.4 XSD ``RequestIDType``).

Input follows the XSD exactly, and nothing more lenient:

* the value is an ``xs:token``, so XML white space (space, tab, CR, LF) around it is dropped first; white
  space inside it is not allowed by the pattern;
* each EUI-64 is eight pairs of hex digits joined by ``-``, in either case (``00-db-12-…`` is valid: the
  conformance data's ECS50 request uses it); no other separator, no missing hyphens;
* the counter is decimal, 0 … 2^64-1 (18446744073709551615), with no sign and no leading zero (the XSD
  pattern spells out the range digit by digit).

Output is always the one canonical spelling: EUIs in upper case (as DCC Boxed writes them and as the
registry stores User IDs and devices), the counter in decimal. Two spellings of the same RequestID are the
same :class:`RequestID` (equal, same hash), so a replay cannot hide behind lower case.

Refusal codes (``MessageRefused.code``): ``request-id-missing``, ``request-id-malformed``,
``request-id-counter-out-of-range``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .refusals import MessageRefused

__all__ = ["COUNTER_MAX", "RequestID", "format_eui", "parse"]

#: The largest counter a RequestID may carry (DUIS: an unsigned 64-bit number; the GBCS CRA counter).
COUNTER_MAX = 2**64 - 1

_XML_SPACE = " \t\r\n"
_HEX_PAIR = "[0-9A-Fa-f]{2}"
_EUI = "-".join([_HEX_PAIR] * 8)
# ASCII classes only: Python's \d would also match other scripts' digits, which the XSD pattern does not.
_SHAPE = re.compile(rf"({_EUI}):({_EUI}):([0-9]+)")
_COUNTER = re.compile(r"0|[1-9][0-9]*")
_EUI_HYPHENATED = re.compile(_EUI)
_EUI_DIGITS = re.compile(r"[0-9A-Fa-f]{16}")


def format_eui(eui: str | bytes) -> str:
    """The DUIS spelling of an EUI-64 given as 8 bytes, 16 hex digits or hyphenated pairs: ``90-B3-…-00``."""
    if isinstance(eui, bytes | bytearray):
        if len(eui) != 8:
            raise ValueError("an EUI-64 is 8 bytes")
        return "-".join(f"{b:02X}" for b in eui)
    if _EUI_HYPHENATED.fullmatch(eui):
        return eui.upper()
    if not _EUI_DIGITS.fullmatch(eui):
        raise ValueError(f"not an EUI-64: {eui!r}")
    return "-".join(eui[i:i + 2].upper() for i in range(0, 16, 2))


@dataclass(frozen=True, order=True)
class RequestID:
    """A parsed RequestID; ``str()`` is the canonical DUIS spelling."""

    originator: str
    target: str
    counter: int

    def __post_init__(self):
        # Values built in code go through the same rules as parsed ones (canonical EUIs, counter in range).
        object.__setattr__(self, "originator", format_eui(self.originator))
        object.__setattr__(self, "target", format_eui(self.target))
        if not isinstance(self.counter, int) or isinstance(self.counter, bool) or not 0 <= self.counter <= COUNTER_MAX:
            raise ValueError(f"a RequestID counter is an integer 0 … {COUNTER_MAX}")

    def __str__(self) -> str:
        return f"{self.originator}:{self.target}:{self.counter}"

    def swapped(self) -> RequestID:
        """The ResponseID that answers this request: originator and target swapped, counter kept (§2)."""
        return RequestID(self.target, self.originator, self.counter)

    @property
    def originator_hex(self) -> str:
        """16 hex digits, as in certificates (x500UniqueIdentifier) and GBCS system titles."""
        return self.originator.replace("-", "")

    @property
    def target_hex(self) -> str:
        return self.target.replace("-", "")


def parse(text: str | None) -> RequestID:
    """Parse a RequestID as the XSD allows it, or raise :class:`MessageRefused`."""
    if text is None or not isinstance(text, str) or not text.strip(_XML_SPACE):
        raise MessageRefused("request-id-missing", "the RequestID is empty")
    value = text.strip(_XML_SPACE)
    match = _SHAPE.fullmatch(value)
    if match is None:
        raise MessageRefused(
            "request-id-malformed",
            f"{value[:120]!r} is not originator:target:counter (EUI-64s as 8 hyphenated hex pairs, decimal counter)",
        )
    originator, target, counter = match.groups()
    if not _COUNTER.fullmatch(counter):
        raise MessageRefused("request-id-malformed", f"the counter {counter[:40]!r} has a leading zero")
    # The digits are at most what the body limit allows; compare the length first so int() stays cheap.
    if len(counter) > len(str(COUNTER_MAX)) or int(counter) > COUNTER_MAX:
        raise MessageRefused("request-id-counter-out-of-range",
                             f"the counter {counter[:40]} is above {COUNTER_MAX} (an unsigned 64-bit number)")
    return RequestID(originator, target, int(counter))
