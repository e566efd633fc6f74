"""What /events/ costs in queries: the same for 12 events as for 2, whatever their Supplier, scope and activation
(the newest activations in one query, web/events/views.py); the rows shown are the events' own."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contingency.events.activation import end_activation, request_activation
from contingency.events.records import record_instruction, record_licence_revocation
from contingency.models import Activation
from portal.models import PartyKind
from tests.portal.factories import PartyFactory, UserIDFactory

from .world import make_world, meter, pdf_upload, revoke_licence

pytestmark = pytest.mark.django_db


def page_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("events:list"))
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.fixture
def suppliers(cast):
    """Two failed Suppliers, each with its meters, their licences revoked; the world's SoLR Contingency User ID."""
    world = make_world(cast)
    revoke_licence(world, cast.authority_officer.user)
    other = PartyFactory(kind=PartyKind.SUPPLIER, name="Other Failed Energy", short_name="other-failed")
    other_meters = [meter("00-DB-60-00-00-00-03-01", UserIDFactory(eui="90-B3-D5-1F-60-00-03-01", party=other,
                                                                    roles=["IS"]))]
    record_licence_revocation(cast.authority_officer.user, supplier=other, solr=world.last_resort,
                              effective_at=timezone.now() - timedelta(hours=2))
    return world, [(world.failed, world.meters[:2]), (other, other_meters)]


def add_events(cast, world, suppliers, first: int, count: int) -> None:
    """``count`` events numbered from ``first``, for the two Suppliers in turn, every third one listing devices, each
    with an activation (requested; the one before it for the same Supplier ended)."""
    operator, now = cast.dcc_operator1.user, timezone.now()
    for n in range(first, first + count):
        supplier, devices = suppliers[n % 2]
        instruction = record_instruction(
            cast.authority_officer.user, reference=f"OFG/2026/{n:03d}", supplier=supplier,
            contingency_user_id=world.solr_uid, valid_from=now - timedelta(hours=1), valid_to=now + timedelta(days=2),
            evidence=pdf_upload(), device_euis=[d.eui for d in devices] if n % 3 == 0 else None)
        for live in Activation.objects.live().filter(supplier=supplier):  # one live per (Supplier, User ID)
            end_activation(operator, live.pk)
        request_activation(operator, instruction)


def test_the_events_page_costs_the_same_for_twelve_events_as_for_two(cast, suppliers):
    world, failed = suppliers
    client = cast.dcc_operator2.client

    add_events(cast, world, failed, 1, 2)
    two, html = page_queries(client)
    assert len(re.findall(r'href="/events/\d+/"', html)) == 2

    add_events(cast, world, failed, 3, 10)
    twelve, html = page_queries(client)
    assert len(re.findall(r'href="/events/\d+/"', html)) == 12
    # The rows are the events' own: six of each Supplier, two still requested (the newest of each), ten ended.
    events = html[html.index('<table id="events">'):html.index("</table>")]
    assert events.count("<td>Other Failed Energy</td>") == 6 and events.count("<td>Failed Energy</td>") == 6
    assert events.count('data-state="requested"') == 2 and events.count('data-state="ended"') == 10
    assert twelve == two, (two, twelve)
