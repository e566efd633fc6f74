"""The ADT file endpoints of the people's API (/api/v1/adt-files/): each action with every office that may use
it and with outsiders; refusals by status and code; another Party's file is 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from contingency.adt.services import approve_adt_file, upload_adt_file
from contingency.models import AdtFile, AdtFileState, AdtThreshold
from portal.models import AuditRecord, Office, OfficeKind, OfficeStatus
from tests.helpers.signin import pass_second_factor

from .adt_cast import SOLR_EUI, SUPPLIER_GS, SUPPLIER_IS, csv_bytes, make_cast, solr_row

pytestmark = pytest.mark.django_db

URL = "/api/v1/adt-files/"
SEES = ["sro", "sro2", "aro", "operator"]
BLIND = ["outsider_sro", "supplier_sro", "nominated_aro", "removed_sro"]


@pytest.fixture
def cast():
    return make_cast()


def api(person=None) -> APIClient:
    client = APIClient()
    if person is not None:
        pass_second_factor(client, person)  # DCC operators pass it first (issue 8)
    return client


def submitted(cast, person=None, *rows):
    return upload_adt_file(person or cast.aro, cast.srp, "adt.csv", csv_bytes(*(rows or (solr_row(),))))


def post_file(client, data: bytes, name="adt.csv", **extra):
    return client.post(URL, {"file": SimpleUploadedFile(name, data, "text/csv"), **extra}, format="multipart")


def test_anonymous_requests_are_refused(cast):
    adt_file = submitted(cast)
    assert api().get(URL).status_code == 403
    assert api().post(f"{URL}{adt_file.pk}/approve/").status_code == 403
    assert api().get(URL).json()["code"] == "not_authenticated"


# --- list and read ----------------------------------------------------------------------------------

@pytest.mark.parametrize("who", SEES)
def test_the_partys_offices_and_operators_list_and_read(cast, who):
    adt_file = submitted(cast, cast.aro, solr_row(), solr_row(SUPPLIER_GS))
    client = api(getattr(cast, who))
    listing = client.get(URL).json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == adt_file.pk
    assert listing["results"][0]["state"] == "submitted" and listing["results"][0]["party"] == cast.srp.short_name
    detail = client.get(f"{URL}{adt_file.pk}/").json()
    assert detail["uploaded_by"] == cast.aro.username
    assert [(r["line"], r["user_id"], r["target_supplier"], r["active"]) for r in detail["rows"]] == [
        (2, SOLR_EUI, SUPPLIER_IS, False), (3, SOLR_EUI, SUPPLIER_GS, False)]


@pytest.mark.parametrize("who", BLIND)
def test_another_partys_file_is_404_and_not_listed(cast, who):
    adt_file = submitted(cast)
    client = api(getattr(cast, who))
    assert client.get(URL).json()["count"] == 0
    for response in (client.get(f"{URL}{adt_file.pk}/"), client.post(f"{URL}{adt_file.pk}/approve/"),
                     client.post(f"{URL}{adt_file.pk}/reject/", {"reason": "x"}, format="json")):
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.SUBMITTED


def test_the_list_filters_by_state_and_is_paginated(cast):
    first = submitted(cast)
    approve_adt_file(cast.sro, first)
    for _ in range(3):
        submitted(cast)
    client = api(cast.operator)
    active = client.get(URL, {"state": "active"}).json()
    assert [f["id"] for f in active["results"]] == [first.pk]
    page = client.get(URL, {"state": "submitted", "page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and "page=2" in page["next"]
    assert client.get(URL, {"state": "bogus"}).status_code == 400


# --- upload -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["sro", "aro"])
def test_an_sro_or_verified_aro_uploads(cast, who):
    person = getattr(cast, who)
    response = post_file(api(person), csv_bytes(solr_row(), solr_row(SUPPLIER_GS)), name="t.csv")
    assert response.status_code == 201, response.json()
    body = response.json()
    adt_file = AdtFile.objects.get()
    assert body["id"] == adt_file.pk and body["state"] == "submitted" and len(body["rows"]) == 2
    assert adt_file.uploaded_by == person and adt_file.party == cast.srp
    assert AuditRecord.objects.filter(action="adt_file.upload", actor=person.username).exists()


@pytest.mark.parametrize("who", ["operator", "nominated_aro", "removed_sro"])
def test_people_without_an_uploading_office_get_403_with_the_code(cast, who):
    response = post_file(api(getattr(cast, who)), csv_bytes(solr_row()))
    assert response.status_code == 403 and response.json()["code"] == "adt-upload-not-allowed"
    assert not AdtFile.objects.exists()


def test_an_outsider_cannot_name_another_party(cast):
    response = post_file(api(cast.outsider_sro), csv_bytes(solr_row()), party=cast.srp.short_name)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "party"
    assert not AdtFile.objects.exists()


def test_a_person_of_two_parties_names_the_party(cast):
    Office.objects.create(person=cast.sro, kind=OfficeKind.SRO, party=cast.outsider, status=OfficeStatus.VERIFIED)
    client = api(cast.sro)
    unnamed = post_file(client, csv_bytes(solr_row()))
    assert unnamed.status_code == 400 and unnamed.json()["errors"][0]["field"] == "party"
    named = post_file(client, csv_bytes(solr_row()), party=cast.srp.short_name)
    assert named.status_code == 201 and named.json()["party"] == cast.srp.short_name


def test_a_refused_file_lists_every_error_by_line_and_field_and_stores_nothing(cast):
    bad = csv_bytes(solr_row(warning=0), "not-an-eui,1.6,*,1,2,60", solr_row(warning=300, quarantine=200))
    response = post_file(api(cast.aro), bad)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "adt-file-invalid" and body["detail"]
    assert {(e["line"], e["field"], e["code"]) for e in body["errors"]} >= {
        (2, "warning_level", "value-not-positive"), (3, "user_id", "eui64-invalid"),
        (4, "warning_level", "warning-above-quarantine")}
    assert all(set(e) == {"line", "field", "code", "message"} for e in body["errors"])
    assert not AdtFile.objects.exists() and not AdtThreshold.objects.exists()


def test_registry_errors_are_reported_by_line(cast):
    response = post_file(api(cast.aro), csv_bytes(solr_row(), solr_row(target="*")))
    assert response.status_code == 400
    assert [(e["line"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        (3, "target_supplier", "target-supplier-required")]


@pytest.mark.parametrize(("data", "code"), [(b"\x89PNG\r\n\x1a\n\x00\x00", "adt-file-not-utf8"),
                                            (b"a\x00b\n", "adt-file-not-csv")])
def test_non_csv_files_are_refused_with_a_code(cast, data, code):
    response = post_file(api(cast.sro), data, name="image.png")
    assert response.status_code == 400 and response.json()["code"] == code
    assert not AdtFile.objects.exists()


def test_an_oversized_file_is_refused(cast, settings):
    settings.SOLR_ADT_MAX_BYTES = 64
    response = post_file(api(cast.sro), csv_bytes(solr_row(), solr_row(SUPPLIER_GS)))
    assert response.status_code == 400 and response.json()["code"] == "adt-file-too-large"
    assert response.json()["errors"][0]["line"] == 0


def test_an_upload_without_a_file_is_a_field_error(cast):
    response = api(cast.sro).post(URL, {}, format="multipart")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "file"


# --- approve and reject -----------------------------------------------------------------------------

def test_the_uploaders_own_approval_is_403_four_eyes(cast):
    adt_file = submitted(cast, cast.sro)
    response = api(cast.sro).post(f"{URL}{adt_file.pk}/approve/")
    assert response.status_code == 403 and response.json()["code"] == "adt-four-eyes"
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.SUBMITTED


def test_an_aro_uploaders_approval_is_403_four_eyes_too(cast):
    adt_file = submitted(cast, cast.aro)
    response = api(cast.aro).post(f"{URL}{adt_file.pk}/approve/")
    assert response.status_code == 403 and response.json()["code"] == "adt-four-eyes"


def test_a_visible_file_an_aro_may_not_decide_is_403(cast):
    adt_file = submitted(cast, cast.sro)
    client = api(cast.aro)
    approve = client.post(f"{URL}{adt_file.pk}/approve/")
    assert approve.status_code == 403 and approve.json()["code"] == "adt-approve-not-allowed"
    reject = client.post(f"{URL}{adt_file.pk}/reject/", {"reason": "no"}, format="json")
    assert reject.status_code == 403 and reject.json()["code"] == "adt-reject-not-allowed"


@pytest.mark.parametrize("who", ["sro", "sro2", "operator"])
def test_another_sro_or_an_operator_approves(cast, who):
    adt_file = submitted(cast, cast.aro)
    person = getattr(cast, who)
    response = api(person).post(f"{URL}{adt_file.pk}/approve/")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "active" and body["approved_by"] == person.username
    assert [r["active"] for r in body["rows"]] == [True]
    assert AuditRecord.objects.filter(action="adt_file.approve", actor=person.username).exists()
    again = api(person).post(f"{URL}{adt_file.pk}/approve/")
    assert again.status_code == 409 and again.json()["code"] == "adt-file-not-submitted"


def test_approval_supersedes_the_earlier_file(cast):
    first = submitted(cast)
    approve_adt_file(cast.sro, first)
    second = submitted(cast, cast.aro, solr_row(warning=150, quarantine=300))
    assert api(cast.operator).post(f"{URL}{second.pk}/approve/").status_code == 200
    assert api(cast.aro).get(f"{URL}{first.pk}/").json()["state"] == "superseded"


@pytest.mark.parametrize("who", ["sro", "operator"])
def test_a_decider_rejects_with_a_reason(cast, who):
    adt_file = submitted(cast, cast.aro)
    person = getattr(cast, who)
    response = api(person).post(f"{URL}{adt_file.pk}/reject/", {"reason": "window too short"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "rejected" and body["reject_reason"] == "window too short"
    assert body["rejected_by"] == person.username
    assert AuditRecord.objects.filter(action="adt_file.reject", actor=person.username).exists()


def test_the_schema_describes_the_adt_endpoints(cast):
    schema = api(cast.sro).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/adt-files/"])
    assert "multipart/form-data" in paths["/api/v1/adt-files/"]["post"]["requestBody"]["content"]
    assert {"200", "403", "404", "409"} <= set(paths["/api/v1/adt-files/{id}/approve/"]["post"]["responses"])
    assert "/api/v1/adt-files/{id}/reject/" in paths
    state = schema["components"]["schemas"]["StateEnum"]["enum"]
    assert sorted(state) == ["active", "rejected", "submitted", "superseded"]


def test_the_schema_validates_without_warnings(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn`: the ADT endpoints add no warning to the schema."""
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/adt-files/{id}/approve/:" in out.read_text()
