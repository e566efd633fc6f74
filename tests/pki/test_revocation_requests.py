"""Revocation requests: a verified ARO asks, a DCC operator who is not the requester decides (four eyes, DESIGN §6);
approval revokes through pki.revocation; transitions are compare-and-set; every step is audited."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from pki.models import Certificate, CertificateKind, RevocationRequest
from pki.orders import services
from pki.repository import SignerRejected, resolve_signer
from portal.models import AuditRecord
from tests.helpers.signin import force_login_verified  # DCC operators pass the second factor

from .orders_cast import OTHER_EUI, SOLR_EUI, csr_pem, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(smki):
    return make_cast()


@pytest.fixture
def cert(cast):
    order = services.submit_order(cast.aro, SOLR_EUI, CertificateKind.XML_SIGNING, csr_pem().encode())
    assert order.issued
    return order.certificate


@pytest.fixture
def their_cert(cast):
    order = services.submit_order(cast.other_aro, OTHER_EUI, CertificateKind.DIGITAL_SIGNING, csr_pem().encode())
    assert order.issued
    return order.certificate


def api_for(person):
    api = APIClient()
    api.force_authenticate(person)
    return api


def refused(code, fn, *args, **kwargs):
    with pytest.raises(services.OrderRefused) as exc:
        fn(*args, **kwargs)
    assert exc.value.code == code
    return exc.value


# --- services -------------------------------------------------------------------------------------------------

def test_an_aro_asks_and_another_operator_approves_which_revokes(cast, cert):
    req = services.request_revocation(cast.aro, cert, "  key compromise  ")
    assert req.status == RevocationRequest.Status.REQUESTED and req.reason == "key compromise"
    assert AuditRecord.objects.filter(action="certificate.revocation_request", actor=cast.aro.get_username(),
                                      subject_id=str(req.pk)).exists()
    cert.refresh_from_db()
    assert cert.status() == "valid"  # asking revokes nothing

    services.approve_revocation(cast.op1, req, "confirmed by phone")
    req.refresh_from_db()
    cert.refresh_from_db()
    assert req.status == RevocationRequest.Status.APPROVED
    assert req.decided_by == cast.op1 and req.decided_at is not None
    assert cert.status() == "revoked"
    assert cert.revocation_reason == "key compromise" and cert.revoked_by == cast.op1.get_username()
    assert AuditRecord.objects.filter(action="certificate.revocation_approved", actor=cast.op1.get_username()).exists()
    assert AuditRecord.objects.filter(action="certificate.revoke", subject_id=str(cert.pk)).exists()
    # The signer path refuses it from now on.
    with pytest.raises(SignerRejected) as rejected:
        resolve_signer(cert.issuer_name, cert.serial_int)
    assert rejected.value.code == "revoked"


def test_the_requester_cannot_approve_even_as_a_dcc_operator(cast, cert):
    req = services.request_revocation(cast.aro_operator, cert, "key lost")
    exc = refused("four-eyes", services.approve_revocation, cast.aro_operator, req)
    assert exc.http_status == 403
    refused("four-eyes", services.reject_revocation, cast.aro_operator, req)
    req.refresh_from_db()
    assert req.status == RevocationRequest.Status.REQUESTED
    services.approve_revocation(cast.op2, req)
    cert.refresh_from_db()
    assert cert.is_revoked()


@pytest.mark.parametrize("who", ["aro", "aro2", "sro", "outsider", "other_aro", "authority_officer"])
def test_only_dcc_operators_decide(cast, cert, who):
    req = services.request_revocation(cast.aro, cert, "key lost")
    refused("not-dcc-operator", services.approve_revocation, getattr(cast, who), req)
    refused("not-dcc-operator", services.reject_revocation, getattr(cast, who), req)
    cert.refresh_from_db()
    assert not cert.is_revoked()


def test_reject_leaves_the_certificate_valid(cast, cert):
    req = services.request_revocation(cast.aro, cert, "mistake")
    services.reject_revocation(cast.op1, req, "not confirmed")
    req.refresh_from_db()
    cert.refresh_from_db()
    assert req.status == RevocationRequest.Status.REJECTED and req.decision_note == "not confirmed"
    assert cert.status() == "valid"
    assert AuditRecord.objects.filter(action="certificate.revocation_rejected", actor=cast.op1.get_username()).exists()
    # Rejected, a new request may be made.
    assert services.request_revocation(cast.aro2, cert, "key lost after all").pk != req.pk


def test_a_decision_is_compare_and_set(cast, cert):
    req = services.request_revocation(cast.aro, cert, "key lost")
    stale = RevocationRequest.objects.get(pk=req.pk)  # another operator's copy, read before the decision
    services.reject_revocation(cast.op1, req)
    refused("request-already-decided", services.approve_revocation, cast.op2, stale)
    cert.refresh_from_db()
    assert not cert.is_revoked()
    assert RevocationRequest.objects.get(pk=req.pk).decided_by == cast.op1
    assert not AuditRecord.objects.filter(action="certificate.revocation_approved").exists()


@pytest.mark.parametrize("who, code", [
    ("sro", "not-aro-of-party"), ("nominated_aro", "not-aro-of-party"), ("other_aro", "not-aro-of-party"),
    ("op1", "not-aro-of-party"),
])
def test_only_a_verified_aro_of_the_party_asks(cast, cert, who, code):
    refused(code, services.request_revocation, getattr(cast, who), cert, "key lost")
    assert not RevocationRequest.objects.exists()


def test_asking_needs_a_reason_one_open_request_and_a_live_certificate(cast, cert):
    refused("revocation-reason-missing", services.request_revocation, cast.aro, cert, "   ")
    services.request_revocation(cast.aro, cert, "key lost")
    refused("revocation-already-requested", services.request_revocation, cast.aro2, cert, "key lost too")
    assert RevocationRequest.objects.count() == 1
    from pki.revocation import revoke_certificate

    RevocationRequest.objects.update(status=RevocationRequest.Status.REJECTED)
    revoke_certificate(cert, reason="by the desk", decided_by="x")
    refused("certificate-already-revoked", services.request_revocation, cast.aro, cert, "again")


# --- pages ----------------------------------------------------------------------------------------------------

def test_the_page_flow_ask_then_approve(cast, cert, client):
    force_login_verified(client, cast.aro)
    url = reverse("certificate-revocation-request", args=[cert.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "key compromise"})
    assert response.status_code == 302 and response["Location"] == reverse("revocation-requests")
    req = RevocationRequest.objects.get()
    listing = client.get(reverse("revocation-requests"))
    assert list(listing.context["page"].object_list) == [req]
    assert "revocation-request-decide" not in listing.content.decode()
    # The ARO cannot decide (visible object, forbidden action): 403 with the code.
    response = client.post(reverse("revocation-request-decide", args=[req.pk]), {"decision": "approve"})
    assert response.status_code == 403
    assert '<code class="refusal-code">not-dcc-operator</code>' in response.content.decode()

    force_login_verified(client, cast.op1)
    assert list(client.get(reverse("revocation-requests")).context["page"].object_list) == [req]
    response = client.post(reverse("revocation-request-decide", args=[req.pk]), {"decision": "approve", "note": "ok"})
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.is_revoked()
    # Filter by status.
    assert client.get(reverse("revocation-requests"), {"status": "requested"}).context["page"].paginator.count == 0
    assert client.get(reverse("revocation-requests"), {"status": "approved"}).context["page"].paginator.count == 1


def test_pages_hide_another_partys_certificate_and_request(cast, cert, client):
    req = services.request_revocation(cast.aro, cert, "key lost")
    force_login_verified(client, cast.outsider)
    assert client.get(reverse("certificate-revocation-request", args=[cert.pk])).status_code == 404
    assert client.post(reverse("certificate-revocation-request", args=[cert.pk]), {"reason": "x"}).status_code == 404
    assert client.get(reverse("revocation-requests")).context["page"].paginator.count == 0
    assert client.post(reverse("revocation-request-decide", args=[req.pk]), {"decision": "reject"}).status_code == 404
    force_login_verified(client, cast.other_aro)
    assert client.post(reverse("revocation-request-decide", args=[req.pk]), {"decision": "reject"}).status_code == 404
    req.refresh_from_db()
    assert req.status == RevocationRequest.Status.REQUESTED


def test_the_sro_sees_but_cannot_ask_and_the_requester_operator_cannot_approve_on_the_page(cast, cert, client):
    force_login_verified(client, cast.sro)
    url = reverse("certificate-revocation-request", args=[cert.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"reason": "key lost"})
    assert response.status_code == 403
    assert '<code class="refusal-code">not-aro-of-party</code>' in response.content.decode()
    force_login_verified(client, cast.aro_operator)
    client.post(url, {"reason": "key lost"})
    req = RevocationRequest.objects.get()
    response = client.post(reverse("revocation-request-decide", args=[req.pk]), {"decision": "approve"})
    assert response.status_code == 403
    assert '<code class="refusal-code">four-eyes</code>' in response.content.decode()
    force_login_verified(client, cast.sro)
    assert list(client.get(reverse("revocation-requests")).context["page"].object_list) == [req]


# --- API ------------------------------------------------------------------------------------------------------

REQUESTS = "/api/v1/revocation-requests/"


def test_api_ask_approve_and_reject(cast, cert):
    response = api_for(cast.aro).post(REQUESTS, {"certificate": cert.pk, "reason": "key lost"}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["status"] == "requested" and response.data["serial"] == cert.serial
    pk = response.data["id"]
    again = api_for(cast.aro2).post(REQUESTS, {"certificate": cert.pk, "reason": "again"}, format="json")
    assert again.status_code == 403 and again.data["code"] == "revocation-already-requested"
    denied = api_for(cast.aro).post(f"{REQUESTS}{pk}/approve/", {}, format="json")
    assert denied.status_code == 403 and denied.data["code"] == "not-dcc-operator"
    approved = api_for(cast.op1).post(f"{REQUESTS}{pk}/approve/", {"note": "ok"}, format="json")
    assert approved.status_code == 200 and approved.data["status"] == "approved"
    assert approved.data["decided_by"] == cast.op1.get_username()
    assert Certificate.objects.get(pk=cert.pk).is_revoked()
    late = api_for(cast.op2).post(f"{REQUESTS}{pk}/reject/", {}, format="json")
    assert late.status_code == 403 and late.data["code"] == "request-already-decided"


def test_api_four_eyes(cast, cert):
    pk = api_for(cast.aro_operator).post(REQUESTS, {"certificate": cert.pk, "reason": "x"}, format="json").data["id"]
    response = api_for(cast.aro_operator).post(f"{REQUESTS}{pk}/approve/", {}, format="json")
    assert response.status_code == 403 and response.data["code"] == "four-eyes"
    response = api_for(cast.op2).post(f"{REQUESTS}{pk}/reject/", {}, format="json")
    assert response.status_code == 200 and response.data["status"] == "rejected"
    assert not Certificate.objects.get(pk=cert.pk).is_revoked()


def test_api_hides_another_partys_objects(cast, cert, their_cert):
    response = api_for(cast.aro).post(REQUESTS, {"certificate": their_cert.pk, "reason": "x"}, format="json")
    assert response.status_code == 404
    req = services.request_revocation(cast.aro, cert, "key lost")
    for person in (cast.outsider, cast.other_aro):
        api = api_for(person)
        assert api.get(f"{REQUESTS}{req.pk}/").status_code == 404
        assert api.post(f"{REQUESTS}{req.pk}/approve/", {}, format="json").status_code == 404
        assert api.get(REQUESTS).data["count"] == 0
    assert api_for(cast.sro).get(REQUESTS).data["count"] == 1
    assert api_for(cast.op1).get(REQUESTS, {"status": "requested"}).data["count"] == 1
    assert api_for(cast.op1).get(REQUESTS, {"status": "approved"}).data["count"] == 0
    response = api_for(cast.sro).post(REQUESTS, {"certificate": cert.pk, "reason": "x"}, format="json")
    assert response.status_code == 403 and response.data["code"] == "not-aro-of-party"
    assert api_for(cast.nominated_aro).get(REQUESTS).status_code == 403
    assert api_for(cast.authority_officer).get(REQUESTS).status_code == 403
    assert RevocationRequest.objects.get(pk=req.pk).status == "requested"
