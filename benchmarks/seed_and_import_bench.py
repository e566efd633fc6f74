"""Benchmark: seed_demo with 100,000 meters per Supplier, and import_devices of a 100,000-row file.

    . .venv/bin/activate
    python benchmarks/seed_and_import_bench.py                       # SQLite in a temporary SOLR_DATA_DIR
    python benchmarks/seed_and_import_bench.py --database-url postgresql://postgres@127.0.0.1:5497/bench

It uses a temporary data directory (deleted afterwards unless --keep), migrates a fresh database
(with --database-url, give it an empty database), then times:
  1. seed_demo --meters N (N meters for each of the 3 demo Suppliers), and a second, idempotent run;
  2. import_devices --dry-run and import_devices of an M-row CSV for a fresh Supplier
     (60% ESME, 40% GSME), then import_devices --update of the same file, and of a changed one;
  3. update_devices: one change to those M meters (the guarded update checks the rules set-wise).
Targets (docs/device-import.md): seeding 100,000 meters per Supplier < 120 s; importing 100,000 rows <= 10 s on SQLite.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meters", type=int, default=100_000, help="seed_demo meters per Supplier")
    parser.add_argument("--import-rows", type=int, default=100_000, help="rows in the CSV to import")
    parser.add_argument("--database-url", default="", help="an EMPTY database to use instead of SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    return parser.parse_args()


def setup_django(data_dir: Path, database_url: str) -> None:
    os.environ["SOLR_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()


def timed(label: str, results: list, func, *args, **kwargs):
    start = time.perf_counter()
    value = func(*args, **kwargs)
    seconds = time.perf_counter() - start
    results.append((label, seconds))
    print(f"  {label:<62} {seconds:8.2f} s", flush=True)
    return value


def fresh_supplier():
    from portal import audit
    from portal.models import Party, PartyKind, UserID, UserRole

    with audit.acting_as("system:benchmark"):
        party = Party.objects.create(name="Benchmark Supplier Ltd", short_name="bench-supplier",
                                     kind=PartyKind.SUPPLIER)
        is_uid = UserID.objects.create(eui="90-B3-D5-1F-3B-00-00-01", party=party)
        gs_uid = UserID.objects.create(eui="90-B3-D5-1F-3B-00-00-02", party=party)
        UserRole.objects.create(holder=is_uid, role="IS")
        UserRole.objects.create(holder=gs_uid, role="GS")
    return is_uid.eui, gs_uid.eui


def write_import_csv(path: Path, rows: int, is_eui: str, gs_eui: str, all_credit: bool = False) -> None:
    """M meters of a fresh Supplier, EUIs 00-BE-AC-00-…, in the import_devices format (compact EUI spelling).
    With ``all_credit`` every meter is on credit: re-imported with --update, 8 in 9 rows change."""
    from contingency.devices.row import COLUMNS

    variants = ("single", "single", "twin", "polyphase")
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for c in range(rows):
            gas = c % 5 >= 3
            writer.writerow([
                f"00BEAC00{c:08X}", "GSME" if gas else "ESME", "" if gas else variants[c % 4],
                "SMETS1" if c % 4 == 3 else "SMETS2", "commissioned",
                "credit" if all_credit or c % 9 == 8 else "prepayment", gs_eui if gas else is_eui,
                f"9{c:09d}" if gas else f"19{c:011d}",
            ])


def main() -> int:
    args = parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="solr-bench-"))
    results: list[tuple[str, float]] = []
    try:
        setup_django(data_dir, args.database_url)
        from django.core.management import call_command
        from django.db import connection

        from contingency.models import Device

        engine = connection.vendor
        print(f"database: {engine} ({args.database_url or data_dir / 'db.sqlite3'}); python {sys.version.split()[0]}; "
              f"{os.cpu_count()} CPUs")
        timed("migrate", results, call_command, "migrate", verbosity=0)

        out = data_dir / "demo"
        n = args.meters
        timed(f"seed_demo --meters {n:,} ({3 * n:,} meters)", results,
              call_command, "seed_demo", out=str(out), meters=n, no_progress=True, stdout=open(os.devnull, "w"))
        assert Device.objects.count() == 3 * n, Device.objects.count()
        timed("seed_demo again (idempotent: nothing new)", results,
              call_command, "seed_demo", out=str(out), meters=n, no_progress=True, stdout=open(os.devnull, "w"))
        assert Device.objects.count() == 3 * n

        is_eui, gs_eui = fresh_supplier()
        csv_path = data_dir / "import.csv"
        m = args.import_rows
        timed(f"write a {m:,}-row CSV (not part of the import)", results, write_import_csv, csv_path, m, is_eui, gs_eui)
        devnull = open(os.devnull, "w")
        timed(f"import_devices --dry-run ({m:,} rows)", results,
              call_command, "import_devices", str(csv_path), "--dry-run", "--no-progress", stdout=devnull)
        timed(f"import_devices ({m:,} rows)", results,
              call_command, "import_devices", str(csv_path), "--no-progress", stdout=devnull)
        assert Device.objects.count() == 3 * n + m
        timed(f"import_devices --update, same file ({m:,} rows unchanged)", results,
              call_command, "import_devices", str(csv_path), "--update", "--no-progress", stdout=devnull)
        changed_path = data_dir / "import-credit.csv"
        write_import_csv(changed_path, m, is_eui, gs_eui, all_credit=True)
        timed(f"import_devices --update, all on credit ({m - (m + 1) // 9:,} rows change)", results,
              call_command, "import_devices", str(changed_path), "--update", "--no-progress", stdout=devnull)
        assert Device.objects.count() == 3 * n + m
        assert not Device.objects.filter(eui__startswith="00-BE-AC", payment_mode="prepayment").exists()
        from contingency.devices.services import update_devices
        from portal.models import Party

        bench_party = Party.objects.get(short_name="bench-supplier")
        meters = Device.objects.of_supplier(bench_party).meters()
        count = timed(f"update_devices: {m:,} meters to prepayment (one change, rules checked set-wise)", results,
                      update_devices, meters, payment_mode="prepayment", reason="benchmark")
        assert count == m and not meters.filter(payment_mode="credit").exists()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  peak memory (RSS) {peak_mb:.0f} MB")
        print("\n| step | seconds |\n|---|---|")
        for label, seconds in results:
            print(f"| {label} | {seconds:.1f} |")
    finally:
        if args.keep:
            print(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
