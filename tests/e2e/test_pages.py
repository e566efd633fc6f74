"""The web shell's pages in a real browser: error pages in the site's layout with a way home, the
sign-out page, and no Content-Security-Policy violation on any of them (issue 6 point 13).

Each test saves a screenshot of the page it checks into its tmp_path (pytest --basetemp=DIR keeps them)."""

from __future__ import annotations

import pytest

from tests.helpers.cast import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, live_server, username: str, member=None) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    if member is not None and member.device is not None:  # the second factor's step (issue 8)
        page.wait_for_url(f"{live_server.url}/login/code/**")
        page.fill("input[name=otp_token]", member.otp_code())
        page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def check_error_page(page, code: str) -> None:
    assert page.locator(".error-code").inner_text() == code
    # The site's stylesheet applies: the header bar and the card of the layout.
    assert page.evaluate("getComputedStyle(document.querySelector('header.top')).display") == "flex"
    assert page.evaluate("getComputedStyle(document.querySelector('section.card')).backgroundColor") \
        == "rgb(255, 255, 255)"
    assert page.locator("header.top a.brand").inner_text() == "SoLR Contingency Service"


def test_404_page_has_the_layout_and_a_way_home(live_server, page, cast, csp_violations, tmp_path):
    sign_in(page, live_server, cast.srp_sro.username)
    response = page.goto(f"{live_server.url}/no-such-page/")
    assert response.status == 404
    assert "script-src 'self'" in response.headers["content-security-policy"]  # the policy covers error pages
    check_error_page(page, "404")
    assert page.locator("header.top .who").inner_text() == cast.srp_sro.username
    page.screenshot(path=tmp_path / "404.png", full_page=True)
    page.click("main a.button")  # the way home
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == f"Welcome, {cast.srp_sro.username}"
    assert csp_violations == []


def test_403_page_has_the_layout_and_a_way_home(live_server, page, cast, csp_violations, tmp_path):
    sign_in(page, live_server, cast.dcc_operator1.username, cast.dcc_operator1)
    response = page.goto(f"{live_server.url}/admin/pki/certificate/add/")  # certificates come from issuance only
    assert response.status == 403
    assert "script-src 'self'" in response.headers["content-security-policy"]
    check_error_page(page, "403")
    page.screenshot(path=tmp_path / "403.png", full_page=True)
    page.click("main a.button")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav.site-nav >> text=Admin")  # the admin they may use (a navigation entry), titled for this service
    page.wait_for_url(f"{live_server.url}/admin/")
    assert page.title() == "DCC service desk | SoLR Contingency Service admin"
    page.screenshot(path=tmp_path / "admin.png", full_page=True)
    assert csp_violations == []


def test_sign_out_from_a_typed_logout_address(live_server, page, cast, csp_violations, tmp_path):
    sign_in(page, live_server, cast.authority_officer.username, cast.authority_officer)
    response = page.goto(f"{live_server.url}/logout/")
    assert response.status == 200
    assert page.locator("main h1").inner_text() == "Sign out"
    page.screenshot(path=tmp_path / "logout.png", full_page=True)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/login/")
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url  # really signed out
    assert csp_violations == []


def test_the_failed_sign_in_page(live_server, page, cast, csp_violations, tmp_path):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", cast.outsider.username)
    page.fill("#id_password", "not-the-password")
    page.click("main button[type=submit]")
    page.wait_for_selector("[role=alert]")
    assert page.input_value("#id_username") == cast.outsider.username
    page.screenshot(path=tmp_path / "login-failed.png", full_page=True)
    assert csp_violations == []
