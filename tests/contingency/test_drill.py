"""The SoLR drill's checks before the first request (issue 11 point 7, docs/drill.md): each refusal by its code —
the product not running, a Supplier not in the manifest, no ADT, a contingency not active (naming who must
approve) — and the meters it takes from the demo's devices.csv. The drill end to end: tests/e2e/test_drill.py."""

from __future__ import annotations

import csv
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command

from contingency.drill import DrillRefused, prepare


@pytest.fixture
def demo(tmp_path, smki):
    call_command("seed_demo", "--out", str(tmp_path / "demo"), "--meters", "20")
    return tmp_path / "demo" / "manifest.json"


class FakeProduct:
    """Answers GET /api/v1/events/<id>/ with ``states[id]`` for a DCC operator's token, as the people's API does."""

    def __init__(self, token: str, states: dict[int, dict]):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                outer.seen.append((self.path, self.headers.get("Authorization")))
                found = next((s for i, s in states.items() if self.path == f"/api/v1/events/{i}/"), None)
                ok = self.headers.get("Authorization") == f"Token {token}" and found is not None
                body = json.dumps(found if ok else {"code": "not-found", "detail": "no"}).encode()
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.seen: list[tuple[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def product(demo):
    manifest = json.loads(demo.read_text())
    operator = next(p for p in manifest["people"] if p["office"] == "dcc_operator")
    fake = FakeProduct(operator["api_token"], {e["id"]: e for e in manifest["events"]})
    yield fake
    fake.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: nothing listens there


def refusal(*args, **kwargs) -> str:
    with pytest.raises(DrillRefused) as info:
        prepare(*args, **kwargs)
    return info.value.code


def test_the_drill_takes_every_seeded_prepayment_meter_of_the_supplier_and_no_other(demo, product):
    drill = prepare(product.url, demo, "failing-energy")
    manifest = json.loads(demo.read_text())
    party = next(p for p in manifest["parties"] if p["short_name"] == "failing-energy")
    ids = {u["eui"] for u in party["user_ids"]}
    with open(manifest["devices_csv"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = {r["eui"]: r["generation"] for r in rows
                if r["registered_supplier"] in ids and r["payment_mode"] == "prepayment"}
    assert {m.eui: m.generation for m in drill.meters} == expected
    assert len(expected) == 20 - 2  # counters 8 and 17 are on credit (c mod 9 = 8): docs/manifest.md
    assert {m.generation for m in drill.meters} == {"SMETS1", "SMETS2"}
    assert drill.srp_user_id == "90-B3-D5-1F-30-20-00-01"
    # It asked the running product whether the contingency is active, with a DCC operator's token.
    assert product.seen and product.seen[0][0] == f"/api/v1/events/{drill.event_id}/"


def test_a_product_that_is_not_running_is_named(demo):
    assert refusal(f"http://127.0.0.1:{closed_port()}", demo, "failing-energy") == "product-not-running"


def test_a_supplier_not_in_the_manifest_is_refused(demo, product):
    assert refusal(product.url, demo, "no-such-supplier") == "supplier-unknown"
    with pytest.raises(DrillRefused) as info:
        prepare(product.url, demo, "no-such-supplier")
    assert "failing-energy" in info.value.message  # it lists the Suppliers it knows
    assert refusal(product.url, demo.parent / "missing.json", "failing-energy") == "manifest-unreadable"


def test_a_contingency_not_active_names_the_operator_who_must_not_approve_it(demo, product):
    # collapsed-power's activation was requested by dcc.operator1 and waits for a second operator.
    with pytest.raises(DrillRefused) as info:
        prepare(product.url, demo, "collapsed-power")
    assert info.value.code == "activation-inactive"
    assert "dcc.operator1" in info.value.message


def test_no_adt_for_the_supplier_is_refused(demo, product, tmp_path):
    manifest = json.loads(demo.read_text())
    ids = next(e for e in manifest["events"] if e["supplier"] == "failing-energy")["supplier_user_ids"]
    manifest["adt"] = [a for a in manifest["adt"] if a["target_supplier"] not in ids]
    assert manifest["adt"]  # the other failed Supplier's ADT is still there: it does not count
    edited = tmp_path / "no-adt.json"
    edited.write_text(json.dumps(manifest))
    assert refusal(product.url, edited, "failing-energy") == "adt-missing"


def test_the_command_reports_a_refusal_by_its_code(demo):
    with pytest.raises(CommandError) as info:
        call_command("solr_drill", "--supplier", "failing-energy", "--manifest", str(demo),
                     "--url", f"http://127.0.0.1:{closed_port()}")
    assert str(info.value).startswith("product-not-running:")
    with pytest.raises(CommandError) as info:
        call_command("solr_drill", "--supplier", "failing-energy", "--manifest", str(demo), "--concurrency", "0")
    assert str(info.value).startswith("concurrency-invalid:")


def test_a_poll_starts_again_shortly_before_the_newest_outcome_it_saw_and_a_refused_token_stops_the_drill():
    """A long drill must not read every earlier outcome again on every poll (it read them all each second); the
    drill polls through srp_client.polling, with the SRP ARO's token. A 403 is not transient: it stops the drill."""
    import datetime as dt
    from types import SimpleNamespace

    import contingency.drill as drill_module
    from srp_client import polling
    from tests.srp_client.responses_endpoint import ResponsesEndpoint

    endpoint = ResponsesEndpoint([{"next": None, "results": [
        {"responded_at": "2026-11-29T08:00:00+00:00", "response_id": "a", "document": None},
        {"responded_at": "2026-11-29T08:05:00+00:00", "response_id": "b", "document": None}]}])
    drill = SimpleNamespace(url=endpoint.url.removesuffix("/api/v1/responses/"),
                            srp_user_id="90-B3-D5-1F-30-20-00-01", aro_token="t")
    client = SimpleNamespace(dcc_certificate=None, tracker=SimpleNamespace(handle=None))
    start = dt.datetime(2026, 11, 29, 7, 0, tzinfo=dt.UTC)
    try:
        after_first = drill_module._poll(drill, client, start, set(), 5)
        endpoint.pages = [{"next": None, "results": []}]
        after_second = drill_module._poll(drill, client, after_first, set(), 5)
        endpoint.status = 403
        with pytest.raises(DrillRefused) as refused:
            drill_module._poll(drill, client, after_second, set(), 5)
    finally:
        endpoint.close()
    assert after_first == dt.datetime(2026, 11, 29, 8, 5, tzinfo=dt.UTC) - polling.POLL_OVERLAP
    assert after_second == after_first  # nothing new: stays
    assert refused.value.code == "responses-forbidden"
    queries = [parse_qs(urlsplit(path).query) for path, _ in endpoint.seen]
    assert [q["since"] for q in queries] == [[start.isoformat()], [after_first.isoformat()], [after_first.isoformat()]]
    assert {token for _, token in endpoint.seen} == {"Token t"}
