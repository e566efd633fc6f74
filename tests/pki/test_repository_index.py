"""/smki/: the repository's index page (README promises it): the site's layout, links that work, public, read-only."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from pki.issuance import issue_certificate
from pki.models import RevocationList
from pki.revocation import revoke_certificate
from tests.helpers.pki import csr_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(HTTP_HOST="localhost")


def links(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="(/smki/[^"]*)"', html)]


def test_index_lists_cas_crl_and_search_with_working_links(client, smki, srp_solr_uid, supplier_uid):
    issue_certificate(srp_solr_uid, "xml-signing", csr_for())
    revoked = issue_certificate(supplier_uid, "digital-signing", csr_for())
    revoke_certificate(revoked, reason="compromise", decided_by="dcc-op")
    crl = client.get("/smki/crl")  # publishes the first CRL
    assert crl.status_code == 200

    response = client.get("/smki/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert {"pki/index.html", "base.html"} <= {t.name for t in response.templates}
    assert smki.subject_name in html and smki.serial in html
    row = RevocationList.objects.get()
    assert f"number {row.number}" in html and "1 certificate listed" in html
    assert "1 valid, 1 revoked, 2 in all" in html
    hrefs = links(html)
    assert f"/smki/ca/{smki.name}.pem" in hrefs and f"/smki/ca/{smki.name}.der" in hrefs
    assert "/smki/crl" in hrefs and "/smki/certificates?status=revoked" in hrefs
    for href in hrefs:
        assert client.get(href).status_code == 200, href
    revoked_page = client.get("/smki/certificates?status=revoked").json()
    assert [r["serial"] for r in revoked_page["results"]] == [revoked.serial]
    # The search form sends its fields to the JSON search.
    assert re.search(r'<form method="get" action="/smki/certificates">', html)
    assert {"eui", "role", "kind", "status"} <= set(re.findall(r'name="([a-z]+)"', html))


def test_index_uses_the_site_layout_without_inline_script_or_style(client, smki):
    html = client.get("/smki/").content.decode()
    assert 'href="/"' in html  # the way home, from base.html
    assert "<script" not in html and "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers (Content-Security-Policy)


def test_index_before_pki_init_says_so_and_signs_nothing(client, db, keystore_dir):
    response = client.get("/smki/")
    assert response.status_code == 200 and "pki_init" in response.content.decode()
    assert not RevocationList.objects.exists()


def test_index_signs_no_crl(client, smki):
    assert client.get("/smki/").status_code == 200
    assert not RevocationList.objects.exists()


def test_index_is_public_and_read_only(smki):
    anonymous = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    response = anonymous.get("/smki/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=0, must-revalidate"
    for method in ("post", "put", "delete", "patch"):
        refused = getattr(anonymous, method)("/smki/")
        assert refused.status_code == 405
        assert set(refused["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    assert anonymous.head("/smki/").status_code == 200
    assert anonymous.get("/smki").status_code in (301, 308)  # APPEND_SLASH


def test_index_for_a_signed_in_user_is_private(smki, django_user_model):
    user = django_user_model.objects.create_user("reader", password="pw-123456789")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    response = client.get("/smki/")
    assert response.status_code == 200 and "reader" in response.content.decode()
    assert response["Cache-Control"] == "private, max-age=0, must-revalidate"
