"""The JDK's XMLDSig check (tests/pki/java/VerifyDuis.java) run once over a batch of signed DUIS documents.

``VerifyDuis.java --serve`` reads one ``<xml path>\\t<certificate path>`` line per document and answers each with
its lines and ``exit=N`` (0 valid, 1 invalid). One JVM for the whole batch: starting one costs seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .processes import PROJECT_DIR

VERIFIER = PROJECT_DIR / "tests" / "pki" / "java" / "VerifyDuis.java"


def java_or_skip() -> str:
    """The ``java`` command; missing, the test fails under CI and is skipped elsewhere."""
    path = shutil.which("java")
    if path is None:
        message = "java is not on PATH (Debian: apt-get install openjdk-17-jre-headless)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def verdicts(java: str, pairs: list[tuple[Path, Path]]) -> list[tuple[int, list[str]]]:
    """(exit status, output lines) per (document, certificate) pair, in order."""
    lines = "".join(f"{xml}\t{cert}\n" for xml, cert in pairs)
    proc = subprocess.run([java, str(VERIFIER), "--serve"], input=lines, capture_output=True, text=True,
                          timeout=300, check=False)
    answers, current = [], []
    for line in proc.stdout.splitlines():
        if line.startswith("exit="):
            answers.append((int(line[5:]), current))
            current = []
        else:
            current.append(line)
    assert len(answers) == len(pairs), (proc.stdout, proc.stderr)
    return answers


def write_documents(folder: Path, documents: list[bytes], certificate: Path) -> list[tuple[Path, Path]]:
    """Each document written to ``folder`` and paired with ``certificate``, for :func:`verdicts`."""
    pairs = []
    for index, document in enumerate(documents):
        path = folder / f"{index}.xml"
        path.write_bytes(document)
        pairs.append((path, certificate))
    return pairs
