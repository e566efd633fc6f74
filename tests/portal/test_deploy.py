"""Deployment settings (issue 7 points 3 and 7): one HTTPS switch, `check --deploy` clean on production settings,
a Content-Security-Policy, a session of hours, and demo data only on request."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model

from portal import checks
from portal.models import Party
from tests.helpers.processes import PROJECT_DIR, child_env


def check_deploy(tmp_path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR, env=child_env(tmp_path, **extra), capture_output=True, text=True, timeout=120,
    )


def production_env(tmp_path) -> dict[str, str]:
    """Debug off, a host name, SOLR_HTTPS=1, every secret in a file outside the data directory."""
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    names = {"DJANGO_SECRET_KEY_FILE": "secret_key", "SOLR_AUDIT_KEY_FILE": "audit_key",
             "SOLR_KEYSTORE_SECRET_FILE": "keystore_secret"}
    for name in names.values():
        (secrets / name).write_text("s3cret-" + name * 8)
    return {"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "solr.example", "SOLR_HTTPS": "1",
            **{variable: str(secrets / name) for variable, name in names.items()}}


@pytest.mark.slow
def test_check_deploy_gives_no_warning_at_all_on_production_settings(tmp_path):
    done = check_deploy(tmp_path, **production_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    # The one silenced check is axes.W006, on purpose: the lockout is per username only (issue 8, settings.py).
    assert "System check identified no issues (1 silenced)." in done.stdout


@pytest.mark.slow
def test_without_the_https_switch_check_deploy_names_what_is_missing(tmp_path):
    environ = production_env(tmp_path)
    del environ["SOLR_HTTPS"]
    done = check_deploy(tmp_path, **environ)
    assert done.returncode != 0
    for check_id in ("security.W004", "security.W008", "security.W012", "security.W016"):  # HSTS, redirect, cookies
        assert check_id in done.stderr, done.stderr


@pytest.mark.django_db
def test_every_page_carries_the_content_security_policy_and_a_session_lasts_hours(client, settings):
    policy = client.get("/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"  # no inline code
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "Content-Security-Policy" in client.get("/healthz").headers
    assert settings.SESSION_COOKIE_AGE == settings.SOLR_SESSION_HOURS * 3600 <= 24 * 3600


@pytest.mark.django_db
def test_check_deploy_errors_on_demo_accounts_in_a_database_that_is_not_a_demo(settings):
    get_user_model().objects.create_user("dcc.operator1", password="x")
    settings.SOLR_DEMO = False
    errors = checks.demo_accounts_check()
    assert [e.id for e in errors] == ["portal.E001"] and "dcc.operator1" in errors[0].msg
    settings.SOLR_DEMO = True
    assert checks.demo_accounts_check() == []


@pytest.mark.django_db
def test_no_demo_accounts_no_error(settings):
    settings.SOLR_DEMO = False
    get_user_model().objects.create_user("someone.real", password="x")
    assert checks.demo_accounts_check() == []


@pytest.mark.django_db(transaction=True)
def test_serve_without_solr_demo_never_seeds_an_empty_database(settings, tmp_path):
    from portal.management.commands.serve import Command

    settings.SOLR_DEMO = False
    Command()._prepare({"no_seed": False, "demo_dir": str(tmp_path / "demo"), "demo_meters": 3})
    assert not Party.objects.exists()
    assert not get_user_model().objects.exists()
    assert not (tmp_path / "demo").exists()


def test_a_403_is_not_logged_with_a_traceback_but_a_500_is(caplog, rf, settings):
    """Issue 6 point 12: every 403 printed a full traceback on the console (django.request at WARNING with
    exc_info). The access log has the line; django.request now speaks for server errors only."""
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse
    from django.utils.log import log_response

    if settings.LOG_LEVEL == "DEBUG":
        pytest.skip("LOG_LEVEL=DEBUG logs every request on purpose")
    with caplog.at_level(logging.DEBUG):
        try:
            raise PermissionDenied
        except PermissionDenied as exc:
            log_response("Forbidden (Permission denied): %s", "/x", response=HttpResponse(status=403),
                         request=rf.get("/x"), exception=exc)
        try:
            raise RuntimeError("boom")
        except RuntimeError as exc:
            log_response("Internal Server Error: %s", "/y", response=HttpResponse(status=500),
                         request=rf.get("/y"), exception=exc)
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "django.request"]
    assert logged == [("ERROR", "Internal Server Error: /y")]
