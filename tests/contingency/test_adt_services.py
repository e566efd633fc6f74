"""The ADT workflow (contingency.adt.services): who uploads, registry checks by line and field, nothing stored on
error, four eyes, who approves, supersede, reject, audit, visibility."""

from __future__ import annotations

import pytest

from contingency.adt import services
from contingency.adt.parse import AdtFileRejected
from contingency.adt.services import AdtRefused, approve_adt_file, reject_adt_file, upload_adt_file
from contingency.models import AdtFile, AdtFileState, AdtThreshold
from portal.models import AuditRecord, Office, OfficeKind, OfficeStatus

from .adt_cast import (
    OTHER_SUPPLIER_IS,
    OUTSIDER_EUI,
    SOLR_EUI,
    SUPPLIER_GS,
    SUPPLIER_IS,
    csv_bytes,
    make_cast,
    office,
    solr_row,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def upload(cast, person=None, *rows, name="adt.csv"):
    return upload_adt_file(person or cast.aro, cast.srp, name, csv_bytes(*(rows or (solr_row(),))))


def refusal_codes(exc) -> set[tuple[int, str, str]]:
    return {(e.line, e.field, e.code) for e in exc.errors}


# --- who uploads ------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["sro", "aro"])
def test_an_sro_or_a_verified_aro_of_the_party_uploads(cast, who):
    adt_file = upload(cast, getattr(cast, who))
    assert adt_file.state == AdtFileState.SUBMITTED
    assert adt_file.party == cast.srp
    assert adt_file.uploaded_by == getattr(cast, who)
    assert len(adt_file.sha256) == 64 and adt_file.size > 0
    row = adt_file.rows.get()
    assert (row.user_id.eui, row.srv, row.target_supplier.eui, row.warning_level, row.quarantine_level,
            row.window_minutes, row.line, row.active) == (SOLR_EUI, "1.6", SUPPLIER_IS, 100, 200, 60, 2, False)


@pytest.mark.parametrize("who", ["nominated_aro", "removed_sro", "operator", "outsider_sro", "supplier_sro"])
def test_anyone_else_is_refused_the_upload_and_nothing_is_stored(cast, who):
    with pytest.raises(AdtRefused) as info:
        upload(cast, getattr(cast, who))
    assert info.value.code == "adt-upload-not-allowed"
    assert not AdtFile.objects.exists() and not AdtThreshold.objects.exists()


def test_an_inactive_person_is_refused_the_upload(cast):
    cast.aro.is_active = False
    cast.aro.save()
    with pytest.raises(AdtRefused) as info:
        upload(cast)
    assert info.value.code == "adt-upload-not-allowed"


# --- the registry checks --------------------------------------------------------------------------

def test_an_outsiders_user_id_and_an_unknown_one_are_errors_of_their_line(cast):
    with pytest.raises(AdtFileRejected) as info:
        upload(cast, None, solr_row(), solr_row(user_id=OUTSIDER_EUI), solr_row(user_id="90-B3-D5-1F-30-77-77-77"))
    assert info.value.code == "adt-file-invalid"
    assert refusal_codes(info.value) == {(3, "user_id", "user-id-not-of-party"), (4, "user_id", "user-id-not-of-party")}
    assert not AdtFile.objects.exists() and not AdtThreshold.objects.exists()


def test_the_target_must_be_a_suppliers_user_id(cast):
    rows = (
        solr_row(SUPPLIER_IS),                               # 2 fine
        solr_row(SUPPLIER_GS),                               # 3 fine
        solr_row(OTHER_SUPPLIER_IS),                         # 4 fine: any Supplier's User ID
        solr_row(OUTSIDER_EUI),                              # 5 an SRP's User ID
        solr_row("90-B3-D5-1F-30-77-77-77"),                 # 6 unknown
        solr_row("*"),                                       # 7 a SoLR Contingency row needs one Supplier
    )
    with pytest.raises(AdtFileRejected) as info:
        upload(cast, None, *rows)
    assert refusal_codes(info.value) == {
        (5, "target_supplier", "target-not-a-supplier"),
        (6, "target_supplier", "target-supplier-unknown"),
        (7, "target_supplier", "target-supplier-required"),
    }
    assert not AdtFile.objects.exists()


def test_other_roles_write_a_wildcard_target(cast):
    """A Supplier's own ADT (not SoLR Contingency) covers any Supplier's devices: '*' only."""
    ok = upload_adt_file(cast.supplier_sro, cast.supplier, "s.csv",
                         csv_bytes(f"{SUPPLIER_IS},1.6,*,5,10,60", f"{SUPPLIER_GS},6.2.9,*,1,1,1"))
    assert [r.target_supplier_id for r in ok.rows.all()] == [None, None]
    with pytest.raises(AdtFileRejected) as info:
        upload_adt_file(cast.supplier_sro, cast.supplier, "s.csv",
                        csv_bytes(f"{SUPPLIER_IS},1.6,{SUPPLIER_GS},5,10,60"))
    assert refusal_codes(info.value) == {(2, "target_supplier", "target-supplier-not-wildcard")}


def test_parse_errors_and_registry_errors_are_not_mixed_but_each_stores_nothing(cast):
    with pytest.raises(AdtFileRejected) as info:
        upload(cast, None, solr_row(warning=0), solr_row(user_id=OUTSIDER_EUI))
    assert refusal_codes(info.value) == {(2, "warning_level", "value-not-positive")}
    assert not AdtFile.objects.exists()


def test_an_oversized_file_is_refused_by_the_setting(cast, settings):
    data = csv_bytes(solr_row())
    settings.SOLR_ADT_MAX_BYTES = len(data) - 1
    with pytest.raises(AdtFileRejected) as info:
        upload_adt_file(cast.aro, cast.srp, "big.csv", data)
    assert info.value.code == "adt-file-too-large"
    settings.SOLR_ADT_MAX_BYTES = len(data)
    assert upload_adt_file(cast.aro, cast.srp, "big.csv", data).size == len(data)


# --- four eyes and who approves -------------------------------------------------------------------

def test_the_uploader_cannot_approve_their_own_file(cast):
    adt_file = upload(cast, cast.sro)
    with pytest.raises(AdtRefused) as info:
        approve_adt_file(cast.sro, adt_file)
    assert info.value.code == "adt-four-eyes"
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.SUBMITTED and adt_file.approved_by is None
    assert not AdtThreshold.objects.active().exists()


def test_the_four_eyes_rule_holds_for_an_uploader_who_is_also_a_dcc_operator(cast):
    dcc = Office.objects.get(person=cast.operator).party
    Office.objects.create(person=cast.aro, kind=OfficeKind.DCC_OPERATOR, party=dcc, status=OfficeStatus.VERIFIED)
    adt_file = upload(cast, cast.aro)
    with pytest.raises(AdtRefused) as info:
        approve_adt_file(cast.aro, adt_file)
    assert info.value.code == "adt-four-eyes"


@pytest.mark.parametrize("who", ["sro2", "operator"])
def test_another_sro_of_the_party_or_a_dcc_operator_approves(cast, who):
    adt_file = upload(cast, cast.sro)
    approved = approve_adt_file(getattr(cast, who), adt_file)
    assert approved.state == AdtFileState.ACTIVE
    assert approved.approved_by == getattr(cast, who) and approved.approved_at is not None
    assert list(AdtThreshold.objects.active().values_list("file_id", flat=True)) == [adt_file.pk]


@pytest.mark.parametrize("who", ["aro", "nominated_aro", "removed_sro", "outsider_sro", "supplier_sro"])
def test_nobody_else_approves(cast, who):
    adt_file = upload(cast, cast.sro)
    with pytest.raises(AdtRefused) as info:
        approve_adt_file(getattr(cast, who), adt_file)
    assert info.value.code == "adt-approve-not-allowed"
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.SUBMITTED


@pytest.mark.parametrize("status", [OfficeStatus.REJECTED, OfficeStatus.REMOVED])
def test_a_rejected_or_removed_sro_neither_uploads_nor_decides(cast, status):
    # Who acts is the registry's word (portal.offices, Office.objects.acting()): an SRO office that is rejected or
    # removed acts for nobody, whatever statuses the registry adds (SEC Section L, the SMKI RAPP).
    former = office(cast.srp, OfficeKind.SRO, status, username=f"srp-sro-{status}")
    with pytest.raises(AdtRefused) as info:
        upload(cast, former)
    assert info.value.code == "adt-upload-not-allowed"
    assert not AdtFile.objects.exists()
    assert not services.may_upload(former, cast.srp) and not services.upload_parties(former).exists()

    adt_file = upload(cast, cast.sro)
    with pytest.raises(AdtRefused) as info:
        approve_adt_file(former, adt_file)
    assert info.value.code == "adt-approve-not-allowed"
    with pytest.raises(AdtRefused) as info:
        reject_adt_file(former, adt_file, "no")
    assert info.value.code == "adt-reject-not-allowed"
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.SUBMITTED and not AdtThreshold.objects.active().exists()
    assert not services.visible_adt_files(former).exists()


def test_a_decided_file_cannot_be_approved_again(cast):
    adt_file = upload(cast)
    approve_adt_file(cast.sro, adt_file)
    with pytest.raises(AdtRefused) as info:
        approve_adt_file(cast.operator, adt_file)
    assert info.value.code == "adt-file-not-submitted"
    rejected = upload(cast, None, solr_row(SUPPLIER_GS))
    reject_adt_file(cast.sro, rejected, "levels too low")
    with pytest.raises(AdtRefused) as info:
        approve_adt_file(cast.operator, rejected)
    assert info.value.code == "adt-file-not-submitted"
    assert not AdtThreshold.objects.filter(file=rejected, active=True).exists()


# --- supersede and history ----------------------------------------------------------------------

def test_an_approved_file_supersedes_the_rows_it_replaces_and_history_stays(cast):
    first = upload(cast, None, solr_row(SUPPLIER_IS, 10, 20), solr_row(SUPPLIER_GS, 10, 20))
    approve_adt_file(cast.sro, first)
    second = upload(cast, None, solr_row(SUPPLIER_IS, 50, 60))
    approve_adt_file(cast.sro, second)

    first.refresh_from_db()
    # first still holds the only active row for SUPPLIER_GS: it stays active, its SUPPLIER_IS row is retired.
    assert first.state == AdtFileState.ACTIVE
    active = {(r.target_supplier.eui, r.warning_level, r.file_id) for r in AdtThreshold.objects.active()}
    assert active == {(SUPPLIER_IS, 50, second.pk), (SUPPLIER_GS, 10, first.pk)}

    third = upload(cast, None, solr_row(SUPPLIER_GS, 70, 80))
    approve_adt_file(cast.operator, third)
    first.refresh_from_db()
    assert first.state == AdtFileState.SUPERSEDED and first.superseded_at is not None
    # Nothing is deleted: every version and row is still there.
    assert AdtFile.objects.count() == 3 and AdtThreshold.objects.count() == 4
    assert AdtThreshold.objects.active().count() == 2
    assert AuditRecord.objects.filter(action="adt_file.supersede", subject_id=str(first.pk)).count() == 1


def test_rejecting_leaves_the_active_thresholds_alone(cast):
    first = upload(cast)
    approve_adt_file(cast.sro, first)
    second = upload(cast, None, solr_row(warning=1, quarantine=1))
    rejected = reject_adt_file(cast.operator, second, "too low")
    assert rejected.state == AdtFileState.REJECTED and rejected.rejected_by == cast.operator
    assert rejected.reject_reason == "too low"
    assert list(AdtThreshold.objects.active().values_list("file_id", flat=True)) == [first.pk]


def test_only_an_approver_rejects(cast):
    adt_file = upload(cast, cast.sro)
    with pytest.raises(AdtRefused) as info:
        reject_adt_file(cast.aro, adt_file)
    assert info.value.code == "adt-reject-not-allowed"


# --- audit and visibility -------------------------------------------------------------------------

def test_every_action_is_audited_with_the_acting_person(cast):
    adt_file = upload(cast, cast.aro)
    approve_adt_file(cast.sro, adt_file)
    other = upload(cast, cast.aro, solr_row(SUPPLIER_GS))
    reject_adt_file(cast.operator, other, "no")
    records = AuditRecord.objects.filter(action__startswith="adt_file.").order_by("id")
    assert [(r.action, r.actor, r.subject_id) for r in records] == [
        ("adt_file.upload", "srp-aro", str(adt_file.pk)),
        ("adt_file.approve", "srp-sro", str(adt_file.pk)),
        ("adt_file.upload", "srp-aro", str(other.pk)),
        ("adt_file.reject", "dcc-op", str(other.pk)),
    ]
    assert records[1].before == {"state": "submitted"} and records[1].after["state"] == "active"


def test_a_refused_action_writes_no_audit_record(cast):
    adt_file = upload(cast, cast.sro)
    before = AuditRecord.objects.count()
    with pytest.raises(AdtRefused):
        approve_adt_file(cast.sro, adt_file)
    with pytest.raises(AdtFileRejected):
        upload(cast, None, solr_row(warning=0))
    assert AuditRecord.objects.count() == before


def test_officers_see_their_partys_files_and_dcc_operators_see_all(cast):
    mine = upload(cast)
    theirs = upload_adt_file(cast.supplier_sro, cast.supplier, "s.csv", csv_bytes(f"{SUPPLIER_IS},1.6,*,5,10,60"))
    assert set(services.visible_adt_files(cast.aro)) == {mine}
    assert set(services.visible_adt_files(cast.supplier_sro)) == {theirs}
    assert set(services.visible_adt_files(cast.outsider_sro)) == set()
    assert set(services.visible_adt_files(cast.nominated_aro)) == set()
    assert set(services.visible_adt_files(cast.operator)) == {mine, theirs}


def test_a_large_file_is_checked_whole_every_error_reported(cast):
    """More distinct EUIs than one query takes (checked in chunks): every line still gets its error."""
    rows = [solr_row(user_id=f"90-B3-D5-1F-60-00-{i >> 8:02X}-{i & 0xFF:02X}") for i in range(2500)]
    with pytest.raises(AdtFileRejected) as info:
        upload(cast, None, solr_row(), *rows)
    assert refusal_codes(info.value) == {(line, "user_id", "user-id-not-of-party") for line in range(3, 2503)}
    assert not AdtFile.objects.exists()


def test_the_stored_name_is_the_files_own_name(cast):
    assert upload(cast, None, name="C:\\Users\\ops\\thresholds.csv").file_name == "thresholds.csv"
    assert upload(cast, None, solr_row(SUPPLIER_GS), name="../x/y.csv").file_name == "y.csv"
    assert upload(cast, None, solr_row(OTHER_SUPPLIER_IS), name="").file_name == "adt.csv"


def test_the_size_limit_comes_from_the_environment_and_is_checked_at_start_up(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from contingency import conf

    monkeypatch.setenv("SOLR_ADT_MAX_BYTES", "2048")
    assert services.max_file_bytes() == 2048
    monkeypatch.setenv("SOLR_ADT_MAX_BYTES", "0")
    with pytest.raises(ImproperlyConfigured, match="SOLR_ADT_MAX_BYTES"):
        conf.validate()
