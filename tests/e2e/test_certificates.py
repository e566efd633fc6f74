"""The ARO's certificate flow in a real browser (issue 8 point 6): order an XML signing certificate for the SRP's
SoLR Contingency User ID with a CSR made here (P-256), download it; be refused a Digital Signing one and see why;
ask for a revocation, which a DCC operator approves."""

from __future__ import annotations

import pytest
from cryptography import x509

from pki import ca as ca_module
from pki.models import Certificate
from tests.helpers.cast import PASSWORD
from tests.helpers.signin import sign_in_operator
from tests.pki.orders_cast import SOLR_EUI, csr_pem, make_cast


@pytest.fixture
def artifacts(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def world(transactional_db, settings, tmp_path, monkeypatch):
    monkeypatch.delenv("SOLR_KEYSTORE_SECRET", raising=False)
    monkeypatch.delenv("SOLR_KEYSTORE_SECRET_FILE", raising=False)
    settings.DATA_DIR = tmp_path
    ca_module.init_hierarchy()
    return make_cast()


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_aro_orders_downloads_is_refused_digital_signing_and_asks_for_a_revocation(world, live_server, page,
                                                                                    artifacts, tmp_path):
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in(page, live_server, world.aro.get_username())

    # Order an XML signing certificate, keyboard only after the first focus: the form is usable without a mouse.
    page.goto(f"{live_server.url}/certificates/order/")
    page.focus("#id_user_id")
    page.select_option("#id_user_id", SOLR_EUI)
    page.keyboard.press("Tab")
    page.select_option("#id_kind", "xml-signing")
    page.fill("#id_csr", csr_pem())
    page.screenshot(path=str(artifacts / "certificate-order.png"), full_page=True)
    page.click("main button[type=submit]")
    page.wait_for_selector("#serial")
    serial = page.inner_text("#serial")
    cert = Certificate.objects.get(serial=serial)
    assert cert.user_id.eui == SOLR_EUI and cert.kind == "xml-signing"
    page.screenshot(path=str(artifacts / "certificate-issued.png"), full_page=True)

    with page.expect_download() as download_info:
        page.click("#download")
    saved = tmp_path / "downloaded.pem"
    download_info.value.save_as(saved)
    downloaded = x509.load_pem_x509_certificate(saved.read_bytes())
    assert downloaded.serial_number == int(serial)
    assert saved.read_text() == cert.pem()

    # A Digital Signing certificate for the SoLR Contingency User ID: refused, the code and reason shown.
    page.goto(f"{live_server.url}/certificates/order/")
    page.select_option("#id_user_id", SOLR_EUI)
    page.select_option("#id_kind", "digital-signing")
    page.fill("#id_csr", csr_pem())
    page.click("main button[type=submit]")
    page.wait_for_selector("#refusal")
    assert page.inner_text(".refusal-code") == "solr-xml-signing-only"
    reason = page.inner_text(".refusal-reason")
    assert "XML signing certificates only" in reason and "MP134B" in reason
    page.screenshot(path=str(artifacts / "certificate-order-refused.png"), full_page=True)
    assert Certificate.objects.count() == 1

    # The list shows it; ask for its revocation.
    page.goto(f"{live_server.url}/certificates/")
    row = page.locator(f"tr[data-serial='{serial}']")
    assert "valid" in row.inner_text()
    page.screenshot(path=str(artifacts / "certificates.png"), full_page=True)
    row.get_by_role("link", name="Ask for revocation").click()
    page.fill("#id_reason", "key compromise")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/certificates/revocation-requests/")
    assert "Requested" in page.locator("tbody tr").first.inner_text()

    # A DCC operator approves it.
    page.click("header form button")  # sign out
    sign_in_operator(page, live_server.url, world.op1.get_username())  # with the second factor (issue 8)
    page.goto(f"{live_server.url}/certificates/revocation-requests/")
    page.screenshot(path=str(artifacts / "revocation-requests.png"), full_page=True)
    page.get_by_role("button", name="Approve (revoke)").click()
    page.wait_for_selector("text=Approved (revoked)")
    cert.refresh_from_db()
    assert cert.is_revoked()
    assert violations == []
