"""The SMKI admin pages render, the policy is editable and certificates are read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from pki.issuance import issue_certificate
from pki.models import CertificateOrder, IssuancePolicy
from portal.models import AuditRecord
from tests.pki.conftest import csr_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root-admin", "a@example.invalid", "pw-for-tests-only")
    client.force_login(user)
    return client


def test_pages_render(admin_client, smki, supplier_uid):
    cert = issue_certificate(supplier_uid, "xml-signing", csr_for())
    order = CertificateOrder.objects.get(certificate=cert)
    for url in ("/admin/pki/certificate/", f"/admin/pki/certificate/{cert.pk}/change/",
                "/admin/pki/certificateauthority/", "/admin/pki/certificateorder/",
                f"/admin/pki/certificateorder/{order.pk}/change/", "/admin/pki/issuancepolicy/",
                "/admin/pki/revocationlist/"):
        response = admin_client.get(url, HTTP_HOST="localhost")
        assert response.status_code == 200, url
    detail = admin_client.get(f"/admin/pki/certificate/{cert.pk}/change/", HTTP_HOST="localhost")
    assert b"BEGIN CERTIFICATE" in detail.content
    assert admin_client.get("/admin/pki/certificate/add/", HTTP_HOST="localhost").status_code == 403


def test_policy_changes_in_the_admin_are_audited(admin_client):
    response = admin_client.post("/admin/pki/issuancepolicy/add/", {"role": "RSA", "kind": "digital-signing",
                                                                     "note": "test"}, HTTP_HOST="localhost")
    assert response.status_code == 302
    assert IssuancePolicy.objects.filter(role="RSA", kind="digital-signing").exists()
    assert AuditRecord.objects.filter(action="issuancepolicy.create", actor="root-admin").exists()
