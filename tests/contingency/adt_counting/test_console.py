"""The quarantine console's pages and API (issue 10 point 9; docs/quarantine.md): the same rules through both, the
cast's permissions (only DCC operators), filters, four eyes, compare-and-set on the version."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contingency.models import QuarantineDecision, RequestState, ServiceRequest

from .world import OTHER_SUPPLIER_EUI, rid, service_request

pytestmark = pytest.mark.django_db

REFUSED = ["authority_officer", "srp_sro", "srp_aro", "outsider"]
API = "/api/v1/"


@pytest.fixture
def held(world):
    return service_request(world, rid(1))


def codes(response) -> str:
    return response.json()["code"]


@pytest.mark.parametrize("name", REFUSED)
def test_pages_and_api_refuse_everyone_but_dcc_operators(cast, held, name):
    client = cast[name].client
    decision = QuarantineDecision.objects.create(request=held, action="release",
                                                 requested_by=cast.dcc_operator1.user)
    for url in (reverse("quarantine:list"), reverse("quarantine:detail", args=[held.pk])):
        response = client.get(url)
        assert response.status_code == 403 and b"quarantine-not-allowed" in response.content
    response = client.post(reverse("quarantine:detail", args=[held.pk]),
                           {"action": "approve", "decision": decision.pk})
    assert response.status_code == 403
    for method, url in (("get", "quarantined-requests/"), ("get", f"quarantined-requests/{held.pk}/"),
                        ("post", f"quarantined-requests/{held.pk}/release/"), ("get", "quarantine-decisions/"),
                        ("post", f"quarantine-decisions/{decision.pk}/approve/"), ("get", "adt-notices/")):
        response = getattr(client, method)(API + url)
        assert (response.status_code, codes(response)) == (403, "quarantine-not-allowed"), url
    held.refresh_from_db()
    decision.refresh_from_db()
    assert (held.state, decision.state) == (RequestState.QUARANTINED, "requested")


def test_api_release_four_eyes_and_compare_and_set(cast, held):
    op1, op2 = cast.dcc_operator1.client, cast.dcc_operator2.client
    listed = op1.get(API + "quarantined-requests/").json()
    assert [r["request_id"] for r in listed["results"]] == [held.request_id]
    asked = op1.post(API + f"quarantined-requests/{held.pk}/release/")
    assert asked.status_code == 201 and asked.json()["state"] == "requested"
    decision = asked.json()["id"]
    again = op2.post(API + f"quarantined-requests/{held.pk}/delete/")
    assert (again.status_code, codes(again)) == (409, "quarantine-decision-open")
    same = op1.post(API + f"quarantine-decisions/{decision}/approve/", {"version": 0}, content_type="application/json")
    assert (same.status_code, codes(same)) == (403, "same-person")
    stale = op2.post(API + f"quarantine-decisions/{decision}/approve/", {"version": 3},
                     content_type="application/json")
    assert (stale.status_code, codes(stale)) == (409, "quarantine-request-changed")
    done = op2.post(API + f"quarantine-decisions/{decision}/approve/", {"version": 0},
                    content_type="application/json")
    assert done.status_code == 200 and (done.json()["state"], done.json()["version"]) == ("accepted", 1)
    assert op1.get(API + "quarantined-requests/").json()["results"] == []
    late = op2.post(API + f"quarantine-decisions/{decision}/approve/")
    assert (late.status_code, codes(late)) == (409, "quarantine-decision-closed")


def test_api_filters(cast, world, held):
    other = service_request(world, rid(2))
    ServiceRequest.objects.filter(pk=other.pk).update(srv="6.2.9", target_supplier=world.other_supplier)
    client = cast.dcc_operator1.client

    def ids(query):
        return sorted(r["id"] for r in client.get(API + "quarantined-requests/" + query).json()["results"])

    assert ids("") == sorted([held.pk, other.pk])
    assert ids("?srv=6.2.9") == [other.pk]
    assert ids(f"?supplier={world.supplier.short_name}") == [held.pk]
    assert ids(f"?sender={world.sender.eui.replace('-', '').lower()}") == sorted([held.pk, other.pk])
    assert ids(f"?sender={OTHER_SUPPLIER_EUI}") == []
    assert ids("?sender=not-an-eui") == []


def test_pages_release_with_two_operators(cast, held):
    url = reverse("quarantine:detail", args=[held.pk])
    page = cast.dcc_operator1.client.get(reverse("quarantine:list"))
    assert page.status_code == 200 and held.request_id.encode() in page.content
    assert cast.dcc_operator1.client.post(url, {"action": "release"}).status_code == 302
    decision = QuarantineDecision.objects.get(request=held)
    same = cast.dcc_operator1.client.post(url, {"action": "approve", "decision": decision.pk, "version": 0})
    assert same.status_code == 403 and b"same-person" in same.content
    bad = cast.dcc_operator2.client.post(url, {"action": "deliver"})
    assert bad.status_code == 400 and b"invalid-action" in bad.content
    ok = cast.dcc_operator2.client.post(url, {"action": "approve", "decision": decision.pk, "version": 0})
    assert ok.status_code == 302
    held.refresh_from_db()
    assert held.state == RequestState.ACCEPTED
    detail = cast.dcc_operator2.client.get(url)
    assert b"quarantine.release" in detail.content and b"quarantine.request_release" in detail.content


def test_api_delete_flow_and_no_http_delete(cast, held):
    op1, op2 = cast.dcc_operator1.client, cast.dcc_operator2.client
    assert op1.delete(API + f"quarantined-requests/{held.pk}/").status_code == 405  # only POST …/delete/ asks
    assert not QuarantineDecision.objects.exists()
    asked = op2.post(API + f"quarantined-requests/{held.pk}/delete/")
    assert asked.status_code == 201 and asked.json()["action"] == "delete"
    assert [d["id"] for d in op1.get(API + "quarantine-decisions/").json()["results"]] == [asked.json()["id"]]
    done = op1.post(API + f"quarantine-decisions/{asked.json()['id']}/approve/")
    assert done.status_code == 200 and done.json()["state"] == "deleted"
    assert op1.get(API + "quarantine-decisions/").json()["results"] == []
