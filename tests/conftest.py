"""Fixtures shared by every test folder: the conformance data, the cast of people, an isolated SMKI,
a real Celery worker. Helpers that are not fixtures live in tests/helpers/ and tests/portal/factories.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from tests.helpers.processes import PROJECT_DIR, database_url_for_subprocess
from tests.helpers.waiting import wait_until

VECTORS_DIR = Path(os.environ.get("SOLR_VECTORS_DIR", PROJECT_DIR.parent / "shared" / "vectors"))

# Hashing a password the production way (PBKDF2, a million rounds) costs about half a second; the tests
# sign people in hundreds of times. Set once here for every test, speed only: no test checks the hash.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def fast_password_hasher(django_test_environment):
    with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        yield


@pytest.fixture(scope="session", autouse=True)
def insecure_endpoints_allowed(django_test_environment):
    """SOLR_ALLOW_INSECURE_ENDPOINTS=1 for every test and the processes tests start (issue 9 point 8): the tests'
    receivers listen on plain http loopback ports. A test of the https-only rule turns it off with ``settings``."""
    patch = pytest.MonkeyPatch()
    patch.setenv("SOLR_ALLOW_INSECURE_ENDPOINTS", "1")
    with override_settings(SOLR_ALLOW_INSECURE_ENDPOINTS=True):
        yield
    patch.undo()


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The DCC conformance data in ../shared/vectors. Missing data fails the test under CI."""
    if not (VECTORS_DIR / "README.md").exists():
        message = f"conformance vectors not found at {VECTORS_DIR} (set SOLR_VECTORS_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return VECTORS_DIR


@pytest.fixture(scope="session")
def duis_schema(vectors_dir):
    """The official DUIS 5.4 schema from the conformance data (contingency.duis.schema)."""
    from contingency.duis import schema

    return schema.load(vectors_dir / "dccboxed-signing-tool" / "schema")


@pytest.fixture
def cast(db):
    """Two DCC operators, an Authority officer, an SRO and an ARO of the SRP, and an outsider (an SRO of
    another Party), each with a client signed in as them: see tests/helpers/cast.py."""
    from tests.helpers.cast import make_cast

    return make_cast()


@pytest.fixture
def keystore_dir(settings, tmp_path, monkeypatch):
    """DATA_DIR (and so DATA_DIR/keys and the key-store secret file) in a fresh temporary directory."""
    monkeypatch.delenv("SOLR_KEYSTORE_SECRET", raising=False)
    monkeypatch.delenv("SOLR_KEYSTORE_SECRET_FILE", raising=False)
    settings.DATA_DIR = tmp_path
    return tmp_path / "keys"


@pytest.fixture
def smki(db, keystore_dir):
    """The SMKI root and issuing CAs, created by pki_init's service; returns the issuing CA."""
    from pki import ca as ca_module

    root, issuing, created = ca_module.init_hierarchy()
    assert created
    return issuing


@pytest.fixture
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker process on the configured broker and the test database."""
    from portal.celery import app

    env = dict(os.environ, DATABASE_URL=database_url_for_subprocess(), CELERY_TASK_ALWAYS_EAGER="0")
    celery_bin = Path(sys.executable).parent / "celery"
    proc = subprocess.Popen(
        [str(celery_bin), "-A", "portal", "worker", "--pool=prefork", "--concurrency=1",
         "--loglevel=WARNING", "--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )

    def exited() -> str | None:
        if proc.poll() is None:
            return None
        output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
        return f"the Celery worker exited with {proc.returncode}:\n{output}"

    try:
        # The broker may refuse or fail a broadcast while the worker is still starting: keep asking.
        wait_until(lambda: app.control.ping(timeout=0.5), timeout=60, what="a ping answer from the Celery worker",
                   interval=0.2, abort=exited)
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
