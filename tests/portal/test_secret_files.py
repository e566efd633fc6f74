"""One rule for every secret: the variable, else a named file that must exist, else a default made once."""

import os
import stat

import pytest

from portal.secret_files import SecretUnavailable, read_secret


def test_the_default_file_is_made_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("T_SECRET", raising=False)
    monkeypatch.delenv("T_SECRET_FILE", raising=False)
    path = tmp_path / "sub" / "secret"
    first = read_secret("T_SECRET", "T_SECRET_FILE", path)
    assert len(first) >= 32 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert read_secret("T_SECRET", "T_SECRET_FILE", path) == first


def test_the_variable_wins_then_the_named_file(tmp_path, monkeypatch):
    named = tmp_path / "named"
    named.write_text("from-the-file\n")
    monkeypatch.setenv("T_SECRET_FILE", str(named))
    assert read_secret("T_SECRET", "T_SECRET_FILE", tmp_path / "default") == "from-the-file"
    monkeypatch.setenv("T_SECRET", "from-the-variable")
    assert read_secret("T_SECRET", "T_SECRET_FILE", tmp_path / "default") == "from-the-variable"
    assert not (tmp_path / "default").exists()


def test_a_mistyped_named_file_is_an_error_not_a_new_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("T_SECRET", raising=False)
    monkeypatch.setenv("T_SECRET_FILE", str(tmp_path / "mistyped"))
    with pytest.raises(SecretUnavailable) as excinfo:
        read_secret("T_SECRET", "T_SECRET_FILE", tmp_path / "default")
    assert excinfo.value.code == "secret-file-missing"
    assert isinstance(excinfo.value, RuntimeError)  # as before, for callers that catch that
    assert not (tmp_path / "mistyped").exists() and not (tmp_path / "default").exists()


def test_an_empty_secret_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv("T_SECRET", raising=False)
    monkeypatch.delenv("T_SECRET_FILE", raising=False)
    (tmp_path / "default").write_text("\n")
    with pytest.raises(SecretUnavailable) as excinfo:
        read_secret("T_SECRET", "T_SECRET_FILE", tmp_path / "default")
    assert excinfo.value.code == "secret-file-empty"
