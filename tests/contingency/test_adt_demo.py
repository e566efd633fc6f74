"""seed_demo's ADT part (issue 8 point 13; docs/manifest.md, ``adt``): an active row per failed Supplier User ID
for the SRP's SoLR Contingency User ID and SRV 1.6, 60 minutes, levels at least twice the Supplier's meters."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from contingency.adt.thresholds import active_threshold
from contingency.models import AdtFile, AdtFileState, AdtThreshold
from portal import demo as registry
from portal.models import AuditRecord

pytestmark = pytest.mark.django_db

METERS = 20


def seed(out, meters=METERS) -> dict:
    call_command("seed_demo", out=str(out), meters=meters, no_progress=True)
    return json.loads((out / "manifest.json").read_text())


def failed_supplier_user_ids() -> list[str]:
    return sorted(eui for s in registry.SUPPLIERS if s.failed for eui in (s.import_supplier_eui, s.gas_supplier_eui))


def test_every_failed_supplier_user_id_has_an_active_threshold_in_the_manifest(tmp_path):
    manifest = seed(tmp_path / "demo")
    rows = manifest["adt"]
    assert [r["target_supplier"] for r in rows] == failed_supplier_user_ids()
    assert len(failed_supplier_user_ids()) == 4  # two failed Suppliers, electricity and gas each
    for row in rows:
        assert set(row) == {"user_id", "srv", "target_supplier", "warning_level", "quarantine_level",
                            "window_minutes"}
        assert (row["user_id"], row["srv"], row["window_minutes"]) == (registry.SRP_SOLR_USER_ID, "1.6", 60)
        # the drill over every one of the Supplier's meters must never trip them
        assert row["quarantine_level"] >= row["warning_level"] >= 2 * METERS
        db_row = active_threshold(row["user_id"], "1.6", row["target_supplier"])
        assert (db_row.warning_level, db_row.quarantine_level, db_row.window_minutes) == (
            row["warning_level"], row["quarantine_level"], 60)
    # the healthy Supplier's User IDs get none
    steady = next(s for s in registry.SUPPLIERS if not s.failed)
    assert active_threshold(registry.SRP_SOLR_USER_ID, "1.6", steady.import_supplier_eui) is None


def test_the_demo_file_went_through_four_eyes(tmp_path):
    seed(tmp_path / "demo")
    adt_file = AdtFile.objects.get()
    assert adt_file.state == AdtFileState.ACTIVE
    assert (adt_file.uploaded_by.username, adt_file.approved_by.username) == ("srp.aro", "srp.sro")
    assert AuditRecord.objects.filter(action__in=["adt_file.upload", "adt_file.approve"]).count() == 2


def test_a_second_run_creates_no_file_and_the_same_adt_section(tmp_path):
    first = seed(tmp_path / "demo")
    files, records = AdtFile.objects.count(), AuditRecord.objects.count()
    assert seed(tmp_path / "demo")["adt"] == first["adt"]
    assert (AdtFile.objects.count(), AuditRecord.objects.count()) == (files, records)


def test_more_meters_raise_the_levels_with_a_new_approved_file(tmp_path):
    seed(tmp_path / "demo", meters=10)
    old = AdtFile.objects.get()
    rows = seed(tmp_path / "demo", meters=40)["adt"]
    assert all(r["warning_level"] >= 80 for r in rows) and len(rows) == 4
    old.refresh_from_db()
    assert old.state == AdtFileState.SUPERSEDED
    assert AdtThreshold.objects.active().exclude(file=old).count() == 4
    # fewer meters later: the higher levels still cover them; nothing new
    assert seed(tmp_path / "demo", meters=5)["adt"] == rows
    assert AdtFile.objects.count() == 2


def test_the_demo_people_who_act_exist_as_the_manifest_says(tmp_path):
    manifest = seed(tmp_path / "demo", meters=0)
    people = {p["username"]: p for p in manifest["people"]}
    assert people["srp.aro"]["office"] == "aro" and people["srp.sro"]["office"] == "sro"
    assert get_user_model().objects.filter(username__in=["srp.aro", "srp.sro"]).count() == 2
    assert all(r["warning_level"] >= 1 for r in manifest["adt"])  # levels stay above 0 with no meters
