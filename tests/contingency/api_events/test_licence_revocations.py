"""POST/GET /api/v1/licence-revocations/ and the deferral (issue 9 points 1, 2, 10): who may record, who may see
(the others get an empty list and 404), the refusals by code."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from contingency.models import LicenceRevocation
from portal.models import LicenceStatus
from tests.helpers.permissions import assert_access

pytestmark = pytest.mark.django_db

URL = "/api/v1/licence-revocations/"
RECORDERS = ["authority_officer", "dcc_operator1", "dcc_operator2"]
OTHERS = ["srp_sro", "srp_aro", "outsider"]


def body(world, hours=-1, **extra):
    return {"supplier": world.failed.short_name, "solr": world.steady.short_name,
            "effective_at": (timezone.now() + dt.timedelta(hours=hours)).isoformat(), "reference": "OFG-1", **extra}


@pytest.mark.parametrize("who", RECORDERS)
def test_the_authority_or_an_operator_on_its_behalf_records_a_revocation(world, who):
    response = world.client(who).post(URL, body(world), format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    revocation = LicenceRevocation.objects.get()
    assert answer["id"] == revocation.pk and answer["supplier"] == "failing-energy"
    assert answer["solr"] == "steady-energy" and answer["reference"] == "OFG-1"
    assert answer["recorded_by"] == world.cast[who].username
    # A DCC operator records on the Authority's behalf, marked as such (issue 9 point 1).
    assert answer["on_behalf_of_authority"] is (who != "authority_officer")
    assert revocation.recorded_by == world.cast[who].user
    world.failed.refresh_from_db()
    assert world.failed.licence_status == LicenceStatus.REVOKED  # effective an hour ago: in force now


@pytest.mark.parametrize("who", OTHERS)
def test_nobody_else_records_a_revocation(world, who):
    response = world.client(who).post(URL, body(world), format="json")
    assert (response.status_code, response.json()["code"]) == (403, "not-permitted")
    assert not LicenceRevocation.objects.exists()
    world.failed.refresh_from_db()
    assert world.failed.licence_status == LicenceStatus.ACTIVE


@pytest.mark.parametrize("who", OTHERS)
def test_someone_who_may_not_record_learns_nothing_from_field_errors(world, who):
    # Refused before the input is read: an unknown Party gives the same answer as a known one.
    for data in (body(world, supplier="no-such-party"), {}):
        response = world.client(who).post(URL, data, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "not-permitted")
    assert not LicenceRevocation.objects.exists()


def test_anonymous_is_refused(world):
    assert APIClient().post(URL, body(world), format="json").status_code == 403
    assert APIClient().get(URL).status_code == 403
    assert not LicenceRevocation.objects.exists()


def test_a_second_revocation_and_a_non_supplier_are_refused_by_code(world):
    client = world.client("authority_officer")
    assert client.post(URL, body(world), format="json").status_code == 201
    again = client.post(URL, body(world, reference="OFG-2"), format="json")
    assert (again.status_code, again.json()["code"]) == (400, "licence-already-revoked")
    srp = client.post(URL, body(world, supplier=world.cast.srp.short_name), format="json")
    assert (srp.status_code, srp.json()["code"]) == (400, "not-a-supplier")
    unknown = client.post(URL, body(world, supplier="no-such-party"), format="json")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "supplier"
    assert LicenceRevocation.objects.count() == 1


def test_those_who_may_see_list_and_read_and_the_others_get_nothing(world, revoked):
    outcomes = assert_access(world.cast, "get", URL, {}, others=200, api=True)
    assert outcomes  # every member answered 200: now what each saw
    for member in world.cast:
        listing = world.client(member.name).get(URL).json()
        expected = [revoked.pk] if member.name in RECORDERS else []
        assert [r["id"] for r in listing["results"]] == expected, member.name
        assert listing["count"] == len(expected)
    assert_access(world.cast, "get", f"{URL}{revoked.pk}/", {name: 200 for name in RECORDERS},
                  others=(404, "not_found"), api=True)
    detail = world.client("dcc_operator1").get(f"{URL}{revoked.pk}/").json()
    assert detail["supplier"] == "failing-energy" and detail["recorded_by"] == world.cast.authority_officer.username
    # No deferral: the certificates follow the licence at its effective time.
    assert dt.datetime.fromisoformat(detail["certificates_due_at"]) == revoked.effective_at
    assert detail["certificates_deferred_until"] is None


def future_revocation(world):
    response = world.client("authority_officer").post(URL, body(world, hours=48), format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


@pytest.mark.parametrize("who", RECORDERS)
def test_a_deferral_moves_the_certificates_due_time(world, who):
    pk = future_revocation(world)
    until = timezone.now() + dt.timedelta(days=10)
    response = world.client(who).post(f"{URL}{pk}/deferral/", {"until": until.isoformat(), "decided_by": "SMKI PMA"},
                                      format="json")
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert dt.datetime.fromisoformat(answer["certificates_deferred_until"]) == until
    assert dt.datetime.fromisoformat(answer["certificates_due_at"]) == until
    assert answer["deferral_decided_by"] == "SMKI PMA" and answer["deferral_recorded_by"] == world.cast[who].username
    revocation = LicenceRevocation.objects.get()
    assert revocation.certificates_deferred_until == until and revocation.deferral_recorded_by == world.cast[who].user


@pytest.mark.parametrize("who", OTHERS)
def test_the_others_cannot_see_a_revocation_to_defer_it(world, who):
    pk = future_revocation(world)
    response = world.client(who).post(f"{URL}{pk}/deferral/", {"until": timezone.now().isoformat(),
                                                                "decided_by": "me"}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert LicenceRevocation.objects.get().certificates_deferred_until is None


def test_a_deferral_without_its_fields_is_a_field_error(world):
    pk = future_revocation(world)
    response = world.client("authority_officer").post(f"{URL}{pk}/deferral/", {}, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"until", "decided_by"}
