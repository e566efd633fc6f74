"""SMKI test helpers: keys, CSRs, and a CA of another SMKI for import tests."""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from django.utils import timezone

from pki import profile
from pki.csr import make_csr


def p256_key():
    return ec.generate_private_key(ec.SECP256R1())


def csr_for(key=None, common_name="requested-name"):
    key = key or p256_key()
    return make_csr(key, common_name)


class ExternalPKI:
    """A CA of another SMKI (no key held here) and Organisation Certificates it signs, for import tests."""

    def __init__(self, common_name: str = "XT1"):
        self.key = p256_key()
        self.cert = profile.build_ca_certificate(
            subject=profile.ca_subject(common_name, 0x07), public_key=self.key.public_key(), issuer_cert=None,
            issuer_key=self.key, path_length=0, not_before=timezone.now() - timedelta(days=1), days=3650,
        )

    def issue(self, eui: str, role_code: int, *, key_agreement: bool = False, issuer_key=None, public_key=None):
        return profile.build_org_certificate(
            eui=eui, role_code=role_code, common_name="imported", key_agreement=key_agreement,
            public_key=public_key or p256_key().public_key(), issuer_cert=self.cert,
            issuer_key=issuer_key or self.key, not_before=timezone.now() - timedelta(hours=1), days=365,
        )

    def write(self, directory, name: str, *certs) -> str:
        path = directory / f"{name}.pem"
        path.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in certs))
        return path
