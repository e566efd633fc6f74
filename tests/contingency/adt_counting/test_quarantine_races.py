"""Two DCC operators acting at once on one quarantined request: one transition, the other refused (real concurrent
transactions, tests/helpers/races.py; on the test database file or PostgreSQL)."""

from __future__ import annotations

import pytest

from contingency.adt import quarantine
from contingency.adt.quarantine import QuarantineRefused, approve_decision, request_decision, withdraw_decision
from contingency.models import QuarantineDecision, RequestState, ServiceRequest
from portal.models import AuditRecord, Office, OfficeKind, OfficeStatus
from tests.helpers.races import hold_transactions_open, race
from tests.portal.factories import PersonFactory

from .world import rid, service_request

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def slow_audit(monkeypatch):
    hold_transactions_open(monkeypatch, quarantine)


def operator(cast):
    person = PersonFactory(is_staff=True)
    Office.objects.create(person=person, kind=OfficeKind.DCC_OPERATOR, party=cast.dcc, status=OfficeStatus.VERIFIED)
    return person


@pytest.mark.parametrize("rounds", range(2))
def test_two_approvals_at_once_give_one_transition(cast, world, rounds):
    held = service_request(world, rid(1))
    decision = request_decision(cast.dcc_operator1.user, held, "release")
    third = operator(cast)
    results = race(lambda: approve_decision(cast.dcc_operator2.user, decision),
                   lambda: approve_decision(third, decision))
    wins = [r for r in results if isinstance(r, ServiceRequest)]
    losses = [r for r in results if isinstance(r, QuarantineRefused)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert losses[0].code in {"quarantine-decision-closed", "quarantine-request-changed"}
    held.refresh_from_db()
    assert (held.state, held.version) == (RequestState.ACCEPTED, 1)
    assert AuditRecord.objects.filter(action="quarantine.release").count() == 1


def test_two_requests_at_once_leave_one_open_decision(cast, world):
    held = service_request(world, rid(2))
    results = race(lambda: request_decision(cast.dcc_operator1.user, held, "release"),
                   lambda: request_decision(cast.dcc_operator2.user, held, "delete"))
    losses = [r for r in results if isinstance(r, QuarantineRefused)]
    assert len(losses) == 1 and losses[0].code == "quarantine-decision-open", results
    assert QuarantineDecision.objects.filter(request=held, state="requested").count() == 1


def test_approve_and_withdraw_at_once_one_wins(cast, world):
    held = service_request(world, rid(3))
    decision = request_decision(cast.dcc_operator1.user, held, "delete")
    results = race(lambda: approve_decision(cast.dcc_operator2.user, decision),
                   lambda: withdraw_decision(cast.dcc_operator1.user, decision))
    losses = [r for r in results if isinstance(r, QuarantineRefused)]
    assert len(losses) == 1 and losses[0].code == "quarantine-decision-closed", results
    held.refresh_from_db()
    decision.refresh_from_db()
    assert (held.state, decision.state) in {(RequestState.DELETED, "done"), (RequestState.QUARANTINED, "withdrawn")}
