"""One settings source (issue 6 point 3): typed, validated at start-up, every variable read from the environment.

A bad value stops a process at start-up with ImproperlyConfigured naming the variable; every variable the
code reads is in the README's configuration table; importing the settings creates no folder.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from contingency import conf as contingency_conf
from pki import conf as pki_conf
from portal.conf import AppSettings, Setting, at_least, env
from tests.helpers.processes import PROJECT_DIR, child_env


def run_django(tmp_path, code: str, **extra: str) -> subprocess.CompletedProcess:
    """Start Django in a fresh process (settings imported, apps ready) and run ``code``."""
    script = f"import django; django.setup()\n{code}"
    return subprocess.run([sys.executable, "-c", script], cwd=PROJECT_DIR, env=child_env(tmp_path, **extra),
                          capture_output=True, text=True, timeout=120)


# --- the layer itself, in process ------------------------------------------------------------------------

def test_an_app_setting_comes_from_django_settings_then_the_environment_then_the_default(settings, monkeypatch):
    monkeypatch.delenv("SMKI_CRL_VALIDITY_HOURS", raising=False)
    assert pki_conf.get("SMKI_CRL_VALIDITY_HOURS") == 24
    monkeypatch.setenv("SMKI_CRL_VALIDITY_HOURS", "48")
    assert pki_conf.get("SMKI_CRL_VALIDITY_HOURS") == 48  # typed: an int, not "48"
    settings.SMKI_CRL_VALIDITY_HOURS = 6
    assert pki_conf.get("SMKI_CRL_VALIDITY_HOURS") == 6


@pytest.mark.parametrize(("name", "value", "problem"), [
    ("SMKI_CERT_VALIDITY_DAYS", "ten", "expected a whole number"),
    ("SMKI_CERT_VALIDITY_DAYS", "0", "must be at least 1"),
    ("SMKI_ORG_CERT_POLICY_OID", "not-an-oid", "dotted object identifier"),
    ("SMKI_KEYSTORE_CLASS", "EncryptedFileKeyStore", "dotted Python path"),
    ("PKI_SIGNER_CACHE_SECONDS", "-1", "must be at least 0"),
])
def test_a_bad_environment_value_of_an_smki_setting_is_refused_by_name(monkeypatch, name, value, problem):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        pki_conf.validate()
    message = str(refused.value)
    assert message.startswith(f"{name}=") and value.strip("-") in message and problem in message


def test_a_bad_value_set_in_django_settings_is_refused_too(settings):
    settings.SOLR_IMPORT_BATCH_SIZE = 0
    with pytest.raises(ImproperlyConfigured, match=r"SOLR_IMPORT_BATCH_SIZE=0 \(Django settings\): must be at least 1"):
        contingency_conf.validate()


def test_env_reads_each_type(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    monkeypatch.setenv("X_LIST", " a, b ,,c ")
    monkeypatch.setenv("X_NUMBER", "2.5")
    assert env("X_FLAG", False) is True
    assert env("X_LIST", ["z"]) == ["a", "b", "c"]
    assert env("X_NUMBER", 1.0) == 2.5
    assert env("X_MISSING", 7) == 7
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"X_FLAG='maybe' \(environment\): expected 1/0"):
        env("X_FLAG", False)


def test_every_declared_app_setting_has_a_valid_default():
    for layer in (pki_conf.SETTINGS, contingency_conf.SETTINGS):
        for name in layer.names:
            assert Setting(name, layer.default(name)).coerce(layer.default(name), "default") == layer.default(name)
    AppSettings(Setting("X", 1, at_least(0))).validate()


# --- start-up of a real process ----------------------------------------------------------------------------

@pytest.mark.parametrize(("variable", "value", "message"), [
    ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG='maybe' (environment): expected 1/0"),
    ("LOG_LEVEL", "loud", "LOG_LEVEL='LOUD' (environment): must be one of DEBUG, INFO"),
    ("SOLR_SESSION_HOURS", "336", "SOLR_SESSION_HOURS=336 (environment): must be 1 to 24 hours"),
    ("SMKI_CRL_VALIDITY_HOURS", "a day", "SMKI_CRL_VALIDITY_HOURS='a day' (environment): expected a whole number"),
    ("SOLR_IMPORT_MAX_ERRORS", "0", "SOLR_IMPORT_MAX_ERRORS=0 (environment): must be at least 1"),
    ("SOLR_DCC_USER_ID", "90-B3-D5", "SOLR_DCC_USER_ID='90-B3-D5': not an EUI-64"),
    ("DATABASE_URL", "nosuchdb://x/y", "DATABASE_URL='nosuchdb://x/y' (environment)"),
])
def test_a_process_refuses_to_start_on_a_bad_value_and_names_it(tmp_path, variable, value, message):
    started = run_django(tmp_path, "print('started')", **{variable: value})
    assert started.returncode != 0 and "started" not in started.stdout
    assert "django.core.exceptions.ImproperlyConfigured" in started.stderr
    assert message in started.stderr, started.stderr[-2000:]


def test_environment_variables_are_honoured(tmp_path):
    code = """
