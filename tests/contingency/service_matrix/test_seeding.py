"""Seeding from the DUIS request matrix (the conformance data, read where it lies) and seed_service_matrix."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from contingency.models import ServicePermission
from contingency.service_matrix import may_send
from contingency.service_matrix.seeding import read_matrix, seed_from_matrix
from portal.models import AuditRecord


@pytest.fixture
def matrix(vectors_dir):
    return vectors_dir / "duis-parser" / "duis-request-matrix.json"


def table() -> list[tuple]:
    return list(ServicePermission.objects.order_by("role", "srv").values_list("role", "srv", "command_variants",
                                                                               "name"))


def run(*args, **kwargs) -> str:
    out = StringIO()
    call_command("seed_service_matrix", *args, stdout=out, **kwargs)
    return out.getvalue()


@pytest.mark.django_db
def test_seeding_twice_gives_the_same_table(matrix):
    first = seed_from_matrix(matrix)
    after_first = table()
    second = seed_from_matrix(matrix)
    assert table() == after_first
    assert first.created > 300 and second.created == 0 and second.existing == first.created
    assert AuditRecord.objects.filter(action="service_matrix.seed").count() == 1


@pytest.mark.django_db
def test_every_eligible_role_of_the_matrix_gets_its_srvs_and_the_solr_role_keeps_1_6_alone(matrix):
    rows = read_matrix(matrix)
    seed_from_matrix(matrix)
    for role in ("IS", "ES", "GS", "RSA", "ED", "GT", "OU"):
        expected = {row.srv for row in rows if role in row.roles}
        assert set(ServicePermission.objects.of_role(role).values_list("srv", flat=True)) == expected, role
    assert set(ServicePermission.objects.of_role("SC").values_list("srv", flat=True)) == {"1.6"}


@pytest.mark.django_db
def test_the_command_variants_follow_the_matrix(matrix):
    seed_from_matrix(matrix)
    cvs = {(r, s): c for r, s, c in ServicePermission.objects.values_list("role", "srv", "command_variants")}
    assert cvs[("IS", "1.6")] == [1, 2, 3, 4, 5, 6, 7]  # critical: SMETS1 1-3, SMETS2+ 4-7
    assert cvs[("RSA", "6.2.9")] == [1, 2, 3]  # a non-critical device request
    assert cvs[("OU", "8.2")] == [8]  # non-device
    assert may_send(["IS"], "1.6", 4) and may_send(["GS"], "1.6", 5)
    assert not may_send(["IS"], "6.2.9", 4)  # no Pre-Command for a non-critical request: E12
    assert not may_send(["ES"], "1.6", 4)  # the matrix names IS and GS only


@pytest.mark.django_db
def test_seeding_keeps_what_an_operator_changed(matrix):
    seed_from_matrix(matrix)
    ServicePermission.objects.filter(role="IS", srv="1.6").update(command_variants=[4, 5])
    seed_from_matrix(matrix)
    assert ServicePermission.objects.get(role="IS", srv="1.6").command_variants == [4, 5]


@pytest.mark.django_db
def test_the_command_reads_the_path_it_is_given_then_the_setting(matrix, settings):
    settings.DUIS_REQUEST_MATRIX = ""
    assert "rows added" in run("--matrix", str(matrix))
    count = ServicePermission.objects.count()
    settings.DUIS_REQUEST_MATRIX = str(matrix)
    output = run()
    assert "0 rows added" in output and ServicePermission.objects.count() == count


@pytest.mark.django_db
def test_the_command_without_a_matrix_skips_the_other_roles_and_says_so(settings):
    settings.DUIS_REQUEST_MATRIX = ""
    output = run()
    assert "DUIS_REQUEST_MATRIX is empty" in output
    assert list(ServicePermission.objects.values_list("role", flat=True)) == ["SC"]


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "code"), [
    ("not json", "service-matrix-file-invalid"),
    ("{}", "service-matrix-file-invalid"),
    (json.dumps([{"Service Reference Variant": "one", "Critical": "No", "Non-Device Request": "No",
                  "Eligible User Roles": ["IS"]}]), "service-matrix-file-invalid"),
    (json.dumps([{"Service Reference Variant": "1.6", "Critical": "Maybe", "Non-Device Request": "No",
                  "Eligible User Roles": ["IS"]}]), "service-matrix-file-invalid"),
    (None, "service-matrix-file-missing"),
])
def test_a_bad_matrix_is_refused_with_its_code_and_adds_nothing(tmp_path, content, code):
    path = tmp_path / "matrix.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CommandError, match=code):
        run("--matrix", str(path))
    assert list(ServicePermission.objects.values_list("role", flat=True)) == ["SC"]


@pytest.mark.django_db
def test_roles_the_registry_does_not_know_are_skipped_and_named(tmp_path):
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps([{"Service Reference Variant": "6.2.9", "Service Request Name": "A read",
                                 "Critical": "No", "Non-Device Request": "No", "Eligible User Roles": ["IS", "XX"]}]))
    output = run("--matrix", str(path))
    assert "1 rows added" in output and "XX" in output
    assert set(ServicePermission.objects.values_list("role", "srv")) == {("SC", "1.6"), ("IS", "6.2.9")}


@pytest.mark.django_db
def test_seed_demo_seeds_the_table_from_the_conformance_data(matrix, tmp_path, settings, monkeypatch):
    from contingency.demo import seed_demo

    monkeypatch.setenv("SOLR_VECTORS_DIR", str(matrix.parent.parent))
    settings.DUIS_REQUEST_MATRIX = ""
    ServicePermission.objects.all().delete()  # as after a flush: the demo puts the SoLR default back too
    seed_demo(tmp_path, meters=0)
    once = table()
    seed_demo(tmp_path, meters=0)
    assert table() == once
    assert may_send(["IS"], "1.6", 4) and may_send(["SC"], "1.6", 4) and not may_send(["SC"], "6.2.9", 1)
