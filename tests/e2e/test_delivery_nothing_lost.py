"""Nothing is lost (DESIGN §6; issue 11 point 5), with real Celery worker processes on the configured broker and the
test database: a worker killed with SIGKILL in the middle of a batch, a broker outage during a batch (the embedded
broker's folder unwritable for a while; on the production path the Redis server itself stopped and started again),
a meter that never answers. Every accepted request reaches exactly one outcome, each Service Response is POSTed to
the sender's endpoint exactly once (counted at the test's HTTP endpoint), every meter ends in the right payment mode.

The Redis outage needs the control of the very Redis server the run uses: SOLR_TEST_REDIS_CTL names a command that
takes ``stop`` (the server gone: connections refused, its queued messages lost) and ``start`` (the same server on the
same port, returning once it answers). .ci/run provides it (.ci/redis-ctl); under CI its absence fails the test.

The workers sign Service Responses, so they need the DCC's signing key: here the key store is the one of the test
run's data directory (which the workers share), not a per-test folder. The sweepers are called by the test where a
deployment's beat would call them (every 5 and 10 s), with SOLR_DELIVERY_STUCK_SECONDS at 4 s so a dead worker's
requests move again within seconds rather than a minute.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.db import transaction

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
from contingency.pipeline import store
from portal.celery import app
from tests.contingency.delivery.requests import accepted_request
from tests.contingency.gateway.conftest import endpoint, world  # noqa: F401 - fixtures
from tests.helpers.processes import PROJECT_DIR, database_url_for_subprocess
from tests.helpers.waiting import wait_until

BATCH = 24
STUCK_SECONDS = "4"
OUTAGE_SECONDS = 8  # how long the Redis server stays down, in the middle of the batch

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


# The celery command with kombu's pace of reconnection attempts quickened (every 0.05 s instead of 2, 4, … up to 30 s
# apart): Celery's default of 100 attempts, which once used up stop the worker, then lasts 5 s instead of 46 minutes,
# so an outage of OUTAGE_SECONDS shows whether a worker gives up (portal/settings.py: it must not).
QUICK_RECONNECT_CELERY = (
    "import functools, kombu.connection as kc; "
    "kc.Connection.ensure_connection = functools.partialmethod(kc.Connection.ensure_connection, "
    "interval_start=0.05, interval_step=0, interval_max=0.05); "
    "from celery.__main__ import main; main()"
)


class Workers:
    """Real worker processes, each in a process group of its own so SIGKILL takes the pool children too."""

    def __init__(self, logs: Path):
        self.procs: list[subprocess.Popen] = []
        self.names: dict[int, str] = {}
        self.logs = logs  # each worker's output, so a worker that exits says why in the failure

    def start(self, *, quick_reconnect: bool = False) -> subprocess.Popen:
        env = dict(os.environ, DATABASE_URL=database_url_for_subprocess(), CELERY_TASK_ALWAYS_EAGER="0")
        name = f"delivery-{uuid.uuid4().hex[:8]}"
        celery = [sys.executable, "-c", QUICK_RECONNECT_CELERY] if quick_reconnect else \
            [str(Path(sys.executable).parent / "celery")]
        proc = subprocess.Popen(
            [*celery, "-A", "portal", "worker", "--pool=prefork",
             "--concurrency=2", "--loglevel=WARNING", "--without-heartbeat", "--without-mingle", "--without-gossip",
             f"--hostname={name}@%h"],
            cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=(self.logs / f"{name}.log").open("wb"),
            start_new_session=True)
        self.procs.append(proc)
        self.names[proc.pid] = name
        wait_until(lambda: name in self.answering(), timeout=60, interval=0.2,
                   what="a ping answer from the Celery worker", abort=lambda: self.exited([proc]))
        return proc

    def answering(self) -> set[str]:
        """The names of the workers that answer a ping now."""
        return {reply.split("@")[0] for answer in app.control.ping(timeout=1.0) for reply in answer}

    def exited(self, procs: list[subprocess.Popen] | None = None) -> str | None:
        """None while every worker (of ``procs``; default: all started) runs; else which exited, with the end of its
        output. A worker the test killed counts too: ask about the others only."""
        gone = [f"{self.names[p.pid]} exited {p.returncode}:\n{self.log_tail(p)}"
                for p in (self.procs if procs is None else procs) if p.poll() is not None]
        return "\n".join(gone) or None

    def log_tail(self, proc: subprocess.Popen, lines: int = 40) -> str:
        text = (self.logs / f"{self.names[proc.pid]}.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

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
def workers(tmp_path):
    w = Workers(tmp_path)
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


def through_the_front_door(world, meter: Device) -> ServiceRequest:  # noqa: F811 - the fixture's value
    """An accepted request stored as the front door stores it (contingency.pipeline.store): the row committed, then
    the front door's own on-commit hook queues it. An exception here is what the front door's view would raise
    after its commit: an answer that is not I99 for a request that is stored."""
    with transaction.atomic():
        row = accepted_request(world, meter)
        transaction.on_commit(lambda: store.queue_for_delivery(row))
    return row


def enqueue(request_pk: int) -> None:
    """Queue a stored request's delivery (the kill and silent-meter tests); a refusal leaves it to the sweeper."""
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
        pytest.skip("the embedded broker's outage; on Redis the Redis outage test below runs instead")
    meters = make_meters(world, BATCH)
    workers.start()
    queue = Path(django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    requests = [through_the_front_door(world, meter) for meter in meters[: BATCH // 2]]
    # The outage: the folder cannot be written. Root ignores a folder's mode, so as root the folder is made
    # immutable (chattr +i: nothing can be added to it or taken from it); otherwise its mode is 0500.
    unwritable(queue, True)
    try:
        for meter in meters[BATCH // 2:]:
            # Refused by the broker: the front door's commit still returns, and these stay accepted, for the sweeper.
            requests.append(through_the_front_door(world, meter))
        sweep()  # refused too
        time.sleep(3)
        assert ServiceRequest.objects.filter(pk__in=[r.pk for r in requests[BATCH // 2:]],
                                             state=RequestState.ACCEPTED).count() == BATCH - BATCH // 2
    finally:
        unwritable(queue, False)
    wait_until(finished([r.pk for r in requests]), timeout=180, interval=0.5, what="every request's outcome")
    time.sleep(1.0)
    assert_nothing_lost(world, endpoint, requests, meters)


@pytest.fixture
def redis_server():
    """(control command, host, port) of the test run's Redis server: SOLR_TEST_REDIS_CTL (set by .ci/run) stops and
    starts it. Asked first, so a run that cannot have the test skips (or, under CI, fails) before the world is made."""
    broker = urlsplit(str(django_settings.CELERY_BROKER_URL))
    if broker.scheme not in ("redis", "rediss"):
        pytest.skip("the Redis outage needs Redis as the broker (the embedded broker's outage is the test above)")
    command = os.environ.get("SOLR_TEST_REDIS_CTL", "")
    if not command:
        message = ("SOLR_TEST_REDIS_CTL is not set: the Redis outage test cannot stop and start the Redis server the "
                   "run uses (.ci/run sets it to .ci/redis-ctl; see docs/delivery.md)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return shlex.split(command), broker.hostname or "127.0.0.1", broker.port or 6379


# Run by `manage.py shell` in a new process: the front door's hook for one request, timed; prints the seconds.
FRESH_PROCESS_QUEUES = (
    "import time; from contingency.models import ServiceRequest; from contingency.pipeline import store; "
    "started = time.monotonic(); store.queue_for_delivery(ServiceRequest(pk=0)); print(time.monotonic() - started)"
)


def redis_answers(host: str, port: int) -> bool:
    """True when something accepts a connection at the broker's address (a stopped server refuses it)."""
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


def test_a_redis_outage_in_the_middle_of_a_batch_delays_but_loses_nothing(redis_server, world, endpoint,  # noqa: F811
                                                                           delivery_env, workers, monkeypatch):
    ctl, host, port = redis_server

    def redis(action: str) -> None:
        subprocess.run([*ctl, action], check=True, timeout=60, stdout=subprocess.DEVNULL)

    assert redis_answers(host, port), f"the broker {host}:{port} does not answer before the test"
    # A slower meter (0.5 s a command) so the outage falls in the middle of the workers' work, not after it.
    monkeypatch.setenv("SOLR_GATEWAY_LATENCY_SECONDS", "0.5")
    meters = make_meters(world, BATCH)
    # Two workers: one as deployed, one whose reconnection attempts come quickly enough to use up Celery's default
    # limit during the outage (QUICK_RECONNECT_CELERY).
    workers.start()
    workers.start(quick_reconnect=True)
    requests = [through_the_front_door(world, meter) for meter in meters[: BATCH // 2]]
    wait_until(lambda: ServiceRequest.objects.filter(state=RequestState.RESPONDED).count() >= 3, timeout=60,
               interval=0.05, what="the workers under way")

    # The outage: the server shut down without saving, so the messages it held (the rest of the first half, the
    # pushes of the Service Responses) are gone, as after a crash, and every connection to it is refused.
    redis("stop")
    down_at = time.monotonic()
    try:
        assert not redis_answers(host, port), "the control stopped a Redis server, but not the broker's"
        in_flight = ServiceRequest.objects.filter(pk__in=[r.pk for r in requests],
                                                  state__in=(RequestState.ACCEPTED, RequestState.SENT)).count()
        assert in_flight > 0, "the workers finished the first half before the outage: nothing was tested"
        # The front door goes on accepting while the broker is down: each request is stored and its commit
        # returns (the hook cannot queue it: the sweeper will), and it is not held up by the outage.
        held = []
        for meter in meters[BATCH // 2:]:
            started = time.monotonic()
            requests.append(through_the_front_door(world, meter))
            held.append(time.monotonic() - started)
        sweep()  # what beat would do now: refused too
        # A web process started during the outage (a new gunicorn worker) has never reached the broker or the
        # result backend: its first request is not held up either.
        fresh = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", FRESH_PROCESS_QUEUES], cwd=PROJECT_DIR, timeout=120,
            env=dict(os.environ, DATABASE_URL=database_url_for_subprocess()), capture_output=True, text=True)
        assert fresh.returncode == 0, fresh.stderr
        fresh_held = float(fresh.stdout.split()[-1])
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
        assert not redis_answers(host, port)
        assert ServiceRequest.objects.filter(pk__in=[r.pk for r in requests[BATCH // 2:]],
                                             state=RequestState.ACCEPTED).count() == BATCH - BATCH // 2
    finally:
        redis("start")
    assert max(held) < 5, f"the front door was held up by the broker outage: {held}"
    assert fresh_held < 5, f"a new web process was held up by the broker outage: {fresh_held:.1f} s"

    # The same worker processes come back to the restarted server by themselves (none exited: abort), and the
    # sweeper queues again what the outage lost or refused.
    wait_until(lambda: workers.answering() == set(workers.names.values()), timeout=120, interval=0.5,
               what="a ping answer from both workers after the restart", abort=workers.exited)
    wait_until(finished([r.pk for r in requests]), timeout=180, interval=0.5, what="every request's outcome",
               abort=workers.exited)
    time.sleep(1.0)  # a duplicate POST, if any, would arrive now
    assert workers.exited() is None and len(workers.procs) == 2
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
