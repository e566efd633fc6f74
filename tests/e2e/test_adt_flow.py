"""The ADT flow in a real browser (issue 8, tests): the ARO uploads a file with errors, sees them by line,
fixes it; the uploader's own approval is refused with its code and the SRO approves. Screenshots of the
main pages go to <pytest basetemp>/artifacts/adt-*.png; the pages break no rule of the CSP
(the csp_violations fixture of tests/e2e/conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from contingency.models import AdtFile, AdtFileState
from portal.models import AuditRecord
from tests.contingency.adt_cast import SUPPLIER_GS, csv_bytes, make_cast, solr_row

PASSWORD = "correct-horse-battery"  # tests.portal.factories.PersonFactory's


@pytest.fixture
def artifacts(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def sign_out(page) -> None:
    page.click("header.top button[type=submit]")
    page.wait_for_url("**/login/")


@pytest.mark.django_db(transaction=True)
def test_aro_uploads_fixes_the_file_and_the_sro_approves(live_server, page, artifacts, csp_violations):
    cast = make_cast()
    base = live_server.url

    sign_in(page, base, cast.aro.username)
    page.goto(f"{base}/adt-files/")
    assert page.locator("h1").inner_text() == "ADT files"
    page.get_by_role("link", name="Upload an ADT file").click()
    page.wait_for_url(f"{base}/adt-files/upload/")

    # A file with three problems on three lines: all reported, nothing stored.
    bad = csv_bytes(solr_row(warning=0), solr_row(target="*"), solr_row(warning=300, quarantine=200))
    page.get_by_label("ADT file (CSV)").set_input_files(
        {"name": "thresholds.csv", "mimeType": "text/csv", "buffer": bad})
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state("load")
    summary = page.get_by_role("alert")
    assert summary.locator("code.refusal-code").inner_text() == "adt-file-invalid"
    cells = [[c.strip() for c in row.locator("td").all_inner_texts()]
             for row in page.locator("table.row-errors tbody tr").all()]
    assert [(c[0], c[1], c[2]) for c in cells] == [("2", "warning_level", "value-not-positive"),
                                                   ("4", "warning_level", "warning-above-quarantine")]
    page.screenshot(path=str(artifacts / "adt-upload-errors.png"), full_page=True)
    assert not AdtFile.objects.exists()

    # Fixing those shows the registry's problem (the file is checked against the registry next).
    page.get_by_label("ADT file (CSV)").set_input_files(
        {"name": "thresholds.csv", "mimeType": "text/csv",
         "buffer": csv_bytes(solr_row(), solr_row(target="*"))})
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state("load")
    cells = [[c.strip() for c in row.locator("td").all_inner_texts()]
             for row in page.locator("table.row-errors tbody tr").all()]
    assert [(c[0], c[1], c[2]) for c in cells] == [("3", "target_supplier", "target-supplier-required")]
    assert not AdtFile.objects.exists()

    # The fixed file is accepted and waits for approval.
    page.get_by_label("ADT file (CSV)").set_input_files(
        {"name": "thresholds.csv", "mimeType": "text/csv", "buffer": csv_bytes(solr_row(), solr_row(SUPPLIER_GS))})
    page.get_by_role("button", name="Upload").click()
    adt_file = AdtFile.objects.get()
    page.wait_for_url(f"{base}/adt-files/{adt_file.pk}/")
    assert page.locator("#file-state").inner_text() == "Submitted"
    assert page.locator("table tbody tr").count() >= 2
    page.screenshot(path=str(artifacts / "adt-detail-submitted.png"), full_page=True)

    # The uploader's own approval is refused, with its code.
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("alert").locator("code.refusal-code").inner_text() == "adt-four-eyes"
    assert page.locator("#file-state").inner_text() == "Submitted"
    page.screenshot(path=str(artifacts / "adt-four-eyes.png"), full_page=True)
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.SUBMITTED
    sign_out(page)

    # The SRO approves, keyboard only: the file is in the list, the Approve button takes Enter.
    sign_in(page, base, cast.sro.username)
    page.goto(f"{base}/adt-files/?state=submitted")
    page.screenshot(path=str(artifacts / "adt-files.png"), full_page=True)
    page.get_by_role("link", name=f"#{adt_file.pk} thresholds.csv").click()
    page.wait_for_url(f"{base}/adt-files/{adt_file.pk}/")
    page.get_by_role("button", name="Approve").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#file-state")).to_have_text("Active")
    assert "approved" in page.locator("ul.messages").inner_text()
    page.screenshot(path=str(artifacts / "adt-detail-active.png"), full_page=True)
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.ACTIVE and adt_file.approved_by == cast.sro
    assert list(AuditRecord.objects.filter(subject_id=str(adt_file.pk), action__startswith="adt_file.")
                .values_list("action", "actor")) == [("adt_file.upload", cast.aro.username),
                                                     ("adt_file.approve", cast.sro.username)]
    assert csp_violations == []
