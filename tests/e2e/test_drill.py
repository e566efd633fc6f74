"""The SoLR drill end to end (issue 11 point 7 and its tests): the product running as the run command runs it
(``manage.py serve``: gunicorn + a Celery worker, the embedded default, the demo seeded into a fresh data dir),
then ``manage.py solr_drill --supplier failing-energy --json`` against it over HTTP. Afterwards, read from the
product's database: every commissioned prepayment meter of that Supplier is on Credit, its other prepayment meters
(not commissioned, suspended: refused E5 / device-status-refused) are not, and no other Supplier's meter changed.
The JSON summary has exactly the documented keys and counts that match.

One product run and one drill for the module (a fixture); the SMETS1 meters are checked by a test of their own
(they went through the SMETS1 path: CV 1 at serviceS, the device command built by the DCC)."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
from types import SimpleNamespace

import pytest
import requests

from tests.e2e.test_run_command import descendants, free_port, poll
from tests.helpers.processes import PROJECT_DIR, child_env

METERS = 50  # per Supplier: counters 45 and 46 are a not-commissioned and a suspended prepayment meter
SUPPLIER = "failing-energy"


@pytest.fixture(scope="module")
def drilled(tmp_path_factory):
    """Run the product (manage.py serve, demo seeded), then the drill; yield what both left behind."""
    tmp_path = tmp_path_factory.mktemp("drill")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = child_env(tmp_path, SOLR_DEMO="1", SOLR_ALLOW_INSECURE_ENDPOINTS="1", PORT=str(port))
    log = open(tmp_path / "serve.log", "w+b")
    proc = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(port), "--demo-meters", str(METERS)],
                            cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def output() -> str:
        log.flush()
        return (tmp_path / "serve.log").read_text(errors="replace")

    try:
        poll(lambda: requests.get(f"{url}/healthz", timeout=5).status_code == 200,
             seconds=300, what="the product answering /healthz", proc=proc, output=output)
        manifest_path = tmp_path / "data" / "demo" / "manifest.json"
        poll(manifest_path.exists, seconds=120, what="the demo manifest", proc=proc, output=output)
        manifest = json.loads(manifest_path.read_text())
        with open(manifest["devices_csv"], newline="") as handle:
            seeded = {row["eui"]: row for row in csv.DictReader(handle)}
        failed_ids = {u["eui"] for p in manifest["parties"] if p["short_name"] == SUPPLIER for u in p["user_ids"]}
        ours = {e: r for e, r in seeded.items() if r["registered_supplier"] in failed_ids}
        targets = {e for e, r in ours.items() if r["payment_mode"] == "prepayment"}
        switchable = {e for e in targets if ours[e]["smi_status"] == "commissioned"}
        assert len(ours) == METERS and len(targets) > len(switchable) > 0

        # The default --url is the run command's address: HOST/PORT, as serve reads them (PORT set above).
        drill = subprocess.run([sys.executable, "manage.py", "solr_drill", "--supplier", SUPPLIER, "--json",
                                "--concurrency", "4", "--wait", "300"],
                               cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900)
        # The product's own database, through its own code (the devices as they are now).
        dump = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "import json; from contingency.models import Device; "
             "print(json.dumps(dict(Device.objects.values_list('eui', 'payment_mode'))))"],
            cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300)
        assert dump.returncode == 0, dump.stderr
        now = json.loads(dump.stdout.strip().splitlines()[-1])
        yield SimpleNamespace(seeded=seeded, ours=ours, targets=targets, switchable=switchable, drill=drill, now=now,
                              output=output)
    finally:
        running = descendants(proc.pid)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for pid in running | {proc.pid}:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        log.close()


def smets1(d, euis: set[str]) -> set[str]:
    return {e for e in euis if d.ours[e]["generation"] == "SMETS1"}


@pytest.mark.slow
def test_the_drill_switches_every_smets2_prepayment_meter_of_the_supplier_and_no_other(drilled):
    d = drilled
    summary = json.loads(d.drill.stdout.strip().splitlines()[-1])
    assert set(summary) == {"switched", "rejected", "quarantined", "failed", "seconds"}, d.drill.stdout
    smets2 = d.switchable - smets1(d, d.switchable)
    assert summary["switched"] + summary["failed"] == len(d.switchable), (summary, d.drill.stderr[-2000:])
    assert summary["switched"] >= len(smets2)
    assert summary["rejected"] == len(d.targets - d.switchable)  # not commissioned, suspended: refused E5
    assert summary["quarantined"] == 0
    assert summary["seconds"] > 0
    assert d.drill.returncode == 1  # some requests were rejected: the exit status says so
    assert f"/{len(d.targets)} " in d.drill.stderr  # the progress line counted every request

    assert set(d.now) == set(d.seeded)
    assert {e for e in smets2 if d.now[e] != "credit"} == set()
    changed = {e for e, r in d.seeded.items() if d.now[e] != r["payment_mode"]}
    assert smets2 <= changed <= d.switchable  # nothing else moved: not the refused meters, not another Supplier's
    assert summary["switched"] == len(changed)


@pytest.mark.slow
def test_the_drill_switches_the_smets1_prepayment_meters_too(drilled):
    d = drilled
    summary = json.loads(d.drill.stdout.strip().splitlines()[-1])
    assert smets1(d, d.switchable), "the demo has SMETS1 meters to switch"
    assert {e for e in smets1(d, d.switchable) if d.now[e] != "credit"} == set()
    assert summary["switched"] == len(d.switchable) and summary["failed"] == 0
