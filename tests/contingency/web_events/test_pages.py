"""The event pages (issue 9 points 1, 3 and 5): recording the Authority's decisions (and a DCC operator recording
on the Authority's behalf, marked), the instruction's evidence and scope, the event page's buttons by viewer and
state, refusals shown with their code and status that change nothing, the Supplier's certificates and meters,
the home panel of activations to approve."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from contingency.events.activation import approve_activation, request_activation, suspend_activation
from contingency.models import Activation, ActivationState, ActivationTransition, Instruction, LicenceRevocation
from contingency.web.events.forms import parse_device_list
from portal.models import AuditRecord, PartyKind
from tests.portal.factories import PartyFactory

from .world import FAILED_IS, METER_EUIS, PDF, event, instruct, make_world, revoke_licence

pytestmark = pytest.mark.django_db


def local(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def code_of(response) -> str | None:
    found = re.search(r'data-code="([^"]+)"', response.content.decode())
    return found.group(1) if found else None


def buttons(response) -> set[str]:
    return set(re.findall(r'id="button-([a-z]+)"', response.content.decode()))


# --- licence revocation and deferral --------------------------------------------------------------------------

def test_the_authority_records_a_licence_revocation(cast):
    world = make_world(cast)
    client = cast.authority_officer.client
    page = client.get(reverse("events:record-revocation"))
    assert page.status_code == 200 and 'id="on-behalf"' not in page.content.decode()
    effective = timezone.now() + timedelta(days=2)
    response = client.post(reverse("events:record-revocation"), {
        "supplier": world.failed.pk, "effective_at": local(effective), "solr": world.last_resort.pk,
        "reference": "OFG/REV/7"})
    assert response.status_code == 302 and response["Location"] == reverse("events:list")
    revocation = LicenceRevocation.objects.get()
    assert (revocation.supplier, revocation.solr, revocation.reference) == (world.failed, world.last_resort,
                                                                            "OFG/REV/7")
    assert revocation.effective_at == effective.replace(second=0, microsecond=0)
    assert revocation.recorded_by == cast.authority_officer.user and not revocation.on_behalf_of_authority


def test_a_dcc_operator_records_on_the_authoritys_behalf_and_the_record_says_so(cast):
    world = make_world(cast)
    client = cast.dcc_operator1.client
    page = client.get(reverse("events:record-revocation"))
    assert 'id="on-behalf"' in page.content.decode()
    client.post(reverse("events:record-revocation"), {
        "supplier": world.failed.pk, "effective_at": local(timezone.now() + timedelta(days=1)),
        "solr": world.last_resort.pk})
    revocation = LicenceRevocation.objects.get()
    assert revocation.on_behalf_of_authority and revocation.recorded_by == cast.dcc_operator1.user
    listing = cast.authority_officer.client.get(reverse("events:list")).content.decode()
    assert "on the Authority's behalf" in listing


def test_a_second_revocation_of_the_same_licence_is_refused_with_its_code(cast):
    world = make_world(cast)
    revoke_licence(world, cast.authority_officer.user)
    response = cast.authority_officer.client.post(reverse("events:record-revocation"), {
        "supplier": world.failed.pk, "effective_at": local(timezone.now()), "solr": world.last_resort.pk})
    assert response.status_code == 400 and code_of(response) == "licence-already-revoked"
    assert LicenceRevocation.objects.count() == 1


def test_the_smki_pma_deferral_is_recorded_and_a_bad_one_refused(cast):
    world = make_world(cast)
    effective = timezone.now() + timedelta(days=1)
    from contingency.events.records import record_licence_revocation

    revocation = record_licence_revocation(cast.authority_officer.user, supplier=world.failed,
                                           effective_at=effective, solr=world.last_resort)
    url = reverse("events:record-deferral", args=[revocation.pk])
    client = cast.authority_officer.client
    # Before the licence revocation takes effect: refused (bad-window), nothing changes.
    response = client.post(url, {"until": local(effective - timedelta(hours=2)), "decided_by": "SMKI PMA chair"})
    assert response.status_code == 400 and code_of(response) == "bad-window"
    revocation.refresh_from_db()
    assert revocation.certificates_deferred_until is None
    until = effective + timedelta(days=3)
    response = client.post(url, {"until": local(until), "decided_by": "SMKI PMA chair"})
    assert response.status_code == 302
    revocation.refresh_from_db()
    assert revocation.certificates_deferred_until == until.replace(second=0, microsecond=0)
    assert revocation.deferral_decided_by == "SMKI PMA chair"
    assert revocation.deferral_recorded_by == cast.authority_officer.user


# --- instruction -----------------------------------------------------------------------------------------------

def instruction_data(world, **overrides) -> dict:
    now = timezone.now()
    data = {"reference": "OFG/2026/042", "supplier": world.failed.pk, "contingency_user_id": world.solr_uid.pk,
            "srvs": "1.6", "scope": "all", "device_ids": "", "valid_from": local(now - timedelta(hours=1)),
            "valid_to": local(now + timedelta(days=14)),
            "evidence": SimpleUploadedFile("direction.pdf", PDF, content_type="application/pdf")}
    data.update(overrides)
    return data


def test_the_authority_records_an_instruction_with_its_evidence(cast):
    world = make_world(cast)
    revoke_licence(world, cast.authority_officer.user)
    response = cast.authority_officer.client.post(reverse("events:record-instruction"), instruction_data(world))
    instruction = Instruction.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("events:detail", args=[instruction.pk])
    assert (instruction.reference, instruction.supplier, instruction.contingency_user_id, instruction.srvs,
            instruction.scope) == ("OFG/2026/042", world.failed, world.solr_uid, ["1.6"], "all")
    assert instruction.evidence_name == "direction.pdf" and not instruction.on_behalf_of_authority

    download = cast.dcc_operator2.client.get(reverse("events:evidence", args=[instruction.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"] == 'attachment; filename="direction.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"


def test_a_listed_scope_takes_pasted_ids_in_any_spelling_and_a_file(cast):
    world = make_world(cast)
    revoke_licence(world, cast.authority_officer.user)
    pasted = f"{METER_EUIS[0].lower()}\n\n{METER_EUIS[1].replace('-', '')}\n"
    upload = SimpleUploadedFile("devices.csv", f"device_id\n{METER_EUIS[3].replace('-', ':')},gas\n".encode(),
                                content_type="text/csv")
    response = cast.dcc_operator1.client.post(reverse("events:record-instruction"), instruction_data(
        world, scope="listed", device_ids=pasted, device_file=upload))
    assert response.status_code == 302
    instruction = Instruction.objects.get()
    assert instruction.scope == "listed" and instruction.on_behalf_of_authority
    assert sorted(instruction.devices.values_list("eui", flat=True)) == [METER_EUIS[0], METER_EUIS[1], METER_EUIS[3]]


def test_parse_device_list_reports_lines_that_are_not_euis():
    assert parse_device_list("eui\n00DB600000000001\n\n00-db-60-00-00-00-00-01\nnot-an-eui\n12-34\n") == (
        ["00-DB-60-00-00-00-00-01"], ["line 5: 'not-an-eui' is not an EUI-64", "line 6: '12-34' is not an EUI-64"])


@pytest.mark.parametrize(("overrides", "status", "code"), [
    # A meter of another Supplier (a well-formed EUI the failed Supplier does not have).
    ({"scope": "listed", "device_ids": "00-DB-99-00-00-00-00-01"}, 400, "unknown-devices"),
    ({"evidence": SimpleUploadedFile("direction.pdf", b"<html>not a pdf</html>", content_type="application/pdf")},
     400, "evidence-not-pdf"),
    ({"srvs": "1.6, 99.99"}, 400, "unknown-srv"),
])
def test_a_refused_instruction_shows_its_code_and_stores_nothing(cast, overrides, status, code):
    world = make_world(cast)
    revoke_licence(world, cast.authority_officer.user)
    response = cast.authority_officer.client.post(reverse("events:record-instruction"),
                                                  instruction_data(world, **overrides))
    assert response.status_code == status and code_of(response) == code
    assert not Instruction.objects.exists()


def test_an_instruction_for_a_supplier_whose_licence_stands_is_refused(cast):
    world = make_world(cast)
    response = cast.authority_officer.client.post(reverse("events:record-instruction"), instruction_data(world))
    assert response.status_code == 400 and code_of(response) == "licence-not-revoked"
    assert not Instruction.objects.exists()


def test_form_problems_are_listed_and_nothing_is_stored(cast):
    world = make_world(cast)
    revoke_licence(world, cast.authority_officer.user)
    response = cast.authority_officer.client.post(reverse("events:record-instruction"), instruction_data(
        world, scope="listed", device_ids=f"{METER_EUIS[0]}\nnonsense-line-1\n"))
    assert response.status_code == 400
    assert "line 2: &#x27;nonsense-line-1&#x27; is not an EUI-64" in response.content.decode()
    # Devices listed while the scope says all meters: refused too rather than silently ignored.
    response = cast.authority_officer.client.post(reverse("events:record-instruction"), instruction_data(
        world, device_ids=METER_EUIS[0]))
    assert response.status_code == 400 and "choose &#x27;Listed devices only&#x27;" in response.content.decode()
    assert not Instruction.objects.exists()


# --- the event page --------------------------------------------------------------------------------------------

def test_the_buttons_follow_the_viewer_and_the_state(cast):
    _, instruction = event(cast)
    url = reverse("events:detail", args=[instruction.pk])
    op1, op2, authority = cast.dcc_operator1.client, cast.dcc_operator2.client, cast.authority_officer.client
    assert buttons(op1.get(url)) == {"request"} and buttons(authority.get(url)) == set()

    activation = request_activation(cast.dcc_operator1.user, instruction)
    requester_page = op1.get(url)
    # Four eyes shown: the requester has no Approve button, and is told why.
    assert buttons(requester_page) == {"end"} and 'id="four-eyes-note"' in requester_page.content.decode()
    assert buttons(op2.get(url)) == {"approve", "end"}
    assert buttons(authority.get(url)) == set()

    approve_activation(cast.dcc_operator2.user, activation.pk)
    assert buttons(op1.get(url)) == buttons(op2.get(url)) == {"suspend", "end"}
    # Each button posts the page's version (and the note) to its own action.
    html = op1.get(url).content.decode()
    for action in ("suspend", "end"):
        target = reverse("events:activation-action", args=[activation.pk, action])
        assert re.search(rf'id="button-{action}"[^>]*formaction="{target}"', html)
    assert 'name="version" value="1"' in html and 'name="note"' in html
    suspend_activation(cast.dcc_operator1.user, activation.pk)
    assert buttons(op1.get(url)) == {"resume", "end"}
    assert buttons(authority.get(url)) == set()


def test_no_request_button_outside_the_window(cast):
    world = make_world(cast)
    revoke_licence(world, cast.authority_officer.user)
    later = instruct(world, cast.authority_officer.user, hours_from=24, hours_to=48)
    assert buttons(cast.dcc_operator1.client.get(reverse("events:detail", args=[later.pk]))) == set()


def test_the_requesters_approval_is_refused_shown_with_its_code_and_changes_nothing(cast):
    _, instruction = event(cast)
    activation = request_activation(cast.dcc_operator1.user, instruction)
    audit_before = AuditRecord.objects.count()
    response = cast.dcc_operator1.client.post(reverse("events:activation-action", args=[activation.pk, "approve"]),
                                              {"version": activation.version})
    assert response.status_code == 403 and code_of(response) == "same-person"
    assert 'class="refusal-reason"' in response.content.decode()
    activation.refresh_from_db()
    assert activation.state == ActivationState.REQUESTED and activation.version == 0
    assert ActivationTransition.objects.count() == 1 and AuditRecord.objects.count() == audit_before


def test_a_page_older_than_someone_elses_change_is_refused_as_a_conflict(cast):
    _, instruction = event(cast)
    activation = request_activation(cast.dcc_operator1.user, instruction)
    seen = activation.version
    approve_activation(cast.dcc_operator2.user, activation.pk)
    # dcc_operator1's page still showed version 0 (requested): its End is refused, the activation stays active.
    response = cast.dcc_operator1.client.post(reverse("events:activation-action", args=[activation.pk, "end"]),
                                              {"version": seen})
    assert response.status_code == 409 and code_of(response) == "conflict"
    activation.refresh_from_db()
    assert activation.state == ActivationState.ACTIVE


def test_each_button_moves_the_activation_and_the_history_shows_it(cast):
    _, instruction = event(cast)
    url = reverse("events:detail", args=[instruction.pk])
    op1, op2 = cast.dcc_operator1.client, cast.dcc_operator2.client
    assert op1.post(reverse("events:activation-request", args=[instruction.pk])).status_code == 302
    activation = Activation.objects.get()
    for client, action, state in [(op2, "approve", "active"), (op1, "suspend", "suspended"),
                                  (op2, "resume", "active"), (op1, "end", "ended")]:
        activation.refresh_from_db()
        response = client.post(reverse("events:activation-action", args=[activation.pk, action]),
                               {"version": activation.version, "note": f"{action} note"})
        assert response.status_code == 302 and response["Location"] == url
        activation.refresh_from_db()
        assert activation.state == state
    html = op1.get(url).content.decode()
    history = re.search(r'<table id="activation-history">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'<td data-state="([a-z]+)">', history) == ["requested", "active", "suspended", "active",
                                                                 "ended"]
    assert "suspend note" in history and "cast.dcc2" in history
    assert re.search(r'id="activation-state" data-state="ended"', html)
    # Ended: a new request is possible again under the same current instruction.
    assert buttons(op1.get(url)) == {"request"}


def test_the_page_lists_the_suppliers_certificates_with_status_and_meters_by_mode(cast, smki):
    from pki.issuance import issue_certificate
    from pki.models import Certificate
    from pki.revocation import revoke_certificate
    from tests.helpers.pki import csr_for

    world = make_world(cast)
    kept = issue_certificate(world.failed_is, "digital-signing", csr_for())
    scheduled = issue_certificate(world.failed_is, "xml-signing", csr_for())
    revoke_certificate(scheduled, reason="test", decided_by="test", effective_at=timezone.now() + timedelta(days=5))
    _, instruction = event(cast, world)  # the licence revocation (2 hours ago) revokes what is valid now
    statuses = dict(Certificate.objects.values_list("serial", "revoked_at"))
    assert statuses[kept.serial] is not None

    html = cast.dcc_operator1.client.get(reverse("events:detail", args=[instruction.pk])).content.decode()
    table = re.search(r'<table id="supplier-certificates">(.*?)</table>', html, re.S).group(1)
    rows = dict(re.findall(r'<a href="[^"]+">(\d+)</a>.*?data-status="([a-z-]+)"', table, re.S))
    expected = {c.serial: c.status() for c in Certificate.objects.filter(user_id__party=world.failed)}
    assert rows == expected and "revoked" in rows.values()
    assert f'href="{reverse("certificate-detail", args=[kept.pk])}"' in table
    # The Authority cannot open the portal's certificate pages: its links go to the public repository.
    html = cast.authority_officer.client.get(reverse("events:detail", args=[instruction.pk])).content.decode()
    assert f'href="{reverse("pki:certificate-pem", args=[kept.serial])}"' in html

    meters = re.search(r'<table id="supplier-meters">(.*?)</table>', html, re.S).group(1)
    every_meter = re.search(r'<tr data-type="all">.*?</tr>', meters, re.S).group(0)
    cells = dict(re.findall(r'data-key="([a-z]+)">(\d+)<', every_meter))
    assert cells == {"prepayment": "3", "credit": "1", "other": "0", "total": "4"}


def test_the_list_shows_each_event_with_its_activation(cast):
    _, instruction = event(cast)
    request_activation(cast.dcc_operator1.user, instruction)
    html = cast.authority_officer.client.get(reverse("events:list")).content.decode()
    table = re.search(r'<table id="events">(.*?)</table>', html, re.S).group(1)
    assert f'href="{reverse("events:detail", args=[instruction.pk])}">OFG/2026/001</a>' in table
    assert 'data-state="requested"' in table and "cast.dcc1" in table and FAILED_IS not in table


def test_the_home_panel_lists_activations_for_another_operator_to_approve(cast):
    from portal.home import panels_for

    _, instruction = event(cast)
    request_activation(cast.dcc_operator1.user, instruction)

    def panel(member):
        return {s.panel.key: s.items for s in panels_for(member.user)}.get("contingency.activation_approvals")

    items = panel(cast.dcc_operator2)
    assert [i.url for i in items] == [reverse("events:detail", args=[instruction.pk])]
    assert "OFG/2026/001" in items[0].text and "cast.dcc1" in items[0].detail
    assert panel(cast.dcc_operator1) == []  # the requester never approves
    assert panel(cast.authority_officer) is None and panel(cast.outsider) is None
    home = cast.dcc_operator2.client.get("/").content.decode()
    assert "SoLR activations to approve" in home and "OFG/2026/001" in home


def test_an_operator_who_is_also_an_authority_officer_records_as_the_authority(cast):
    from portal.models import Office, OfficeKind, OfficeStatus

    Office.objects.create(person=cast.dcc_operator1.user, kind=OfficeKind.AUTHORITY_OFFICER, party=cast.authority,
                          status=OfficeStatus.VERIFIED)
    world = make_world(cast)
    client = cast.dcc_operator1.client
    assert 'id="on-behalf"' not in client.get(reverse("events:record-revocation")).content.decode()
    client.post(reverse("events:record-revocation"), {
        "supplier": world.failed.pk, "effective_at": local(timezone.now() + timedelta(days=1)),
        "solr": world.last_resort.pk})
    assert not LicenceRevocation.objects.get().on_behalf_of_authority  # the page said what the record says


def test_no_deferral_link_once_the_certificates_are_revoked(cast):
    world = make_world(cast)
    revocation = revoke_licence(world, cast.authority_officer.user)  # effective two hours ago: revoked at once
    assert revocation.certificates_revoked_at is not None
    url = reverse("events:record-deferral", args=[revocation.pk])
    assert url not in cast.authority_officer.client.get(reverse("events:list")).content.decode()
    future = PartyFactory(kind=PartyKind.SUPPLIER, name="Later Energy", short_name="later")
    from contingency.events.records import record_licence_revocation

    later = record_licence_revocation(cast.authority_officer.user, supplier=future,
                                      effective_at=timezone.now() + timedelta(days=1), solr=world.last_resort)
    listing = cast.authority_officer.client.get(reverse("events:list")).content.decode()
    assert reverse("events:record-deferral", args=[later.pk]) in listing and url not in listing
