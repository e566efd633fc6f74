"""Register certificates issued elsewhere (PEM/DER files, directories, DCC Boxed keystore.json)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pki.importer import import_paths
from portal import audit


class Command(BaseCommand):
    help = ("Import certificates so their signatures can be verified, e.g. the ZAZ1 test PKI: "
            "--trust-unchained ../shared/vectors/dccboxed-signing-tool/keys "
            "../shared/vectors/dccboxed-keystore/keystore.json")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument(
            "--trust-unchained", action="store_true",
            help="Also accept certificates that chain to no known CA (the DCC Boxed xml-sign-* and dsp-xml-sign-* "
                 "certificates, which carry the Z1 name but not its signature) and trust them by lookup. Recorded "
                 "on each certificate and in the audit record. Never for a certificate naming one of our own CAs.")

    def handle(self, *args, paths, trust_unchained, **options):
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"file-not-found: {', '.join(missing)}")
        actor = "system:pki_import --trust-unchained" if trust_unchained else "system:pki_import"
        with audit.acting_as(actor):
            report = import_paths(paths, trust_unchained=trust_unchained)
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(f"{len(report.imported)} imported, {len(report.already)} already known, "
                          f"{len(report.authorities)} CA(s), {len(report.skipped)} skipped")
        unchained = sum(1 for _, why in report.skipped if "--trust-unchained" in why)
        if unchained and not trust_unchained:
            self.stdout.write(f"{unchained} certificate(s) chain to no known CA and were skipped: give "
                              f"--trust-unchained to trust them by lookup (test PKIs such as DCC Boxed ZAZ1)")
