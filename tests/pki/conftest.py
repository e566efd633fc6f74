"""Fixtures for the SMKI tests: an isolated key store, the CA hierarchy, registry User IDs and CSRs."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from pki import ca as ca_module
from pki.csr import make_csr
from portal.models import PartyKind, solr_role_code
from tests.portal.factories import PartyFactory, UserIDFactory

KEYSTORE_SECRET = "test-keystore-secret-0123456789"


@pytest.fixture
def keystore_dir(settings, tmp_path, monkeypatch):
    """DATA_DIR (and so DATA_DIR/keys and the key-store secret file) in a fresh temporary directory."""
    monkeypatch.delenv("SOLR_KEYSTORE_SECRET", raising=False)
    monkeypatch.delenv("SOLR_KEYSTORE_SECRET_FILE", raising=False)
    settings.DATA_DIR = tmp_path
    return tmp_path / "keys"


@pytest.fixture
def smki(db, keystore_dir):
    """The root and issuing CAs, created by pki_init's service."""
    root, issuing, created = ca_module.init_hierarchy()
    assert created
    return issuing


@pytest.fixture
def srp_solr_uid(db):
    srp = PartyFactory(kind=PartyKind.SRP, short_name="shared-resource")
    return UserIDFactory(eui="90-B3-D5-1F-30-20-00-01", party=srp, roles=[solr_role_code()])


@pytest.fixture
def supplier_uid(db):
    supplier = PartyFactory(kind=PartyKind.SUPPLIER, short_name="gittestsupplier")
    return UserIDFactory(eui="90-B3-D5-1F-30-01-00-00", party=supplier, roles=["IS"])


def p256_key():
    return ec.generate_private_key(ec.SECP256R1())


def csr_for(key=None, common_name="requested-name"):
    key = key or p256_key()
    return make_csr(key, common_name)


class ExternalPKI:
    """A CA of another SMKI (no key held here) and Organisation Certificates it signs, for import tests."""

    def __init__(self, common_name: str = "XT1"):
        from datetime import timedelta

        from django.utils import timezone

        from pki import profile

        self.key = p256_key()
        self.cert = profile.build_ca_certificate(
            subject=profile.ca_subject(common_name, 0x07), public_key=self.key.public_key(), issuer_cert=None,
            issuer_key=self.key, path_length=0, not_before=timezone.now() - timedelta(days=1), days=3650,
        )

    def issue(self, eui: str, role_code: int, *, key_agreement: bool = False, issuer_key=None, public_key=None):
        from datetime import timedelta

        from django.utils import timezone

        from pki import profile

        return profile.build_org_certificate(
            eui=eui, role_code=role_code, common_name="imported", key_agreement=key_agreement,
            public_key=public_key or p256_key().public_key(), issuer_cert=self.cert,
            issuer_key=issuer_key or self.key, not_before=timezone.now() - timedelta(hours=1), days=365,
        )

    def write(self, directory, name: str, *certs) -> str:
        from cryptography.hazmat.primitives.serialization import Encoding

        path = directory / f"{name}.pem"
        path.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in certs))
        return path


@pytest.fixture
def external_pki():
    return ExternalPKI()

