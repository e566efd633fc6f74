"""Anomaly detection for real through the DUIS endpoints (DESIGN §4 check 11; issue 10 point 9; docs/adt-format.md
"Counting"): signed requests from the pipeline world posted with the Django test client to /api/v1/serviceT and
/serviceS, the real ``contingency.adt.counting.check_and_count`` (the conftest's stand-in is switched off here),
thresholds set low on the SRP's own ADT rows. Every count is read back from the database (AdtCount rows and the
counting query), every alert from its Alert and Push rows.

* a CV 4 and the CV 5 that completes it count as one Service Request;
* over the warning level: accepted and queued for delivery, a DCC alert queued for the sender, a note
  (AdtNotice) for the service desk — once per window period;
* over the quarantine level: stored ``quarantined``, never queued for delivery, the meter unchanged, a DCC alert
  to the sender naming the request; released by two operators, it is delivered;
* no active ADT for (sender, SRV, the device's Supplier): refused ``adt-missing`` (403, no DUIS document);
* counts are per (User ID, SRV, target Supplier): another target Supplier's requests, another sender's, and
  another SRV's count under their own keys.
"""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from django.db.models import Sum
from django.utils import timezone
from lxml import etree

from contingency.adt import counting, quarantine
from contingency.delivery import service, tasks
from contingency.duis import codes
from contingency.gbcs import signature
from contingency.models import (
    AdtCount,
    AdtCountedRequest,
    AdtNotice,
    Alert,
    Push,
    RejectedRequest,
    ServiceRequest,
)
from contingency.service_matrix.services import allow
from portal.models import AuditRecord, solr_role_code

from .world import (
    ESME,
    ESME_TWIN,
    GSME,
    NS,
    SECOND_SMETS1_ESME,
    SMETS1_ESME,
    SOLR_EUI,
    add_second_failed_supplier,
    add_second_sender,
    adt_threshold,
    payment_modes,
    pre_command_of,
    read_payment_mode,
    request,
    rid,
    signed_pre_command,
    smets1_credit,
    transform_and_sign,
)

pytestmark = pytest.mark.django_db

REAL_CHECK_AND_COUNT = counting.check_and_count


@pytest.fixture
def adt():
    """Overrides the conftest's stand-in: check 11 runs the real ``contingency.adt.counting.check_and_count``."""
    return None


@pytest.fixture(autouse=True)
def real_counting(world):
    assert counting.check_and_count is REAL_CHECK_AND_COUNT  # no stand-in slipped in


@pytest.fixture
def queued(monkeypatch, settings):
    """What the front door and the alerts queue after their commits: ``queued.requests`` (deliver_request ids) and
    ``queued.pushes`` (deliver_push ids), recorded instead of sent to the broker. The gateway answers at once."""
    settings.SOLR_GATEWAY_LATENCY_SECONDS = 0.0
    settings.SOLR_GATEWAY_JITTER_SECONDS = 0.0

    queued = SimpleNamespace(requests=[], pushes=[])
    monkeypatch.setattr(tasks.deliver_request, "delay", queued.requests.append)
    monkeypatch.setattr(tasks.deliver_push, "delay", queued.pushes.append)
    return queued


def counted(threshold) -> tuple[int, int]:
    """The key's count, twice: the sum of its AdtCount rows, and the counting query's window."""
    total = AdtCount.objects.filter(key=counting.counter_key(threshold)).aggregate(n=Sum("n"))["n"] or 0
    return total, counting.window_count(threshold)


def verdict_of(request_id: str) -> tuple[str, int]:
    row = AdtCountedRequest.objects.get(request_id=request_id)
    return row.outcome, row.count


def accepted(reply) -> ServiceRequest:
    assert (reply.status, reply.code) == (200, "I99"), reply.body[:400]
    return ServiceRequest.objects.get(request_id=etree.fromstring(reply.body).findtext("sr:Header/sr:RequestID",
                                                                                       namespaces=NS))


