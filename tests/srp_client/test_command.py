"""The command (``python -m srp_client``): ``switch`` against the fake DCC with its receiver, a progress line, and
``--json`` as one JSON object on the last line; ``receive`` takes a DCC-signed push and refuses a forged one."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import requests as http

from contingency.duis import responses
from pki import xmldsig
from srp_client import CounterStore
from tests.helpers.waiting import wait_until

from .fakedcc import ESME, ESME_TWIN, GSME, OTHER_ESME, SMETS1_ESME, SRP_EUI, SUPPLIER_ES, device_response

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["PYTHONPATH"] = str(PROJECT_DIR)
    return env


def _credentials(world, tmp_path):
    srp_key, srp_cert = world.srp.write(tmp_path)
    es_key, es_cert = world.supplier_es.write(tmp_path)
    gs_key, gs_cert = world.supplier_gs.write(tmp_path)
    return ["--xml-key", str(srp_key), "--xml-cert", str(srp_cert), "--supplier", str(es_key), str(es_cert),
            "--supplier", str(gs_key), str(gs_cert), "--dcc-cert", str(world.dcc.write(tmp_path)[1])]


def test_switch_with_the_receiver_prints_progress_and_a_json_summary(dcc, world, tmp_path):
    port = _free_port()
    dcc.push_to = f"http://127.0.0.1:{port}/"
    dcc.quarantine = {OTHER_ESME}
    dcc.tamper = {}
    devices_file = tmp_path / "devices.txt"
    devices_file.write_text(f"# the failed Supplier's meters\n{ESME_TWIN}\n{GSME}  # gas\n\n{OTHER_ESME} SMETS2\n"
                            f"{SMETS1_ESME},SMETS1\n")
    counters = tmp_path / "counters"
    proc = subprocess.run(
        [sys.executable, "-m", "srp_client", "switch", ESME, "--devices-file", str(devices_file),
         "--base-url", dcc.url, *_credentials(world, tmp_path), "--counter-file", str(counters),
         "--concurrency", "4", "--receive-port", str(port), "--wait", "20", "--results", str(tmp_path / "r.jsonl"),
         "--json"],
        capture_output=True, text=True, timeout=120, env=_env(), cwd="/", check=False)
    assert proc.returncode == 0, (proc.stderr, (tmp_path / "r.jsonl").read_text(), dcc.pushes)
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert {k: summary[k] for k in ("requested", "switched", "quarantined", "rejected", "failed", "accepted")} == {
        "requested": 5, "switched": 4, "quarantined": 1, "rejected": 0, "failed": 0, "accepted": 0}
    assert summary["seconds"] > 0
    assert "5/5" in proc.stderr  # the progress line
    results = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert [(r["device"], r["outcome"]) for r in results] == [
        (ESME, "switched"), (ESME_TWIN, "switched"), (GSME, "switched"), (OTHER_ESME, "quarantined"),
        (SMETS1_ESME, "switched")]
    # The counters used are on file: the next run goes above them.
    used = {r["device"]: int(r["request_id"].rsplit(":", 1)[1]) for r in results}
    store = CounterStore(counters, floor=lambda: 0)
    assert all(store.next(device) == counter + 1 for device, counter in used.items())


def test_switch_exits_1_when_a_request_is_rejected_and_names_the_code(dcc, world, tmp_path):
    dcc.refuse_with = "E4"
    proc = subprocess.run(
        [sys.executable, "-m", "srp_client", "switch", ESME, "--base-url", dcc.url, *_credentials(world, tmp_path)],
        capture_output=True, text=True, timeout=120, env=_env(), cwd="/", check=False)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("requested 1 switched 0 accepted 0 rejected 1")
    assert "  E4: 1" in proc.stdout


def test_switch_exits_2_on_a_key_that_is_not_the_certificates(dcc, world, tmp_path):
    args = _credentials(world, tmp_path)
    args[args.index("--xml-key") + 1] = args[args.index("--supplier") + 1]  # the Supplier's key for the SRP's cert
    proc = subprocess.run([sys.executable, "-m", "srp_client", "switch", ESME, "--base-url", dcc.url, *args],
                          capture_output=True, text=True, timeout=120, env=_env(), cwd="/", check=False)
    assert proc.returncode == 2
    assert "key-certificate-mismatch" in proc.stderr
    assert dcc.bodies["T"] == []


def test_receive_prints_each_verified_document_and_refuses_forgeries(world, tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "srp_client", "receive", "--port", str(port),
         "--dcc-cert", str(world.dcc.write(tmp_path)[1]), "--out-dir", str(tmp_path / "in")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd="/")
    try:
        rid = f"{SRP_EUI}:{ESME}:42"
        root = responses.service_response(responses.Answering(rid, "1.6", "1.6"),
                                          gbcs_payload=device_response(ESME, SUPPLIER_ES, 42, "ESME"),
                                          at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        url = f"http://127.0.0.1:{port}/"
        forged = xmldsig.sign(root, world.srp.key, world.srp.cert)
        status = wait_until(lambda: http.post(url, data=forged, timeout=5).status_code, timeout=30,
                            what="the receiver to answer", abort=lambda: proc.poll() is not None and "it exited")
        assert status == 400
        assert http.post(url, data=xmldsig.sign(root, world.dcc.key, world.dcc.cert), timeout=5).status_code == 204
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["request_id"], line["response_code"]) for line in lines] == [(rid, "I0")]
    assert len(list((tmp_path / "in").iterdir())) == 1


def test_a_devices_csv_in_the_import_format_gives_each_meter_its_generation(tmp_path):
    from srp_client import Meter
    from srp_client.cli import _devices, _parser

    path = tmp_path / "devices.csv"
    path.write_text("eui,device_type,esme_variant,generation,smi_status,payment_mode,registered_supplier,mpxn\n"
                    f"{ESME},ESME,single,SMETS2,commissioned,prepayment,{SUPPLIER_ES},\n"
                    f"{SMETS1_ESME},ESME,single,SMETS1,commissioned,prepayment,{SUPPLIER_ES},\n")
    args = _parser().parse_args(["switch", GSME, "--devices-file", str(path), "--base-url", "x", "--xml-key", "k",
                                 "--xml-cert", "c", "--supplier", "k", "c", "--dcc-cert", "d"])
    assert _devices(args) == [Meter(GSME), Meter(ESME, "SMETS2"), Meter(SMETS1_ESME, "SMETS1")]
