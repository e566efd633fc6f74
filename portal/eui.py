"""EUI-64 identifiers: User IDs and device IDs.

DUIS writes an EUI-64 as eight hex byte pairs joined by '-' and accepts either case
(DUIS XSD EUI64Type / RequestID). People and files also write them with ':' or '.' separators,
without separators, or grouped in fours. We accept those forms and keep one canonical form:
upper case, hyphen separated, e.g. ``90-B3-D5-1F-30-01-00-00``.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models

from .errors import Refusal

_SEPARATORS = re.compile(r"[-:.\s]")
_HEX16 = re.compile(r"[0-9A-F]{16}")
# Separators, if present, must fall on byte (2 hex digit) or word (4 hex digit) boundaries.
_GROUPED = re.compile(r"[0-9A-Fa-f]{2}([-:. ][0-9A-Fa-f]{2}){7}|[0-9A-Fa-f]{4}([-:. ][0-9A-Fa-f]{4}){3}")


class InvalidEUI64(Refusal, ValueError):
    """Not an EUI-64 (docs/refusal-codes.md). A ValueError too: parsers of many kinds of values catch that."""

    code = "eui64-invalid"


def parse_eui64(value: str | bytes | int) -> str:
    """Return the canonical form of an EUI-64, or raise InvalidEUI64 saying what is wrong."""
    if isinstance(value, bytes):
        if len(value) != 8:
            raise InvalidEUI64(f"an EUI-64 is 8 bytes, got {len(value)}")
        return "-".join(f"{b:02X}" for b in value)
    if isinstance(value, int):
        if not 0 <= value < 2**64:
            raise InvalidEUI64("an EUI-64 is a 64-bit number")
        return parse_eui64(value.to_bytes(8, "big"))
    if not isinstance(value, str):
        raise InvalidEUI64(f"an EUI-64 must be text, not {type(value).__name__}")
    text = value.strip()
    if not text:
        raise InvalidEUI64("an EUI-64 is required")
    if _SEPARATORS.search(text) and not _GROUPED.fullmatch(text):
        raise InvalidEUI64(f"{value!r} is not an EUI-64: write 8 hex byte pairs, e.g. 90-B3-D5-1F-30-01-00-00")
    digits = _SEPARATORS.sub("", text).upper()
    if not _HEX16.fullmatch(digits):
        raise InvalidEUI64(f"{value!r} is not an EUI-64: it needs exactly 16 hex digits")
    return "-".join(digits[i : i + 2] for i in range(0, 16, 2))


def eui64_hex(value: str) -> str:
    """The 16 hex digits (no separators, upper case), as in certificates and GBCS system titles."""
    return parse_eui64(value).replace("-", "")


def eui64_bytes(value: str) -> bytes:
    return bytes.fromhex(eui64_hex(value))


def validate_eui64(value: str) -> None:
    try:
        parse_eui64(value)
    except InvalidEUI64 as exc:
        raise ValidationError(exc.message, code=exc.code) from exc


class EUI64Field(models.CharField):
    """Stores the canonical hyphenated form; accepts any form parse_eui64 accepts."""

    description = "EUI-64 identifier"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 23)
        kwargs.setdefault("verbose_name", "EUI-64")
        super().__init__(*args, **kwargs)
        self.validators.append(validate_eui64)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 23:
            del kwargs["max_length"]
        if kwargs.get("verbose_name") == "EUI-64":
            del kwargs["verbose_name"]
        return name, path, args, kwargs

    def to_python(self, value):
        value = super().to_python(value)
        if value in (None, ""):
            return value
        try:
            return parse_eui64(value)
        except InvalidEUI64 as exc:
            raise ValidationError(exc.message, code=exc.code) from exc

    def pre_save(self, model_instance, add):
        # Store and keep the canonical form on the instance too, so that what code (and the audit
        # log) sees after save() is what the database holds.
        value = super().pre_save(model_instance, add)
        try:
            canonical = parse_eui64(value) if value not in (None, "") else value
        except InvalidEUI64:
            return value
        setattr(model_instance, self.attname, canonical)
        return canonical

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        try:
            return parse_eui64(value)
        except InvalidEUI64:
            # Let validation report it; a lookup with a malformed value simply matches nothing.
            return value