def test_a_transform_and_its_signed_pre_command_count_as_one_request(world, send):
    threshold = adt_threshold(world, world.failed_es)
    counter = world.next_counter()
    # The Transform alone is not counted (docs/adt-format.md "One count per Service Request").
    i0 = send("T", world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 4)))
    assert i0.code == "I0"
    assert counted(threshold) == (0, 0) and not AdtCountedRequest.objects.exists()
    first = accepted(transform_and_sign(world, send, ESME_TWIN, world.es_digital)[1])
    assert counted(threshold) == (1, 1) and verdict_of(first.request_id) == ("ok", 1)

    # Completing the first Transform makes two; its Signed Pre-Command sent again is refused and counts nothing.
    gbcs = signature.sign(pre_command_of(i0.body), world.es_digital.key)
    signed = world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 5, body=signed_pre_command(gbcs)))
    completed = accepted(send("S", signed))
    assert completed.command_variant == 4  # the CV 4 row, moved to accepted: one row, one count
    assert counted(threshold) == (2, 2) and verdict_of(completed.request_id) == ("ok", 2)
    again = send("S", signed)
    assert (again.status, again.code) == (409, "pre-command-unknown")
    assert counted(threshold) == (2, 2)
    # A SMETS1 request is one request too (CV 1: accepted at once).
    third = accepted(smets1_credit(world, send))
    assert counted(threshold) == (3, 3) and verdict_of(third.request_id) == ("ok", 3)
    assert AdtCountedRequest.objects.count() == 3


def test_over_the_warning_level_the_request_goes_on_with_an_alert_and_a_note(world, send, queued,
                                                                           django_capture_on_commit_callbacks):
    threshold = adt_threshold(world, world.failed_es, warning=1, quarantine=5)
    with django_capture_on_commit_callbacks(execute=True):
        first = accepted(smets1_credit(world, send))
    assert verdict_of(first.request_id) == ("ok", 1) and not first.adt_warning
    assert not AdtNotice.objects.exists() and not Alert.objects.exists() and queued.pushes == []

    with django_capture_on_commit_callbacks(execute=True):
        second = accepted(transform_and_sign(world, send, ESME, world.es_digital)[1])
    # Still accepted, flagged, and queued for delivery like any accepted request.
    assert (second.state, second.adt_warning) == ("accepted", True)
    assert verdict_of(second.request_id) == ("warning", 2) and counted(threshold) == (2, 2)
    assert queued.requests == [first.pk, second.pk]
    # The service desk's note.
    note = AdtNotice.objects.get()
    assert (note.kind, note.sender, note.target_supplier, note.srv, note.count, note.request_id) == (
        "warning", world.solr.uid, world.failed_es, "1.6", 2, second.request_id)
    # The DCC alert to the sender (AD1, QuarantineEventRef 0: DUIS 5.4 has no warning body), pushed after commit.
    alert = Alert.objects.get()
    assert note.alert == alert
    assert (alert.kind, alert.code, alert.addressed_to, alert.recipient, alert.route) == (
        "dcc", "AD1", world.solr.uid, world.solr.uid, "direct")
    assert alert.details == {"type": "QuarantinedRequest", "request_id": second.request_id,
                             "quarantine_event_ref": 0, "kind": "ADUserThresholdBreach"}
    push = Push.objects.get(alert=alert)
    assert (push.recipient, push.body) == (world.solr.uid, alert.document)
    assert queued.pushes == [push.pk]
    document = etree.fromstring(alert.document.encode())
    assert document.findtext(".//sr:DCCAlertCode", namespaces=NS) == "AD1"
    assert document.findtext(".//sr:ADUserThresholdBreach/sr:RequestID", namespaces=NS) == second.request_id
    assert document.findtext(".//sr:ADUserThresholdBreach/sr:QuarantineEventRef", namespaces=NS) == "0"

    # The next one over the warning level in the same window period: flagged, but no second note or alert.
    with django_capture_on_commit_callbacks(execute=True):
        third = accepted(transform_and_sign(world, send, ESME_TWIN, world.es_digital)[1])
    assert third.adt_warning and verdict_of(third.request_id) == ("warning", 3)
    assert AdtNotice.objects.count() == 1 and Alert.objects.count() == 1 and queued.pushes == [push.pk]
    assert queued.requests == [first.pk, second.pk, third.pk]


