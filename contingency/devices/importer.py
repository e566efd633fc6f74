"""Import meters into the Smart Metering Inventory from a CSV file (docs/device-import.md).

All or nothing: every row is checked first, with in-memory lookups (User IDs, the EUIs already
registered), and every problem is reported with its line number. Only a file without a single
problem is written, in batches inside one transaction, followed by one ``device.import`` audit
record (bulk writes bypass the per-row audit signals).

The consistency rules of a meter record are ``contingency.devices.rules``, the same ones the model's
guard applies; this module only parses the text, looks things up once, and calls them with values.
The row is ``contingency.devices.row.MeterRow``, declared once; the options are one ``ImportOptions``.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from tqdm import tqdm

from portal import audit
from portal.errors import Refusal
from portal.eui import InvalidEUI64, parse_eui64
from portal.models import RoleFacts, UserID
from portal.rules import Problem

from .. import conf
from ..models import Device
from .choices import DeviceType, EsmeVariant, Generation, PaymentMode, SmiStatus
from .row import COLUMNS, REQUIRED, VALUE_FIELDS, MeterRow, new_device
from .rules import device_problems, supplier_problem

_LOOKUP_CHUNK = 900  # stays under SQLite's 999 host parameters per query


@dataclass(frozen=True)
class ImportOptions:
    """How to import: the command's options, passed as one value."""

    update: bool = False  # rows whose EUI is registered replace that meter's values (else they are errors)
    dry_run: bool = False  # check and count, write nothing
    # Defaults from contingency/conf.py (SOLR_IMPORT_MAX_ERRORS, SOLR_IMPORT_BATCH_SIZE), read when made.
    max_errors: int = field(default_factory=lambda: conf.get("SOLR_IMPORT_MAX_ERRORS"))  # problems listed (all counted)
    batch_size: int = field(default_factory=lambda: conf.get("SOLR_IMPORT_BATCH_SIZE"))  # rows per INSERT / UPDATE
    progress: bool = False  # tqdm progress bars on stderr


@dataclass(frozen=True)
class RowError:
    line: int  # the line of the file (the header is line 1); 0 for a problem with the whole file
    column: str
    message: str
    code: str = ""  # stable (docs/refusal-codes.md); the message is for people

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.column}: {self.message}" if self.column else f"{where}{self.message}"


@dataclass
class ImportResult:
    file_name: str
    sha256: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # rows (with update) whose meter already had exactly these values
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0  # every problem found; ``errors`` keeps the first ``max_errors``

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def audit_summary(self) -> dict:
        return {"file": self.file_name, "sha256": self.sha256, "rows": self.rows,
                "created": self.created, "updated": self.updated, "unchanged": self.unchanged}


class DeviceImportError(Refusal):
    """The file was refused; nothing was written. ``result.errors`` says why, line by line (each with a code).

    Codes: ``device-file-invalid`` (problems in the file), ``device-import-conflict`` (the database refused
    the write: another process registered one of the EUIs meanwhile)."""

    code = "device-file-invalid"

    def __init__(self, result: ImportResult, *, code: str | None = None):
        self.result = result
        more = result.error_count - len(result.errors)
        lines = [str(e) for e in result.errors]
        if more > 0:
            lines.append(f"… and {more} more problem(s)")
        super().__init__(f"{result.error_count} problem(s) in {result.file_name}; nothing was imported:\n"
                         + "\n".join(lines), code=code)


class _Errors:
    def __init__(self, result: ImportResult, cap: int):
        self.result, self.cap = result, cap

    def add(self, line: int, column: str, message: str, code: str) -> None:
        self.result.error_count += 1
        if len(self.result.errors) < self.cap:
            self.result.errors.append(RowError(line, column, message, code))


class _Choice:
    """Parses one choice column: case, spaces and hyphens do not matter; errors list the stored values."""

    def __init__(self, values: Iterable[str], *aliases: tuple[str, str]):
        values = [str(v) for v in values]
        self.mapping = {self._key(v): v for v in values}
        self.mapping.update(aliases)
        self.shown = ", ".join(values)

    @staticmethod
    def _key(raw: str) -> str:
        return raw.strip().lower().replace(" ", "_").replace("-", "_")

    def __call__(self, raw: str) -> str:
        try:
            return self.mapping[self._key(raw)]
        except KeyError:
            raise ValueError(f"{raw.strip()!r} is not one of {self.shown}") from None


_DEVICE_TYPES = _Choice(DeviceType.values)
_VARIANTS = _Choice(EsmeVariant.values)
_GENERATIONS = _Choice(Generation.values, ("smets2+", Generation.SMETS2.value))
_SMI_STATUSES = _Choice(SmiStatus.values)
_PAYMENT_MODES = _Choice(PaymentMode.values)


