"""Fixtures of the counting and quarantine tests: the world, and the DCC's XML signing identity for alerts."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from pki.dcc_identity import DCC_XML_SIGNING_KEY_REF
from pki.issuance import DCC_POLICY_ROLE
from pki.models import CertificateKind, IssuancePolicy
from portal.models import PartyKind
from tests.portal.factories import PartyFactory, UserIDFactory

from .world import make_world

DCC_EUI = "90-B3-D5-1F-30-00-00-02"


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def dcc_identity(smki, tmp_path):
    """The DCC's XML signing key in the key store, so alerts are signed and pushed (contingency.alerts)."""
    dcc = PartyFactory(kind=PartyKind.DCC, short_name="dcc")
    UserIDFactory(eui=DCC_EUI, party=dcc)
    IssuancePolicy.objects.get_or_create(role=DCC_POLICY_ROLE, kind=CertificateKind.XML_SIGNING)
    call_command("pki_issue", DCC_EUI, "--kind", "xml-signing", "--into-keystore", DCC_XML_SIGNING_KEY_REF,
                 "--out", str(tmp_path / "dcc.pem"))
    with override_settings(DCC_USER_ID=DCC_EUI):
        yield
