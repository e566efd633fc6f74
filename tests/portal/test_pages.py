"""The web shell's own pages (issue 6 point 13): error pages in the site's layout with a way home, a sign-out
page for GET /logout/, a login form that keeps the username, an admin titled for this service, and no
inline script or style anywhere (a Content-Security-Policy forbids them)."""

from __future__ import annotations

import re

import lxml.html
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.helpers.cast import PASSWORD
from tests.helpers.processes import PROJECT_DIR

pytestmark = pytest.mark.django_db


def assert_site_layout_with_a_way_home(response, status: int, template: str) -> lxml.html.HtmlElement:
    assert settings.DEBUG is False  # what users get: Django's own debug pages are off
    assert response.status_code == status
    assert template in [t.name for t in response.templates]
    page = lxml.html.fromstring(response.content)
    assert page.xpath("//header[@class='top']/a[@class='brand']/@href") == ["/"]
    assert page.xpath("//link[@rel='stylesheet']/@href") == ["/static/css/site.css"]
    assert page.xpath("//main//a[@class='button']/@href") == ["/"], "the way home"
    assert page.xpath("//p[@class='error-code']/text()") == [str(status)]
    return page


def test_404_page(cast):
    response = cast.outsider.client.get("/no-such-page/")
    page = assert_site_layout_with_a_way_home(response, 404, "404.html")
    assert page.xpath("//header//span[@class='who']/text()") == ["cast.outsider"]  # the shell knows who it is


def test_404_page_for_someone_not_signed_in(client):
    assert_site_layout_with_a_way_home(client.get("/smki/certificates/12x.pem"), 404, "404.html")


def test_403_page(cast):
    # The DCC service desk may look at certificates but never add one (they come from pki.issuance).
    response = cast.dcc_operator1.client.get(reverse("admin:pki_certificate_add"))
    assert_site_layout_with_a_way_home(response, 403, "403.html")


def test_403_page_for_a_form_without_its_csrf_token():
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x", "password": "y"})
    assert_site_layout_with_a_way_home(response, 403, "403_csrf.html")


@pytest.mark.urls("tests.portal.error_urls")
def test_500_page():
    response = Client(raise_request_exception=False).get("/test-errors/500")
    assert_site_layout_with_a_way_home(response, 500, "500.html")


@pytest.mark.urls("tests.portal.error_urls")
def test_400_page():
    response = Client(raise_request_exception=False).get("/test-errors/400")
    assert_site_layout_with_a_way_home(response, 400, "400.html")


def test_get_logout_shows_a_form_that_posts_and_does_not_sign_out(cast):
    client = cast.srp_aro.client
    response = client.get("/logout/")
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content)
    forms = page.xpath("//main//form")
    assert len(forms) == 1 and forms[0].method == "POST" and forms[0].action == "/logout/"
    assert forms[0].xpath(".//input[@name='csrfmiddlewaretoken']")
    assert client.get("/").status_code == 200  # still signed in

    response = client.post("/logout/")
    assert response.status_code == 302 and response.url == reverse("login")
    assert client.get("/").status_code == 302  # signed out: home sends to the sign-in page


def test_get_logout_when_signed_out_offers_the_sign_in(client):
    response = client.get("/logout/")
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content)
    assert page.xpath("//main//a[@class='button']/@href") == [reverse("login")]
    assert not page.xpath("//main//form")


def test_the_login_form_keeps_the_username_after_a_failed_attempt(cast, client):
    response = client.post(reverse("login"), {"username": cast.srp_aro.username, "password": "wrong-password"})
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content)
    assert page.get_element_by_id("id_username").get("value") == cast.srp_aro.username
    assert page.get_element_by_id("id_password").get("value") is None  # never echo a password
    assert "autofocus" in page.get_element_by_id("id_password").attrib  # type the password again
    assert page.xpath("//*[@role='alert']")

    response = client.post(reverse("login"), {"username": cast.srp_aro.username, "password": PASSWORD})
    assert response.status_code == 302


def test_the_login_form_escapes_the_kept_username(client):
    response = client.post(reverse("login"), {"username": '"><script>x()</script>', "password": "x"})
    page = lxml.html.fromstring(response.content)
    assert page.get_element_by_id("id_username").get("value") == '"><script>x()</script>'
    assert not page.xpath("//script")


def test_the_admin_is_titled_for_this_service(cast):
    response = cast.dcc_operator1.client.get(reverse("admin:index"))
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content)
    assert page.findtext(".//title") == "DCC service desk | SoLR Contingency Service admin"
    assert page.xpath("normalize-space(//*[@id='site-name'])") == "SoLR Contingency Service administration"
    login = Client().get(reverse("admin:login"))
    assert "SoLR Contingency Service" in lxml.html.fromstring(login.content).findtext(".//title")


