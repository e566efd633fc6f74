"""GET /api/v1/events/ and /api/v1/events/{id}/ (issue 9 point 10): exactly the event of the contract, with its
values in the promised forms, paginated, for DCC operators and the Authority only."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from contingency.events.activation import request_activation
from contingency.events.queries import event_summary
from tests.helpers.permissions import assert_access

from .world import FAILED_GS, FAILED_IS, SOLR_EUI, make_instruction

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"
VIEWERS = ["dcc_operator1", "dcc_operator2", "authority_officer"]
EVENT_KEYS = {"id", "supplier", "supplier_user_ids", "contingency_user_id", "instruction_reference", "activation_id",
              "activation_state", "requested_by", "valid_from", "valid_to", "meters"}


def test_an_event_is_exactly_the_contracts_dict(world, active):
    instruction = active.instruction
    event = world.client("dcc_operator1").get(f"{URL}{instruction.pk}/").json()
    assert set(event) == EVENT_KEYS
    assert event == event_summary(instruction)  # the service's dict, unchanged
    assert event["id"] == instruction.pk and event["supplier"] == "failing-energy"
    assert sorted(event["supplier_user_ids"]) == [FAILED_IS, FAILED_GS]  # hyphenated DUIS form
    assert event["contingency_user_id"] == SOLR_EUI
    assert event["instruction_reference"] == instruction.reference
    assert (event["activation_id"], event["activation_state"]) == (active.pk, "active")
    assert event["requested_by"] == world.cast.dcc_operator1.username
    assert dt.datetime.fromisoformat(event["valid_from"]) == instruction.valid_from
    assert dt.datetime.fromisoformat(event["valid_to"]) == instruction.valid_to
    assert event["meters"] == {"prepayment": 4, "credit": 1}  # world.py: 3 ESME + 1 GSME prepayment, 1 credit


def test_an_event_without_activation_says_so(world, instruction):
    event = world.client("authority_officer").get(f"{URL}{instruction.pk}/").json()
    assert set(event) == EVENT_KEYS
    assert (event["activation_id"], event["activation_state"], event["requested_by"]) == (None, None, None)


def test_the_event_follows_its_newest_activation(world, requested):
    client = world.client("dcc_operator2")
    assert client.get(f"{URL}{requested.instruction_id}/").json()["activation_state"] == "requested"
    client.post(f"/api/v1/activations/{requested.pk}/approve/", {}, format="json")
    assert client.get(f"{URL}{requested.instruction_id}/").json()["activation_state"] == "active"
    client.post(f"/api/v1/activations/{requested.pk}/end/", {}, format="json")
    again = request_activation(world.cast.dcc_operator2.user, requested.instruction)
    event = client.get(f"{URL}{requested.instruction_id}/").json()
    assert (event["activation_id"], event["activation_state"]) == (again.pk, "requested")
    assert event["requested_by"] == world.cast.dcc_operator2.username


def test_only_operators_and_the_authority_see_events(world, instruction):
    assert_access(world.cast, "get", f"{URL}{instruction.pk}/", {name: 200 for name in VIEWERS},
                  others=(404, "not_found"), api=True)
    for member in world.cast:
        listing = world.client(member.name).get(URL).json()
        assert [e["id"] for e in listing["results"]] == ([instruction.pk] if member.name in VIEWERS else []), \
            member.name
    assert APIClient().get(URL).status_code == 403


def test_the_list_is_paginated_and_each_entry_is_an_event(world, revoked):
    made = [make_instruction(world, reference=f"OFG-{n}", start_hours=-1 - n) for n in range(3)]
    client = world.client("dcc_operator1")
    page = client.get(URL, {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and "page=2" in page["next"]
    rest = client.get(page["next"]).json()
    ids = [e["id"] for e in page["results"] + rest["results"]]
    assert sorted(ids) == sorted(i.pk for i in made)
    assert all(set(e) == EVENT_KEYS for e in page["results"] + rest["results"])


def test_an_unknown_event_is_404(world, instruction):
    response = world.client("dcc_operator1").get(f"{URL}{instruction.pk + 100}/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
