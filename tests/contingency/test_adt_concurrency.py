"""Approve is compare-and-set: two approvers at once, one wins, the other gets a clear refusal.

Real concurrent transactions (threads, each with its own database connection, on the test database file or
PostgreSQL), started together at a barrier and held open long enough to overlap.
"""

from __future__ import annotations

import pytest

from contingency.adt import services
from contingency.adt.services import AdtRefused, approve_adt_file, reject_adt_file, upload_adt_file
from contingency.models import AdtFile, AdtFileState, AdtThreshold
from portal.models import AuditRecord
from tests.helpers.races import hold_transactions_open, race

from .adt_cast import SUPPLIER_GS, SUPPLIER_IS, csv_bytes, make_cast, solr_row

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def slow_audit(monkeypatch):
    hold_transactions_open(monkeypatch, services)



@pytest.mark.parametrize("rounds", range(3))
def test_two_approvers_at_once_one_wins_one_is_refused(rounds):
    cast = make_cast()
    adt_file = upload_adt_file(cast.aro, cast.srp, "a.csv", csv_bytes(solr_row(SUPPLIER_IS), solr_row(SUPPLIER_GS)))
    results = race(lambda: approve_adt_file(cast.sro, adt_file.pk),
                   lambda: approve_adt_file(cast.operator, adt_file.pk))

    wins = [r for r in results if isinstance(r, AdtFile)]
    losses = [r for r in results if isinstance(r, AdtRefused)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert losses[0].code == "adt-file-not-submitted"
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.ACTIVE and adt_file.approved_by_id == wins[0].approved_by_id
    assert AdtThreshold.objects.active().count() == 2
    assert AuditRecord.objects.filter(action="adt_file.approve").count() == 1


def test_approve_and_reject_at_once_one_wins():
    cast = make_cast()
    adt_file = upload_adt_file(cast.aro, cast.srp, "a.csv", csv_bytes(solr_row()))
    results = race(lambda: approve_adt_file(cast.sro, adt_file.pk),
                   lambda: reject_adt_file(cast.operator, adt_file.pk))
    assert sum(isinstance(r, AdtFile) for r in results) == 1, results
    assert [r.code for r in results if isinstance(r, AdtRefused)] == ["adt-file-not-submitted"]
    adt_file.refresh_from_db()
    assert adt_file.state in (AdtFileState.ACTIVE, AdtFileState.REJECTED)
    assert AdtThreshold.objects.active().count() == (1 if adt_file.state == AdtFileState.ACTIVE else 0)


def test_two_files_with_a_common_key_approved_at_once_leave_one_active_row_per_key():
    cast = make_cast()
    first = upload_adt_file(cast.aro, cast.srp, "a.csv", csv_bytes(solr_row(SUPPLIER_IS, 10, 20)))
    second = upload_adt_file(cast.aro, cast.srp, "b.csv", csv_bytes(solr_row(SUPPLIER_IS, 30, 40)))
    results = race(lambda: approve_adt_file(cast.sro, first.pk), lambda: approve_adt_file(cast.sro2, second.pk))
    assert all(isinstance(r, AdtFile) for r in results), results
    active = list(AdtThreshold.objects.active())
    assert len(active) == 1
    states = dict(AdtFile.objects.values_list("pk", "state"))
    winner = active[0].file_id
    loser = second.pk if winner == first.pk else first.pk
    assert states == {winner: AdtFileState.ACTIVE, loser: AdtFileState.SUPERSEDED}
