"""XXE: the DCC Boxed attack sample and variants are refused without any file or network access."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from pki import safexml, xmldsig
from tests.pki import xmldsig_cases as cases

XXE_SAMPLE = "dccboxed-signing-tool/requests/duis-xxe.xml"
MARKER = "XXE-MARKER-7f3c1e9a-must-never-be-read"


def _refuse(data: bytes, **kwargs) -> xmldsig.SignatureRejected:
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(data, resolver=cases.FakeResolver([]), **kwargs)
    return info.value


def _point_entity_at(vectors_dir, url: str) -> bytes:
    """The real XXE sample, its external entity re-pointed at ``url``."""
    data = (vectors_dir / XXE_SAMPLE).read_bytes()
    assert b'SYSTEM "file:///etc/passwd"' in data
    return data.replace(b"file:///etc/passwd", url.encode())


def _as_utf16(data: bytes, monkeypatch) -> bytes:
    """``data`` in UTF-16, with the byte-level UTF-8 rule switched off for this test.

    UTF-16 hides the DOCTYPE from the byte pre-scan, so the parser-level defences alone must hold. In
    production the document never gets that far: it is refused as ``bad-encoding`` before parsing
    (test_utf16_xxe_is_refused_before_parsing).
    """
    monkeypatch.setattr(safexml, "_check_utf8", lambda data: None)
    return data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")


def test_utf16_xxe_is_refused_before_parsing(vectors_dir, monkeypatch):
    def no_parsing(*args, **kwargs):
        raise AssertionError("the parser ran")

    data = _point_entity_at(vectors_dir, "file:///etc/passwd")
    utf16 = data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    monkeypatch.setattr(safexml, "_parser", no_parsing)
    assert _refuse(utf16).code == "bad-encoding"


def test_dcc_boxed_xxe_sample_refused(vectors_dir):
    error = _refuse((vectors_dir / XXE_SAMPLE).read_bytes())
    assert error.code == "dtd-forbidden"
    assert "root:" not in error.message  # nothing of /etc/passwd leaked into the message


@pytest.mark.parametrize("to_utf16", [False, True], ids=["utf8", "utf16"])
def test_xxe_to_a_marker_file_reads_nothing(vectors_dir, tmp_path, to_utf16, monkeypatch):
    marker_file = tmp_path / "secret.txt"
    marker_file.write_text(MARKER)
    data = _point_entity_at(vectors_dir, marker_file.as_uri())
    if to_utf16:  # bypasses the byte pre-scan: the parser-level defences alone must hold
        data = _as_utf16(data, monkeypatch)
    error = _refuse(data)
    assert error.code == "dtd-forbidden"
    assert MARKER not in str(error) and MARKER not in repr(error.__dict__)


@pytest.mark.parametrize("to_utf16", [False, True], ids=["utf8", "utf16"])
def test_xxe_to_a_fifo_is_never_opened(vectors_dir, tmp_path, to_utf16, monkeypatch):
    # Opening a FIFO for reading blocks until a writer appears, so any attempt to read the entity would
    # hang the parse. A writer opened non-blocking afterwards would succeed only if a reader had it open.
    fifo = tmp_path / "entity.fifo"
    os.mkfifo(fifo)
    data = _point_entity_at(vectors_dir, fifo.as_uri())
    if to_utf16:
        data = _as_utf16(data, monkeypatch)
    outcome = {}

    def run():
        try:
            xmldsig.verify(data, resolver=cases.FakeResolver([]))
        except xmldsig.SignatureRejected as exc:
            outcome["code"] = exc.code

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():
        os.close(os.open(fifo, os.O_WRONLY))  # release the blocked reader before failing
        pytest.fail("the parser opened the entity's file")
    assert outcome == {"code": "dtd-forbidden"}
    with pytest.raises(OSError):  # ENXIO: no reader has the FIFO open
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.parametrize("to_utf16", [False, True], ids=["utf8", "utf16"])
def test_xxe_to_the_network_makes_no_connection(vectors_dir, to_utf16, monkeypatch):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        data = _point_entity_at(vectors_dir, f"http://127.0.0.1:{port}/xxe")
        data = data.replace(b"<!DOCTYPE foo [", f'<!DOCTYPE foo SYSTEM "http://127.0.0.1:{port}/dtd" ['.encode())
        if to_utf16:
            data = _as_utf16(data, monkeypatch)
        assert _refuse(data).code == "dtd-forbidden"
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    finally:
        listener.close()


def test_safexml_refuses_doctype_even_when_only_parsing(vectors_dir):
    with pytest.raises(safexml.XMLRejected) as info:
        safexml.parse((vectors_dir / XXE_SAMPLE).read_bytes())
    assert info.value.code == "dtd-forbidden"
