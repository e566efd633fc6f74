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


# --- newcomer walkthrough 2: how the pages look -------------------------------------------------------

def box(page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


def style(page, selector: str, prop: str) -> str:
    return page.locator(selector).first.evaluate(f"e => getComputedStyle(e)[{prop!r}]")


def test_forms_details_banners_and_badges_look_tidy(live_server, page, csp_violations, tmp_path):
    from contingency.models import AdtFile
    from tests.contingency.adt_cast import csv_bytes, make_cast, solr_row
    from tests.helpers.signin import sign_in as sign_in_as

    adt = make_cast()
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})

    # An ARO uploads a file: the flash message is a green banner, the state a badge beside the heading.
    sign_in_as(page, base, adt.aro.username)
    page.goto(f"{base}/adt-files/upload/")
    page.get_by_label("ADT file (CSV)").set_input_files(
        {"name": "thresholds.csv", "mimeType": "text/csv", "buffer": csv_bytes(solr_row())})
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("ul.messages li.success")
    assert style(page, "ul.messages li.success", "backgroundColor") == "rgb(230, 244, 234)"
    assert style(page, "ul.messages", "listStyleType") == "none"
    assert page.locator("main h1").inner_text() == f"ADT file #{AdtFile.objects.get().pk}"  # no state in it
    heading, badge = box(page, "main h1"), box(page, ".badge.state")
    assert badge["x"] > heading["x"] + heading["width"] - 1  # beside the heading, not inside it
    assert abs((badge["y"] + badge["height"] / 2) - (heading["y"] + heading["height"] / 2)) < heading["height"] / 2
    assert style(page, "dl", "display") == "grid"  # the details: a two-column list
    dt, dd = box(page, "dl dt"), box(page, "dl dd")
    assert dd["x"] > dt["x"] + dt["width"] - 1 and abs(dd["y"] - dt["y"]) < 4  # side by side
    assert style(page, "td.eui", "whiteSpace") == "nowrap"
    assert page.locator("td[data-action]").all_inner_texts() == ["Uploaded"]
    page.screenshot(path=tmp_path / "adt-detail.png", full_page=True)

    # The filter cards: each label sits right above its own control.
    for path, shot in (("/adt-files/", "adt-list.png"), ("/smki/", "smki.png")):
        page.goto(f"{base}{path}")
        pairs = page.locator(".filters .pair").all()
        assert len(pairs) >= 2, path
        for pair in pairs:
            label, control = pair.locator("label").bounding_box(), pair.locator("select, input").bounding_box()
            assert 0 <= control["y"] - (label["y"] + label["height"]) < 8, path
            assert abs(control["x"] - label["x"]) < 2, path
        page.screenshot(path=tmp_path / shot, full_page=True)
    page.click("header.top button[type=submit]")
    page.wait_for_url(f"{base}/login/")

    # The SRO's nomination form: email, date and select as wide as the text inputs.
    sign_in_as(page, base, adt.sro.username)
    page.goto(f"{base}/offices/nominate/")
    text_width = box(page, "#id_username")["width"]
    for selector in ("#id_email", "#id_screening_date", "#id_party"):
        assert abs(box(page, selector)["width"] - text_width) < 2, selector
    assert abs(box(page, "#id_party")["height"] - box(page, "#id_username")["height"]) < 3
    page.screenshot(path=tmp_path / "nominate.png", full_page=True)

    # A GET on a POST-only page: the error layout with 405, not a blank page.
    response = page.goto(f"{base}/account/tokens/revoke/")
    assert response.status == 405 and response.headers["allow"] == "POST"
    check_error_page(page, "405")
    page.screenshot(path=tmp_path / "405.png", full_page=True)

    # The favicon is the local SVG, served.
    icon = page.locator("head link[rel=icon]").get_attribute("href")
    assert page.request.get(f"{base}{icon}").status == 200
    assert csp_violations == []


def test_the_code_step_has_a_secondary_cancel_beside_verify(live_server, page, cast, csp_violations, tmp_path):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", cast.dcc_operator1.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/login/code/**")
    right = cast.dcc_operator1.otp_code()
    page.fill("input[name=otp_token]", "000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    page.wait_for_selector("p.error")
    assert page.input_value("input[name=otp_token]") == ""  # the wrong code is cleared
    verify, cancel = box(page, "button:has-text('Verify')"), box(page, "button:has-text('Cancel and sign out')")
    assert abs(verify["y"] - cancel["y"]) < 2 and cancel["x"] > verify["x"]  # in one row
    assert style(page, "button.secondary", "backgroundColor") == "rgb(255, 255, 255)"
    assert style(page, "button:has-text('Verify')", "backgroundColor") != "rgb(255, 255, 255)"
    page.screenshot(path=tmp_path / "otp-wrong.png", full_page=True)
    page.get_by_role("button", name="Cancel and sign out").click()
    page.wait_for_url(f"{live_server.url}/login/")
    assert csp_violations == []
