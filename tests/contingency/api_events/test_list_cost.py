"""What a page of each list costs in queries: the same for one object as for six (no query per row), except the
events list, where ``event_summary`` counts each event's meters by payment mode with one query of its own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contingency.events.activation import end_activation, request_activation
from contingency.events.records import record_licence_revocation
from portal.models import PartyKind
from tests.portal.factories import PartyFactory

from .world import make_instruction

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/instructions/", "/api/v1/activations/", "/api/v1/licence-revocations/", "/api/v1/events/"]


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_a_longer_list_costs_no_query_per_row_but_the_events_meters(world, revoked):
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
    for url in LISTS[:3]:
        assert six[url] == one[url], (url, one[url], six[url])
    assert six["/api/v1/events/"] == one["/api/v1/events/"] + 5
