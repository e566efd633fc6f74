"""A task really travels through the configured broker to a separate worker process and back."""

import os
import uuid

import pytest

from portal.tasks import ping
from tests.helpers.waiting import wait_until


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_round_trips_a_task_through_a_real_worker(celery_worker_process):
    token = uuid.uuid4().hex
    async_result = ping.delay(token)
    # Poll the result backend; a result file being written or a broker hiccup is not yet a failure.
    wait_until(async_result.ready, timeout=60, interval=0.05, what="the ping task's result")
    result = async_result.get(timeout=10)
    assert result["token"] == token
    assert result["pid"] != os.getpid()
    # The task ran in a child of the worker process we started (prefork pool).
    with open(f"/proc/{result['pid']}/status") as status:
        parent = next(int(line.split()[1]) for line in status if line.startswith("PPid:"))
    assert parent == celery_worker_process.pid
