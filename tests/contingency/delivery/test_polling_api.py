"""GET /api/v1/responses/?user_id=…&since=…: a User ID's Service Responses by polling, read by the acting SRO and
ARO of the Party holding it and by DCC operators; everyone else of the cast refused by code."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from contingency.models import RequestState, ServiceRequest
from portal.models import solr_role_code
from tests.portal.factories import UserIDFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/responses/"
SRP_UID = "90-B3-D5-1F-30-20-00-01"
OTHER_UID = "90-B3-D5-1F-30-20-00-09"


@pytest.fixture
def responses(cast):
    srp_uid = UserIDFactory(eui=SRP_UID, party=cast.srp, roles=[solr_role_code()])
    other_uid = UserIDFactory(eui=OTHER_UID, party=cast.other_party, roles=["IS"])
    now = timezone.now()

    def row(uid, counter, state, at):
        return ServiceRequest.objects.create(
            request_id=f"{uid.eui}:00-DB-12-34-56-78-90-A0:{counter}", sender=uid, counter=counter, srv="1.6",
            command_variant=5, state=state, request_xml=b"<Request/>", responded_at=at,
            response_code="I0" if state == RequestState.RESPONDED else "", response_document=f"<doc {counter}/>")

    row(srp_uid, 1, RequestState.RESPONDED, now - dt.timedelta(minutes=10))
    row(srp_uid, 2, RequestState.RESPONDED, now - dt.timedelta(minutes=1))
    row(srp_uid, 3, RequestState.SENT, None)  # no outcome yet: not listed
    row(other_uid, 4, RequestState.RESPONDED, now)
    return cast


def counters(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [item["request_id"].rsplit(":", 1)[1] for item in response.json()["results"]]


@pytest.mark.parametrize("member", ["srp_sro", "srp_aro", "dcc_operator1"])
def test_the_srps_officers_and_the_service_desk_read_its_responses_oldest_first(responses, member):
    response = responses[member].client.get(URL, {"user_id": SRP_UID})
    assert counters(response) == ["1", "2"]
    first = response.json()["results"][0]
    assert first["document"] == "<doc 1/>" and first["response_code"] == "I0" and first["state"] == "responded"


def test_since_leaves_out_older_outcomes(responses):
    since = (timezone.now() - dt.timedelta(minutes=5)).isoformat()
    assert counters(responses.srp_aro.client.get(URL, {"user_id": SRP_UID, "since": since})) == ["2"]


@pytest.mark.parametrize("member", ["outsider", "authority_officer"])
def test_anyone_else_is_refused_by_code(responses, member):
    response = responses[member].client.get(URL, {"user_id": SRP_UID})
    assert (response.status_code, response.json()["code"]) == (403, "responses-forbidden")


def test_an_srp_officer_may_not_read_another_partys_user_id_nor_learn_whether_one_exists(responses):
    for uid in (OTHER_UID, "90-B3-D5-1F-30-99-99-99"):
        response = responses.srp_sro.client.get(URL, {"user_id": uid})
        assert (response.status_code, response.json()["code"]) == (403, "responses-forbidden")


def test_bad_queries_are_refused_by_code(responses):
    client = responses.srp_sro.client
    assert client.get(URL, {"user_id": "not-an-eui"}).json()["code"] == "eui64-invalid"
    missing = client.get(URL)
    assert (missing.status_code, missing.json()["code"]) == (400, "required")
    assert client.get(URL, {"user_id": SRP_UID, "since": "yesterday"}).status_code == 400


def test_anonymous_is_refused(responses):
    assert Client().get(URL, {"user_id": SRP_UID}).status_code in (401, 403)
