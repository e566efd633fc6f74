"""The SMKI repository over HTTP: certificates by serial (PEM, DER), search (JSON), the CRL; caching headers."""

from __future__ import annotations

import pytest
from cryptography import x509
from django.test import Client

from pki.issuance import issue_certificate
from pki.revocation import revoke_certificate
from tests.pki.conftest import csr_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def certs(smki, srp_solr_uid, supplier_uid):
    xml = issue_certificate(srp_solr_uid, "xml-signing", csr_for())
    ds = issue_certificate(supplier_uid, "digital-signing", csr_for())
    ka = issue_certificate(supplier_uid, "key-agreement", csr_for())
    revoke_certificate(ka, reason="compromise", decided_by="dcc-op")
    return xml, ds, ka


def test_certificate_by_serial_pem_and_der(client, certs):
    xml = certs[0]
    pem = client.get(f"/smki/certificates/{xml.serial}.pem")
    assert pem.status_code == 200 and pem["Content-Type"] == "application/x-pem-file"
    assert x509.load_pem_x509_certificate(pem.content) == xml.x509()
    der = client.get(f"/smki/certificates/{xml.serial}.der")
    assert der.status_code == 200 and der["Content-Type"] == "application/pkix-cert"
    assert der.content == bytes(xml.der)
    for response in (pem, der):
        assert response["ETag"] == f'"{xml.fingerprint}"'
        assert "max-age=" in response["Cache-Control"] and "public" in response["Cache-Control"]
        assert response["Last-Modified"]
    again = client.get(f"/smki/certificates/{xml.serial}.der", HTTP_IF_NONE_MATCH=der["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_unknown_serial_is_404(client, certs):
    assert client.get("/smki/certificates/12345.pem").status_code == 404
    assert client.get("/smki/certificates/12345.der").status_code == 404
    assert client.get("/smki/certificates/abc.pem").status_code == 404
    assert client.get("/smki/ca/nope.pem").status_code == 404


def test_search_by_eui_role_kind_and_status(client, certs):
    xml, ds, ka = certs
    body = client.get("/smki/certificates", {"eui": "90b3d51f30010000"}).json()
    assert {r["serial"] for r in body["results"]} == {ds.serial, ka.serial}
    body = client.get("/smki/certificates", {"kind": "xml-signing"}).json()
    assert [r["serial"] for r in body["results"]] == [xml.serial]
    assert body["results"][0]["role"] == "87" and body["results"][0]["eui"] == "90-B3-D5-1F-30-20-00-01"
    body = client.get("/smki/certificates", {"role": "02", "status": "valid"}).json()
    assert [r["serial"] for r in body["results"]] == [ds.serial]
    body = client.get("/smki/certificates", {"status": "R"}).json()
    assert [r["serial"] for r in body["results"]] == [ka.serial]
    assert body["results"][0]["status"] == "revoked" and body["results"][0]["revocation_reason"] == "compromise"
    response = client.get("/smki/certificates", {"eui": "90b3d51f30010000"})
    assert response["Content-Type"] == "application/json" and response["ETag"]


def test_search_rejects_bad_filters(client, certs):
    assert client.get("/smki/certificates", {"eui": "not-an-eui"}).status_code == 400
    assert client.get("/smki/certificates", {"kind": "rsa"}).status_code == 400
    assert client.get("/smki/certificates", {"status": "happy"}).status_code == 400


def test_crl_endpoint(client, certs, smki, django_capture_on_commit_callbacks):
    response = client.get("/smki/crl")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    assert crl.is_signature_valid(smki.x509().public_key())
    assert {e.serial_number for e in crl} == {int(certs[2].serial)}
    assert response["ETag"] and response["Last-Modified"] and response["Expires"]
    assert "max-age=" in response["Cache-Control"]
    assert client.get("/smki/crl", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    # A new revocation signs a new CRL once committed; the view serves it, and so its ETag changes.
    with django_capture_on_commit_callbacks(execute=True):
        revoke_certificate(certs[1], reason="licence revoked", decided_by="dcc-op")
    newer = client.get("/smki/crl")
    assert newer["ETag"] != response["ETag"]
    assert {e.serial_number for e in x509.load_der_x509_crl(newer.content)} == {int(certs[1].serial),
                                                                               int(certs[2].serial)}


def test_ca_certificates_are_published(client, smki):
    response = client.get(f"/smki/ca/{smki.name}.pem")
    assert response.status_code == 200
    assert x509.load_pem_x509_certificate(response.content) == smki.x509()


def test_repository_is_read_only(client, certs):
    assert client.post(f"/smki/certificates/{certs[0].serial}.pem").status_code == 405
    assert client.post("/smki/crl").status_code == 405


def test_the_crl_view_signs_nothing_once_a_crl_exists(client, certs, smki, django_assert_num_queries):
    """An anonymous GET only reads the newest stored CRL, even when revocations changed since."""
    from pki.models import RevocationList

    first = client.get("/smki/crl")
    assert first.status_code == 200 and RevocationList.objects.count() == 1
    # Revoked without the on-commit CRL (as if signing had failed): the view still only serves the stored one.
    revoke_certificate(certs[1], reason="licence revoked", decided_by="dcc-op")
    again = client.get("/smki/crl")
    assert again["ETag"] == first["ETag"] and RevocationList.objects.count() == 1
    from pki.tasks import refresh_crl

    result = refresh_crl()
    assert result["revoked"] == 2 and RevocationList.objects.count() == 2
    newest = client.get("/smki/crl")
    assert newest["ETag"] != first["ETag"]
    assert refresh_crl()["number"] == result["number"]  # nothing changed: no new CRL


def test_crl_view_before_any_ca_is_404(client, db, keystore_dir):
    response = client.get("/smki/crl")
    assert response.status_code == 404 and "pki_init" in response.json()["error"]
