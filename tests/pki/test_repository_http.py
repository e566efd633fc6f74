"""The SMKI repository over HTTP: certificates by serial (PEM, DER), search (JSON), the CRL; caching headers."""

from __future__ import annotations

import pytest
from cryptography import x509
from django.test import Client

from pki.issuance import issue_certificate
from pki.revocation import revoke_certificate
from tests.helpers.pki import csr_for

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
        assert response["Cache-Control"] == "public, max-age=3600"  # SMKI_CERT_CACHE_SECONDS
        assert response["Last-Modified"]
        assert "Cookie" not in response.get("Vary", "")  # shared caches may keep it
    again = client.get(f"/smki/certificates/{xml.serial}.der", HTTP_IF_NONE_MATCH=der["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_unknown_serial_is_404(client, certs):
    for url in ("/smki/certificates/12345.pem", "/smki/certificates/12345.der"):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["code"] == "unknown-certificate"
    assert client.get("/smki/certificates/abc.pem").status_code == 404
    response = client.get("/smki/ca/nope.pem")
    assert response.status_code == 404 and response.json()["code"] == "unknown-ca"


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


@pytest.mark.parametrize(("query", "code"), [
    ({"eui": "not-an-eui"}, "invalid-eui"), ({"kind": "rsa"}, "invalid-kind"), ({"status": "happy"}, "invalid-status"),
    ({"limit": "0"}, "invalid-limit"), ({"limit": "501"}, "invalid-limit"), ({"limit": "ten"}, "invalid-limit"),
    ({"page": "2"}, "invalid-page"), ({"cursor": "made-up"}, "invalid-cursor"),
])
def test_search_rejects_bad_filters(client, certs, query, code):
    response = client.get("/smki/certificates", query)
    assert response.status_code == 400 and response.json()["code"] == code


def test_crl_endpoint(client, certs, smki, django_capture_on_commit_callbacks):
    response = client.get("/smki/crl")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    assert crl.is_signature_valid(smki.x509().public_key())
    assert {e.serial_number for e in crl} == {int(certs[2].serial)}
    assert response["ETag"] and response["Last-Modified"] and response["Expires"]
    assert_crl_cache_headers(response, crl)
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


def assert_crl_cache_headers(response, crl):
    from datetime import UTC, datetime

    from django.utils.http import parse_http_date

    directives = dict(d.strip().partition("=")[::2] for d in response["Cache-Control"].split(","))
    assert set(directives) == {"public", "max-age"}
    max_age = int(directives["max-age"])
    to_next_update = (crl.next_update_utc - datetime.now(UTC)).total_seconds()
    assert 0 <= max_age <= to_next_update and max_age <= 300  # SMKI_CRL_CACHE_SECONDS
    assert max_age == min(300, int(to_next_update)) or max_age == min(300, int(to_next_update) + 1)
    assert parse_http_date(response["Expires"]) == int(crl.next_update_utc.timestamp())
    assert parse_http_date(response["Last-Modified"]) == int(crl.last_update_utc.timestamp())


def test_crl_max_age_never_outlives_next_update(client, certs, smki, settings):
    """A CRL whose nextUpdate is close (a scheduled revocation) may be cached only until then."""
    from datetime import timedelta

    from django.utils import timezone

    from pki.crl import current_crl

    settings.SMKI_CRL_CACHE_SECONDS = 3600
    revoke_certificate(certs[1], reason="licence revoked", decided_by="dcc-op",
                       effective_at=timezone.now() + timedelta(seconds=90))
    row = current_crl()
    response = client.get("/smki/crl")
    crl = x509.load_der_x509_crl(response.content)
    assert crl.next_update_utc == row.next_update
    max_age = int(response["Cache-Control"].rpartition("max-age=")[2])
    assert 0 < max_age <= 90


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_repository_is_read_only(certs, method):
    """405 everywhere, also for a client that does CSRF checks like a real browser (not a CSRF 403)."""
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    for url in (f"/smki/certificates/{certs[0].serial}.pem", f"/smki/certificates/{certs[0].serial}.der",
                "/smki/certificates", "/smki/crl", "/smki/ca/issuing.pem"):
        response = getattr(client, method)(url)
        assert response.status_code == 405, url
        assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    assert client.head("/smki/crl").status_code == 200


def test_ca_and_search_cache_headers(client, certs, smki):
    assert client.get(f"/smki/ca/{smki.name}.der")["Cache-Control"] == "public, max-age=86400"
    assert client.get("/smki/certificates")["Cache-Control"] == "public, max-age=0, must-revalidate"


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
    assert response.status_code == 404 and response.json()["code"] == "no-issuing-ca"


@pytest.mark.parametrize("role", ["1234", "2", "0x123", "zz"])
def test_search_refuses_a_role_that_is_not_two_hex_digits(client, certs, role):
    response = client.get("/smki/certificates", {"role": role})
    assert response.status_code == 400 and response.json()["code"] == "invalid-role-code"


def walk(client, first_query, between_pages=None):
    """Follow `next` from the first page to the last; returns the serials of every page, in order."""
    pages = []
    response = client.get("/smki/certificates", first_query)
    for _ in range(100):  # a bounded walk: a bug must fail, not hang
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["count"] == len(body["results"]) <= body["limit"]
        pages.append([r["serial"] for r in body["results"]])
        if body["next"] is None:
            return pages
        if between_pages:
            between_pages(len(pages))
        response = client.get(body["next"])
    raise AssertionError("more than 100 pages")


def test_search_walks_every_certificate_exactly_once(client, certs, srp_solr_uid, supplier_uid):
    more = [issue_certificate(uid, "xml-signing", csr_for()) for uid in (srp_solr_uid, supplier_uid) * 2]
    everything = {c.serial for c in (*certs, *more)}
    pages = walk(client, {"limit": 3})
    assert [len(p) for p in pages] == [3, 3, 1]  # 7 certificates; next is null on the last page
    seen = [serial for page in pages for serial in page]
    assert len(seen) == len(set(seen)) and set(seen) == everything


def test_search_walk_is_stable_while_certificates_are_added(client, certs, srp_solr_uid, supplier_uid):
    before = {c.serial for c in certs} | {issue_certificate(supplier_uid, "xml-signing", csr_for()).serial
                                         for _ in range(4)}
    added = []

    def issue_two(page):
        if page <= 2:  # while the first pages are read (each new page would otherwise bring two more)
            added.extend(issue_certificate(srp_solr_uid, "xml-signing", csr_for()).serial for _ in range(2))

    pages = walk(client, {"limit": 2}, between_pages=issue_two)
    seen = [serial for page in pages for serial in page]
    assert len(seen) == len(set(seen))  # nothing twice
    assert before <= set(seen)  # everything that was there when the walk began, once
    assert set(seen) == before | set(added)  # added ones come after, in id order: seen too, once


def test_search_pages_keep_their_filters(client, certs, srp_solr_uid, supplier_uid):
    xml = [certs[0]] + [issue_certificate(srp_solr_uid, "xml-signing", csr_for()) for _ in range(2)]
    pages = walk(client, {"kind": "xml-signing", "limit": 1})
    assert [len(p) for p in pages] == [1, 1, 1]
    assert sorted(s for page in pages for s in page) == sorted(c.serial for c in xml)


def test_search_cursor_cannot_be_tampered_with(client, certs):
    from urllib.parse import parse_qs, urlencode, urlparse

    first = client.get("/smki/certificates", {"limit": 1}).json()
    query = {k: v[0] for k, v in parse_qs(urlparse(first["next"]).query).items()}
    assert client.get("/smki/certificates", query).status_code == 200
    cursor = query["cursor"]
    for forged in (cursor[:-1] + ("A" if cursor[-1] != "A" else "B"), cursor[:10], "x" + cursor):
        response = client.get(f"/smki/certificates?{urlencode({**query, 'cursor': forged})}")
        assert response.status_code == 400 and response.json()["code"] == "invalid-cursor"
    # A genuine cursor used with other filters than it was made for.
    response = client.get("/smki/certificates", {**query, "kind": "xml-signing"})
    assert response.status_code == 400 and response.json()["code"] == "invalid-cursor"


def test_search_limit_default_and_maximum(client, certs):
    from pki import views

    body = client.get("/smki/certificates").json()
    assert body["limit"] == views.SEARCH_DEFAULT_LIMIT == 100 and body["count"] == 3 and body["next"] is None
    assert client.get("/smki/certificates", {"limit": views.SEARCH_MAX_LIMIT}).status_code == 200
    response = client.get("/smki/certificates", {"limit": views.SEARCH_MAX_LIMIT + 1})
    assert response.status_code == 400 and response.json()["code"] == "invalid-limit"
