"""check --deploy warns when the audit key sits in the data directory (issue 7 point 2)."""

import pytest
from django.core import checks

from portal.audit_checks import audit_key_check


@pytest.fixture
def key_env(monkeypatch, settings, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings.DATA_DIR = data_dir
    monkeypatch.delenv("SOLR_AUDIT_KEY", raising=False)
    monkeypatch.delenv("SOLR_AUDIT_KEY_FILE", raising=False)
    return monkeypatch, data_dir, tmp_path


def ids(messages):
    return [m.id for m in messages]


def test_the_default_key_in_the_data_dir_is_warned_about(key_env):
    assert ids(audit_key_check()) == ["portal.W100"]


def test_a_named_key_file_inside_the_data_dir_is_warned_about(key_env):
    monkeypatch, data_dir, _ = key_env
    (data_dir / "keys").mkdir()
    (data_dir / "keys" / "audit").write_text("k" * 40)
    monkeypatch.setenv("SOLR_AUDIT_KEY_FILE", str(data_dir / "keys" / ".." / "keys" / "audit"))
    assert ids(audit_key_check()) == ["portal.W100"]


def test_a_key_file_outside_the_data_dir_passes(key_env):
    monkeypatch, _, tmp_path = key_env
    (tmp_path / "audit_key").write_text("k" * 40)
    monkeypatch.setenv("SOLR_AUDIT_KEY_FILE", str(tmp_path / "audit_key"))
    assert audit_key_check() == []


def test_a_key_from_the_environment_passes(key_env):
    key_env[0].setenv("SOLR_AUDIT_KEY", "k" * 40)
    assert audit_key_check() == []


def test_a_missing_named_key_file_is_an_error(key_env):
    monkeypatch, _, tmp_path = key_env
    monkeypatch.setenv("SOLR_AUDIT_KEY_FILE", str(tmp_path / "nowhere"))
    messages = audit_key_check()
    assert ids(messages) == ["portal.E100"] and messages[0].level == checks.ERROR


def test_the_check_is_registered_for_check_deploy_only():
    from django.core.checks.registry import registry

    assert audit_key_check in registry.get_checks(include_deployment_checks=True)
    assert audit_key_check not in registry.get_checks(include_deployment_checks=False)
    assert checks.Tags.security in audit_key_check.tags
