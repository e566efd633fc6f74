"""Nothing is lost (DESIGN §6; issue 11 point 5), with real Celery worker processes on the configured broker and the
test database: a worker killed with SIGKILL in the middle of a batch, the embedded broker's folder unwritable for a
while, a meter that never answers. Every accepted request reaches exactly one outcome, each Service Response is
POSTed to the sender's endpoint exactly once (counted at the test's HTTP endpoint), every meter ends in the right
payment mode.

The workers sign Service Responses, so they need the DCC's signing key: here the key store is the one of the test
run's data directory (which the workers share), not a per-test folder. The sweepers are called by the test where a
deployment's beat would call them (every 5 and 10 s), with SOLR_DELIVERY_STUCK_SECONDS at 4 s so a dead worker's
requests move again within seconds rather than a minute.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from contingency.delivery import tasks
from contingency.models import (
    Device,
    MeterBehaviour,
    Push,
    PushState,
    RequestState,
    ServiceRequest,
    SimulatedMeter,
)
from portal.celery import app
from tests.contingency.delivery.requests import accepted_request
from tests.contingency.gateway.conftest import endpoint, world  # noqa: F401 - fixtures
from tests.helpers.processes import PROJECT_DIR, database_url_for_subprocess
from tests.helpers.waiting import wait_until

BATCH = 24
STUCK_SECONDS = "4"

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def keystore_dir(settings, monkeypatch):
    """The run's own data directory (shared with the workers), its keys folder emptied for the test and put back."""
    monkeypatch.delenv("SOLR_KEYSTORE_SECRET", raising=False)
    monkeypatch.delenv("SOLR_KEYSTORE_SECRET_FILE", raising=False)
    keys = Path(django_settings.DATA_DIR) / "keys"
    saved = keys.with_name(f"keys.saved-{uuid.uuid4().hex}")
    if keys.exists():
        keys.rename(saved)
    yield keys
    shutil.rmtree(keys, ignore_errors=True)
    if saved.exists():
        saved.rename(keys)


@pytest.fixture
def delivery_env(settings, monkeypatch):
    for name, value in {"SOLR_DELIVERY_STUCK_SECONDS": STUCK_SECONDS, "SOLR_PUSH_BASE_DELAY_SECONDS": "0.5",
                        "SOLR_PUSH_MAX_DELAY_SECONDS": "2", "SOLR_GATEWAY_RESPONSE_TIMEOUT_SECONDS": "1"}.items():
        monkeypatch.setenv(name, value)
        setattr(settings, name, float(value))


class Workers:
    """Real worker processes, each in a process group of its own so SIGKILL takes the pool children too."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        env = dict(os.environ, DATABASE_URL=database_url_for_subprocess(), CELERY_TASK_ALWAYS_EAGER="0")
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", "portal", "worker", "--pool=prefork",
             "--concurrency=2", "--loglevel=WARNING", "--without-heartbeat", "--without-mingle", "--without-gossip",
             f"--hostname=delivery-{uuid.uuid4().hex[:8]}@%h"],
            cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(proc)
        wait_until(lambda: app.control.ping(timeout=0.5), timeout=60, interval=0.2,
                   what="a ping answer from the Celery worker",
                   abort=lambda: f"worker exited {proc.returncode}" if proc.poll() is not None else None)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                # The test is over and its outcomes checked: no need for a warm shutdown's wait.
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    proc.wait()


@pytest.fixture
def workers():
    w = Workers()
    yield w
    w.stop_all()


def make_meters(world, n: int) -> list[Device]:  # noqa: F811 - the fixture's value
    base = int(world.device.eui.replace("-", ""), 16)
    meters = [world.device]
    for i in range(1, n):
        eui = f"{base + 0x100 + i:016X}"
        meters.append(Device.objects.create(
            eui="-".join(eui[j:j + 2] for j in range(0, 16, 2)), device_type="ESME", esme_variant="single",
            generation="SMETS2", smi_status="commissioned", payment_mode="prepayment",
            registered_supplier=world.supplier, mpxn=f"{1000000000000 + i}"))
    return meters


def unwritable(folder: Path, on: bool) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i" if on else "-i", str(folder)], check=True)
    else:
        folder.chmod(0o500 if on else 0o700)


def enqueue(request_pk: int) -> None:
    """What the front door's on-commit hook does; a broker that refuses the message leaves it to the sweeper."""
    try:
        tasks.deliver_request.delay(request_pk)
    except Exception:  # noqa: BLE001 - any broker failure: the row is stored, the sweeper queues it later
        pass


def sweep() -> None:
    """What beat does every few seconds; a broker failure now is retried at the next call."""
    for task in (tasks.sweep_requests, tasks.sweep_pushes):
        try:
            task()
        except Exception:  # noqa: BLE001 - a transient broker or database error: the next sweep tries again
            pass


