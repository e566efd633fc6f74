"""The quarantine console's rules (contingency.adt.quarantine; DESIGN §6 four eyes): DCC operators only, requested
by one and approved by another, compare-and-set on the request's version, every step audited."""

from __future__ import annotations

import sys
import types

import pytest

from contingency.adt import quarantine
from contingency.adt.quarantine import QuarantineRefused, approve_decision, request_decision, withdraw_decision
from contingency.models import QuarantineDecisionState, RequestState
from portal.models import AuditRecord

from .world import rid, service_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(world):
    return service_request(world, rid(1))


def refused(code, fn, *args, **kwargs):
    with pytest.raises(QuarantineRefused) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value
    return info.value


@pytest.fixture
def delivered(monkeypatch):
    """A stand-in for the front door's contingency.pipeline.store.queue_for_delivery: what it was given."""
    queued = []
    module = types.ModuleType("contingency.pipeline.store")
    module.queue_for_delivery = queued.append
    monkeypatch.setitem(sys.modules, "contingency.pipeline.store", module)
    return queued


def test_release_requested_by_one_operator_and_approved_by_another(cast, held, delivered,
                                                                   django_capture_on_commit_callbacks):
    op1, op2 = cast.dcc_operator1.user, cast.dcc_operator2.user
    decision = request_decision(op1, held, "release")
    assert decision.state == QuarantineDecisionState.REQUESTED
    held.refresh_from_db()
    assert (held.state, held.version) == (RequestState.QUARANTINED, 0)  # a request changes nothing yet
    refused("same-person", approve_decision, op1, decision)
    with django_capture_on_commit_callbacks(execute=True):
        released = approve_decision(op2, decision, version=0)
    assert (released.state, released.version) == (RequestState.ACCEPTED, 1)
    assert released.accepted_at is not None
    assert [r.pk for r in delivered] == [held.pk]
    decision.refresh_from_db()
    assert (decision.state, decision.approved_by_id) == (QuarantineDecisionState.DONE, op2.pk)
    records = list(AuditRecord.objects.filter(subject_id=str(held.pk), action__startswith="quarantine.")
                   .order_by("pk").values_list("action", "actor"))
    assert records == [("quarantine.request_release", op1.username), ("quarantine.release", op2.username)]


def test_delete_moves_the_request_to_deleted_and_queues_nothing(cast, held, delivered,
                                                                django_capture_on_commit_callbacks):
    decision = request_decision(cast.dcc_operator2.user, held, "delete")
    with django_capture_on_commit_callbacks(execute=True):
        deleted = approve_decision(cast.dcc_operator1.user, decision)
    assert (deleted.state, deleted.version) == (RequestState.DELETED, 1)
    assert delivered == []
    refused("request-not-quarantined", request_decision, cast.dcc_operator1.user, deleted, "release")


def test_without_the_pipeline_hook_a_release_still_happens(cast, held, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    monkeypatch.setitem(sys.modules, "contingency.pipeline.store", None)  # import fails, as before the front door
    decision = request_decision(cast.dcc_operator1.user, held, "release")
    with django_capture_on_commit_callbacks(execute=True):
        assert approve_decision(cast.dcc_operator2.user, decision).state == RequestState.ACCEPTED


@pytest.mark.parametrize("name", ["authority_officer", "srp_sro", "srp_aro", "outsider"])
def test_only_dcc_operators_decide(cast, held, name):
    person = cast[name].user
    refused("quarantine-not-allowed", request_decision, person, held, "release")
    decision = request_decision(cast.dcc_operator1.user, held, "release")
    refused("quarantine-not-allowed", approve_decision, person, decision)
    refused("quarantine-not-allowed", withdraw_decision, person, decision)
    held.refresh_from_db()
    assert held.state == RequestState.QUARANTINED
    assert not AuditRecord.objects.filter(actor=person.username, action__startswith="quarantine.").exists()


def test_one_open_decision_a_stale_version_and_a_closed_decision_are_refused(cast, held):
    op1, op2 = cast.dcc_operator1.user, cast.dcc_operator2.user
    refused("quarantine-action-invalid", request_decision, op1, held, "deliver")
    decision = request_decision(op1, held, "release")
    refused("quarantine-decision-open", request_decision, op2, held, "delete")
    refused("quarantine-request-changed", approve_decision, op2, decision, version=7)
    decision.refresh_from_db()
    assert decision.state == QuarantineDecisionState.REQUESTED  # the refused approval changed nothing
    withdraw_decision(op1, decision)
    refused("quarantine-decision-closed", approve_decision, op2, decision)
    again = request_decision(op2, held, "delete")  # a withdrawn decision leaves room for a new one
    assert approve_decision(op1, again).state == RequestState.DELETED
    held.refresh_from_db()
    assert held.state == RequestState.DELETED


def test_a_request_not_quarantined_is_refused(cast, world):
    accepted = service_request(world, rid(2), state=RequestState.ACCEPTED)
    refused("request-not-quarantined", request_decision, cast.dcc_operator1.user, accepted, "release")
    assert quarantine.quarantined_requests().count() == 0
