"""The event chart's request counts (contingency.events.timeline.request_counts) read the front door's tables:
accepted and quarantined ServiceRequests and RejectedRequests for the Supplier's devices, per interval."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contingency.events import timeline
from contingency.models import RejectedRequest, ServiceRequest
from tests.contingency.web_events.world import make_world

pytestmark = pytest.mark.django_db


def test_request_counts_count_the_front_doors_rows_per_interval(cast):
    world = make_world(cast)
    start = timezone.now().replace(microsecond=0)
    meter = world.meters[0]
    other_party = world.healthy

    def stored(n: int, state: str, minutes: float, party=None):
        ServiceRequest.objects.create(
            request_id=f"{world.solr_uid.eui}:{meter.eui}:{n}", sender=world.solr_uid, device=meter,
            target_supplier=party or world.failed, gbcs_originator=world.failed_is.eui, counter=Decimal(n), srv="1.6",
            command_variant=5, state=state, request_xml=b"<r/>", received_at=start + timedelta(minutes=minutes))

    def rejected(minutes: float, party=None):
        RejectedRequest.objects.create(received_at=start + timedelta(minutes=minutes),
                                       target_supplier=party or world.failed, failed_check="9",
                                       code="not-authorised-for-device", http_status=403)

    stored(1, "accepted", 10)
    stored(2, "accepted", 20)
    stored(3, "quarantined", 70)
    stored(4, "transformed", 80)  # waiting for its Signed Pre-Command: not counted yet
    stored(5, "deleted", 90)  # deleted from quarantine: neither
    stored(6, "accepted", 130, party=other_party)  # another Supplier's
    stored(7, "accepted", 180)  # exactly at the end: in the last interval
    rejected(5)
    rejected(125)
    rejected(126, party=other_party)
    rejected(200)  # after the window
    counts = timeline.request_counts(world.failed, start, start + timedelta(hours=3), timedelta(hours=1))
    assert counts == [
        {"accepted": 2, "rejected": 1, "quarantined": 0},
        {"accepted": 0, "rejected": 0, "quarantined": 1},
        {"accepted": 1, "rejected": 1, "quarantined": 0},
    ]
