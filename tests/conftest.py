"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
VECTORS_DIR = Path(os.environ.get("SOLR_VECTORS_DIR", PROJECT_DIR.parent / "shared" / "vectors"))


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The DCC conformance data in ../shared/vectors. Missing data fails the test under CI."""
    if not (VECTORS_DIR / "README.md").exists():
        message = f"conformance vectors not found at {VECTORS_DIR} (set SOLR_VECTORS_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return VECTORS_DIR


def database_url_for_subprocess() -> str:
    """A DATABASE_URL naming the database the tests use now (pytest-django's test database)."""
    from django.db import connection

    cfg = connection.settings_dict
    if cfg["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{cfg['NAME']}"
    user = cfg.get("USER") or ""
    password = f":{cfg['PASSWORD']}" if cfg.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{cfg['PORT']}" if cfg.get("PORT") else ""
    return f"postgresql://{auth}{cfg.get('HOST') or '127.0.0.1'}{port}/{cfg['NAME']}"


@pytest.fixture
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker process on the configured broker and the test database."""
    import subprocess
    import sys
    import time

    from portal.celery import app

    env = dict(os.environ, DATABASE_URL=database_url_for_subprocess(), CELERY_TASK_ALWAYS_EAGER="0")
    celery_bin = Path(sys.executable).parent / "celery"
    proc = subprocess.Popen(
        [str(celery_bin), "-A", "portal", "worker", "--pool=prefork", "--concurrency=1",
         "--loglevel=WARNING", "--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"the Celery worker exited with {proc.returncode}:\n{output}")
            replies = app.control.ping(timeout=0.5)
            if replies:
                break
            if time.monotonic() > deadline:
                pytest.fail("the Celery worker did not answer a ping within 60 s")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def _audit_anchor_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("audit-anchors")


@pytest.fixture(autouse=True)
def _audit_anchor_per_test(request, _audit_anchor_dir, monkeypatch):
    """Each test gets its own audit anchor file (portal/audit.py), as each gets its own database state:
    an anchor left by one test's chain would make the next test's fresh chain look truncated."""
    from django.conf import settings

    path = str(_audit_anchor_dir / f"{abs(hash(request.node.nodeid))}-{id(request)}.json")
    monkeypatch.setenv("SOLR_AUDIT_ANCHOR_FILE", path)  # for processes the test starts
    monkeypatch.setattr(settings, "SOLR_AUDIT_ANCHOR_FILE", path, raising=False)
