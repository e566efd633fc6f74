"""The sender's DCC alerts (issue 10 point 9): over the warning level one per window period, over the quarantine
level one AD1 QuarantinedRequest/ADUserThresholdBreach per quarantined request, naming its RequestID and a
QuarantineEventRef; signed, valid DUIS, pushed to the sender."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from contingency.adt.counting import WARNING_EVENT_REF, check_and_count
from contingency.models import AdtCountedRequest, AdtNotice, Alert, Push

from .world import T0, rid, threshold

pytestmark = pytest.mark.django_db
NS = {"sr": "http://www.dccinterface.co.uk/ServiceUserGateway"}


def breach(alert: Alert):
    root = etree.fromstring(alert.document.encode())
    [element] = root.findall(".//sr:DCCAlert/sr:QuarantinedRequest/sr:ADUserThresholdBreach", NS)
    return (root.findtext(".//sr:DCCAlertCode", namespaces=NS), element.findtext("sr:RequestID", namespaces=NS),
            int(element.findtext("sr:QuarantineEventRef", namespaces=NS)))


def test_warning_and_quarantine_alerts_go_to_the_sender(world, dcc_identity, duis_schema):
    threshold(world, warning=2, quarantine=3)
    outcomes = [check_and_count(world.sender, "1.6", world.supplier, at=T0, request_id=rid(i)).outcome
                for i in range(1, 7)]
    assert outcomes == ["ok", "ok", "warning", "quarantine", "quarantine", "quarantine"]
    alerts = list(Alert.objects.order_by("pk"))
    assert [(a.code, a.recipient_id, a.addressed_to_id) for a in alerts] == [("AD1", world.sender.pk,
                                                                              world.sender.pk)] * 4
    refs = {c.request_id: c.pk for c in AdtCountedRequest.objects.all()}
    assert [breach(a) for a in alerts] == [("AD1", rid(3), WARNING_EVENT_REF)] + [
        ("AD1", rid(i), refs[rid(i)]) for i in (4, 5, 6)]
    assert all(ref > 0 for ref in refs.values())  # 0 is the warning's, never a quarantine's
    for alert in alerts:
        assert duis_schema.errors(etree.fromstring(alert.document.encode())) == []
    assert Push.objects.filter(recipient=world.sender).count() == 4
    notices = list(AdtNotice.objects.order_by("pk").values_list("kind", "request_id", "alert_id"))
    assert notices == [("warning", rid(3), alerts[0].pk), ("quarantine", rid(4), alerts[1].pk)]


def test_a_new_window_period_warns_again_and_a_repeated_call_alerts_nothing(world, dcc_identity):
    threshold(world, warning=1, quarantine=100, window_minutes=1)
    for i in range(1, 4):
        check_and_count(world.sender, "1.6", world.supplier, at=T0, request_id=rid(i))
    check_and_count(world.sender, "1.6", world.supplier, at=T0, request_id=rid(3))  # the CV 5 of rid(3)
    assert Alert.objects.count() == 1
    later = T0 + dt.timedelta(seconds=61)
    for i in range(4, 7):
        check_and_count(world.sender, "1.6", world.supplier, at=later, request_id=rid(i))
    assert list(AdtNotice.objects.order_by("pk").values_list("request_id", flat=True)) == [rid(2), rid(5)]
    assert Alert.objects.count() == 2


def test_without_a_signing_identity_the_verdict_stands_and_the_note_is_kept(world):
    threshold(world, warning=1, quarantine=1)
    verdicts = [check_and_count(world.sender, "1.6", world.supplier, at=T0, request_id=rid(i)) for i in (1, 2)]
    assert [v.outcome for v in verdicts] == ["ok", "quarantine"]
    assert not Alert.objects.exists()
    assert list(AdtNotice.objects.values_list("kind", "alert_id")) == [("quarantine", None)]
