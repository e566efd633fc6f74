"""What a page of each list costs in queries: the same for one object as for six, and for the events as for twelve
(no query per row: the events' meters by payment mode are counted in the list's own query,
``events_for(...).with_meters()``)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contingency.events.activation import end_activation, request_activation
from contingency.events.records import record_licence_revocation
from contingency.models import Activation
from portal.models import PartyKind
from tests.portal.factories import PartyFactory

from .world import make_instruction

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"
LISTS = ["/api/v1/instructions/", "/api/v1/activations/", "/api/v1/licence-revocations/", EVENTS]


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_a_longer_list_costs_no_query_per_row(world, revoked):
    client = world.client("dcc_operator1")
    operator, authority = world.cast.dcc_operator1.user, world.cast.authority_officer.user
    end_activation(operator, request_activation(operator, make_instruction(world, reference="OFG-0")).pk)
    one = {url: queries(client, url) for url in LISTS}
    for n in range(1, 6):
        instruction = make_instruction(world, reference=f"OFG-{n}", start_hours=-1 - n)
        end_activation(operator, request_activation(operator, instruction).pk)  # one live activation at a time
        record_licence_revocation(authority, supplier=PartyFactory(kind=PartyKind.SUPPLIER), solr=world.steady,
                                  effective_at=revoked.effective_at)
    six = {url: queries(client, url) for url in LISTS}
    assert [client.get(url).json()["count"] for url in LISTS] == [6, 6, 6, 6]
    for url in LISTS:
        assert six[url] == one[url], (url, one[url], six[url])


def test_the_events_list_costs_the_same_for_twelve_events_as_for_two(world, revoked, django_assert_max_num_queries):
    """Twelve events, every third listing devices, each with an activation (ended but the newest): the same queries
    as two, and each event's own meters and activation."""
    operator = world.cast.dcc_operator1.user
    client = world.client("dcc_operator2")

    def add(first, count):
        for n in range(first, first + count):
            listed = [m.eui for m in world.meters[:2]] if n % 3 == 0 else None  # two prepayment meters
            instruction = make_instruction(world, reference=f"OFG-{n}", start_hours=-1 - n, device_euis=listed)
            for live in Activation.objects.live():
                end_activation(operator, live.pk)
            request_activation(operator, instruction)

    add(1, 2)
    two = queries(client, EVENTS)
    add(3, 10)
    with django_assert_max_num_queries(two):
        answer = client.get(EVENTS)
    events = answer.json()["results"]
    assert answer.json()["count"] == 12 and len(events) == 12
    for event in events:
        n = int(event["instruction_reference"].removeprefix("OFG-"))
        # world.py: all the failed Supplier's meters are 4 prepayment (3 ESME, 1 GSME) and 1 credit
        assert event["meters"] == ({"prepayment": 2, "credit": 0} if n % 3 == 0 else {"prepayment": 4, "credit": 1})
        assert event["activation_state"] == ("requested" if n == 12 else "ended")
