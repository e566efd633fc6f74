"""GET/POST /api/v1/instructions/ and the evidence download (issue 9 points 1 and 10): multipart with the PDF,
device IDs in every spelling the registry accepts, the refusals by code, who may record, see and download."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from contingency.models import Instruction, ScopeKind
from tests.helpers.permissions import assert_access

from .world import PDF, SOLR_EUI, STEADY_IS, make_instruction, meter_eui, pdf_upload, window

pytestmark = pytest.mark.django_db

URL = "/api/v1/instructions/"
RECORDERS = ["authority_officer", "dcc_operator1", "dcc_operator2"]
OTHERS = ["srp_sro", "srp_aro", "outsider"]


def form(world, reference="OFG-INS-1", **extra):
    valid_from, valid_to = window()
    data = {"reference": reference, "supplier": world.failed.short_name, "contingency_user_id": SOLR_EUI,
            "valid_from": valid_from.isoformat(), "valid_to": valid_to.isoformat(), "evidence": pdf_upload()}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def post(client, data):
    return client.post(URL, data, format="multipart")


def refused(response, status: int, code: str):
    assert (response.status_code, response.json()["code"]) == (status, code), response.json()
    assert not Instruction.objects.exists()


@pytest.mark.parametrize("who", RECORDERS)
def test_the_authority_or_an_operator_on_its_behalf_records_an_instruction_with_its_evidence(world, revoked, who):
    response = post(world.client(who), form(world))
    assert response.status_code == 201, response.json()
    answer = response.json()
    instruction = Instruction.objects.get()
    assert answer["id"] == instruction.pk and answer["reference"] == "OFG-INS-1"
    assert answer["supplier"] == "failing-energy" and answer["contingency_user_id"] == SOLR_EUI
    assert answer["srvs"] == ["1.6"]  # the default: SRV 1.6 to Credit only
    assert answer["scope"] == ScopeKind.ALL_METERS and answer["device_ids"] == []
    assert answer["evidence_name"] == "direction.pdf" and answer["evidence_size"] == len(PDF)
    assert answer["recorded_by"] == world.cast[who].username
    assert answer["on_behalf_of_authority"] is (who != "authority_officer")
    assert answer["evidence_url"] == f"{URL}{instruction.pk}/evidence/"
    with instruction.evidence.open("rb") as stored:
        assert stored.read() == PDF


@pytest.mark.parametrize("who", OTHERS)
def test_nobody_else_records_an_instruction(world, revoked, who):
    refused(post(world.client(who), form(world)), 403, "not-permitted")


@pytest.mark.parametrize("who", OTHERS)
def test_someone_who_may_not_record_learns_nothing_from_field_errors(world, revoked, who):
    # Refused before the input is read: an unknown Party or User ID gives the same answer as a known one.
    for data in (form(world, supplier="no-such-party"), form(world, contingency_user_id="90B3D51F30FFFFFF"), {}):
        refused(post(world.client(who), data), 403, "not-permitted")


def test_anonymous_is_refused(world, revoked):
    assert post(APIClient(), form(world)).status_code == 403
    assert APIClient().get(URL).status_code == 403
    assert not Instruction.objects.exists()


def test_device_ids_in_several_spellings_name_the_listed_devices(world, revoked):
    spellings = ["00-db-12-34-56-78-90-01",  # lower case, hyphens
                 "00:DB:12:34:56:78:90:02",  # colons
                 "00DB123456789005",  # no separators
                 "00DB 1234 5678 9005",  # the same device again, in words of four: named once
                 "00.db.12.34.56.78.90.03"]  # dots
    response = post(world.client("authority_officer"), form(world, device_ids=spellings))
    assert response.status_code == 201, response.json()
    expected = [meter_eui(1), meter_eui(2), meter_eui(3), meter_eui(5)]
    assert response.json()["scope"] == ScopeKind.LISTED
    assert response.json()["device_ids"] == expected
    assert sorted(Instruction.objects.get().devices.values_list("eui", flat=True)) == expected
    detail = world.client("dcc_operator1").get(f"{URL}{response.json()['id']}/").json()
    assert detail["device_ids"] == expected


def test_a_device_id_that_is_no_eui_is_a_field_error(world, revoked):
    response = post(world.client("authority_officer"), form(world, device_ids=[meter_eui(1), "00-DB-12-XX"]))
    assert response.status_code == 400 and response.json()["code"] == "eui64-invalid"
    assert response.json()["errors"][0]["field"] == "device_ids.1"
    assert not Instruction.objects.exists()


def test_another_suppliers_device_is_refused_and_named(world, revoked):
    response = post(world.client("authority_officer"),
                    form(world, device_ids=[meter_eui(1), "00db1234567890ff", meter_eui(9)]))
    refused(response, 400, "unknown-devices")
    assert [(e["field"], e["code"], e["message"]) for e in response.json()["errors"]] == [
        ("device_ids", "unknown-devices", meter_eui(0xFF)), ("device_ids", "unknown-devices", meter_eui(9))]


def test_an_instruction_for_a_supplier_whose_licence_is_not_revoked_is_refused(world, revoked):
    refused(post(world.client("authority_officer"), form(world, supplier=world.steady.short_name)),
            400, "licence-not-revoked")


def test_a_user_id_without_the_solr_contingency_role_is_refused(world, revoked):
    # A known User ID without the role (the service's refusal) and one the registry does not know (a field
    # error with the same code), each in a spelling other than the canonical one.
    refused(post(world.client("authority_officer"), form(world, contingency_user_id=STEADY_IS.lower())),
            400, "not-solr-contingency-user-id")
    refused(post(world.client("authority_officer"), form(world, contingency_user_id="90B3D51F30FFFFFF")),
            400, "not-solr-contingency-user-id")


def test_the_contingency_user_id_is_taken_in_any_spelling(world, revoked):
    response = post(world.client("authority_officer"), form(world, contingency_user_id="90b3 d51f 3020 0001"))
    assert response.status_code == 201, response.json()
    assert response.json()["contingency_user_id"] == SOLR_EUI


def test_evidence_that_is_not_a_pdf_is_refused(world, revoked):
    text = pdf_upload("direction.pdf", b"Dear DCC, please switch the contingency on.\n", "application/pdf")
    refused(post(world.client("authority_officer"), form(world, evidence=text)), 400, "evidence-not-pdf")


def test_a_window_that_ends_before_it_starts_is_refused(world, revoked):
    valid_from, valid_to = window()
    refused(post(world.client("authority_officer"),
                 form(world, valid_from=valid_to.isoformat(), valid_to=valid_from.isoformat())), 400, "bad-window")


def test_an_unknown_srv_is_refused(world, revoked):
    refused(post(world.client("authority_officer"), form(world, srvs=["99.9"])), 400, "unknown-srv")


def test_srvs_given_are_kept(world, revoked):
    response = post(world.client("authority_officer"), form(world, srvs=["1.6"]))
    assert response.status_code == 201, response.json()
    assert response.json()["srvs"] == ["1.6"] and Instruction.objects.get().srvs == ["1.6"]


def test_missing_evidence_and_a_reference_in_use_are_field_errors(world, revoked):
    response = post(world.client("authority_officer"), form(world, evidence=None))
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "evidence"
    make_instruction(world, reference="OFG-INS-1")
    again = post(world.client("authority_officer"), form(world, reference="OFG-INS-1"))
    assert (again.status_code, again.json()["code"]) == (400, "instruction-reference-exists")
    assert Instruction.objects.count() == 1


def test_a_json_body_is_not_accepted(world, revoked):
    valid_from, valid_to = window()
    response = world.client("authority_officer").post(URL, {
        "reference": "OFG-INS-1", "supplier": world.failed.short_name, "contingency_user_id": SOLR_EUI,
        "valid_from": valid_from.isoformat(), "valid_to": valid_to.isoformat()}, format="json")
    assert response.status_code == 415
    assert not Instruction.objects.exists()


def test_those_who_may_see_list_read_and_download_and_the_others_get_nothing(world, instruction):
    for member in world.cast:
        listing = world.client(member.name).get(URL).json()
        expected = [instruction.pk] if member.name in RECORDERS else []
        assert [i["id"] for i in listing["results"]] == expected, member.name
    assert_access(world.cast, "get", f"{URL}{instruction.pk}/", {name: 200 for name in RECORDERS},
                  others=(404, "not_found"), api=True)
    assert_access(world.cast, "get", f"{URL}{instruction.pk}/evidence/", {name: 200 for name in RECORDERS},
                  others=(404, "not_found"), api=True)


@pytest.mark.parametrize("who", RECORDERS)
def test_the_evidence_is_the_pdf_as_uploaded(world, instruction, who):
    response = world.client(who).get(f"{URL}{instruction.pk}/evidence/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'attachment; filename="direction.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF


def test_the_list_is_paginated(world, revoked):
    for n in range(3):
        make_instruction(world, reference=f"OFG-INS-{n}", start_hours=-1 - n)
    page = world.client("dcc_operator1").get(URL, {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and "page=2" in page["next"]
    assert "device_ids" not in page["results"][0]  # listed devices are in the detail only


def test_the_answer_gives_times_in_iso_8601(world, instruction):
    detail = world.client("authority_officer").get(f"{URL}{instruction.pk}/").json()
    assert dt.datetime.fromisoformat(detail["valid_from"]) == instruction.valid_from
    assert dt.datetime.fromisoformat(detail["valid_to"]) == instruction.valid_to
