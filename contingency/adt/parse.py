"""Read an ADT file (docs/adt-format.md) into rows, or refuse it with every problem found.

Plain Python: no Django model, no database. What needs the registry (does the User ID belong to the
uploading Party, is the target a Supplier's User ID) is ``services.py``'s job; this module checks what the
file alone can tell: encoding, header, shape, values, duplicates.

``parse_adt(data, max_bytes=…)`` returns the rows or raises ``AdtFileRejected`` whose ``errors`` list every
problem as ``{line, field, code, message}`` (line 1 is the header; field is a column name, or "" for the
file or a whole row). It never raises anything else, whatever the bytes (the hypothesis test fuzzes it).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass

from portal.errors import Refusal
from portal.eui import InvalidEUI64, parse_eui64

from .srv import is_known_srv

COLUMNS = ("user_id", "srv", "target_supplier", "warning_level", "quarantine_level", "window_minutes")
WILDCARD = "*"
# The levels and the window are stored in PositiveIntegerFields: 2**31 - 1 fits every database.
MAX_VALUE = 2**31 - 1
# A line longer than this is not a threshold row: refuse rather than hand csv a huge field.
MAX_FIELD_CHARS = 1000
_INTEGER = re.compile(r"-?[0-9]+")  # ASCII digits only: str.isdigit() would take '²' and other scripts' digits


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AdtRow:
    """One threshold, values normalised: EUIs canonical, ``target_supplier`` an EUI or ``WILDCARD``."""

    line: int
    user_id: str
    srv: str
    target_supplier: str
    warning_level: int
    quarantine_level: int
    window_minutes: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.user_id, self.srv, self.target_supplier)


class AdtFileRejected(Refusal):
    """An ADT file was refused; nothing was stored. ``errors`` lists every problem (``RowError``).

    Codes: ``adt-file-invalid`` (rows have problems), ``adt-file-too-large``, ``adt-file-not-utf8``,
    ``adt-file-not-csv``, ``adt-file-empty``, ``adt-header-invalid``, ``adt-file-no-rows``.
    """

    code = "adt-file-invalid"

    def __init__(self, message: str = "", *, code: str | None = None, errors: list[RowError] | None = None):
        super().__init__(message, code=code)
        self.errors: list[RowError] = list(errors or [])

    def error_dicts(self) -> list[dict]:
        return [e.as_dict() for e in self.errors]


def _file_refusal(code: str, message: str, line: int = 0, field: str = "") -> AdtFileRejected:
    return AdtFileRejected(message, code=code, errors=[RowError(line, field, code, message)])


def _decode(data: bytes, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise _file_refusal("adt-file-too-large", f"the file is {len(data)} bytes; the limit is {max_bytes}")
    try:
        # utf-8-sig: a spreadsheet's byte order mark is not part of the first column's name.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _file_refusal("adt-file-not-utf8", f"the file is not UTF-8 (byte {exc.start} on line {line})",
                            line=line) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise _file_refusal("adt-file-not-csv", "the file holds NUL characters: not a CSV text file", line=line)
    return text


def _header_errors(header: list[str]) -> list[RowError]:
    names = [name.strip().lower() for name in header]
    errors = []
    for name in COLUMNS:
        if name not in names:
            errors.append(RowError(1, name, "header-column-missing", f"the header lacks the column {name!r}"))
    seen = set()
    for name in names:
        if name not in COLUMNS:
            errors.append(RowError(1, name, "header-column-unknown", f"unknown column {name!r}"))
        elif name in seen:
            errors.append(RowError(1, name, "header-column-repeated", f"the column {name!r} appears twice"))
        seen.add(name)
    return errors


def _positive_int(line: int, field: str, value: str, errors: list[RowError]) -> int | None:
    if not value:
        errors.append(RowError(line, field, "value-required", f"{field} is required"))
        return None
    if not _INTEGER.fullmatch(value):
        errors.append(RowError(line, field, "value-not-an-integer", f"{field} must be a whole number, not {value!r}"))
        return None
    number = int(value) if len(value) <= 12 else MAX_VALUE + 1
    if number <= 0:
        errors.append(RowError(line, field, "value-not-positive", f"{field} must be above 0"))
        return None
    if number > MAX_VALUE:
        errors.append(RowError(line, field, "value-too-large", f"{field} must be at most {MAX_VALUE}"))
        return None
    return number


def _eui(line: int, field: str, value: str, errors: list[RowError]) -> str | None:
    if not value:
        errors.append(RowError(line, field, "value-required", f"{field} is required"))
        return None
    try:
        return parse_eui64(value)
    except InvalidEUI64 as exc:
        errors.append(RowError(line, field, exc.code, exc.message))
        return None


def _row(line: int, values: dict[str, str], errors: list[RowError]) -> AdtRow | None:
    before = len(errors)
    user_id = _eui(line, "user_id", values["user_id"], errors)
    srv = values["srv"]
    if not srv:
        errors.append(RowError(line, "srv", "value-required", "srv is required"))
    elif not is_known_srv(srv):
        errors.append(RowError(line, "srv", "srv-unknown", f"{srv!r} is not a DUIS Service Reference Variant"))
    target = values["target_supplier"]
    if target != WILDCARD:
        target = _eui(line, "target_supplier", target, errors)
    warning = _positive_int(line, "warning_level", values["warning_level"], errors)
    quarantine = _positive_int(line, "quarantine_level", values["quarantine_level"], errors)
    window = _positive_int(line, "window_minutes", values["window_minutes"], errors)
    if warning is not None and quarantine is not None and warning > quarantine:
        errors.append(RowError(line, "warning_level", "warning-above-quarantine",
                               f"warning_level {warning} is above quarantine_level {quarantine}"))
    if len(errors) > before:
        return None
    return AdtRow(line, user_id, srv, target, warning, quarantine, window)  # type: ignore[arg-type]


def parse_adt(data: bytes, *, max_bytes: int) -> list[AdtRow]:
    """The file's rows, in file order; or ``AdtFileRejected`` listing every problem (nothing half-read)."""
    text = _decode(data, max_bytes)
    if not text.strip():
        raise _file_refusal("adt-file-empty", "the file is empty: it needs the header and at least one row")
    if any(len(line) > MAX_FIELD_CHARS for line in text.splitlines()):
        line = next(n for n, ln in enumerate(text.splitlines(), 1) if len(ln) > MAX_FIELD_CHARS)
        raise _file_refusal("adt-file-not-csv", f"line {line} is longer than {MAX_FIELD_CHARS} characters",
                            line=line)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[RowError] = []
    rows: list[AdtRow] = []
    first_line: dict[tuple[str, str, str], int] = {}
    try:
        header = next(reader)
        header_errors = _header_errors(header)
        if header_errors:
            raise AdtFileRejected(f"the header must be {','.join(COLUMNS)}", code="adt-header-invalid",
                                  errors=header_errors)
        names = [name.strip().lower() for name in header]
        line = reader.line_num
        for record in reader:
            start, line = line + 1, reader.line_num
            if not record or all(not value.strip() for value in record):
                continue  # blank lines are not rows
            if len(record) != len(names):
                errors.append(RowError(start, "", "row-field-count",
                                       f"{len(record)} fields; the header has {len(names)}"))
                continue
            row = _row(start, {name: value.strip() for name, value in zip(names, record, strict=True)}, errors)
            if row is None:
                continue
            if row.key in first_line:
                errors.append(RowError(start, "", "row-duplicate",
                                       f"same user_id, srv and target_supplier as line {first_line[row.key]}"))
                continue
            first_line[row.key] = start
            rows.append(row)
    except csv.Error as exc:
        raise _file_refusal("adt-file-not-csv", f"not a CSV file: {exc}", line=reader.line_num) from None
    if errors:
        raise AdtFileRejected(f"{len(errors)} problem(s) in the file", errors=errors)
    if not rows:
        raise _file_refusal("adt-file-no-rows", "the file has a header but no threshold rows", line=2)
    return rows
