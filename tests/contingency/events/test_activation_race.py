"""Two DCC operators approving the same activation at the same instant give one transition and one refusal
(issue 9 point 3). Real concurrent transactions: threads with their own connections, released together and held
open inside the transaction (tests/helpers/races.py); SQLite's immediate transactions serialise them (the
second then reads ``active``: ``invalid-transition``), PostgreSQL runs them at once (the compare-and-set loses:
``conflict``)."""

from __future__ import annotations

import pytest

from contingency.events import activation as services
from contingency.events.activation import approve_activation, request_activation, suspend_activation
from contingency.events.refusals import EventRefused
from contingency.models import Activation, ActivationState, ActivationTransition
from portal.models import AuditRecord, Office, OfficeKind, OfficeStatus
from tests.helpers.races import hold_transactions_open, race
from tests.portal.factories import PersonFactory

from .world import instruct, make_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def slow_audit(monkeypatch):
    hold_transactions_open(monkeypatch, services)


@pytest.mark.parametrize("rounds", range(2))
def test_two_approvers_at_once_one_transition_one_refusal(cast, rounds):
    world = make_world(cast)
    instruction = instruct(world, cast.authority_officer.user)
    activation = request_activation(cast.dcc_operator1.user, instruction)
    third = PersonFactory(username="cast.dcc3", is_staff=True)
    Office.objects.create(person=third, kind=OfficeKind.DCC_OPERATOR, party=cast.dcc, status=OfficeStatus.VERIFIED)

    results = race(lambda: approve_activation(cast.dcc_operator2.user, activation.pk),
                   lambda: approve_activation(third, activation.pk))

    wins = [r for r in results if isinstance(r, Activation)]
    losses = [r for r in results if isinstance(r, EventRefused)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert losses[0].code in ("conflict", "invalid-transition") and losses[0].http_status == 409
    activation.refresh_from_db()
    assert (activation.state, activation.version) == (ActivationState.ACTIVE, 1)
    assert activation.approved_by_id == wins[0].approved_by_id
    assert ActivationTransition.objects.filter(activation=activation, to_state=ActivationState.ACTIVE).count() == 1
    assert AuditRecord.objects.filter(action="activation.approve").count() == 1


def test_suspend_and_approve_race_on_the_same_version(cast):
    world = make_world(cast)
    instruction = instruct(world, cast.authority_officer.user)
    activation = request_activation(cast.dcc_operator1.user, instruction)
    approve_activation(cast.dcc_operator2.user, activation.pk)
    results = race(lambda: suspend_activation(cast.dcc_operator1.user, activation.pk, version=1),
                   lambda: suspend_activation(cast.dcc_operator2.user, activation.pk, version=1))
    assert sum(isinstance(r, Activation) for r in results) == 1, results
    assert [r.code for r in results if isinstance(r, EventRefused)][0] in ("conflict", "invalid-transition")
    activation.refresh_from_db()
    assert (activation.state, activation.version) == (ActivationState.SUSPENDED, 2)
