"""The few XML Schema simple types the supported DUIS messages use, read exactly as XSD 1.0 reads them.

Shared by the request parser (``requests.py``) and the structural check (``structure.py``), so both agree
with each other and with the official XSD on what a value means: white space is collapsed for every type
except ``xs:string``; ``xs:boolean`` is ``true``/``false``/``1``/``0``; integers may carry a sign and leading
zeros; ``xs:dateTime`` may omit the time zone, and allows ``24:00:00`` and any number of fraction digits;
``xs:base64Binary`` allows single spaces between characters and requires the unused bits of the last group
to be zero. Each function returns the value or raises ``ValueError`` (callers turn it into their refusal).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re

XML_SPACE = " \t\r\n"
_SPACE_RUN = re.compile(r"[ \t\r\n]+")

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def collapse(text: str | None) -> str:
    """XSD white space ``collapse``: runs of XML white space become one space, none at the ends."""
    if not text:
        return ""
    stripped = text.strip(XML_SPACE)
    if " " in stripped or "\t" in stripped or "\n" in stripped or "\r" in stripped:
        return _SPACE_RUN.sub(" ", stripped)
    return stripped  # the common case (every value in the templates): no regex


def boolean(text: str | None) -> bool:
    value = collapse(text)
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ValueError(f"not an xs:boolean: {value[:40]!r}")


_INTEGER = re.compile(r"[+-]?[0-9]+")


def integer(text: str | None, *, low: int | None = None, high: int | None = None) -> int:
    value = collapse(text)
    if not _INTEGER.fullmatch(value):
        raise ValueError(f"not an integer: {value[:40]!r}")
    digits = value.lstrip("+-").lstrip("0")
    if len(digits) > 40:  # far beyond any bound used here; keeps int() cheap on hostile input
        raise ValueError("integer out of range")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"integer {number} out of range")
    return number


_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


def decimal(text: str | None) -> str:
    """An ``xs:decimal`` lexical form, collapsed (kept as text: schemaVersion is compared, never computed)."""
    value = collapse(text)
    if len(value) > 64 or not _DECIMAL.fullmatch(value):
        raise ValueError(f"not an xs:decimal: {value[:40]!r}")
    return value


# XSD 1.0 dateTime: -?YYYY(YY…)-MM-DDThh:mm:ss(.s+)?(Z|(+|-)hh:mm)?; years beyond 9999 or before 1 are valid
# XSD but not representable here, and never meaningful for DUIS: they are refused by the callers' range check.
_DATETIME = re.compile(
    r"(-?)([0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?"
)


class OutOfRange(ValueError):
    """A lexically valid xs:dateTime that Python cannot hold (a year outside 1 … 9999)."""


def date_time(text: str | None) -> dt.datetime:
    """An aware UTC datetime. No time zone given: read as UTC (DUIS date-times are UTC; reference digest §2).

    Raises ``ValueError`` for what the XSD refuses, :class:`OutOfRange` for what it allows but Python cannot
    represent (a year outside 1 … 9999, or a moment that falls outside it after the zone offset)."""
    value = collapse(text)
    match = _DATETIME.fullmatch(value)
    if match is None:
        raise ValueError(f"not an xs:dateTime: {value[:60]!r}")
    sign, year, month, day, hour, minute, second, fraction, zone = match.groups()
    if len(year) > 4 and year.startswith("0"):
        raise ValueError("a year of more than four digits may not start with 0")
    month_i, day_i, hour_i, minute_i, second_i = int(month), int(day), int(hour), int(minute), int(second)
    if not 1 <= month_i <= 12 or not 0 <= minute_i <= 59 or not 0 <= second_i <= 59:
        raise ValueError(f"not an xs:dateTime: {value[:60]!r}")
    end_of_day = hour_i == 24
    if hour_i > 24 or (end_of_day and (minute_i or second_i or (fraction and fraction.strip(".0")))):
        raise ValueError(f"not an xs:dateTime: {value[:60]!r}")
    offset = dt.timedelta(0)
    if zone and zone != "Z":
        zone_hours, zone_minutes = int(zone[1:3]), int(zone[4:6])
        if zone_minutes > 59 or zone_hours > 14 or (zone_hours == 14 and zone_minutes):
            raise ValueError(f"not an xs:dateTime time zone: {zone!r}")
        offset = dt.timedelta(hours=zone_hours, minutes=zone_minutes) * (1 if zone[0] == "+" else -1)
    year_i = int(year)
    if sign:
        if year_i == 0:
            raise ValueError("year -0000 is not allowed")
        raise OutOfRange("a year before 1")
    if year_i == 0:
        raise ValueError("year 0000 is not allowed in XSD 1.0")
    if year_i > 9999:
        raise OutOfRange("a year after 9999")
    try:
        day_start = dt.datetime(year_i, month_i, day_i, tzinfo=dt.UTC)
    except ValueError:
        raise ValueError(f"no such day: {value[:60]!r}") from None
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    try:
        moment = day_start + dt.timedelta(hours=hour_i, minutes=minute_i, seconds=second_i, microseconds=micro)
        return moment - offset
    except OverflowError:
        raise OutOfRange("the moment falls outside the years 1 … 9999") from None


_B64_CHARS = re.compile(r"[A-Za-z0-9+/]*")
# The character before '=' / '==' must leave the unused bits zero (XSD 1.0 base64Binary, B16 / B04 classes).
_B16 = frozenset("AEIMQUYcgkosw048")
_B04 = frozenset("AQgw")


def base64_binary(text: str | None, *, max_bytes: int | None = None) -> bytes:
    """Decode an ``xs:base64Binary``; with ``max_bytes``, refuse a longer value before decoding it."""
    value = collapse(text)
    if " " in value:
        # Single spaces may separate characters (the lexical space); runs were collapsed to one already.
        value = value.replace(" ", "")
    if max_bytes is not None and len(value) > 4 * ((max_bytes + 2) // 3):
        raise OverflowError(f"more than {max_bytes} bytes")
    if len(value) % 4:
        raise ValueError("base64 length is not a multiple of 4")
    body, padding = value.rstrip("="), len(value) - len(value.rstrip("="))
    if padding > 2 or not _B64_CHARS.fullmatch(body):
        raise ValueError("not base64")
    if padding == 1 and body[-1] not in _B16:
        raise ValueError("base64: the unused bits of the last group are not zero")
    if padding == 2 and body[-1] not in _B04:
        raise ValueError("base64: the unused bits of the last group are not zero")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not base64: {exc}") from None
