"""End to end with a real Celery worker process: an alert raised here is queued after its commit, the worker
(its own process, on the configured broker and the test database) pushes it to the test's endpoint; a refused
first attempt is retried through the sweeper's task. Exactly one accepted delivery."""

from __future__ import annotations

import pytest

from contingency.alerts.services import raise_device_alert
from contingency.delivery import tasks
from contingency.models import Push, PushAttempt, PushState
from tests.helpers.waiting import wait_until


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_delivers_the_alert_to_the_endpoint(world, endpoint, celery_worker_process):
    endpoint.script = [503]
    world.revoke_licence()
    raised = raise_device_alert(world.device.eui, "8F66")  # autocommit: the first attempt is queued now
    assert raised.alert.via_solr

    def delivered():
        if Push.objects.get(pk=raised.push.pk).state == PushState.DELIVERED:
            return True
        tasks.sweep_pushes()  # what beat does every few seconds: queue the due retry
        return False

    wait_until(delivered, timeout=90, interval=0.5, what="the worker's delivery of the alert")
    assert len(endpoint.accepted("/srp")) == 1
    assert [r.status for r in endpoint.received] == [503, 204]
    assert endpoint.accepted()[0].body == raised.alert.document.encode()
    assert list(PushAttempt.objects.filter(push=raised.push).values_list("http_status", flat=True)) == [503, 204]
