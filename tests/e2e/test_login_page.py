"""The sign-in page in a real browser."""

import pytest
from playwright.sync_api import expect

from portal.models import Office, OfficeKind, PartyKind
from tests.portal.factories import PartyFactory, PersonFactory


@pytest.mark.django_db(transaction=True)
def test_an_officer_signs_in_and_sees_their_office(live_server, page):
    person = PersonFactory(username="aro-anna")
    Office.objects.create(person=person, kind=OfficeKind.ARO, party=PartyFactory(kind=PartyKind.SRP, name="Shared Ops"))

    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url  # the portal needs a sign-in
    # The stylesheet is served locally (no CDN).
    assert page.evaluate("getComputedStyle(document.querySelector('header.top')).display") == "flex"

    page.fill("#id_username", "aro-anna")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text().startswith("Your username and password didn't match")
    # The username is kept and the cursor waits in the password field; the password is not kept.
    assert page.input_value("#id_username") == "aro-anna"
    assert page.input_value("#id_password") == ""
    expect(page.locator("#id_password")).to_be_focused()  # autofocus happens at a later frame: expect retries

    page.keyboard.type("correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Welcome, aro-anna"
    row = page.locator("table tbody tr").first.inner_text()
    assert "Authorised Responsible Officer" in row and "Shared Ops" in row
