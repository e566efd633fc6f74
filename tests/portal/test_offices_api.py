"""The offices in the people's API (/api/v1/offices/), with every member of the cast: the queryset per person
(another Party's office is 404), actions the rules forbid are 403 with their code, state conflicts 409, and
the OpenAPI schema describes the endpoints."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from portal.models import AuditRecord, Office, OfficeKind, OfficeStatus
from portal.offices import services

LIST = "/api/v1/offices/"
NOMINATION = {"username": "api.aro", "first_name": "Api", "last_name": "Aro", "email": "api.aro@srp.example",
              "screening_reference": "HR-9", "screening_date": "2026-03-01"}


def url(office, action: str = "") -> str:
    return f"{LIST}{getattr(office, 'pk', office)}/" + (f"{action}/" if action else "")


def nomination_of(cast) -> Office:
    nominee = services.NewPerson("nominee", "No", "Minee", "n@x.example")
    return services.nominate_aro(cast.srp_sro.user, cast.srp, nominee, "HR-1", services.timezone.localdate())


def test_anonymous_is_refused(client, cast):
    response = client.get(LIST)
    assert response.status_code in (401, 403) and response.json()["code"] == "not_authenticated"


def test_the_list_is_scoped_and_filterable(cast):
    nominated = nomination_of(cast)
    ids = lambda member, **q: {o["id"] for o in member.client.get(LIST, q).json()["results"]}  # noqa: E731
    srp = {cast.srp_sro.office.pk, cast.srp_aro.office.pk, nominated.pk}
    assert ids(cast.srp_sro) == srp and ids(cast.srp_aro) == srp
    assert ids(cast.outsider) == {cast.outsider.office.pk}
    assert ids(cast.authority_officer) == {cast.authority_officer.office.pk}
    assert ids(cast.dcc_operator1) == set(Office.objects.values_list("pk", flat=True))
    assert ids(cast.dcc_operator1, status="nominated") == {nominated.pk}
    assert ids(cast.dcc_operator1, party=cast.other_party.pk) == {cast.outsider.office.pk}
    assert ids(cast.outsider, party=cast.srp.pk) == set()
    body = cast.srp_sro.client.get(url(nominated)).json()
    assert body["status"] == "nominated" and body["nominated_by"] == cast.srp_sro.username
    assert set(body) == {"id", "person", "person_name", "kind", "party", "party_name", "status", "created_at",
                         "nominated_by", "screening_reference", "screening_date", "decided_by", "decided_at",
                         "rejection_reason", "removed_by", "removed_at"}


def test_an_sro_nominates_through_the_api(cast):
    response = cast.srp_sro.client.post(LIST, {**NOMINATION, "party": cast.srp.pk}, content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["person"], body["status"], body["kind"], body["party"]) == (
        "api.aro", "nominated", OfficeKind.ARO, cast.srp.pk)
    assert AuditRecord.objects.filter(action="office.nominate", actor=cast.srp_sro.username,
                                      subject_id=str(body["id"])).exists()


@pytest.mark.parametrize("name", ["srp_aro", "dcc_operator1", "authority_officer", "outsider"])
def test_who_is_no_sro_of_the_party_may_not_nominate(cast, name):
    response = cast[name].client.post(LIST, {**NOMINATION, "party": cast.srp.pk}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "office-nominate-not-allowed"
    assert not Office.objects.filter(person__username="api.aro").exists()


def test_field_errors_are_listed(cast):
    response = cast.srp_sro.client.post(LIST, {**NOMINATION, "party": cast.srp.pk, "email": "nope",
                                               "screening_date": "soon"}, content_type="application/json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"email", "screening_date"}
    response = cast.srp_sro.client.post(LIST, {**NOMINATION, "party": cast.srp.pk, "last_name": " "},
                                        content_type="application/json")
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("last_name", "required")]
    assert not Office.objects.filter(person__username="api.aro").exists()


def test_another_partys_office_is_404_for_every_action(cast):
    nominated = nomination_of(cast)
    for office in (nominated, cast.srp_aro.office):
        assert cast.outsider.client.get(url(office)).status_code == 404
        for action in ("verify", "reject", "remove"):
            response = cast.outsider.client.post(url(office, action), {"reason": "x"}, content_type="application/json")
            assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Office.objects.get(pk=nominated.pk).status == OfficeStatus.NOMINATED
    assert Office.objects.get(pk=cast.srp_aro.office.pk).status == OfficeStatus.VERIFIED


def test_a_dcc_operator_verifies_and_a_second_is_told_it_is_done(cast):
    office = nomination_of(cast)
    for name, code in (("srp_sro", "office-verify-not-allowed"), ("srp_aro", "office-verify-not-allowed")):
        response = cast[name].client.post(url(office, "verify"))
        assert response.status_code == 403 and response.json()["code"] == code
    response = cast.dcc_operator1.client.post(url(office, "verify"))
    assert response.status_code == 200 and response.json()["decided_by"] == cast.dcc_operator1.username
    assert response.json()["status"] == "verified"
    again = cast.dcc_operator2.client.post(url(office, "reject"), {"reason": "late"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "office-not-nominated"


def test_four_eyes_through_the_api(cast):
    Office.objects.create(person=cast.dcc_operator2.user, kind=OfficeKind.SRO, party=cast.srp,
                          status=OfficeStatus.VERIFIED)
    nominee = services.NewPerson("n3", "N", "Three", "n3@x.example")
    office = services.nominate_aro(cast.dcc_operator2.user, cast.srp, nominee, "HR-3", services.timezone.localdate())
    response = cast.dcc_operator2.client.post(url(office, "verify"))
    assert response.status_code == 403 and response.json()["code"] == "office-four-eyes-nominator"
    response = cast.dcc_operator2.client.post(url(office, "reject"), {"reason": "x"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "office-four-eyes-nominator"


def test_a_dcc_operator_rejects_with_a_reason(cast):
    office = nomination_of(cast)
    missing = cast.dcc_operator1.client.post(url(office, "reject"), {}, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "reason"
    for name in ("srp_sro", "srp_aro"):
        response = cast[name].client.post(url(office, "reject"), {"reason": "x"}, content_type="application/json")
        assert response.status_code == 403 and response.json()["code"] == "office-reject-not-allowed"
    response = cast.dcc_operator1.client.post(url(office, "reject"), {"reason": "no evidence"},
                                              content_type="application/json")
    assert response.status_code == 200 and response.json()["rejection_reason"] == "no evidence"
    assert AuditRecord.objects.filter(action="office.reject", actor=cast.dcc_operator1.username).exists()


def test_the_sro_removes_an_aro(cast):
    target = url(cast.srp_aro.office, "remove")
    for name in ("srp_aro", "dcc_operator1"):
        response = cast[name].client.post(target)
        assert response.status_code == 403 and response.json()["code"] == "office-remove-not-allowed"
    response = cast.srp_sro.client.post(target)
    assert response.status_code == 200 and response.json()["status"] == "removed"
    again = cast.srp_sro.client.post(target)
    assert again.status_code == 409 and again.json()["code"] == "office-not-live"


def test_the_schema_describes_the_offices_endpoints(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = out.read_text()
    for path in ("/api/v1/offices/:", "/api/v1/offices/{id}/:", "/api/v1/offices/{id}/verify/:",
                 "/api/v1/offices/{id}/reject/:", "/api/v1/offices/{id}/remove/:"):
        assert f"  {path}" in schema
    assert "office-four-eyes-nominator" in schema
