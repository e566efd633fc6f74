"""Issue an SMKI Organisation Certificate to a User ID from a CSR, or from a key pair generated here."""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand, CommandError

from pki import profile
from pki.csr import make_csr
from pki.dcc_identity import DCC_XML_SIGNING_KEY_REF
from pki.issuance import order_certificate
from pki.keystore import KeyStoreError, check_ref, get_keystore
from pki.models import CertificateKind


def write_private_key(path: Path, key) -> None:
    """Unencrypted PKCS#8 PEM, mode 0600: for demo and test use only."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # O_CREAT's mode applies to new files only: an existing file keeps its own
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
        source.add_argument("--into-keystore", metavar="REF",
                            help="Generate the key pair here and keep the private key in the key store under REF "
                                 "(never written to a file), e.g. the DCC's own XML signing key: "
                                 f"--kind xml-signing --into-keystore {DCC_XML_SIGNING_KEY_REF}.")
        parser.add_argument("--replace-key", action="store_true",
                            help="With --into-keystore: replace a key already stored under REF.")
        parser.add_argument("--out", type=Path, help="Write the certificate (PEM) here; default: print it.")
        parser.add_argument("--validity-days", type=int)
        parser.add_argument("--requested-by", default="system:pki_issue",
                            help="Who asked (a username or 'system:…'); recorded on the order.")

    def handle(self, *args, user_id, kind, csr, generate_key, into_keystore, replace_key, out, validity_days,
               requested_by, **options):
        key = None
        store = get_keystore()
        if into_keystore:
            try:
                check_ref(into_keystore)
            except KeyStoreError as exc:
                raise CommandError(str(exc)) from exc
            if store.has_key(into_keystore) and not replace_key:
                raise CommandError(f"key-exists: a key {into_keystore!r} is already in the key store: give "
                                   f"--replace-key to replace it (nothing was issued)")
        if generate_key or into_keystore:
            key = profile.generate_key()
            request = make_csr(key)
        else:
            try:
                request = csr.read_bytes()
            except OSError as exc:
                raise CommandError(f"cannot read {csr}: {exc}") from exc
        order = order_certificate(user_id, kind, request, requested_by=requested_by, validity_days=validity_days)
        if not order.issued:
            raise CommandError(f"{order.refusal_code}: {order.reason}")
        cert = order.certificate
        if into_keystore:
            try:
                store.store_private_key(into_keystore, key, overwrite=replace_key)
            except KeyStoreError as exc:
                raise CommandError(str(exc)) from exc
            self.stderr.write(f"private key stored in the key store as {into_keystore}")
        elif key is not None:
            write_private_key(generate_key, key)
            self.stderr.write(f"private key written to {generate_key}")
        if out:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(cert.pem())
            self.stdout.write(f"issued {cert.kind} certificate serial {cert.serial} to {cert.subject_eui}: {out}")
        else:
            self.stdout.write(cert.pem())
