"""Certificate orders and the Party's certificates (issue 8 point 6, MP134B requirement 2): services, pages, API."""

from __future__ import annotations

import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from pki.models import Certificate, CertificateKind, CertificateOrder
from pki.orders import services
from portal.models import AuditRecord
from tests.helpers.signin import force_login_verified  # DCC operators pass the second factor

from .orders_cast import OTHER_EUI, SOLR_EUI, csr_pem, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(smki):
    return make_cast()


def client_for(client, person):
    force_login_verified(client, person)
    return client


def api_for(person):
    api = APIClient()
    api.force_authenticate(person)
    return api


def issue(cast, person=None, kind=CertificateKind.XML_SIGNING, eui=SOLR_EUI):
    order = services.submit_order(person or cast.aro, eui, kind, csr_pem().encode())
    assert order.issued, order.reason
    return order.certificate


# --- services -------------------------------------------------------------------------------------------------

def test_a_verified_aro_orders_xml_signing_for_its_solr_user_id_and_it_is_audited(cast):
    key = ec.generate_private_key(ec.SECP256R1())
    order = services.submit_order(cast.aro, SOLR_EUI, CertificateKind.XML_SIGNING, csr_pem(key).encode())
    assert order.issued
    cert = order.certificate
    assert cert.user_id == cast.solr_uid and cert.kind == CertificateKind.XML_SIGNING
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert order.requested_by == cast.aro.get_username()
    record = AuditRecord.objects.get(action="certificate.issue", subject_id=str(cert.pk))
    assert record.actor == cast.aro.get_username()


def test_digital_signing_for_a_solr_user_id_is_refused_with_the_policy_code(cast):
    order = services.submit_order(cast.aro, SOLR_EUI, CertificateKind.DIGITAL_SIGNING, csr_pem().encode())
    assert not order.issued
    assert order.refusal_code == "solr-xml-signing-only"
    assert Certificate.objects.count() == 0
    assert AuditRecord.objects.filter(action="certificate.refuse", actor=cast.aro.get_username()).exists()


@pytest.mark.parametrize("who, code", [
    ("nominated_aro", "not-verified-aro"),  # only a verified ARO acts for its Party (SEC L)
    ("sro", "not-verified-aro"),
    ("outsider", "not-verified-aro"),
    ("op1", "not-verified-aro"),
    ("authority_officer", "not-verified-aro"),
    ("other_aro", "not-aro-of-party"),  # a verified ARO, but of another Party
])
def test_only_a_verified_aro_of_the_user_ids_party_may_order(cast, who, code):
    with pytest.raises(services.OrderRefused) as refused:
        services.submit_order(getattr(cast, who), SOLR_EUI, CertificateKind.XML_SIGNING, csr_pem().encode())
    assert refused.value.code == code
    assert refused.value.http_status == 403
    assert CertificateOrder.objects.count() == 0  # nothing reached the issuance policy


def test_an_unknown_user_id_is_refused_like_another_partys(cast):
    with pytest.raises(services.OrderRefused) as refused:
        services.submit_order(cast.aro, "90-B3-D5-1F-30-99-99-99", CertificateKind.XML_SIGNING, csr_pem())
    assert refused.value.code == "not-aro-of-party"


# --- pages ----------------------------------------------------------------------------------------------------

def test_order_page_is_for_verified_aros_only(cast, client):
    url = reverse("certificate-order")
    assert client.get(url).status_code == 302  # sign in first
    for person in (cast.sro, cast.nominated_aro, cast.outsider, cast.op1, cast.authority_officer):
        force_login_verified(client, person)
        assert client.get(url).status_code == 403, person
    force_login_verified(client, cast.aro)
    page = client.get(url)
    assert page.status_code == 200
    offered = [u.eui for u in page.context["form"].fields["user_id"].queryset]
    assert offered == [SOLR_EUI]  # only its own Party's User IDs are offered


