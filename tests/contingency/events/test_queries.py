"""events_for and event_summary (issue 9 points 5 and 10): who sees which events, and the event's exact keys."""

from __future__ import annotations

from datetime import datetime

import pytest

from contingency.events.activation import approve_activation, request_activation
from contingency.events.queries import EVENT_KEYS, event_summary, events_for, meters_by_payment_mode

from .world import instruct, make_world

pytestmark = pytest.mark.django_db

API_KEYS = {"id", "supplier", "supplier_user_ids", "contingency_user_id", "instruction_reference", "activation_id",
            "activation_state", "requested_by", "valid_from", "valid_to", "meters"}


@pytest.fixture
def world(cast):
    return make_world(cast)


def test_the_keys_are_exactly_the_apis():
    assert set(EVENT_KEYS) == API_KEYS and len(EVENT_KEYS) == len(API_KEYS)


def test_an_event_without_activation(cast, world):
    instruction = instruct(world, cast.authority_officer.user)
    summary = event_summary(instruction)
    assert set(summary) == API_KEYS
    assert summary == {
        "id": instruction.pk, "supplier": "failed-energy",
        "supplier_user_ids": ["90-B3-D5-1F-50-00-01-01", "90-B3-D5-1F-50-00-01-02"],
        "contingency_user_id": "90-B3-D5-1F-50-00-09-01", "instruction_reference": "AUTH/2026/001",
        "activation_id": None, "activation_state": None, "requested_by": None,
        "valid_from": instruction.valid_from.isoformat(), "valid_to": instruction.valid_to.isoformat(),
        "meters": {"prepayment": 3, "credit": 1},
    }
    datetime.fromisoformat(summary["valid_from"])


def test_an_event_with_its_newest_activation_listed_and_alone_alike(cast, world):
    instruction = instruct(world, cast.authority_officer.user, device_euis=[m.eui for m in world.meters[1:3]])
    activation = request_activation(cast.dcc_operator1.user, instruction)
    approve_activation(cast.dcc_operator2.user, activation.pk)
    alone = event_summary(instruction)
    assert (alone["activation_id"], alone["activation_state"], alone["requested_by"]) == (
        activation.pk, "active", cast.dcc_operator1.username)
    assert alone["meters"] == {"prepayment": 1, "credit": 1}  # the listed meters only
    [listed] = events_for(cast.dcc_operator2.user)
    assert event_summary(listed) == alone


def test_a_listing_costs_a_fixed_number_of_queries(cast, world, django_assert_max_num_queries):
    for n in range(3):
        instruct(world, cast.authority_officer.user, reference=f"AUTH/{n}")
    # Who may see them, the events with their meters counted, the Suppliers' User IDs prefetched.
    with django_assert_max_num_queries(3):
        summaries = [event_summary(e) for e in events_for(cast.authority_officer.user).with_meters()]
    assert [s["instruction_reference"] for s in summaries] == ["AUTH/2", "AUTH/1", "AUTH/0"]


def test_the_meters_counted_in_the_list_are_those_counted_one_by_one(cast, world):
    """``with_meters`` (one query for the list) gives each event what ``meters_by_payment_mode`` counts alone: the
    listed devices (any type) for a listed scope, the Supplier's ESMEs and GSMEs otherwise, nobody else's."""
    actor = cast.authority_officer.user
    whole = instruct(world, actor, reference="AUTH/ALL")
    listed = instruct(world, actor, reference="AUTH/LISTED", device_euis=[m.eui for m in world.meters[2:4]])
    nothing_prepaid = instruct(world, actor, reference="AUTH/CREDIT", device_euis=[world.meters[2].eui])
    counted = {e.pk: event_summary(e)["meters"] for e in events_for(actor).with_meters()}
    assert counted == {i.pk: meters_by_payment_mode(i) for i in (whole, listed, nothing_prepaid)}
    assert counted == {whole.pk: {"prepayment": 3, "credit": 1}, listed.pk: {"prepayment": 1, "credit": 1},
                       nothing_prepaid.pk: {"prepayment": 0, "credit": 1}}


def test_only_operators_and_the_authority_see_events(cast, world):
    instruct(world, cast.authority_officer.user)
    for member in (cast.dcc_operator1, cast.authority_officer):
        assert events_for(member.user).count() == 1
    for member in (cast.srp_sro, cast.srp_aro, cast.outsider):
        assert events_for(member.user).count() == 0
