"""Polling the DCC's responses endpoint (docs/delivery.md): every page is read with the officer's token, each
DCC-signed document reaches the callback once, a forged one is counted and never handed over, an outcome without
a document yet is passed over, and a refusal of the endpoint is a clear error."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from pki import xmldsig
from srp_client import polling
from srp_client.errors import ClientError

from .fakedcc import SRP_EUI, SUPPLIER_ES
from .test_receiver import _service_response


class _Endpoint:
    """A stand-in for GET /api/v1/responses/: two pages, the second reached through ``next``."""

    def __init__(self, pages, status=200):
        self.pages, self.status, self.seen = pages, status, []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - the standard library's name
                endpoint.seen.append((self.path, self.headers.get("Authorization")))
                query = parse_qs(urlsplit(self.path).query)
                page = int(query.get("page", ["1"])[0])
                body = json.dumps(endpoint.pages[page - 1]).encode()
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/v1/responses/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def documents(world):
    signed = xmldsig.sign(_service_response(), world.dcc.key, world.dcc.cert).decode()
    other = world.ca.issue(SUPPLIER_ES, serial=world.dcc.cert.serial_number)
    forged = xmldsig.sign(_service_response(), other.key, other.cert).decode()
    return signed, forged


def test_every_page_is_read_with_the_token_and_only_dcc_signed_documents_are_taken(world, documents):
    signed, forged = documents
    endpoint = _Endpoint([])
    endpoint.pages = [
        {"count": 4, "next": endpoint.url + f"?user_id={SRP_EUI}&page=2", "results": [
            {"request_id": "a", "document": signed}, {"request_id": "b", "document": forged}]},
        {"count": 4, "next": None, "results": [
            {"request_id": "c", "document": signed}, {"request_id": "d", "document": ""}]},
    ]
    taken = []
    try:
        result = polling.poll_once(endpoint.url, world.dcc.cert, taken.append, user_id=SRP_EUI, token="tok123",
                                   since="2026-01-01T00:00:00+00:00")
    finally:
        endpoint.close()
    assert (result.taken, result.refused) == (2, 1)
    assert len(taken) == 2 and all(doc.response_code == "I0" for doc in taken)
    assert [auth for _, auth in endpoint.seen] == ["Token tok123", "Token tok123"]
    first = parse_qs(urlsplit(endpoint.seen[0][0]).query)
    assert first["user_id"] == [SRP_EUI] and first["since"] == ["2026-01-01T00:00:00+00:00"]


@pytest.mark.parametrize("status, pages", [(403, [{"code": "responses-forbidden"}]), (200, [{"documents": []}])])
def test_a_refusal_or_an_unknown_shape_is_a_clear_error(world, status, pages):
    endpoint = _Endpoint(pages, status=status)
    try:
        with pytest.raises(ClientError) as refused:
            polling.poll_once(endpoint.url, world.dcc.cert, lambda doc: None, user_id=SRP_EUI)
    finally:
        endpoint.close()
    assert refused.value.code == "poll-failed"