INLINE = [
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style[\s>]", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an event-handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_has_inline_script_or_style():
    found = []
    for template in sorted((PROJECT_DIR / "templates").rglob("*.html")):
        text = template.read_text()
        for pattern, what in INLINE:
            found += [f"{template.relative_to(PROJECT_DIR)}: {what}: {m.group(0)!r}" for m in pattern.finditer(text)]
    assert not found, "\n".join(found)


# --- newcomer walkthrough 2: page fixes ---------------------------------------------------------------

@pytest.mark.parametrize("url", ["/account/tokens/revoke/", "/certificates/revocation-requests/1/decide/"])
def test_get_on_a_post_only_page_shows_the_error_layout_with_405(cast, url):
    response = cast.srp_aro.client.get(url)
    page = assert_site_layout_with_a_way_home(response, 405, "405.html")
    assert response["Allow"] == "POST"  # the status and the Allow header stay
    assert page.xpath("//header//span[@class='who']/text()") == [cast.srp_aro.username]


def test_a_405_from_the_api_is_not_turned_into_a_page(cast):
    response = cast.srp_aro.client.delete(reverse("api-account"))
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert "405.html" not in [t.name for t in response.templates]


def test_the_layout_links_a_local_favicon_that_is_served(cast):
    page = lxml.html.fromstring(cast.srp_sro.client.get("/").content)
    [href] = page.xpath("//head/link[@rel='icon']/@href")
    assert href == "/static/favicon.svg"
    assert (PROJECT_DIR / "static" / "favicon.svg").read_text().lstrip().startswith("<svg")


def test_a_wrong_code_is_cleared_from_the_code_field(cast):
    from django.contrib.auth import SESSION_KEY

    client = Client()
    client.force_login(cast.dcc_operator1.user)  # the password step only: the code step follows
    assert SESSION_KEY in client.session
    right = cast.dcc_operator1.otp_code()
    wrong = "000000" if right != "000000" else "111111"
    response = client.post(reverse("otp-verify"), {"otp_token": wrong})
    assert response.status_code == 400 and b'data-code="otp-invalid"' in response.content
    page = lxml.html.fromstring(response.content)
    [field] = page.xpath("//input[@name='otp_token']")
    assert field.get("value") in (None, "")
    assert page.xpath("//p[@class='error']/@id") == ["id_otp_token-error"]  # the error is still shown
    # Cancel is a secondary button of its own sign-out form, beside Verify.
    [cancel] = page.xpath("//main//button[@form]")
    assert cancel.get("class") == "secondary"
    assert page.xpath(f"//form[@id='{cancel.get('form')}']/@action") == [reverse("logout")]


def test_adt_history_shows_words_and_the_state_is_a_badge(db):
    from contingency.adt.services import approve_adt_file, upload_adt_file
    from tests.contingency.adt_cast import csv_bytes, solr_row
    from tests.contingency.adt_cast import make_cast as make_adt_cast

    adt = make_adt_cast()
    adt_file = upload_adt_file(adt.aro, adt.srp, "adt.csv", csv_bytes(solr_row()))
    approve_adt_file(adt.sro, adt_file)
    client = Client()
    client.force_login(adt.sro)
    response = client.get(reverse("adt-file-detail", args=[adt_file.pk]))
    page = lxml.html.fromstring(response.content)
    assert page.xpath("//h1/text()") == [f"ADT file #{adt_file.pk}"]  # the state is not run into the heading
    assert page.xpath("//span[contains(@class, 'badge')]/@class") == ["badge state state-active"]
    history = page.xpath("//td[@data-action]")
    assert [(td.get("data-action"), td.text) for td in history] == [("adt_file.upload", "Uploaded"),
                                                                     ("adt_file.approve", "Approved")]
    user_ids = page.xpath("(//table)[1]/tbody/tr/td[2]")
    assert user_ids and all(td.get("class") == "eui" for td in user_ids)  # an EUI-64 never wraps


def test_revocation_requests_link_each_serial_to_its_certificate(smki):
    from pki.models import CertificateKind
    from pki.orders import services
    from tests.pki.orders_cast import SOLR_EUI, csr_pem
    from tests.pki.orders_cast import make_cast as make_orders_cast

    people = make_orders_cast()
    cert = services.submit_order(people.aro, SOLR_EUI, CertificateKind.XML_SIGNING, csr_pem().encode()).certificate
    services.request_revocation(people.aro, cert, "key compromise")
    client = Client()
    client.force_login(people.aro)
    page = lxml.html.fromstring(client.get(reverse("revocation-requests")).content)
    [row] = page.xpath("//tr[@data-request]")
    assert row.xpath("td[2]/a/@href") == [reverse("certificate-detail", args=[cert.pk])]
    assert row.xpath("td[2]/a/code/text()") == [cert.serial]
    assert row.xpath("td[3]/@class") == ["eui"]  # an EUI-64 never wraps
