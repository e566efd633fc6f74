"""Fixtures for the SMKI tests: registry User IDs for SMKI holders, and a CA of another SMKI.

The key store and CA fixtures (``keystore_dir``, ``smki``) are in tests/conftest.py (other apps'
tests need certificates too); the helpers (``csr_for``, ``p256_key``, ``ExternalPKI``) are in
tests/helpers/pki.py.
"""

from __future__ import annotations

import pytest

from portal.models import PartyKind, solr_role_code
from tests.helpers.pki import ExternalPKI
from tests.portal.factories import PartyFactory, UserIDFactory


@pytest.fixture
def srp_solr_uid(db):
    srp = PartyFactory(kind=PartyKind.SRP, short_name="shared-resource")
    return UserIDFactory(eui="90-B3-D5-1F-30-20-00-01", party=srp, roles=[solr_role_code()])


@pytest.fixture
def supplier_uid(db):
    supplier = PartyFactory(kind=PartyKind.SUPPLIER, short_name="gittestsupplier")
    return UserIDFactory(eui="90-B3-D5-1F-30-01-00-00", party=supplier, roles=["IS"])


@pytest.fixture
def external_pki():
    return ExternalPKI()