def test_over_the_quarantine_level_the_request_is_kept_and_never_delivered(world, send, queued,
                                                                           django_capture_on_commit_callbacks):
    threshold = adt_threshold(world, world.failed_es, warning=1, quarantine=2)
    with django_capture_on_commit_callbacks(execute=True):
        first = accepted(smets1_credit(world, send))
        second = accepted(transform_and_sign(world, send, ESME_TWIN, world.es_digital)[1])
    warning_pushes = list(queued.pushes)
    modes = payment_modes()
    with django_capture_on_commit_callbacks(execute=True):
        kept = accepted(transform_and_sign(world, send, ESME, world.es_digital)[1])  # the answer is still I99

    assert (kept.state, kept.accepted_at, kept.adt_warning) == ("quarantined", None, False)
    assert kept.quarantined_at is not None and bytes(kept.signed_precommand)
    assert verdict_of(kept.request_id) == ("quarantine", 3) and counted(threshold) == (3, 3)
    assert AuditRecord.objects.filter(action="duis.request.quarantined", subject_id=str(kept.pk)).exists()
    # Not queued for delivery; the sweeper does not pick it up either, however late.
    assert queued.requests == [first.pk, second.pk]
    assert kept.pk not in service.stuck_request_ids(at=timezone.now() + dt.timedelta(days=2))
    # The sender's DCC alert names the request; its QuarantineEventRef is the counted request's number.
    alert = Alert.objects.get(details__quarantine_event_ref=AdtCountedRequest.objects.get(
        request_id=kept.request_id).pk)
    assert (alert.kind, alert.code, alert.addressed_to, alert.recipient) == ("dcc", "AD1", world.solr.uid,
                                                                          world.solr.uid)
    assert alert.details["request_id"] == kept.request_id
    push = Push.objects.get(alert=alert)
    assert push.recipient == world.solr.uid and queued.pushes == [*warning_pushes, push.pk]
    assert AdtNotice.objects.filter(kind="quarantine", request_id=kept.request_id, alert=alert).exists()

    # Deliver what was queued, for real: those meters switch to Credit; the quarantined request's meter does not, and
    # no Service Response (a push keyed response:<RequestID>) exists for it.
    for pk in queued.requests:
        assert tasks.deliver_request.apply(args=[pk]).get()["outcome"] == "responded"
    after = payment_modes()
    assert (modes[ESME], after[ESME]) == ("prepayment", "prepayment")
    assert (after[SMETS1_ESME], after[ESME_TWIN]) == ("credit", "credit")
    assert Push.objects.filter(key=f"response:{first.request_id}").exists()
    assert not Push.objects.filter(key=f"response:{kept.request_id}").exists()
    kept.refresh_from_db()
    assert kept.state == "quarantined" and kept.sent_at is None


def test_a_quarantined_request_released_with_four_eyes_is_then_delivered(world, send, queued, cast,
                                                                         django_capture_on_commit_callbacks):
    adt_threshold(world, world.failed_es, warning=1, quarantine=1)
    accepted(smets1_credit(world, send))
    with django_capture_on_commit_callbacks(execute=True):
        kept = accepted(transform_and_sign(world, send, ESME, world.es_digital)[1])
    assert kept.state == "quarantined" and queued.requests == []
    decision = quarantine.request_decision(cast.dcc_operator1.user, kept, "release")
    with django_capture_on_commit_callbacks(execute=True):
        released = quarantine.approve_decision(cast.dcc_operator2.user, decision)
    assert released.state == "accepted" and queued.requests == [kept.pk]
    # What was kept is what goes to the meter: the Signed Pre-Command the SRP sent before the quarantine.
    assert tasks.deliver_request.apply(args=[kept.pk]).get()["outcome"] == "responded"
    assert payment_modes()[ESME] == "credit"
    assert Push.objects.get(key=f"response:{kept.request_id}").recipient == world.solr.uid


def _refused_adt_missing(reply) -> None:
    answer = codes.answer_for("adt-missing")
    assert (reply.status, reply.content_type, reply.code) == (answer.http_status, "application/json", "adt-missing")
    assert answer.response_code is None and json.loads(reply.body)["code"] == "adt-missing"
    last = RejectedRequest.objects.order_by("-id").first()
    assert (last.code, last.failed_check, last.http_status) == ("adt-missing", "11", 403)


def test_no_active_adt_for_the_devices_supplier_is_refused(world, send):
    # A retired row for the failed Supplier's electricity User ID, an active one for its gas User ID only.
    adt_threshold(world, world.failed_es, active=False)
    gas = adt_threshold(world, world.failed_gs)
    modes = payment_modes()

    _refused_adt_missing(smets1_credit(world, send))
    assert not ServiceRequest.objects.exists()
    # The Transform is not counted, so it is answered; the Signed Pre-Command that completes it is refused.
    i0, refused = transform_and_sign(world, send, ESME, world.es_digital)
    _refused_adt_missing(refused)
    row = ServiceRequest.objects.get()
    assert (row.state, row.signed_precommand) == ("transformed", None)
    assert not AdtCount.objects.exists() and not AdtCountedRequest.objects.exists() and not Alert.objects.exists()
    assert payment_modes() == modes
    # The gas meter's Supplier User ID has its ADT: its request is accepted and counted under its own key.
    accepted(transform_and_sign(world, send, GSME, world.gs_digital)[1])
    assert counted(gas) == (1, 1)


