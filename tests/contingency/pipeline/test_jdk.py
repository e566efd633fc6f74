"""The front door's answers verify under an independent XMLDSig implementation, the JDK's javax.xml.crypto
(tests/pki/java/VerifyDuis.java), with the DCC's XML signing certificate: I0 with a Pre-Command, I99 and a DUIS
error (E4). A tampered copy is refused, so the harness is seen to bite."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from contingency.gbcs import signature
from tests.helpers.processes import PROJECT_DIR

from .world import ESME, OTHER_ESME, SOLR_EUI, pre_command_of, request, rid, signed_pre_command

pytestmark = pytest.mark.django_db
VERIFIER = PROJECT_DIR / "tests" / "pki" / "java" / "VerifyDuis.java"


@pytest.fixture(scope="module")
def java():
    path = shutil.which("java")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("java is not on PATH")
        pytest.skip("java is not on PATH (Debian: openjdk-17-jre-headless)")
    return path


def test_answers_verify_under_the_jdk(world, send, java, tmp_path):
    counter = world.next_counter()
    i0 = send("T", world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 4)))
    gbcs = signature.sign(pre_command_of(i0.body), world.es_digital.key)
    i99 = send("S", world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 5, body=signed_pre_command(gbcs))))
    e4 = send("T", world.solr.sign(request(rid(SOLR_EUI, OTHER_ESME, world.next_counter()), 4)))
    assert [i0.code, i99.code, e4.code] == ["I0", "I99", "E4"]
    documents = [i0.body, i99.body, e4.body, i99.body.replace(b">I99<", b">I0<")]
    lines = []
    for index, document in enumerate(documents):
        path = tmp_path / f"{index}.xml"
        path.write_bytes(document)
        lines.append(f"{path}\t{world.dcc_cert_pem}\n")
    proc = subprocess.run([java, str(VERIFIER), "--serve"], input="".join(lines), capture_output=True, text=True,
                          timeout=300, check=False)
    verdicts, current = [], []
    for line in proc.stdout.splitlines():
        if line.startswith("exit="):
            verdicts.append((int(line[5:]), current[0] if current else ""))
            current = []
        else:
            current.append(line)
    assert len(verdicts) == len(documents), proc.stderr
    assert verdicts[:3] == [(0, "valid=true ref=true")] * 3
    assert verdicts[3][0] == 1
