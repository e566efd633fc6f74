"""The demo world: the registry (portal.demo), N meters per demo Supplier, and DIR/manifest.json.

``seed_demo(out_dir, meters=N)`` is idempotent: a second run with the same arguments creates nothing
and writes the same manifest and the same devices CSV. Meters are deterministic: meter number ``c``
(0-based) of demo Supplier ``s`` always has the same EUI, MPxN and attributes, whatever N is, so a
larger N adds meters and a smaller N removes none.

The manifest is documented field by field in docs/manifest.md. Scripts outside the project read it:
keep the names stable, add rather than rename.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from tqdm import tqdm

from pki import demo as pki_demo
from portal import audit
from portal import demo as registry
from portal.errors import Refusal
from portal.files import write_atomically
from portal.models import UserID, solr_role_code

from . import conf
from .adt import demo as adt_demo
from .devices.choices import DeviceType, EsmeVariant, Generation, PaymentMode, SmiStatus
from .devices.row import COLUMNS, MeterRow, new_device
from .events import demo as events_demo
from .models import Device
from .service_matrix.seeding import seed_demo_matrix

MANIFEST_VERSION = 1
DEVICES_CSV = "devices.csv"
BATCH_SIZE = 5000

# MPAN core check digit (DCUSA Schedule 8 / MRA): weights for the first 12 digits.
_MPAN_PRIMES = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)
_VARIANTS = (EsmeVariant.SINGLE,) * 5 + (EsmeVariant.TWIN, EsmeVariant.POLYPHASE)


class DemoRefused(Refusal):
    """seed_demo was asked for something it cannot do. Code: ``demo-meters-negative``."""

    code = "demo-meters-negative"


def meter_eui(supplier_index: int, counter: int) -> str:
    """00-DB-12-<supplier>-<counter, 32 bits>: the demo meters' EUI-64s."""
    c = counter
    return f"00-DB-12-{supplier_index:02X}-{c >> 24 & 0xFF:02X}-{c >> 16 & 0xFF:02X}-{c >> 8 & 0xFF:02X}-{c & 0xFF:02X}"


def mpan(supplier_index: int, counter: int) -> str:
    """A 13-digit MPAN core: distributor id, 10-digit unique number, check digit."""
    first12 = f"{10 + counter % 14:02d}{supplier_index % 10}{counter:09d}"
    check = sum(int(d) * p for d, p in zip(first12, _MPAN_PRIMES, strict=True)) % 11 % 10
    return f"{first12}{check}"


def mprn(supplier_index: int, counter: int) -> str:
    """A 10-digit MPRN."""
    return f"{supplier_index % 9 + 1}{counter:09d}"


def demo_meter(supplier: registry.DemoSupplier, counter: int) -> MeterRow:
    """Meter ``counter`` of ``supplier``. The pairwise coprime moduli 5, 4, 7, 9 and 47 mix the
    attributes independently: 40% GSME, 25% SMETS1, ESMEs 5:1:1 single/twin/polyphase, 1 in 9 on
    credit (the rest prepayment), 2 in 47 not commissioned (installed or suspended)."""
    c = counter
    gas = c % 5 >= 3
    status = {45: SmiStatus.INSTALLED_NOT_COMMISSIONED, 46: SmiStatus.SUSPENDED}.get(c % 47, SmiStatus.COMMISSIONED)
    return MeterRow(
        eui=meter_eui(supplier.index, c),
        device_type=DeviceType.GSME if gas else DeviceType.ESME,
        esme_variant="" if gas else _VARIANTS[c % 7],
        generation=Generation.SMETS1 if c % 4 == 3 else Generation.SMETS2,
        smi_status=status,
        payment_mode=PaymentMode.CREDIT if c % 9 == 8 else PaymentMode.PREPAYMENT,
        registered_supplier=supplier.gas_supplier_eui if gas else supplier.import_supplier_eui,
        mpxn=mprn(supplier.index, c) if gas else mpan(supplier.index, c),
    )


def campaign_meter(supplier: registry.DemoSupplier, counter: int) -> MeterRow:
    """Meter ``counter`` of the campaign Supplier (``seed_demo --campaign``): the demo meter of the same number (same
    EUI, MPxN, fuel and ESME variant), but every one a commissioned SMETS2 meter on prepayment, so that a SoLR
    campaign over that Supplier switches each of them (CV 4 and CV 5) and leaves none in prepayment."""
    return dataclasses.replace(demo_meter(supplier, counter), generation=Generation.SMETS2,
                               smi_status=SmiStatus.COMMISSIONED, payment_mode=PaymentMode.PREPAYMENT)


# The campaign's Supplier: the first failed one, whose contingency the demo events make active
# (contingency.events.demo).
CAMPAIGN_SUPPLIER = next(s for s in registry.SUPPLIERS if s.failed)


def demo_meters(supplier: registry.DemoSupplier, count: int, *, campaign: bool = False) -> Iterator[MeterRow]:
    make = campaign_meter if campaign else demo_meter
    for counter in range(count):
        yield make(supplier, counter)


def meter_counts(meters: int, campaign: int = 0) -> list[tuple[registry.DemoSupplier, int, bool]]:
    """(Supplier, its number of meters, campaign meters?) for each demo Supplier: ``meters`` each, except that with
    ``campaign`` > 0 the campaign Supplier has ``campaign`` campaign meters instead."""
    return [(s, campaign, True) if campaign and s is CAMPAIGN_SUPPLIER else (s, meters, False)
            for s in registry.SUPPLIERS]