import json
from django.conf import settings
from pki import conf as pki_conf
from contingency import conf as contingency_conf
print(json.dumps({
    "log_level": settings.LOGGING["root"]["level"], "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "dcc": settings.DCC_USER_ID, "debug": settings.DEBUG, "hosts": settings.ALLOWED_HOSTS,
    "role": settings.SOLR_CONTINGENCY_ROLE_CODE, "session": settings.SESSION_COOKIE_AGE,
    "hsts": getattr(settings, "SECURE_HSTS_SECONDS", 0), "data_dir": str(settings.DATA_DIR),
    "cert_days": pki_conf.get("SMKI_CERT_VALIDITY_DAYS"), "root_cn": pki_conf.get("SMKI_ROOT_CA_CN"),
    "signer_cache": pki_conf.get("PKI_SIGNER_CACHE_SECONDS"),
    "batch": contingency_conf.get("SOLR_IMPORT_BATCH_SIZE"), "demo": settings.SOLR_DEMO,
}))
"""
    done = run_django(
        tmp_path, code, LOG_LEVEL="warning", CELERY_TASK_ALWAYS_EAGER="1", SOLR_DCC_USER_ID="90b3d51f30000009",
        DJANGO_DEBUG="true", DJANGO_ALLOWED_HOSTS="solr.example, admin.solr.example", SOLR_CONTINGENCY_ROLE_CODE="SX",
        SOLR_SESSION_HOURS="2", SOLR_HTTPS="1", SMKI_CERT_VALIDITY_DAYS="30", SMKI_ROOT_CA_CN="TESTROOT",
        PKI_SIGNER_CACHE_SECONDS="0", SOLR_IMPORT_BATCH_SIZE="500", SOLR_DEMO="1",
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "log_level": "WARNING", "eager": True, "dcc": "90b3d51f30000009", "debug": True,
        "hosts": ["solr.example", "admin.solr.example"], "role": "SX", "session": 2 * 3600,
        "hsts": 365 * 24 * 3600, "data_dir": str((tmp_path / "data").resolve()), "cert_days": 30,
        "root_cn": "TESTROOT", "signer_cache": 0.0, "batch": 500, "demo": True,
    }


def test_importing_the_settings_creates_no_folder(tmp_path):
    data_dir = tmp_path / "not-yet"
    environ = child_env(tmp_path, SOLR_DATA_DIR=str(data_dir), DJANGO_SECRET_KEY="x" * 50,
                        SOLR_AUDIT_KEY="y" * 50)
    done = subprocess.run([sys.executable, "-c", "import portal.settings as s; print(s.DATA_DIR)"],
                          cwd=PROJECT_DIR, env=environ, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(data_dir.resolve())
    assert not data_dir.exists()


def test_the_readme_lists_every_environment_variable():
    readme = (PROJECT_DIR / "README.md").read_text()
    table = readme[readme.index("## Configuration"):]
    table = table[:table.index("\n## ", 3)]
    read_in_code: set[str] = set()
    for module in ("portal/settings.py", "portal/management/commands/serve.py"):
        read_in_code |= set(re.findall(r'\benv\(\s*"([A-Z][A-Z0-9_]+)"', (PROJECT_DIR / module).read_text()))
    read_in_code |= set(pki_conf.SETTINGS.names) | set(contingency_conf.SETTINGS.names)
    read_in_code |= {"LOG_LEVEL", "CELERY_TASK_ALWAYS_EAGER", "HOST", "SOLR_DCC_USER_ID"}  # named by issue 6
    missing = sorted(name for name in read_in_code if f"`{name}`" not in table)
    assert not missing, f"environment variables missing from the README's configuration table: {missing}"


def test_the_import_options_take_their_defaults_from_the_settings_layer(monkeypatch, settings):
    from contingency.devices.importer import ImportOptions

    monkeypatch.setenv("SOLR_IMPORT_BATCH_SIZE", "123")
    settings.SOLR_IMPORT_MAX_ERRORS = 7
    options = ImportOptions()
    assert (options.batch_size, options.max_errors) == (123, 7)
    assert ImportOptions(batch_size=5).batch_size == 5  # an explicit value wins