def test_the_aro_orders_on_the_page_by_paste_and_by_file(cast, client):
    client_for(client, cast.aro)
    response = client.post(reverse("certificate-order"),
                           {"user_id": SOLR_EUI, "kind": "xml-signing", "csr": csr_pem()})
    cert = Certificate.objects.get()
    # Post/redirect/get: the result is the certificate's page, so reloading it orders nothing.
    assert response.status_code == 302 and response["Location"] == reverse("certificate-detail", args=[cert.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200 and f'<code id="serial">{cert.serial}</code>' in page.content.decode()
    upload = SimpleUploadedFile("request.csr", csr_pem().encode())
    response = client.post(reverse("certificate-order"),
                           {"user_id": SOLR_EUI, "kind": "xml-signing", "csr_file": upload})
    assert response.status_code == 302
    assert Certificate.objects.count() == 2


def test_a_policy_refusal_shows_its_code_and_reason_on_the_page(cast, client):
    client_for(client, cast.aro)
    response = client.post(reverse("certificate-order"),
                           {"user_id": SOLR_EUI, "kind": "digital-signing", "csr": csr_pem()})
    assert response.status_code == 403
    body = response.content.decode()
    assert '<code class="refusal-code">solr-xml-signing-only</code>' in body
    order = CertificateOrder.objects.get()
    assert order.reason.split("(")[0].strip() in body.replace("&#x27;", "'")
    assert Certificate.objects.count() == 0


def test_a_bad_csr_is_a_400_with_its_code_and_a_missing_csr_a_form_error(cast, client):
    client_for(client, cast.aro)
    response = client.post(reverse("certificate-order"),
                           {"user_id": SOLR_EUI, "kind": "xml-signing", "csr": "not a CSR"})
    assert response.status_code == 400
    assert '<code class="refusal-code">csr-unreadable</code>' in response.content.decode()
    response = client.post(reverse("certificate-order"), {"user_id": SOLR_EUI, "kind": "xml-signing"})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    # Another Party's User ID is not a choice of the form.
    response = client.post(reverse("certificate-order"), {"user_id": OTHER_EUI, "kind": "xml-signing",
                                                          "csr": csr_pem()})
    assert response.status_code == 400
    assert Certificate.objects.count() == 0


def test_certificate_list_is_scoped_to_the_party(cast, client):
    mine = issue(cast)
    theirs = issue(cast, cast.other_aro, CertificateKind.DIGITAL_SIGNING, OTHER_EUI)
    url = reverse("certificates")
    for person, visible in [(cast.aro, {mine}), (cast.sro, {mine}), (cast.outsider, {theirs}),
                            (cast.op1, {mine, theirs})]:
        force_login_verified(client, person)
        response = client.get(url)
        assert response.status_code == 200
        assert set(response.context["page"].object_list) == visible, person
    for person in (cast.nominated_aro, cast.authority_officer):
        force_login_verified(client, person)
        assert client.get(url).status_code == 403


def test_certificate_list_filters_and_pages(cast, client):
    first = issue(cast)
    for _ in range(25):
        issue(cast)
    from pki.revocation import revoke_certificate

    revoke_certificate(first, reason="test", decided_by="t")
    client_for(client, cast.op1)
    issue(cast, cast.other_aro, CertificateKind.KEY_AGREEMENT, OTHER_EUI)
    url = reverse("certificates")
    assert client.get(url).context["page"].paginator.count == 27
    assert client.get(url, {"page": 2}).context["page"].number == 2
    assert len(client.get(url, {"page": 2}).context["page"].object_list) == 2
    assert client.get(url, {"user_id": OTHER_EUI}).context["page"].paginator.count == 1
    assert client.get(url, {"kind": "key-agreement"}).context["page"].paginator.count == 1
    assert list(client.get(url, {"status": "revoked"}).context["page"].object_list) == [first]
    assert client.get(url, {"status": "valid", "user_id": SOLR_EUI}).context["page"].paginator.count == 25
    assert client.get(url, {"user_id": "nonsense"}).context["page"].paginator.count == 0


def test_detail_page_is_scoped_and_offers_revocation_to_the_aro_only(cast, client):
    cert = issue(cast)
    url = reverse("certificate-detail", args=[cert.pk])
    ask = reverse("certificate-revocation-request", args=[cert.pk])
    for person, may_ask in [(cast.aro, True), (cast.sro, False), (cast.op1, False)]:
        force_login_verified(client, person)
        response = client.get(url)
        assert response.status_code == 200
        assert (ask in response.content.decode()) is may_ask, person
    for person in (cast.outsider, cast.other_aro):
        force_login_verified(client, person)
        assert client.get(url).status_code == 404
    force_login_verified(client, cast.nominated_aro)
    assert client.get(url).status_code == 403


def test_download_is_the_pem_and_another_partys_certificate_is_404(cast, client):
    cert = issue(cast)
    url = reverse("certificate-download", args=[cert.pk])
    for person in (cast.aro, cast.sro, cast.op1):
        force_login_verified(client, person)
        response = client.get(url)
        assert response.status_code == 200
        assert response.content.decode() == cert.pem()
        assert x509.load_pem_x509_certificate(response.content).serial_number == int(cert.serial)
    force_login_verified(client, cast.outsider)
    assert client.get(url).status_code == 404
    force_login_verified(client, cast.other_aro)
    assert client.get(url).status_code == 404
    # The public repository serves the same PEM by the serial the order answered.
    assert client.get(f"/smki/certificates/{cert.serial}.pem").content.decode() == cert.pem()


# --- API ------------------------------------------------------------------------------------------------------

ORDERS = "/api/v1/certificate-orders/"


def test_api_order_is_201_with_the_decimal_serial_of_the_repository(cast, client):
    response = api_for(cast.aro).post(ORDERS, {"user_id": SOLR_EUI, "kind": "xml-signing", "csr": csr_pem()},
                                      format="json")
    assert response.status_code == 201, response.data
    serial = response.data["serial"]
    assert re.fullmatch(r"[0-9]+", serial)
    cert = Certificate.objects.get(serial=serial)
    assert response.data["certificate"]["user_id"] == SOLR_EUI
    assert client.get(f"/smki/certificates/{serial}.pem").content.decode() == cert.pem()


@pytest.mark.parametrize("body, status, code", [
    ({"kind": "digital-signing"}, 403, "solr-xml-signing-only"),
    ({"kind": "key-agreement"}, 403, "solr-xml-signing-only"),
    ({"csr": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"}, 400,
     "csr-unreadable"),
    ({"kind": "signing"}, 400, "invalid_choice"),
    ({"user_id": "90-B3-D5"}, 400, "invalid-eui"),
    ({"user_id": OTHER_EUI}, 403, "not-aro-of-party"),
])
def test_api_order_refusals_carry_their_codes(cast, body, status, code):
    data = {"user_id": SOLR_EUI, "kind": "xml-signing", "csr": csr_pem(), **body}
    response = api_for(cast.aro).post(ORDERS, data, format="json")
    assert response.status_code == status, response.data
    assert response.data["code"] == code
    assert Certificate.objects.count() == 0


@pytest.mark.parametrize("who", ["sro", "nominated_aro", "outsider", "op1", "authority_officer"])
def test_api_order_by_a_non_aro_is_403(cast, who):
    response = api_for(getattr(cast, who)).post(
        ORDERS, {"user_id": SOLR_EUI, "kind": "xml-signing", "csr": csr_pem()}, format="json")
    assert response.status_code == 403
    assert response.data["code"] == "not-verified-aro"


def test_api_needs_a_signed_in_person(cast):
    response = APIClient().post(ORDERS, {"user_id": SOLR_EUI, "kind": "xml-signing", "csr": csr_pem()},
                                format="json")
    assert response.status_code in (401, 403)
    assert response.data["code"] == "not_authenticated"
    assert APIClient().get("/api/v1/certificates/").status_code in (401, 403)


def test_api_certificates_are_scoped_and_filtered(cast):
    mine = issue(cast)
    theirs = issue(cast, cast.other_aro, CertificateKind.DIGITAL_SIGNING, OTHER_EUI)

    def serials(person, **params):
        response = api_for(person).get("/api/v1/certificates/", params)
        assert response.status_code == 200
        return {row["serial"] for row in response.data["results"]}

    assert serials(cast.aro) == {mine.serial}
    assert serials(cast.sro) == {mine.serial}
    assert serials(cast.outsider) == {theirs.serial}
    assert serials(cast.op1) == {mine.serial, theirs.serial}
    assert serials(cast.op1, kind="digital-signing") == {theirs.serial}
    assert serials(cast.op1, user_id=SOLR_EUI) == {mine.serial}
    assert serials(cast.op1, status="revoked") == set()
    assert api_for(cast.aro).get(f"/api/v1/certificates/{theirs.pk}/").status_code == 404
    assert api_for(cast.outsider).get(f"/api/v1/certificates/{mine.pk}/").status_code == 404
    detail = api_for(cast.aro).get(f"/api/v1/certificates/{mine.pk}/")
    assert detail.data["pem_url"] == f"/smki/certificates/{mine.serial}.pem"
    assert detail.data["status"] == "valid"
    assert api_for(cast.nominated_aro).get("/api/v1/certificates/").status_code == 403
    assert api_for(cast.authority_officer).get("/api/v1/certificates/").status_code == 403


def test_the_openapi_schema_describes_the_endpoints(cast, client):
    client_for(client, cast.aro)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/certificate-orders/"]
    assert "201" in paths["/api/v1/certificate-orders/"]["post"]["responses"]
    assert "get" in paths["/api/v1/certificates/"]
    assert "post" in paths["/api/v1/revocation-requests/{id}/approve/"]
    assert "post" in paths["/api/v1/revocation-requests/{id}/reject/"]