@dataclass(slots=True)
class _Row:
    """A checked row: where it was, the meter, and its Supplier's key."""

    line: int
    meter: MeterRow
    supplier_pk: int

    @property
    def eui(self) -> str:
        return self.meter.eui

    def values(self) -> tuple:
        return self.meter.values(self.supplier_pk)


def _existing(euis: list[str]) -> dict[str, tuple[int, tuple]]:
    """EUI → (pk, stored values in VALUE_FIELDS order) of the devices already registered among ``euis``."""
    found: dict[str, tuple[int, tuple]] = {}
    for start in range(0, len(euis), _LOOKUP_CHUNK):
        chunk = euis[start:start + _LOOKUP_CHUNK]
        for pk, eui, *values in Device.objects.filter(eui__in=chunk).values_list("pk", "eui", *VALUE_FIELDS):
            found[eui] = (pk, tuple(values))
    return found


def _read_text(data: bytes) -> str:
    return data.decode("utf-8-sig")


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-empty record; line numbers count physical lines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    for fields in reader:
        start = line
        line = reader.line_num + 1
        if not fields or all(not f.strip() for f in fields):
            continue
        yield start, fields


def _count_records(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def validate(data: bytes, file_name: str, options: ImportOptions = ImportOptions(),
             ) -> tuple[ImportResult, list[_Row], dict[str, tuple[int, tuple]]]:
    """Check every row. Returns the result (with any errors), the parsed rows and the meters already stored."""
    result = ImportResult(file_name=file_name, sha256=hashlib.sha256(data).hexdigest())
    errors = _Errors(result, options.max_errors)
    try:
        text = _read_text(data)
    except UnicodeDecodeError as exc:
        errors.add(0, "", f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})", "file-not-utf8")
        return result, [], {}

    records = _records(text)
    header_line, header = next(records, (1, []))
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c in REQUIRED and c not in names]
    unknown = [h for h in names if h not in COLUMNS]
    duplicated = sorted({h for h in names if names.count(h) > 1})
    if not names:
        errors.add(1, "", f"the file is empty: it needs a header row with the columns {', '.join(COLUMNS)}",
                   "file-empty")
    if missing:
        errors.add(header_line, "", f"the header lacks the column(s) {', '.join(missing)}", "header-column-missing")
    if unknown:
        errors.add(header_line, "", f"unknown column(s) {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}",
                   "header-column-unknown")
    if duplicated:
        errors.add(header_line, "", f"column(s) {', '.join(duplicated)} appear more than once",
                   "header-column-repeated")
    if errors.result.error_count:
        return result, [], {}
    position = {name: names.index(name) for name in names}

    # Every User ID once (a registry holds hundreds, not millions): the Supplier rule without a query per row.
    suppliers = UserID.objects.role_facts()
    rows: list[_Row] = []
    first_line: dict[str, int] = {}
    bar = tqdm(total=max(_count_records(text) - header_line, 0), desc="checking", unit=" rows",
               disable=not options.progress, leave=False)
    with bar:
        for line, fields in records:
            bar.update(1)
            result.rows += 1
            if len(fields) != len(names):
                errors.add(line, "", f"expected {len(names)} fields, found {len(fields)}", "row-field-count")
                continue
            value = {name: fields[i].strip() for name, i in position.items()}
            row = _check_row(line, value, suppliers, first_line, errors)
            if row is not None:
                rows.append(row)

    existing = _existing([r.eui for r in rows])
    if existing and not options.update:
        for row in rows:
            if row.eui in existing:
                errors.add(row.line, "eui", f"{row.eui} is already registered (use --update to change it)",
                           "eui-registered")
    result.errors.sort(key=lambda e: e.line)
    return result, rows, existing


@functools.lru_cache(maxsize=4096)
def _parse_supplier_eui(raw: str) -> str:
    """A file names a handful of Suppliers many times over: parse each spelling once."""
    return parse_eui64(raw)


