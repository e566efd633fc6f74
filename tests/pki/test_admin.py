"""The SMKI admin pages render, the policy is editable and certificates are read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from pki.issuance import issue_certificate
from pki.models import CertificateOrder, IssuancePolicy
from portal.models import AuditRecord
from tests.helpers.pki import csr_for

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


def test_policy_role_is_a_choice_of_the_duis_roles(admin_client):
    from portal.models import solr_role_code

    page = admin_client.get("/admin/pki/issuancepolicy/add/", HTTP_HOST="localhost").content.decode()
    for role in ("IS", "ES", "GS", "ED", "GT", "RSA", "OU", solr_role_code(), "DCC"):
        assert f'<option value="{role}"' in page
    response = admin_client.post("/admin/pki/issuancepolicy/add/", {"role": "XX", "kind": "xml-signing"},
                                 HTTP_HOST="localhost")
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    # The SoLR Contingency rule shows as a form error, not a crash.
    response = admin_client.post("/admin/pki/issuancepolicy/add/",
                                 {"role": solr_role_code(), "kind": "digital-signing"}, HTTP_HOST="localhost")
    assert response.status_code == 200 and "MP134B" in response.content.decode()
    assert not IssuancePolicy.objects.filter(role="XX").exists()


def test_certificate_list_filters_by_status(admin_client, smki, supplier_uid):
    from pki.revocation import revoke_certificate

    kept = issue_certificate(supplier_uid, "xml-signing", csr_for())
    gone = issue_certificate(supplier_uid, "digital-signing", csr_for())
    revoke_certificate(gone, reason="compromise", decided_by="dcc-op")
    revoked = admin_client.get("/admin/pki/certificate/?status=revoked", HTTP_HOST="localhost")
    assert revoked.status_code == 200
    assert [c.pk for c in revoked.context["cl"].result_list] == [gone.pk]
    valid = admin_client.get("/admin/pki/certificate/?status=valid", HTTP_HOST="localhost")
    assert [c.pk for c in valid.context["cl"].result_list] == [kept.pk]
