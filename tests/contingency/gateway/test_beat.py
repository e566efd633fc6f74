"""Future-dated execution happens without a request: a real Celery worker with its embedded beat (the product's
CELERY_BEAT_SCHEDULE: execute_due every 5 s) switches the meter at its execution time, a few seconds from now.
Polled with a deadline. The worker process has no DCC signing key (the test's key store is this process's), so its
8F66 alert waits in ``alert_error``; the next run here raises it: the late-alert path, end to end."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from contingency.delivery.gateway.interface import get_gateway
from contingency.models import Alert, ScheduledChange, ScheduledState
from tests.helpers.processes import PROJECT_DIR, database_url_for_subprocess
from tests.helpers.waiting import wait_until

from .conftest import command


@pytest.fixture
def worker_with_beat(tmp_path):
    env = dict(os.environ, DATABASE_URL=database_url_for_subprocess(), CELERY_TASK_ALWAYS_EAGER="0")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "portal", "worker", "--beat", "--concurrency=1",
         "--schedule", str(tmp_path / "beat-schedule"), "--loglevel=WARNING", "--without-heartbeat",
         "--without-mingle", "--without-gossip"],
        cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_worker_s_beat_executes_a_future_dated_change_at_its_time(world, worker_with_beat):
    at = (timezone.now() + dt.timedelta(seconds=4)).replace(microsecond=0)
    result = get_gateway().schedule(world.device, command(world, world.device, 90, execution=at), request_ref="r")
    assert result.meter_success and ScheduledChange.objects.pending().count() == 1

    def executed():
        assert worker_with_beat.poll() is None, "the worker exited"
        return ScheduledChange.objects.filter(state=ScheduledState.EXECUTED).exists()

    wait_until(executed, timeout=60, interval=0.5, what="the beat's execute_due")
    world.device.refresh_from_db()
    change = ScheduledChange.objects.get()
    assert world.device.payment_mode == "credit" and change.finished_at >= at
    if change.alert is None:  # raised in the worker only if it could sign; otherwise the next run raises it
        get_gateway().execute_due()
        change.refresh_from_db()
    assert change.alert == Alert.objects.get(code="8F66")
