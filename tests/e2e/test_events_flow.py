"""A SoLR event in a real browser (issue 9, tests): the Authority officer records the licence revocation and an
instruction with its PDF evidence; DCC operator A requests the activation and is refused as its approver; operator
B approves from the home page's panel, and the event page shows the contingency active. Every sign-in passes the
second factor (TOTP). Screenshots go to <pytest basetemp>/artifacts/events/; the pages break no rule of the CSP
(the csp_violations fixture of tests/e2e/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contingency.models import Activation, ActivationState, Instruction, LicenceRevocation
from tests.contingency.web_events.world import PDF, make_world
from tests.helpers.cast import make_cast
from tests.helpers.signin import sign_in_operator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def artifacts(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "artifacts" / "events"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_out(page) -> None:
    page.click("header.top button[type=submit]")
    page.wait_for_url("**/login/")


def local(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_authority_instructs_a_requests_is_refused_as_approver_and_b_approves(live_server, page, artifacts,
                                                                                csp_violations):
    cast = make_cast()
    world = make_world(cast)
    base = live_server.url
    now = timezone.now()

    # The Authority officer: the licence revocation, then the instruction with its evidence.
    sign_in_operator(page, base, cast.authority_officer.username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="SoLR events").click()
    page.wait_for_url(f"{base}/events/")
    page.get_by_role("link", name="Record a licence revocation").click()
    page.get_by_label("Supplier whose licence is revoked").select_option(label="Failed Energy (failed-energy)")
    page.get_by_label("Effective from (UTC)").fill(local(now - timedelta(hours=3)))
    page.get_by_label("Supplier of Last Resort appointed").select_option(label="Last Resort Energy (last-resort)")
    page.get_by_label("The Authority's reference").fill("OFG/REV/2026/9")
    page.get_by_role("button", name="Record the licence revocation").click()
    page.wait_for_url(f"{base}/events/")
    assert LicenceRevocation.objects.get().supplier == world.failed

    page.get_by_role("link", name="Record an instruction").click()
    page.wait_for_url(f"{base}/events/instructions/new/")
    page.get_by_label("Instruction reference").fill("OFG/SOLR/2026/9")
    page.get_by_label("Failed Supplier").select_option(label="Failed Energy (failed-energy)")
    page.get_by_label("SoLR Contingency User ID").select_option(value=str(world.solr_uid.pk))
    assert page.get_by_label("Service Requests allowed").input_value() == "1.6"
    page.get_by_label("All the Supplier's meters").check()
    page.get_by_label("Valid from (UTC)").fill(local(now - timedelta(hours=2)))
    page.get_by_label("Valid to (UTC)").fill(local(now + timedelta(days=28)))
    page.get_by_label("Evidence (PDF)").set_input_files(
        {"name": "direction.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.screenshot(path=str(artifacts / "01-record-instruction.png"), full_page=True)
    page.get_by_role("button", name="Record the instruction").click()
    instruction = Instruction.objects.get()
    page.wait_for_url(f"{base}/events/{instruction.pk}/")
    assert page.locator("#instruction-reference").inner_text() == "OFG/SOLR/2026/9"
    assert page.locator("#activation-state").get_attribute("data-state") == "none"
    assert page.locator("#activation-buttons").count() == 0  # the Authority does not switch the contingency
    with page.expect_download() as download:
        page.click("#evidence-link")
    assert download.value.suggested_filename == "direction.pdf"
    assert instruction.evidence_name == "direction.pdf" and not instruction.on_behalf_of_authority
    page.screenshot(path=str(artifacts / "02-event-recorded.png"), full_page=True)
    sign_out(page)

    # Operator A requests the activation; no Approve button for them (four eyes shown).
    sign_in_operator(page, base, cast.dcc_operator1.username)
    page.goto(f"{base}/events/")
    page.get_by_role("link", name="OFG/SOLR/2026/9").click()
    page.wait_for_url(f"{base}/events/{instruction.pk}/")
    page.get_by_role("button", name="Request activation").click()
    page.wait_for_url(f"{base}/events/{instruction.pk}/")
    expect(page.locator("#activation-state")).to_have_attribute("data-state", "requested")
    assert page.locator("#requested-by").inner_text() == cast.dcc_operator1.username
    assert page.get_by_role("button", name="Approve activation").count() == 0
    assert page.locator("#four-eyes-note").is_visible()
    activation = Activation.objects.get()

    # A sends the approval anyway, from the same signed-in page (as a stale tab or a hand-made form would): the
    # service refuses it with its code, the page says so with a 403, and nothing changes.
    token = page.locator("#activation-buttons input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    with page.expect_navigation() as navigation:
        page.evaluate("""([action, token, version]) => {
            const form = document.createElement("form");
            form.method = "post"; form.action = action;
            for (const [name, value] of [["csrfmiddlewaretoken", token], ["version", version]]) {
                const input = document.createElement("input");
                input.type = "hidden"; input.name = name; input.value = value; form.appendChild(input);
            }
            document.body.appendChild(form); form.submit();
        }""", [f"/events/activations/{activation.pk}/approve/", token, str(activation.version)])
    assert navigation.value.status == 403
    refusal = page.get_by_role("alert")
    assert refusal.locator("code.refusal-code").inner_text() == "same-person"
    assert page.locator("#activation-state").get_attribute("data-state") == "requested"
    page.screenshot(path=str(artifacts / "03-requester-refused.png"), full_page=True)
    activation.refresh_from_db()
    assert activation.state == ActivationState.REQUESTED and activation.approved_by is None
    sign_out(page)

    # Operator B finds it on the home page and approves.
    sign_in_operator(page, base, cast.dcc_operator2.username)
    panel = page.locator("#panel-contingencyactivation_approvals")
    assert "OFG/SOLR/2026/9" in panel.inner_text()
    page.screenshot(path=str(artifacts / "04-home-panel.png"), full_page=True)
    panel.get_by_role("link").first.click()
    page.wait_for_url(f"{base}/events/{instruction.pk}/")
    page.get_by_role("button", name="Approve activation").click()
    page.wait_for_url(f"{base}/events/{instruction.pk}/")
    expect(page.locator("#activation-state")).to_have_attribute("data-state", "active")
    expect(page.locator("#state-badge")).to_have_text("Active")
    assert page.locator("#approved-by").inner_text() == cast.dcc_operator2.username
    assert "approved" in page.locator("ul.messages").inner_text()
    history = page.locator("#activation-history td[data-state]").all_inner_texts()
    assert history == ["Requested", "Active"]
    assert page.locator("#event-chart").is_visible() and page.locator("#event-timeline tbody tr").count() == 24
    page.screenshot(path=str(artifacts / "05-event-active.png"), full_page=True)
    activation.refresh_from_db()
    assert activation.state == ActivationState.ACTIVE and activation.approved_by == cast.dcc_operator2.user
    assert csp_violations == []