def _check_row(line: int, value: dict[str, str], suppliers: dict[str, RoleFacts], first_line: dict[str, int],
               errors: _Errors) -> _Row | None:
    problems: dict[str, Problem] = {}
    parsed: dict[str, str] = {}

    def parse(column: str, parser) -> None:
        raw = value.get(column, "")
        if not raw:
            if column in REQUIRED:
                problems[column] = Problem("value-required", "a value is required")
            else:
                parsed[column] = ""
            return
        try:
            parsed[column] = parser(raw)
        except InvalidEUI64 as exc:
            problems[column] = Problem(exc.code, exc.message)
        except ValueError as exc:
            problems[column] = Problem("value-not-a-choice", str(exc))

    parse("eui", parse_eui64)
    parse("device_type", _DEVICE_TYPES)
    parse("esme_variant", _VARIANTS)
    parse("generation", _GENERATIONS)
    parse("smi_status", _SMI_STATUSES)
    parse("payment_mode", _PAYMENT_MODES)
    parse("registered_supplier", _parse_supplier_eui)
    parsed["mpxn"] = value.get("mpxn", "")

    eui = parsed.get("eui")
    if eui:
        if eui in first_line:
            problems["eui"] = Problem("eui-repeated", f"{eui} appears again (first on line {first_line[eui]})")
        else:
            first_line[eui] = line

    device_type = parsed.get("device_type")
    supplier = None
    if parsed.get("registered_supplier"):
        supplier = suppliers.get(parsed["registered_supplier"])
        if supplier is None:
            problems["registered_supplier"] = Problem(
                "supplier-unknown", f"no User ID {parsed['registered_supplier']} is registered")
    if device_type:
        # The shared rules; a field that did not even parse keeps its own message.
        for column, problem in device_problems(device_type, parsed.get("esme_variant", ""),
                                               parsed.get("payment_mode", ""), parsed["mpxn"]).items():
            problems.setdefault(column, problem)
        if supplier is not None:
            problem = supplier_problem(device_type, supplier.roles, supplier.party_kind)
            if problem:
                held = ", ".join(sorted(supplier.roles)) or "no role"
                problems.setdefault("registered_supplier", Problem(
                    problem.code, f"{parsed['registered_supplier']} holds {held}; {problem.message}"))

    if problems:
        for column in COLUMNS:
            if column in problems:
                errors.add(line, column, problems[column].message, problems[column].code)
        return None
    return _Row(line, MeterRow(eui, device_type, parsed["esme_variant"], parsed["generation"], parsed["smi_status"],
                               parsed["payment_mode"], parsed["registered_supplier"], parsed["mpxn"]), supplier.pk)


def _update_rows(params: list[tuple]) -> None:
    """UPDATE one meter per parameter tuple (VALUE_FIELDS…, updated_at, pk) with executemany.

    QuerySet.bulk_update builds a CASE expression per field and batch, which takes minutes for
    100,000 rows; a prepared UPDATE run for each row takes seconds, on SQLite and PostgreSQL alike.
    """
    qn = connection.ops.quote_name
    columns = [Device._meta.get_field(name).column for name in (*VALUE_FIELDS, "updated_at")]
    sql = (f"UPDATE {qn(Device._meta.db_table)} SET {', '.join(f'{qn(c)} = %s' for c in columns)} "
           f"WHERE {qn(Device._meta.pk.column)} = %s")
    updated_at = Device._meta.get_field("updated_at")
    prepared = [(*p[:-2], updated_at.get_db_prep_value(p[-2], connection), p[-1]) for p in params]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def import_devices(path: str | Path, options: ImportOptions = ImportOptions()) -> ImportResult:
    """Import the file at ``path``; raise DeviceImportError (writing nothing) when any row is bad.

    With ``options.update``, rows whose EUI is already registered replace that meter's values; without it they
    are errors. With ``options.dry_run`` everything is checked and counted but nothing is written.
    """
    path = Path(path)
    return import_device_data(path.read_bytes(), path.name, options)


def import_device_data(data: bytes, file_name: str, options: ImportOptions = ImportOptions()) -> ImportResult:
    result, rows, existing = validate(data, file_name, options)
    result.dry_run = options.dry_run
    if not result.ok:
        raise DeviceImportError(result)
    new = [r for r in rows if r.eui not in existing]
    changed = [r for r in rows if r.eui in existing and existing[r.eui][1] != r.values()]
    result.created, result.updated = len(new), len(changed)
    result.unchanged = len(rows) - len(new) - len(changed)
    if options.dry_run:
        return result

    now = timezone.now()
    size = options.batch_size
    bar = tqdm(total=len(new) + len(changed), desc="writing", unit=" rows", disable=not options.progress,
               leave=False)
    try:
        with bar, transaction.atomic():
            for start in range(0, len(new), size):
                batch = new[start:start + size]
                # The guarded bulk_create checks the rules again, set-wise (one Supplier look-up per batch).
                Device.objects.bulk_create([new_device(r.meter, r.supplier_pk, created_at=now, updated_at=now)
                                            for r in batch])
                bar.update(len(batch))
            for start in range(0, len(changed), size):
                batch = changed[start:start + size]
                # Rows checked above with the same rules (contingency.devices.rules), written by one prepared
                # UPDATE: the guard's update() is for one change to many meters, this is many changes.
                _update_rows([(*r.values(), now, existing[r.eui][0]) for r in batch])
                bar.update(len(batch))
            audit.write("device.import", subject_type=Device._meta.label, subject_id=result.sha256[:16],
                        subject_repr=file_name, after=result.audit_summary())
    except IntegrityError as exc:
        # Another process registered one of these EUIs between the check and the write.
        result.created = result.updated = 0
        _Errors(result, options.max_errors).add(
            0, "", f"the database refused the import, nothing was written: {exc}", "import-conflict")
        raise DeviceImportError(result, code="device-import-conflict") from exc
    return result
