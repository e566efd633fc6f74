"""portal.files.write_atomically: the one writer for manifests, CSVs, keys and certificates."""

import os
import stat

import pytest

from portal.files import write_atomically


@pytest.mark.parametrize("content, expected", [
    (b"\x00bytes\n", b"\x00bytes\n"),
    ("text, ünïcode\n", "text, ünïcode\n".encode()),
    (lambda handle: handle.write("from a function\r\n"), b"from a function\r\n"),  # newline="" keeps \r\n
])
def test_it_writes_bytes_text_or_through_a_function(tmp_path, content, expected):
    path = tmp_path / "out"
    write_atomically(path, content)
    assert path.read_bytes() == expected
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary file left


def test_a_key_file_gets_its_mode_and_replaces_the_old_file(tmp_path):
    path = tmp_path / "key.pem"
    path.write_text("old")
    os.chmod(path, 0o644)
    write_atomically(path, b"secret", mode=0o600)
    assert path.read_bytes() == b"secret" and stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text("the old one")

    def half_then_fail(handle):
        handle.write("half of the new")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(path, half_then_fail)
    assert path.read_text() == "the old one"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]
