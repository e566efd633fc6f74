"""seed_demo's SoLR events (issue 9 point 11): the first failed Supplier's contingency active (requested by one
demo operator, approved by the other), the second's requested; the manifest's ``events`` are event summaries with
exactly the API's keys; a second run creates nothing."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from contingency.events.access import may_act
from contingency.events.queries import EVENT_KEYS
from contingency.models import Activation, ActivationTransition, Device, Instruction
from portal import demo as registry
from portal.models import AuditRecord

pytestmark = pytest.mark.django_db

METERS = 20


@pytest.fixture
def seeded(tmp_path):
    call_command("seed_demo", out=str(tmp_path / "demo"), meters=METERS, no_progress=True)
    return tmp_path / "demo"


def events_of(out) -> list[dict]:
    return json.loads((out / "manifest.json").read_text())["events"]


def test_the_demo_has_an_active_and_a_requested_event(seeded):
    events = events_of(seeded)
    assert [e["supplier"] for e in events] == ["failing-energy", "collapsed-power"]
    assert [e["activation_state"] for e in events] == ["active", "requested"]
    for event in events:
        assert set(event) == set(EVENT_KEYS)
        assert event["contingency_user_id"] == registry.SRP_SOLR_USER_ID
        assert event["requested_by"] == "dcc.operator1"
        assert event["meters"]["prepayment"] + event["meters"]["credit"] == METERS
    active = Activation.objects.get(pk=events[0]["activation_id"])
    assert active.requested_by.username == "dcc.operator1" and active.approved_by.username == "dcc.operator2"
    requested = Activation.objects.get(pk=events[1]["activation_id"])
    assert requested.approved_by is None
    for instruction in Instruction.objects.all():
        with instruction.evidence.open("rb") as stored:
            assert stored.read().startswith(b"%PDF-1.4")
        assert instruction.recorded_by.username == "authority.officer" and not instruction.on_behalf_of_authority

    first_meter = Device.objects.filter(registered_supplier__party__short_name="failing-energy").first()
    second_meter = Device.objects.filter(registered_supplier__party__short_name="collapsed-power").first()
    assert may_act(registry.SRP_SOLR_USER_ID, first_meter, "1.6")
    assert may_act(registry.SRP_SOLR_USER_ID, second_meter, "1.6").reason == "not-active"


def test_seeding_again_creates_no_event_and_lists_the_same(seeded):
    before = (events_of(seeded), Instruction.objects.count(), Activation.objects.count(),
              ActivationTransition.objects.count(), AuditRecord.objects.count())
    call_command("seed_demo", out=str(seeded), meters=METERS, no_progress=True)
    after = (events_of(seeded), Instruction.objects.count(), Activation.objects.count(),
             ActivationTransition.objects.count(), AuditRecord.objects.count())
    assert after == before and before[1:4] == (2, 2, 3)
