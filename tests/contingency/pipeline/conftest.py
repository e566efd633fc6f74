"""Fixtures of the front door tests: the world (world.py) with the official XSD configured, a stand-in for the ADT
room's ``check_and_count`` (so a test of another check chooses check 11's verdict; test_adt_http.py and
test_emitted_documents.py override ``adt`` to run the real counting), and ``send``, which posts a request and holds
every DUIS answer to the XSD and to the DCC's signature."""

from __future__ import annotations

import json
import sys
import types
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.test import override_settings
from lxml import etree

import contingency.adt
from pki import signers, xmldsig

from .world import DCC_EUI, NS, make_world


@pytest.fixture
def adt(monkeypatch):
    """The ADT verdict the front door gets at check 11: ``adt.outcome = "quarantine"`` … changes it; ``adt.calls``
    records what it was asked."""
    state = SimpleNamespace(outcome="ok", calls=[])

    def check_and_count(sender, srv, target_supplier, request):
        state.calls.append((sender, srv, target_supplier, request))
        return SimpleNamespace(outcome=state.outcome)

    try:
        from contingency.adt import counting
    except ImportError:
        counting = types.ModuleType("contingency.adt.counting")
        monkeypatch.setitem(sys.modules, "contingency.adt.counting", counting)
        monkeypatch.setattr(contingency.adt, "counting", counting, raising=False)
    monkeypatch.setattr(counting, "check_and_count", check_and_count, raising=False)
    return state


@pytest.fixture
def world(smki, tmp_path, vectors_dir, adt, settings):
    settings.DUIS_SCHEMA_DIR = str(vectors_dir / "dccboxed-signing-tool" / "schema")
    signers.clear_signer_cache()
    with override_settings(DCC_USER_ID=DCC_EUI):
        yield make_world(tmp_path)
    signers.clear_signer_cache()


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes

    @property
    def code(self) -> str:
        """The DUIS ResponseCode, or the refusal code of an HTTP-only refusal."""
        if self.content_type.startswith("application/json"):
            return json.loads(self.body)["code"]
        return etree.fromstring(self.body).findtext("sr:Header/sr:ResponseCode", namespaces=NS)


@pytest.fixture
def send(world, duis_schema):
    dcc_cert = world.dcc_cert_pem.read_bytes()

    def post(service: str, body: bytes, *, content_type: str = "application/xml", method: str = "post") -> Reply:
        call = getattr(world.client, method)
        response = call(f"/api/v1/service{service}", data=body, content_type=content_type)
        reply = Reply(response.status_code, response["Content-Type"], response.content)
        if reply.content_type.startswith("application/xml"):
            # Every DUIS answer: valid against the official XSD and signed by the DCC (our verifier here; the JDK in
            # test_emitted_documents.py).
            assert duis_schema.errors(etree.fromstring(reply.body)) == []
            from cryptography import x509

            xmldsig.verify(reply.body, certificate=x509.load_pem_x509_certificate(dcc_cert))
        return reply

    return post
