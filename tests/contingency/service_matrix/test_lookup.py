"""The front door's lookup (DESIGN §4 check 7): what the migration gives the SoLR Contingency role, E2 / E12, and
the cost of one call."""

from __future__ import annotations

import pytest

from contingency.models import ServicePermission
from contingency.service_matrix import Decision, decide, may_send
from contingency.service_matrix.seeding import SOLR_DEFAULT, seed_solr_default


def srvs(role: str) -> set[str]:
    return set(ServicePermission.objects.of_role(role).values_list("srv", flat=True))


@pytest.mark.django_db
def test_the_migration_gives_the_solr_contingency_role_srv_1_6_alone():
    """MP134B requirement 3: on any machine, with no seeding at all."""
    assert srvs("SC") == {"1.6"}
    row = ServicePermission.objects.get(role="SC")
    assert (row.srv, row.name, tuple(row.command_variants)) == SOLR_DEFAULT[0]
    assert [tuple(r) for r in SOLR_DEFAULT] == [("1.6", "Update Payment Mode", (1, 4, 5))]


@pytest.mark.django_db
@pytest.mark.parametrize(("roles", "srv", "cv", "decision"), [
    (["SC"], "1.6", 4, Decision.ALLOWED),  # Transform (SMETS2+)
    (["SC"], "1.6", 5, Decision.ALLOWED),  # Signed Pre-Command
    (["SC"], "1.6", 1, Decision.ALLOWED),  # SMETS1: the Service Request itself
    (["SC"], "1.6", 6, Decision.CV_NOT_PERMITTED),  # no local delivery: E12
    (["SC"], "1.6", 8, Decision.CV_NOT_PERMITTED),
    (["SC"], "6.2.9", 1, Decision.SRV_NOT_PERMITTED),  # E2
    (["SC"], "1.1.1", 4, Decision.SRV_NOT_PERMITTED),
    ([], "1.6", 4, Decision.SRV_NOT_PERMITTED),
    (["IS"], "1.6", 4, Decision.SRV_NOT_PERMITTED),  # nothing seeded for IS in this test
])
def test_decide(roles, srv, cv, decision):
    assert decide(roles, srv, cv) is decision
    assert may_send(roles, srv, cv) is (decision is Decision.ALLOWED)


@pytest.mark.django_db
def test_the_command_variant_may_come_as_the_headers_text():
    assert may_send(["SC"], "1.6", "4") and not may_send(["SC"], "1.6", "6")


@pytest.mark.django_db
def test_any_role_of_the_sender_that_may_send_it_is_enough():
    ServicePermission.objects.create(role="GS", srv="6.2.9", command_variants=[1, 2])
    ServicePermission.objects.create(role="IS", srv="6.2.9", command_variants=[3])
    assert may_send(["IS", "GS"], "6.2.9", 1) and may_send(("GS", "IS"), "6.2.9", 3)
    assert decide(["IS", "GS"], "6.2.9", 4) is Decision.CV_NOT_PERMITTED
    assert decide(["IS"], "6.2.9", 1) is Decision.CV_NOT_PERMITTED


@pytest.mark.django_db
def test_one_query_per_call_whatever_the_roles(django_assert_num_queries):
    for role in ("IS", "GS", "ES", "RSA"):
        ServicePermission.objects.create(role=role, srv="6.2.9", command_variants=[1])
    with django_assert_num_queries(1):
        assert may_send(["SC"], "1.6", 4)
    with django_assert_num_queries(1):
        assert not may_send(["IS", "GS", "ES", "RSA", "SC"], "6.2.9", 4)
    with django_assert_num_queries(0):
        assert not may_send([], "1.6", 4)


@pytest.mark.django_db
def test_the_plain_cursor_reads_what_the_orm_reads():
    from contingency.service_matrix.services import _command_variants, command_variants_orm

    ServicePermission.objects.create(role="GS", srv="6.2.9", command_variants=[1, 2])
    ServicePermission.objects.create(role="IS", srv="6.2.9", command_variants=[3])
    for srv in ("1.6", "6.2.9", "8.2"):
        for roles in (["SC"], ["IS"], ["GS", "IS"], ["SC", "GS", "IS", "OU"]):
            assert sorted(_command_variants(srv, roles)) == sorted(command_variants_orm(srv, roles)), (srv, roles)


@pytest.mark.django_db
def test_the_lookup_uses_the_srv_role_index():
    """One indexed query: a unique index (srv, role) exists, and SQLite's plan searches it, never scans the table.
    (PostgreSQL may read a tiny table whole whatever the indexes: there only the index is checked.)"""
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, ServicePermission._meta.db_table)
        assert any(c["unique"] and c["columns"] == ["srv", "role"] for c in constraints.values()), constraints
        if connection.vendor == "sqlite":
            sql, params = ServicePermission.objects.filter(srv="1.6", role__in=["SC", "IS"]).values_list(
                "command_variants", flat=True).query.sql_with_params()
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "SEARCH" in plan and "srv=? AND role=?" in plan and "SCAN" not in plan, plan


@pytest.mark.django_db
def test_a_flushed_table_gets_the_solr_default_back_only_when_the_role_has_nothing():
    ServicePermission.objects.all().delete()
    assert not may_send(["SC"], "1.6", 4)
    assert seed_solr_default() == 1
    assert may_send(["SC"], "1.6", 4)
    ServicePermission.objects.create(role="SC", srv="6.2.9", command_variants=[1])
    ServicePermission.objects.filter(role="SC", srv="1.6").delete()
    assert seed_solr_default() == 0  # an operator's choice stands
    assert srvs("SC") == {"6.2.9"}
