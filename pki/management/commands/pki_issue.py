"""Issue an SMKI Organisation Certificate to a User ID from a CSR, or from a key pair generated here."""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand, CommandError

from pki import profile
from pki.csr import make_csr
from pki.issuance import order_certificate
from pki.models import CertificateKind


def write_private_key(path: Path, key) -> None:
    """Unencrypted PKCS#8 PEM, mode 0600: for demo and test use only."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


class Command(BaseCommand):
    help = "Issue a certificate (xml-signing, digital-signing or key-agreement) to a User ID."

    def add_arguments(self, parser):
        parser.add_argument("user_id", help="The User ID's EUI-64.")
        parser.add_argument("--kind", choices=CertificateKind.values, default=CertificateKind.XML_SIGNING)
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--csr", type=Path, help="A CSR file, PEM or DER.")
        source.add_argument("--generate-key", type=Path, metavar="OUT.pem",
                            help="Generate an EC P-256 key pair here (demo/test use) and write the key to OUT.pem.")
        parser.add_argument("--out", type=Path, help="Write the certificate (PEM) here; default: print it.")
        parser.add_argument("--validity-days", type=int)
        parser.add_argument("--requested-by", default="system:pki_issue",
                            help="Who asked (a username or 'system:…'); recorded on the order.")

    def handle(self, *args, user_id, kind, csr, generate_key, out, validity_days, requested_by, **options):
        key = None
        if generate_key:
            key = profile.generate_key()
            request = make_csr(key)
        else:
            try:
                request = csr.read_bytes()
            except OSError as exc:
                raise CommandError(f"cannot read {csr}: {exc}") from exc
        order = order_certificate(user_id, kind, request, requested_by=requested_by, validity_days=validity_days)
        if not order.issued:
            raise CommandError(f"refused: {order.reason}")
        cert = order.certificate
        if key is not None:
            write_private_key(generate_key, key)
            self.stderr.write(f"private key written to {generate_key}")
        if out:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(cert.pem())
            self.stdout.write(f"issued {cert.kind} certificate serial {cert.serial} to {cert.subject_eui}: {out}")
        else:
            self.stdout.write(cert.pem())
