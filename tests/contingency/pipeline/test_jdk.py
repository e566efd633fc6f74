"""The front door's answers verify under an independent XMLDSig implementation, the JDK's javax.xml.crypto
(tests/pki/java/VerifyDuis.java), with the DCC's XML signing certificate: I0 with a Pre-Command, I99 and a DUIS
error (E4). A tampered copy is refused, so the harness is seen to bite."""

from __future__ import annotations

import pytest

from contingency.gbcs import signature
from tests.helpers import jdk

from .world import ESME, OTHER_ESME, SOLR_EUI, pre_command_of, request, rid, signed_pre_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def java():
    return jdk.java_or_skip()


def test_answers_verify_under_the_jdk(world, send, java, tmp_path):
    counter = world.next_counter()
    i0 = send("T", world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 4)))
    gbcs = signature.sign(pre_command_of(i0.body), world.es_digital.key)
    i99 = send("S", world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 5, body=signed_pre_command(gbcs))))
    e4 = send("T", world.solr.sign(request(rid(SOLR_EUI, OTHER_ESME, world.next_counter()), 4)))
    assert [i0.code, i99.code, e4.code] == ["I0", "I99", "E4"]
    documents = [i0.body, i99.body, e4.body, i99.body.replace(b">I99<", b">I0<")]
    verdicts = jdk.verdicts(java, jdk.write_documents(tmp_path, documents, world.dcc_cert_pem))
    assert [(status, lines[0]) for status, lines in verdicts[:3]] == [(0, "valid=true ref=true")] * 3
    assert verdicts[3][0] == 1
