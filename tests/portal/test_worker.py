"""A task really travels through the configured broker to a separate worker process and back."""

import os
import uuid

import pytest

from portal.tasks import ping


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_round_trips_a_task_through_a_real_worker(celery_worker_process):
    token = uuid.uuid4().hex
    result = ping.delay(token).get(timeout=60, interval=0.05)
    assert result["token"] == token
    assert result["pid"] != os.getpid()
    # The task ran in a child of the worker process we started (prefork pool).
    with open(f"/proc/{result['pid']}/status") as status:
        parent = next(int(line.split()[1]) for line in status if line.startswith("PPid:"))
    assert parent == celery_worker_process.pid