def _seed_meters(supplier: registry.DemoSupplier, count: int, bar: tqdm, *, campaign: bool = False) -> int:
    """Create the supplier's first ``count`` demo meters that are missing. Returns how many were created."""
    prefix = meter_eui(supplier.index, 0)[:12]  # "00-DB-12-0s-"
    existing = set(Device.objects.filter(eui__startswith=prefix).values_list("eui", flat=True))
    uid_pk = dict(UserID.objects.filter(eui__in=[supplier.import_supplier_eui, supplier.gas_supplier_eui])
                  .values_list("eui", "pk"))
    created = 0
    batch: list[Device] = []

    def flush() -> None:
        nonlocal created
        Device.objects.bulk_create(batch)
        created += len(batch)
        batch.clear()

    for meter in demo_meters(supplier, count, campaign=campaign):
        bar.update(1)
        if meter.eui in existing:
            continue
        batch.append(new_device(meter, uid_pk[meter.registered_supplier]))
        if len(batch) >= BATCH_SIZE:
            flush()
    if batch:
        flush()
    if created:
        audit.write(
            "device.seed", subject_type=Device._meta.label, subject_id=supplier.short_name,
            subject_repr=f"demo meters of {supplier.name}",
            after={"supplier": supplier.name, "created": created, "meters": count, "campaign": campaign,
                   "first_eui": meter_eui(supplier.index, 0), "last_eui": meter_eui(supplier.index, count - 1)},
        )
    return created


def write_devices_csv(path: Path, meters: int, campaign: int = 0) -> int:
    """Every demo meter, in the import_devices format, streamed. Returns the number of rows."""
    rows = 0

    def write(handle) -> None:
        nonlocal rows
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for supplier, count, is_campaign in meter_counts(meters, campaign):
            for meter in demo_meters(supplier, count, campaign=is_campaign):
                writer.writerow(meter.csv_row())
                rows += 1

    write_atomically(path, write)
    return rows


# --- extension point -------------------------------------------------------------------------
# Sections that later issues add to the manifest (keys, certificates, events). Each is a function
# ``(out_dir: Path) -> JSON value``; seed_demo calls them in this order, after the registry and the
# meters exist, inside the same transaction, and stores each result under its key. Each must be
# idempotent itself (a second run returns the same value and creates nothing).
def _extensions(meters: int) -> list[tuple[str, object]]:
    return [
        ("certificates", pki_demo.seed_certificates),  # docs/pki.md, "Demo certificates"
        # After the registry and the meters: the levels follow the meter count (docs/manifest.md, "adt").
        ("adt", functools.partial(adt_demo.seed_adt, meters=meters)),
        # After the registry, the meters and the people: an instruction per failed Supplier, the first one's
        # contingency active, the second's requested (docs/manifest.md, "events").
        ("events", events_demo.seed_events),
    ]


@dataclass
class SeedResult:
    manifest_path: Path
    manifest: dict
    meters_created: int


def seed_demo(out_dir: str | Path, meters: int | None = None, *, campaign: int = 0,
              progress: bool = False) -> SeedResult:
    """Create the demo world (what is missing) and write ``out_dir/manifest.json`` and ``out_dir/devices.csv``.

    ``meters`` per demo Supplier; by default SOLR_DEMO_METERS (contingency/conf.py). ``campaign`` > 0: the campaign
    Supplier (Failing Energy, whose contingency is active) has that many meters instead, every one a commissioned
    SMETS2 prepayment meter (:func:`campaign_meter`; benchmarks/campaign_bench.py), and the ADT levels cover them.
    Meant for a fresh database: meters that exist already are kept as they are."""
    if meters is None:
        meters = conf.get("SOLR_DEMO_METERS")
    if meters < 0 or campaign < 0:
        raise DemoRefused("the number of meters cannot be negative")
    counts = meter_counts(meters, campaign)
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    created = 0
    extra: dict[str, object] = {}
    with audit.acting_as("system:seed_demo"), transaction.atomic():
        registry.seed_registry()
        seed_demo_matrix()  # which role may send which SRV (docs/service-matrix.md)
        bar = tqdm(total=sum(count for _, count, _ in counts), desc="demo meters", unit=" meters",
                   disable=not progress, leave=False)
        with bar:
            for supplier, count, is_campaign in counts:
                created += _seed_meters(supplier, count, bar, campaign=is_campaign)
        for key, build in _extensions(max(meters, campaign)):
            extra[key] = build(out)

    csv_path = out / DEVICES_CSV
    rows = write_devices_csv(csv_path, meters, campaign)
    manifest = {
        "version": MANIFEST_VERSION,
        "solr_role_code": solr_role_code(),
        **registry.registry_manifest(),
        "devices_csv": str(csv_path),
        "devices": {
            "per_supplier": meters,
            "total": rows,
            "eui_pattern": "00-DB-12-SS-CC-CC-CC-CC (SS: supplier index, CC: meter counter)",
            "by_supplier": [
                {"supplier": s.name, "index": s.index, "first_eui": meter_eui(s.index, 0) if count else None,
                 "last_eui": meter_eui(s.index, count - 1) if count else None}
                for s, count, _ in counts
            ],
            "campaign": ({"supplier": CAMPAIGN_SUPPLIER.short_name, "meters": campaign} if campaign else None),
        },
        **extra,
    }
    manifest_path = out / "manifest.json"
    # The manifest holds the demo passwords: readable by its owner only.
    write_atomically(manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", mode=0o600)
    return SeedResult(manifest_path, manifest, created)
