"""Write the issuing CA's current CRL (signing a new one when the revocations in effect have changed)."""

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pki.crl import current_crl
from portal import audit
from portal.errors import Refusal


class Command(BaseCommand):
    help = "Write the current CRL (DER, or PEM with --pem)."

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, help="Default: DATA_DIR/crl/current.crl")
        parser.add_argument("--pem", action="store_true")

    def handle(self, *args, out, pem, **options):
        try:
            with audit.acting_as("system:pki_crl"):
                row = current_crl()
        except Refusal as exc:  # CANotReady, KeyStoreError …: "code: message" (docs/refusal-codes.md)
            raise CommandError(str(exc)) from exc
        out = out or Path(settings.DATA_DIR) / "crl" / ("current.pem" if pem else "current.crl")
        data = bytes(row.der)
        if pem:
            data = x509.load_der_x509_crl(data).public_bytes(Encoding.PEM)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        self.stdout.write(f"CRL {row.number} ({len(row.revoked_serials)} revoked, next update "
                          f"{row.next_update.isoformat()}) written to {out}")
