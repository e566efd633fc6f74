"""Sign-in and accounts in a real browser (issue 8 points 1-5): a DCC operator signs in with a TOTP code computed
from a manifest-style base32 secret, creates an API token, unlocks a locked colleague; an SRO enrols an
authenticator from the QR page. Screenshots of the main pages go to the run's artifacts folder; no page breaks
the Content-Security-Policy (the QR code is a data: image)."""

from __future__ import annotations

import base64

import pytest
import requests
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import Office, OfficeKind, OfficeStatus, PartyKind
from tests.helpers.cast import PASSWORD
from tests.helpers.csp import violations, watch
from tests.helpers.signin import code_from_base32
from tests.portal.factories import PartyFactory, PersonFactory

SECRET = base64.b32encode(bytes(range(1, 21))).decode()  # as the manifest lists people[].totp_secret


@pytest.fixture
def artifacts(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "artifacts" / "accounts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _person(username: str, kind: str, party_kind: str):
    person = PersonFactory(username=username, first_name="Dana", last_name="Okafor")
    Office.objects.create(person=person, kind=kind, party=PartyFactory(kind=party_kind),
                          status=OfficeStatus.VERIFIED)
    return person


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.django_db(transaction=True)
def test_a_dcc_operator_signs_in_with_totp_makes_a_token_and_unlocks_a_colleague(live_server, page, artifacts):
    console = watch(page)
    operator = _person("dcc.op", OfficeKind.DCC_OPERATOR, PartyKind.DCC)
    TOTPDevice.objects.create(user=operator, name="phone", key=base64.b32decode(SECRET).hex(), confirmed=True)
    _person("srp.colleague", OfficeKind.SRO, PartyKind.SRP)
    # The colleague mistypes five times (over HTTP, as a browser would): the username is locked.
    with requests.Session() as http:
        for _ in range(5):
            form = http.get(f"{live_server.url}/login/")
            last = http.post(f"{live_server.url}/login/", data={
                "username": "srp.colleague", "password": "wrong", "csrfmiddlewaretoken": http.cookies["csrftoken"]},
                headers={"Referer": form.url})
        assert last.status_code == 429 and 'data-code="account-locked"' in last.text

    _sign_in(page, live_server.url, "dcc.op")
    page.wait_for_url(f"{live_server.url}/login/code/**")
    page.screenshot(path=artifacts / "otp-verify.png", full_page=True)
    page.fill("input[name=otp_token]", code_from_base32(SECRET))
    page.click("form button[type=submit] >> text=Verify")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Welcome, dcc.op"

    page.goto(f"{live_server.url}/account/")
    assert page.locator("a[href='/account/tokens/']").is_visible()
    page.screenshot(path=artifacts / "account.png", full_page=True)

    page.goto(f"{live_server.url}/account/tokens/")
    page.click("text=Create a token")
    token = page.locator("#new-token").inner_text()
    page.screenshot(path=artifacts / "tokens.png", full_page=True)
    answer = requests.get(f"{live_server.url}/api/v1/account/", headers={"Authorization": f"Token {token}"})
    assert answer.status_code == 200 and answer.json()["username"] == "dcc.op"

    page.goto(f"{live_server.url}/lockouts/")
    assert page.locator("td", has_text="srp.colleague").count() == 1
    page.screenshot(path=artifacts / "lockouts.png", full_page=True)
    page.click("button[aria-label='Unlock srp.colleague']")
    page.wait_for_load_state("load")
    assert page.locator("text=No username is locked.").is_visible()
    assert violations(page) == [] and console == []


@pytest.mark.django_db(transaction=True)
def test_an_sro_enrols_an_authenticator_from_the_qr_page(live_server, page, artifacts):
    console = watch(page)
    _person("srp.sro", OfficeKind.SRO, PartyKind.SRP)
    _sign_in(page, live_server.url, "srp.sro")
    page.wait_for_url(f"{live_server.url}/")  # no code asked: no device yet
    page.goto(f"{live_server.url}/account/second-factor/")
    qr = page.locator("img.qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the data: SVG rendered under the CSP
    page.screenshot(path=artifacts / "otp-enrol.png", full_page=True)
    secret = page.locator("#totp-secret").inner_text()
    page.fill("input[name=otp_token]", code_from_base32(secret))
    page.click("button:has-text('Confirm')")
    page.wait_for_url(f"{live_server.url}/account/")
    assert "enrolled" in page.locator("main").inner_text()
    assert violations(page) == [] and console == []