def finished(ids: list[int]):
    def check():
        done = ServiceRequest.objects.filter(pk__in=ids, state__in=(RequestState.RESPONDED, RequestState.FAILED,
                                                                    RequestState.EXPIRED)).count()
        pushed = Push.objects.filter(key__startswith="response:", state=PushState.DELIVERED).count()
        if done == len(ids) and pushed == len(ids):
            return True
        sweep()
        return False
    return check


def assert_nothing_lost(world, endpoint, requests, meters, *, silent=()):  # noqa: F811 - endpoint is the fixture's
    rows = {r.pk: r for r in ServiceRequest.objects.filter(pk__in=[r.pk for r in requests])}
    assert len(rows) == len(requests)
    for row in rows.values():
        expected = (RequestState.FAILED, "E21") if row.device_id in silent else (RequestState.RESPONDED, "I0")
        assert (row.state, row.response_code) == expected, row.request_id
    # Exactly one accepted POST per request, and it is the request's own signed response.
    accepted = endpoint.accepted("/srp")
    bodies = sorted(r.body for r in accepted)
    assert bodies == sorted(row.response_document.encode() for row in rows.values())
    assert Push.objects.filter(key__startswith="response:").count() == len(requests)
    for meter in Device.objects.filter(pk__in=[m.pk for m in meters]):
        assert meter.payment_mode == ("prepayment" if meter.pk in silent else "credit"), meter.eui
    # A command re-sent after a worker died mid-send is refused by the meter as a replay, never applied twice.
    assert {row.gateway_refusal for row in rows.values()} <= {"", "gbcs-counter-replayed"}


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(world, endpoint, delivery_env, workers):  # noqa: F811
    meters = make_meters(world, BATCH)
    first = workers.start()
    requests = []
    for meter in meters:
        requests.append(accepted_request(world, meter))
        enqueue(requests[-1].pk)
    # Kill it once it is busy: some requests done, the rest queued or in its hands.
    wait_until(lambda: ServiceRequest.objects.filter(state=RequestState.RESPONDED).count() >= 3, timeout=60,
               interval=0.05, what="the first worker under way")
    workers.kill(first)
    in_flight = ServiceRequest.objects.filter(state__in=(RequestState.ACCEPTED, RequestState.SENT)).count()
    assert in_flight > 0, "the worker finished the batch before the kill: nothing was tested"
    workers.start()
    wait_until(finished([r.pk for r in requests]), timeout=180, interval=0.5, what="every request's outcome")
    time.sleep(1.0)  # a duplicate POST, if any, would arrive now
    assert_nothing_lost(world, endpoint, requests, meters)


def test_an_unwritable_broker_folder_for_a_while_delays_but_loses_nothing(world, endpoint, delivery_env,  # noqa: F811
                                                                          workers):
    if not str(django_settings.CELERY_BROKER_URL).startswith("filesystem://"):
        pytest.skip("Redis outage: see docs/delivery.md (the test cannot reach the Redis server's control)")
    meters = make_meters(world, BATCH)
    workers.start()
    queue = Path(django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    requests = [accepted_request(world, meter) for meter in meters]
    for r in requests[: BATCH // 2]:
        enqueue(r.pk)
    # The outage: the folder cannot be written. Root ignores a folder's mode, so as root the folder is made
    # immutable (chattr +i: nothing can be added to it or taken from it); otherwise its mode is 0500.
    unwritable(queue, True)
    try:
        for r in requests[BATCH // 2:]:
            enqueue(r.pk)  # refused by the broker: these stay accepted, for the sweeper
        sweep()  # refused too
        time.sleep(3)
        assert ServiceRequest.objects.filter(pk__in=[r.pk for r in requests[BATCH // 2:]],
                                             state=RequestState.ACCEPTED).count() == BATCH - BATCH // 2
    finally:
        unwritable(queue, False)
    wait_until(finished([r.pk for r in requests]), timeout=180, interval=0.5, what="every request's outcome")
    time.sleep(1.0)
    assert_nothing_lost(world, endpoint, requests, meters)


def test_a_meter_that_never_answers_gives_e21_and_the_batch_does_not_hang(world, endpoint, delivery_env,  # noqa: F811
                                                                          workers):
    meters = make_meters(world, 4)
    SimulatedMeter.objects.create(device=meters[0], behaviour=MeterBehaviour.SILENT)
    workers.start()
    requests = [accepted_request(world, meter) for meter in meters]
    for r in requests:
        enqueue(r.pk)
    wait_until(finished([r.pk for r in requests]), timeout=60, interval=0.5, what="every request's outcome")
    assert_nothing_lost(world, endpoint, requests, meters, silent={meters[0].pk})
