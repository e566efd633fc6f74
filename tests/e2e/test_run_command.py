"""The README's run command starts the whole product: web server, worker, demo data; Ctrl-C stops it.

This runs `scripts/run` exactly as a newcomer would, on the embedded default (SQLite and the
file-system broker) in a fresh data directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import PROJECT_DIR


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        return "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False


@pytest.mark.slow
def test_run_command_starts_web_and_worker_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DJANGO_SETTINGS_MODULE"}}
    env["SOLR_DATA_DIR"] = str(tmp_path / "data")
    log = open(tmp_path / "run.log", "w+b")
    proc = subprocess.Popen(
        [str(PROJECT_DIR / "scripts" / "run"), "--port", str(port), "--demo-meters", "20"],
        cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )

    def output() -> str:
        log.flush()
        return (tmp_path / "run.log").read_text(errors="replace")

    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, f"scripts/run exited early:\n{output()}"
            try:
                if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"no web server after 240 s:\n{output()}"
            time.sleep(0.5)

        assert f"running at http://127.0.0.1:{port}/" in output()
        manifest_path = tmp_path / "data" / "demo" / "manifest.json"
        assert str(manifest_path) in output()

        # The login page is served, with its stylesheet, and a demo login works.
        session = requests.Session()
        page = session.get(f"{url}/login/", timeout=10)
        assert page.status_code == 200 and 'name="username"' in page.text
        assert session.get(f"{url}/static/css/site.css", timeout=10).status_code == 200
        person = json.loads(manifest_path.read_text())["people"][0]
        signed_in = session.post(f"{url}/login/", timeout=10, data={
            "username": person["username"], "password": person["password"],
            "csrfmiddlewaretoken": session.cookies["csrftoken"]}, headers={"Referer": f"{url}/login/"})
        assert signed_in.status_code == 200 and person["username"] in signed_in.text

        # A task round-trips through the worker that scripts/run started.
        token = uuid.uuid4().hex
        client = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "import json; from portal.tasks import ping; "
             f"print(json.dumps(ping.delay('{token}').get(timeout=60, interval=0.05)))"],
            cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120,
        )
        assert client.returncode == 0, client.stderr
        reply = json.loads(client.stdout.strip().splitlines()[-1])
        assert reply["token"] == token
        assert reply["pid"] in descendants(proc.pid), "the task did not run under scripts/run's worker"

        assert len(descendants(proc.pid)) >= 4  # gunicorn master + workers, celery main + pool child
    finally:
        running = descendants(proc.pid)
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            for pid in running | {proc.pid}:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            pytest.fail(f"scripts/run did not stop within 40 s of Ctrl-C:\n{output()}")
    assert code == 0, output()
    assert "Stopped." in output()
    leftovers = [pid for pid in running if alive(pid)]
    assert not leftovers, f"processes left running after Ctrl-C: {leftovers}"