def test_counts_are_per_target_supplier(world, send):
    second_uid = add_second_failed_supplier(world)
    first_key = adt_threshold(world, world.failed_es, warning=1, quarantine=5)
    second_key = adt_threshold(world, second_uid, warning=1, quarantine=5)
    gas_key = adt_threshold(world, world.failed_gs, warning=1, quarantine=5)

    a1 = accepted(smets1_credit(world, send))
    a2 = accepted(smets1_credit(world, send))
    assert (a1.adt_warning, a2.adt_warning) == (False, True) and counted(first_key) == (2, 2)
    # Another Supplier's meter (same sender, same SRV): its own count, untouched by the first Supplier's two.
    b1 = accepted(smets1_credit(world, send, SECOND_SMETS1_ESME))
    assert b1.target_supplier == second_uid.party
    assert (b1.adt_warning, verdict_of(b1.request_id)) == (False, ("ok", 1))
    assert counted(second_key) == (1, 1) and counted(first_key) == (2, 2)
    # The failed Supplier's gas User ID is another target Supplier as well.
    g1 = accepted(transform_and_sign(world, send, GSME, world.gs_digital)[1])
    assert verdict_of(g1.request_id) == ("ok", 1) and counted(gas_key) == (1, 1) and counted(first_key) == (2, 2)
    b2 = accepted(smets1_credit(world, send, SECOND_SMETS1_ESME))
    assert (b2.adt_warning, verdict_of(b2.request_id)) == (True, ("warning", 2))
    # One warning note per key that passed its level.
    assert sorted(AdtNotice.objects.values_list("target_supplier__eui", "count")) == sorted(
        [(world.failed_es.eui, 2), (second_uid.eui, 2)])
    assert len({counting.counter_key(t) for t in (first_key, second_key, gas_key)}) == 3


def test_counts_are_per_sender_and_per_srv(world, send, cast):
    other = add_second_sender(world)  # another SRP's SoLR Contingency User ID, acting on the same failed Supplier
    mine = adt_threshold(world, world.failed_es, warning=1, quarantine=5)
    theirs = adt_threshold(world, world.failed_es, warning=1, quarantine=5, sender=other.uid)
    # SRV 6.2.9 (read the payment mode) allowed for the role and instructed: counted under its own key.
    world.instruction.srvs = ["1.6", "6.2.9"]
    world.instruction.save()
    allow(cast.dcc_operator1.user, solr_role_code(), "6.2.9", [1], "Read Device Configuration (Payment Mode)")
    reads = adt_threshold(world, world.failed_es, warning=1, quarantine=5, srv="6.2.9")

    m1 = accepted(smets1_credit(world, send))
    t1 = accepted(smets1_credit(world, send, sender=other))
    t2 = accepted(smets1_credit(world, send, sender=other))
    assert (t1.sender, t2.sender) == (other.uid, other.uid)
    assert [verdict_of(r.request_id) for r in (m1, t1, t2)] == [("ok", 1), ("ok", 1), ("warning", 2)]
    r1 = accepted(send("S", world.solr.sign(request(rid(SOLR_EUI, ESME, world.next_counter()), 1, "6.2.9",
                                                    read_payment_mode()))))
    assert (r1.srv, verdict_of(r1.request_id)) == ("6.2.9", ("ok", 1))
    assert (counted(mine), counted(theirs), counted(reads)) == ((1, 1), (2, 2), (1, 1))
    m2 = accepted(smets1_credit(world, send))
    assert verdict_of(m2.request_id) == ("warning", 2)
    assert (counted(mine), counted(theirs), counted(reads)) == ((2, 2), (2, 2), (1, 1))
    assert sorted(AdtNotice.objects.values_list("sender__eui", "srv", "count")) == sorted(
        [(SOLR_EUI, "1.6", 2), (other.uid.eui, "1.6", 2)])
