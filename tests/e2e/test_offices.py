"""The offices in a real browser (issue 8 point 5): an SRO nominates an ARO, a DCC operator verifies it.

Screenshots of the main pages are saved under the pytest base temp folder, in artifacts/offices/."""

from __future__ import annotations

import pytest

from portal.models import Office, OfficeKind, OfficeStatus
from tests.helpers.signin import sign_in, sign_in_operator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def artifacts(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "artifacts" / "offices"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def csp_watch(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: found.append(f"page error: {exc}"))
    return found


def test_an_sro_nominates_an_aro_and_a_dcc_operator_verifies_it(live_server, browser, page, artifacts):
    from tests.helpers.cast import make_cast

    cast = make_cast()
    base = live_server.url
    problems = csp_watch(page)

    # The SRO nominates a new person.
    sign_in(page, base, cast.srp_sro.username)
    page.goto(f"{base}/offices/")
    assert page.locator("h1").inner_text() == "Offices"
    page.screenshot(path=artifacts / "01-sro-offices.png", full_page=True)
    page.get_by_role("link", name="Nominate an ARO").click()
    page.wait_for_url(f"{base}/offices/nominate/")
    # A first try without the screening evidence: the error summary names the fields and links to them.
    page.get_by_label("Username").fill("nia.aro")
    page.get_by_label("Email").fill("nia.aro@srp.example")
    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("Aro")
    page.get_by_role("button", name="Nominate").click()
    summary = page.locator(".error-summary")
    assert "Screening evidence reference" in summary.inner_text() and "Screening date" in summary.inner_text()
    page.screenshot(path=artifacts / "02-sro-nominate-errors.png", full_page=True)
    summary.get_by_role("link", name="Screening evidence reference", exact=False).click()
    assert page.evaluate("document.activeElement.id") == "id_screening_reference"  # the link leads to the field
    page.keyboard.type("HR-2026-0042")  # keyboard only from here
    page.get_by_label("Screening date").fill("2026-01-15")
    assert page.get_by_label("Username").input_value() == "nia.aro"  # what was typed survives the error
    page.get_by_label("Screening date").press("Enter")
    page.wait_for_url(f"{base}/offices/*/")
    assert page.locator("#office-status").inner_text() == "Nominated"
    page.screenshot(path=artifacts / "03-sro-nominated.png", full_page=True)
    office = Office.objects.get(person__username="nia.aro")
    assert (office.kind, office.status, office.nominated_by_id) == (OfficeKind.ARO, OfficeStatus.NOMINATED,
                                                                    cast.srp_sro.user.pk)
    assert page.locator("#verify").count() == 0  # the SRO may not verify

    # A DCC operator, in a browser of their own, finds the nomination with the filters and verifies it.
    operator = browser.new_context().new_page()
    problems += csp_watch(operator)
    sign_in_operator(operator, base, cast.dcc_operator1.username)
    operator.goto(f"{base}/offices/")
    operator.get_by_label("Party").select_option(label=str(cast.srp))
    operator.get_by_label("Status").select_option("nominated")
    operator.get_by_role("button", name="Filter").click()
    operator.wait_for_url(f"{base}/offices/?*")
    rows = operator.locator("table tbody tr")
    assert rows.count() == 1 and "nia.aro" in rows.first.inner_text()
    operator.screenshot(path=artifacts / "04-operator-nominations.png", full_page=True)
    rows.first.get_by_role("link", name="nia.aro").click()
    operator.wait_for_url(f"{base}/offices/{office.pk}/")
    assert "HR-2026-0042" in operator.locator("table.facts").inner_text()
    operator.screenshot(path=artifacts / "05-operator-office.png", full_page=True)
    operator.get_by_role("button", name="Verify").click()
    operator.wait_for_url(f"{base}/offices/{office.pk}/")
    assert operator.locator("#office-status").inner_text() == "Verified"
    assert cast.dcc_operator1.username in operator.locator("table.facts").inner_text()
    operator.screenshot(path=artifacts / "06-operator-verified.png", full_page=True)

    office.refresh_from_db()
    assert (office.status, office.decided_by_id) == (OfficeStatus.VERIFIED, cast.dcc_operator1.user.pk)
    # The SRO now sees the ARO verified, and may remove it.
    page.reload()
    assert page.locator("#office-status").inner_text() == "Verified" and page.locator("#remove").count() == 1
    assert problems == []
