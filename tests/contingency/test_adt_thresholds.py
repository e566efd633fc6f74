"""The pipeline's lookup: contingency.adt.thresholds.active_threshold — the active row or None, one indexed query."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from contingency.adt.services import approve_adt_file, reject_adt_file, upload_adt_file
from contingency.adt.thresholds import active_threshold
from contingency.models import AdtThreshold

from .adt_cast import OTHER_SUPPLIER_IS, SOLR_EUI, SUPPLIER_GS, SUPPLIER_IS, csv_bytes, make_cast, solr_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def approved(cast, *rows):
    adt_file = upload_adt_file(cast.aro, cast.srp, "a.csv", csv_bytes(*rows))
    return approve_adt_file(cast.sro, adt_file)


def test_the_active_row_for_the_key_or_none(cast):
    first = approved(cast, solr_row(SUPPLIER_IS, 10, 20, 60), solr_row(SUPPLIER_GS, 11, 21, 61))
    row = active_threshold(cast.solr, "1.6", cast.supplier_is)
    assert (row.file_id, row.warning_level, row.quarantine_level, row.window_minutes) == (first.pk, 10, 20, 60)
    # pks and EUIs name the same key
    assert active_threshold(cast.solr.pk, "1.6", cast.supplier_gs.pk).warning_level == 11
    assert active_threshold(SOLR_EUI, "1.6", SUPPLIER_GS).warning_level == 11
    assert active_threshold(cast.solr, "1.6", cast.other_supplier_is) is None  # no row for that Supplier
    assert active_threshold(cast.solr, "6.2.9", cast.supplier_is) is None  # no row for that SRV
    assert active_threshold(cast.outsider_uid, "1.6", cast.supplier_is) is None  # another User ID


def test_a_submitted_or_rejected_file_is_not_active_and_an_approved_one_replaces_the_old_row(cast):
    approved(cast, solr_row(SUPPLIER_IS, 10, 20))
    pending = upload_adt_file(cast.aro, cast.srp, "b.csv", csv_bytes(solr_row(SUPPLIER_IS, 30, 40)))
    assert active_threshold(cast.solr, "1.6", cast.supplier_is).warning_level == 10
    reject_adt_file(cast.sro, pending)
    assert active_threshold(cast.solr, "1.6", cast.supplier_is).warning_level == 10
    approved(cast, solr_row(SUPPLIER_IS, 50, 60))
    assert active_threshold(cast.solr, "1.6", cast.supplier_is).warning_level == 50


def test_a_wildcard_row_covers_any_supplier(cast):
    """For roles other than SoLR Contingency: a '*' row covers any Supplier."""
    upload = upload_adt_file(cast.supplier_sro, cast.supplier, "s.csv", csv_bytes(f"{SUPPLIER_IS},1.6,*,5,10,60"))
    approve_adt_file(cast.operator, upload)
    assert active_threshold(cast.supplier_is, "1.6", cast.other_supplier_is).warning_level == 5
    assert active_threshold(SUPPLIER_IS, "1.6", OTHER_SUPPLIER_IS).warning_level == 5
    assert active_threshold(cast.supplier_is, "1.7", cast.other_supplier_is) is None


def test_the_lookup_is_one_query_through_the_active_key_index(cast):
    adt_file = approved(cast, solr_row(SUPPLIER_IS), solr_row(SUPPLIER_GS))
    # A sender's history: many retired rows for the same User ID and SRV. With only the two active rows the
    # planner's costs for the partial index and the plain user_id index tie, and PostgreSQL may pick either;
    # with a history (as a live system has) only the index over active rows avoids reading it all.
    AdtThreshold.objects.bulk_create(
        AdtThreshold(file=adt_file, line=1000 + n, user_id=cast.solr, srv="1.6", target_supplier=cast.supplier_is,
                     warning_level=10, quarantine_level=20, window_minutes=60, active=False)
        for n in range(3000))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {AdtThreshold._meta.db_table}")
    with CaptureQueriesContext(connection) as queries:
        assert active_threshold(cast.solr.pk, "1.6", cast.supplier_is.pk) is not None
    assert len(queries) == 1
    qs_sql = queries[0]["sql"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show the index
        cursor.execute(f"EXPLAIN {'QUERY PLAN ' if connection.vendor == 'sqlite' else ''}{qs_sql}")
        plan = " ".join(str(col) for row in cursor.fetchall() for col in row)
    assert "adt_active_key" in plan, plan


def test_the_database_keeps_one_active_row_per_key(cast):
    first = approved(cast, solr_row(SUPPLIER_IS))
    second = upload_adt_file(cast.aro, cast.srp, "b.csv", csv_bytes(solr_row(SUPPLIER_IS)))
    with pytest.raises(IntegrityError), transaction.atomic():
        second.rows.update(active=True)
    assert list(AdtThreshold.objects.active().values_list("file_id", flat=True)) == [first.pk]


def test_a_row_naming_the_supplier_wins_over_a_wildcard_row(cast):
    """Both can exist only if a User ID's roles changed between two approvals; the specific row decides then."""
    adt_file = upload_adt_file(cast.aro, cast.srp, "a.csv", csv_bytes(solr_row(SUPPLIER_IS, 10, 20)))
    # line 1: first in the rows' default order, so only the lookup's own ordering lets the named row win
    AdtThreshold.objects.create(file=adt_file, line=1, user_id=cast.solr, srv="1.6", target_supplier=None,
                                warning_level=1, quarantine_level=1, window_minutes=1, active=True)
    assert active_threshold(cast.solr, "1.6", cast.supplier_is).warning_level == 1  # not approved yet: '*' only
    approve_adt_file(cast.sro, adt_file)
    assert active_threshold(cast.solr, "1.6", cast.supplier_is).warning_level == 10
    assert active_threshold(cast.solr, "1.6", cast.supplier_gs).warning_level == 1


def test_the_database_keeps_one_active_wildcard_row_per_user_id_and_srv(cast):
    adt_file = upload_adt_file(cast.supplier_sro, cast.supplier, "s.csv", csv_bytes(f"{SUPPLIER_IS},1.6,*,5,10,60"))
    approve_adt_file(cast.operator, adt_file)
    with pytest.raises(IntegrityError), transaction.atomic():
        AdtThreshold.objects.create(file=adt_file, line=9, user_id=cast.supplier_is, srv="1.6", target_supplier=None,
                                    warning_level=1, quarantine_level=1, window_minutes=1, active=True)
    assert AdtThreshold.objects.active().count() == 1
