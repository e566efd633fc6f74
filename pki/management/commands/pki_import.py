"""Register certificates issued elsewhere (PEM/DER files, directories, DCC Boxed keystore.json)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pki.importer import import_paths
from portal import audit


class Command(BaseCommand):
    help = ("Import certificates so their signatures can be verified, e.g. the ZAZ1 test PKI: "
            "../shared/vectors/dccboxed-signing-tool/keys ../shared/vectors/dccboxed-keystore/keystore.json")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)

    def handle(self, *args, paths, **options):
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"not found: {', '.join(missing)}")
        with audit.acting_as("system:pki_import"):
            report = import_paths(paths)
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(f"{len(report.imported)} imported, {len(report.already)} already known, "
                          f"{len(report.authorities)} CA(s), {len(report.skipped)} skipped")
