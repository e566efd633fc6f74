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
