"""The Authority's records: licence revocation, deferral, instruction (issue 9 point 1), who may record them, and
every refusal by its code."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from contingency.events import records
from contingency.events.evidence import simple_pdf
from contingency.events.records import record_deferral, record_instruction, record_licence_revocation
from contingency.events.refusals import EventRefused
from contingency.models import Instruction, LicenceRevocation, ScopeKind
from portal.models import AuditRecord, LicenceStatus

from .world import instruct, make_world, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    return make_world(cast)


def refused(code: str):
    """pytest.raises for an EventRefused, checking its code after the block."""
    return _Refused(code)


class _Refused:
    def __init__(self, code):
        self.code = code
        self.raises = pytest.raises(EventRefused)

    def __enter__(self):
        self.info = self.raises.__enter__()
        return self.info

    def __exit__(self, *exc):
        result = self.raises.__exit__(*exc)
        assert self.info.value.code == self.code, self.info.value
        return result


# --- who may record and see --------------------------------------------------------------------------------

def test_authority_officers_and_dcc_operators_record_and_see_nobody_else(cast):
    for member in (cast.authority_officer, cast.dcc_operator1):
        assert records.may_record(member.user) and records.can_view_events(member.user)
        assert records.can_download_evidence(member.user)
    for member in (cast.srp_sro, cast.srp_aro, cast.outsider):
        assert not records.may_record(member.user)
        assert not records.can_view_events(member.user) and not records.can_download_evidence(member.user)


def test_someone_else_is_refused_and_nothing_is_recorded(cast, world):
    healthy = world.healthy
    with refused("not-permitted") as caught:
        record_licence_revocation(cast.srp_sro.user, supplier=healthy, effective_at=timezone.now(), solr=world.solr)
    assert caught.value.http_status == 403
    with refused("not-permitted"):
        instruct(world, cast.outsider.user)
    assert not LicenceRevocation.objects.exists() and not Instruction.objects.exists()


# --- licence revocation ------------------------------------------------------------------------------------

def test_a_revocation_in_effect_marks_the_licence_revoked_at_once(cast, world):
    effective = timezone.now() - timedelta(minutes=5)
    revocation = record_licence_revocation(cast.authority_officer.user, supplier=world.healthy,
                                           effective_at=effective, solr=world.solr, reference="REV-1")
    world.healthy.refresh_from_db()
    assert world.healthy.licence_status == LicenceStatus.REVOKED and world.healthy.licence_revoked_at == effective
    assert revocation.on_behalf_of_authority is False and revocation.recorded_by == cast.authority_officer.user
    record = AuditRecord.objects.get(action="licence_revocation.record")
    assert record.actor == cast.authority_officer.username and record.after["solr"] == "last-resort"


def test_a_future_revocation_marks_the_licence_when_it_falls_due(cast, world):
    from contingency.events.certificates import apply_due_revocations

    effective = timezone.now() + timedelta(hours=1)
    revocation = record_licence_revocation(cast.dcc_operator1.user, supplier=world.healthy, effective_at=effective,
                                           solr=world.solr)
    assert revocation.on_behalf_of_authority is True  # a DCC operator records on the Authority's behalf
    world.healthy.refresh_from_db()
    assert world.healthy.licence_status == LicenceStatus.ACTIVE
    apply_due_revocations(at=effective - timedelta(seconds=1))
    world.healthy.refresh_from_db()
    assert world.healthy.licence_status == LicenceStatus.ACTIVE
    apply_due_revocations(at=effective)
    world.healthy.refresh_from_db()
    assert world.healthy.licence_status == LicenceStatus.REVOKED and world.healthy.licence_revoked_at == effective


def test_revocation_refusals(cast, world):
    officer = cast.authority_officer.user
    now = timezone.now()
    with refused("licence-already-revoked"):
        record_licence_revocation(officer, supplier=world.failed, effective_at=now, solr=world.solr)
    with refused("not-a-supplier"):
        record_licence_revocation(officer, supplier=cast.srp, effective_at=now, solr=world.solr)
    with refused("not-a-supplier"):
        record_licence_revocation(officer, supplier=world.healthy, effective_at=now, solr=cast.srp)
    with refused("not-a-supplier"):
        record_licence_revocation(officer, supplier=world.healthy, effective_at=now, solr=world.healthy)
    with refused("bad-window"):
        record_licence_revocation(officer, supplier=world.healthy, effective_at=now.replace(tzinfo=None),
                                  solr=world.solr)
    record_licence_revocation(officer, supplier=world.healthy, effective_at=now + timedelta(days=1), solr=world.solr)
    with refused("licence-already-revoked"):  # a second record, even before the first takes effect
        record_licence_revocation(officer, supplier=world.healthy, effective_at=now, solr=world.solr)
    assert LicenceRevocation.objects.count() == 1


def test_deferral_refusals_and_record(cast, world):
    officer = cast.authority_officer.user
    effective = timezone.now() + timedelta(hours=1)
    revocation = record_licence_revocation(officer, supplier=world.healthy, effective_at=effective, solr=world.solr)
    with refused("bad-window"):
        record_deferral(officer, revocation, until=effective - timedelta(minutes=1), decided_by="SMKI PMA")
    with refused("deferral-decider-missing"):
        record_deferral(officer, revocation, until=effective + timedelta(days=1), decided_by="  ")
    with refused("not-permitted"):
        record_deferral(cast.srp_sro.user, revocation, until=effective + timedelta(days=1), decided_by="SMKI PMA")
    deferred = record_deferral(cast.dcc_operator2.user, revocation, until=effective + timedelta(days=1),
                               decided_by="SMKI PMA meeting 42")
    assert deferred.certificates_due_at == effective + timedelta(days=1)
    assert deferred.deferral_recorded_by == cast.dcc_operator2.user
    record = AuditRecord.objects.get(action="licence_revocation.defer")
    assert record.before["certificates_deferred_until"] is None
    assert record.after["deferral_decided_by"] == "SMKI PMA meeting 42"


# --- instruction ---------------------------------------------------------------------------------------------

def test_an_instruction_is_stored_with_its_evidence(cast, world, settings):
    pdf = simple_pdf(["Direction AUTH/2026/001"])
    now = timezone.now()
    instruction = record_instruction(
        cast.authority_officer.user, reference="AUTH/2026/001", supplier=world.failed,
        contingency_user_id=world.solr_uid, valid_from=now, valid_to=now + timedelta(days=14),
        evidence=pdf_upload("C:\\letters\\direction.pdf", pdf))
    instruction.refresh_from_db()
    assert instruction.srvs == ["1.6"] and instruction.scope == ScopeKind.ALL_METERS
    assert instruction.evidence_name == "direction.pdf" and instruction.evidence_size == len(pdf)
    assert instruction.evidence_sha256 == hashlib.sha256(pdf).hexdigest()
    with instruction.evidence.open("rb") as stored:
        assert stored.read() == pdf
    path = instruction.evidence.path
    assert path.startswith(str(settings.DATA_DIR / "evidence"))
    assert not instruction.on_behalf_of_authority
    assert AuditRecord.objects.get(action="instruction.record").after["evidence_sha256"] == hashlib.sha256(
        pdf).hexdigest()


def test_listed_devices_in_any_spelling(cast, world):
    first, _, third, gas = world.meters
    spellings = [first.eui.replace("-", "").lower(), third.eui.replace("-", ":"), gas.eui]
    instruction = instruct(world, cast.dcc_operator1.user, device_euis=spellings, srvs=["1.6", "6.2.9"])
    assert instruction.scope == ScopeKind.LISTED and instruction.on_behalf_of_authority
    assert sorted(instruction.devices.values_list("eui", flat=True)) == sorted([first.eui, third.eui, gas.eui])
    assert instruction.srvs == ["1.6", "6.2.9"]


def test_listed_devices_must_all_be_the_suppliers_meters(cast, world):
    with refused("unknown-devices") as caught:
        instruct(world, cast.authority_officer.user,
                 device_euis=[world.meters[0].eui, world.other_meter.eui, "00-DB-50-00-00-00-0F-FF", "not-an-eui"])
    assert sorted(caught.value.devices) == sorted([world.other_meter.eui, "00-DB-50-00-00-00-0F-FF", "not-an-eui"])
    with refused("unknown-devices"):
        instruct(world, cast.authority_officer.user, device_euis=[])
    assert not Instruction.objects.exists()


def test_instruction_refused_when_the_licence_is_not_revoked(cast):
    world = make_world(cast, revoked=False)
    with refused("licence-not-revoked"):
        instruct(world, cast.authority_officer.user)
    assert not Instruction.objects.exists()


def test_a_recorded_revocation_effective_by_the_start_is_enough(cast):
    world = make_world(cast, revoked=False)
    start = timezone.now() + timedelta(hours=2)
    record_licence_revocation(cast.authority_officer.user, supplier=world.failed,
                              effective_at=start - timedelta(hours=1), solr=world.solr)
    instruct(world, cast.authority_officer.user, hours_from=2, hours_to=50)
    with refused("licence-not-revoked"):  # starting before the revocation takes effect
        instruct(world, cast.authority_officer.user, reference="EARLY", hours_from=0, hours_to=50)


def test_instruction_refused_for_a_user_id_without_the_solr_role(cast, world):
    with refused("not-solr-contingency-user-id"):
        record_instruction(cast.authority_officer.user, reference="X", supplier=world.failed,
                           contingency_user_id=world.healthy_is, valid_from=timezone.now(),
                           valid_to=timezone.now() + timedelta(days=1), evidence=pdf_upload())


@pytest.mark.parametrize("evidence, code", [
    (pdf_upload(data=b"<html>not a pdf</html>", content_type="application/pdf"), "evidence-not-pdf"),
    (pdf_upload(content_type="text/html"), "evidence-not-pdf"),
    (ContentFile(b"GIF89a....", name="x.pdf"), "evidence-not-pdf"),
])
def test_evidence_must_be_a_pdf(cast, world, evidence, code):
    with refused(code):
        record_instruction(cast.authority_officer.user, reference="X", supplier=world.failed,
                           contingency_user_id=world.solr_uid, valid_from=timezone.now(),
                           valid_to=timezone.now() + timedelta(days=1), evidence=evidence)
    assert not Instruction.objects.exists()


def test_evidence_size_limit_is_the_setting(cast, world, settings):
    pdf = simple_pdf(["x" * 80])
    settings.SOLR_EVIDENCE_MAX_BYTES = len(pdf) - 1
    with refused("evidence-too-large"):
        record_instruction(cast.authority_officer.user, reference="X", supplier=world.failed,
                           contingency_user_id=world.solr_uid, valid_from=timezone.now(),
                           valid_to=timezone.now() + timedelta(days=1), evidence=pdf_upload(data=pdf))
    settings.SOLR_EVIDENCE_MAX_BYTES = len(pdf)
    record_instruction(cast.authority_officer.user, reference="X", supplier=world.failed,
                       contingency_user_id=world.solr_uid, valid_from=timezone.now(),
                       valid_to=timezone.now() + timedelta(days=1), evidence=pdf_upload(data=pdf))


def test_window_srv_reference_and_supplier_refusals(cast, world):
    officer = cast.authority_officer.user
    with refused("bad-window"):
        instruct(world, officer, hours_from=5, hours_to=5)
    with refused("unknown-srv"):
        instruct(world, officer, srvs=["1.6", "99.9"])
    with refused("unknown-srv"):
        instruct(world, officer, srvs=[])
    with refused("not-a-supplier"):
        record_instruction(officer, reference="X", supplier=cast.srp, contingency_user_id=world.solr_uid,
                           valid_from=timezone.now(), valid_to=timezone.now() + timedelta(days=1),
                           evidence=pdf_upload())
    with refused("bad-reference"):
        instruct(world, officer, reference="  ")
    with refused("bad-reference"):
        instruct(world, officer, reference="R" * 101)
    assert instruct(world, officer, reference="SAME", srvs="1.6").srvs == ["1.6"]
    with refused("instruction-reference-exists"):
        instruct(world, officer, reference="SAME")
    assert Instruction.objects.count() == 1


def test_a_failed_instruction_leaves_no_evidence_file(cast, world, settings, monkeypatch):
    folder = settings.DATA_DIR / "evidence"

    def files():
        return {p for p in folder.rglob("*") if p.is_file()}

    before = files()
    with refused("unknown-devices"):
        instruct(world, cast.authority_officer.user, device_euis=[world.other_meter.eui])
    assert files() == before

    def broken_audit(*args, **kwargs):  # a failure after the file was written, inside the transaction
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(records.audit, "write", broken_audit)
    with pytest.raises(RuntimeError):
        instruct(world, cast.authority_officer.user)
    assert files() == before and not Instruction.objects.exists()
    monkeypatch.undo()
    instruct(world, cast.authority_officer.user)
    assert len(files() - before) == 1


def test_the_generated_pdf_has_a_correct_cross_reference_table():
    pdf = simple_pdf(["Direction (AUTH/1)", "Second line"])
    assert pdf.startswith(b"%PDF-1.4") and pdf.endswith(b"%%EOF\n")
    startxref = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))
    assert pdf[startxref:].startswith(b"xref\n0 6\n")
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n ", pdf)]
    assert [pdf[o:].split(b"\n", 1)[0] for o in offsets] == [f"{n} 0 obj".encode() for n in range(1, 6)]
    assert b"(Direction \\(AUTH/1\\)) '" in pdf
