"""manage.py import_devices FILE.csv: load meters into the inventory, all or nothing.

The file format and the error messages are in docs/device-import.md; the work is done by
contingency.devices.importer.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from contingency import conf
from contingency.devices import importer
from portal import audit


class Command(BaseCommand):
    help = "Import meters from a CSV file (docs/device-import.md). Any bad row: nothing is imported."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file")
        parser.add_argument("--update", action="store_true",
                            help="rows whose EUI is already registered update that meter instead of being errors")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--max-errors", type=int, default=conf.get("SOLR_IMPORT_MAX_ERRORS"),
                            help="how many problems to list (all are counted; default %(default)s)")
        parser.add_argument("--batch-size", type=int, default=conf.get("SOLR_IMPORT_BATCH_SIZE"))
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **opts):
        options = importer.ImportOptions(
            update=opts["update"], dry_run=opts["dry_run"], max_errors=opts["max_errors"],
            batch_size=opts["batch_size"], progress=not opts["no_progress"] and sys.stderr.isatty(),
        )
        try:
            with audit.acting_as("system:import_devices"):
                result = importer.import_devices(opts["file"], options)
        except FileNotFoundError as exc:
            raise CommandError(f"no such file: {exc.filename}") from exc
        except importer.DeviceImportError as exc:
            raise CommandError(exc.message) from exc
        verb = "would create" if result.dry_run else "created"
        self.stdout.write(self.style.SUCCESS(
            f"{result.file_name}: {result.rows} rows checked; {verb} {result.created}, "
            f"{'would update' if result.dry_run else 'updated'} {result.updated}, unchanged {result.unchanged}"
            + (" (dry run: nothing written)" if result.dry_run else "")
        ))
