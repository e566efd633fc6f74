"""Two operators clicking at once over the API give one transition and one clear refusal (issue 9 point 3): real
concurrent requests in threads with their own database connections, held open inside the services' transaction
(tests/helpers/races.py). SQLite serialises them (the second reads the new state: ``invalid-transition``),
PostgreSQL runs them at once (the compare-and-set loses: ``conflict``); both are 409."""

from __future__ import annotations

import pytest

from contingency.events import activation as services
from contingency.models import ActivationState, ActivationTransition
from portal.models import AuditRecord
from tests.helpers.races import hold_transactions_open, race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def slow_audit(monkeypatch):
    hold_transactions_open(monkeypatch, services)


@pytest.mark.parametrize("with_version", [False, True])
def test_two_operators_suspending_at_once_get_one_transition_and_one_409(world, active, with_version):
    url = f"/api/v1/activations/{active.pk}/suspend/"
    data = {"note": "race", **({"version": active.version} if with_version else {})}
    clients = [world.client("dcc_operator1"), world.client("dcc_operator2")]

    results = race(*(lambda client=client: client.post(url, data, format="json") for client in clients))

    assert all(hasattr(r, "status_code") for r in results), results
    assert sorted(r.status_code for r in results) == [200, 409], [r.content for r in results]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["code"] in ("conflict", "invalid-transition")
    active.refresh_from_db()
    assert (active.state, active.version) == (ActivationState.SUSPENDED, 2)
    assert ActivationTransition.objects.filter(activation=active, to_state=ActivationState.SUSPENDED).count() == 1
    assert AuditRecord.objects.filter(action="activation.suspend").count() == 1
