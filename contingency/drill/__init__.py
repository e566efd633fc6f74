"""The SoLR drill (issue 11 point 7, docs/drill.md): a whole SoLR event run against a RUNNING product, over HTTP,
through the SRP client (``srp_client``), with the demo manifest's keys, User IDs and meters.

No database access: the drill is what an SRP does from outside, so it talks to the product only through its
front door (``/api/v1/serviceT|S``, DUIS) and the people's API (the event, with a DCC operator's token to say
whether the contingency is active; the Service Responses by polling, with the SRP's ARO token — docs/delivery.md
"Polling": the demo SRP's endpoint is ``srp.demo.invalid``, so pushes never reach the drill).

The meters are the failed Supplier's prepayment meters **as seeded** (``devices.csv`` beside the manifest, its
``registered_supplier`` one of the Supplier's User IDs): the drill is for the demo world, whose CSV names every
meter; a meter switched earlier is asked again and simply answers again.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from srp_client import manifest as srp_manifest
from srp_client import polling
from srp_client.client import Meter, Outcome, SrpClient, summarise
from srp_client.counters import CounterStore
from srp_client.errors import ClientError
from srp_client.transport import Transport

__all__ = ["DrillRefused", "Drill", "prepare", "run", "SUMMARY_KEYS"]

#: the keys of the summary, in this order (``--json``: exactly these)
SUMMARY_KEYS = ("switched", "rejected", "quarantined", "failed", "seconds")


class DrillRefused(Exception):
    """The drill cannot start; ``code`` is stable (docs/drill.md), the message says what to do."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Drill:
    url: str
    supplier: str
    credentials: srp_manifest.ManifestCredentials
    meters: list[Meter]
    srp_user_id: str
    operator_token: str
    aro_token: str
    event_id: int
    results: list = field(default_factory=list)


def _person(manifest: dict, office: str, party_short_name: str | None = None) -> dict | None:
    return next((p for p in manifest.get("people", []) if p.get("office") == office
                 and (party_short_name is None or p.get("party_short_name") == party_short_name)), None)


def _meters(manifest: dict, supplier_user_ids: list[str]) -> list[Meter]:
    path = Path(manifest.get("devices_csv") or "")
    try:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise DrillRefused("devices-unreadable", f"{path}: {exc.strerror or exc}") from None
    ids = set(supplier_user_ids)
    return [Meter(row["eui"], row.get("generation") or "SMETS2") for row in rows
            if row.get("registered_supplier") in ids and row.get("payment_mode") == "prepayment"]


def prepare(url: str, manifest_path: Path, supplier: str, *, timeout: float = 10.0) -> Drill:
    """Everything the drill needs, checked before the first request: the manifest and the Supplier in it, its
    ADT, the product running at ``url``, the Supplier's contingency active. Refusals: :class:`DrillRefused`."""
    url = url.rstrip("/")
    try:
        manifest = json.loads(Path(manifest_path).read_text())
    except OSError as exc:
        raise DrillRefused("manifest-unreadable", f"{manifest_path}: {exc.strerror or exc} (run the product with "
                           "scripts/run, which seeds the demo, or give --manifest)") from None
    except ValueError as exc:
        raise DrillRefused("manifest-invalid", f"{manifest_path}: not JSON ({exc})") from None
    try:
        found = srp_manifest.credentials(manifest_path, supplier)
    except ClientError as exc:
        if exc.code == "supplier-unknown":
            known = [p["short_name"] for p in manifest.get("parties", []) if p.get("kind") == "supplier"]
            raise DrillRefused("supplier-unknown", f"{supplier!r} is not a Supplier of {manifest_path} "
                               f"(its Suppliers: {', '.join(known)})") from None
        raise DrillRefused(exc.code, exc.message) from None
    event = next((e for e in manifest.get("events", []) if e.get("supplier") == supplier), None)
    if event is None:
        raise DrillRefused("event-missing", f"{supplier!r} has no SoLR event in {manifest_path}: the Authority "
                           "must record an instruction for it first")
    srp_user_id = event["contingency_user_id"]
    # SEC / MP134B: without an ADT for (the SRP's User ID, SRV 1.6, this Supplier) every request would be refused.
    adt = [a for a in manifest.get("adt", []) if a.get("user_id") == srp_user_id and a.get("srv") == "1.6"
           and a.get("target_supplier") in (set(found.supplier_user_ids) | {"*"})]
    if not adt:
        raise DrillRefused("adt-missing", f"no ADT for {srp_user_id}, SRV 1.6 and {supplier} in {manifest_path}: "
                           "the SRP's ARO must submit one and its SRO approve it")
    operator, aro = _person(manifest, "dcc_operator"), _person(manifest, "aro", None)
    srp_party = next((p["short_name"] for p in manifest.get("parties", []) if p.get("kind") == "srp"), None)
    aro = _person(manifest, "aro", srp_party) or aro
    if operator is None or aro is None:
        raise DrillRefused("manifest-invalid", f"{manifest_path}: no DCC operator or SRP ARO among its people")
    try:
        answer = requests.get(f"{url}/api/v1/events/{event['id']}/", timeout=timeout,
                              headers={"Authorization": f"Token {operator['api_token']}"})
    except requests.RequestException as exc:
        raise DrillRefused("product-not-running", f"the product does not answer at {url} ({type(exc).__name__}): "
                           "start it with scripts/run, or give --url") from None
    if answer.status_code != 200:
        raise DrillRefused("event-unreadable", f"GET /api/v1/events/{event['id']}/ answered {answer.status_code}: "
                           f"{answer.text[:200]} (is {url} the product whose demo wrote {manifest_path}?)")
    state = answer.json()
    if state.get("activation_state") != "active":
        who = state.get("requested_by")
        if state.get("activation_state") == "requested" and who:
            hint = f"requested by {who}: a second DCC operator, not {who}, must approve it"
        else:
            hint = f"state {state.get('activation_state')}: a DCC operator must request it and another approve it"
        raise DrillRefused("activation-inactive", f"the contingency for {supplier} is not active ({hint})")
    meters = _meters(manifest, found.supplier_user_ids)
    return Drill(url, supplier, found, meters, srp_user_id, operator["api_token"], aro["api_token"], event["id"])


def _poll(drill: Drill, client: SrpClient, since: dt.datetime, seen: set[str], timeout: float) -> dt.datetime:
    """One poll of the polling API with the SRP ARO's token (srp_client.polling: every page, each document verified
    as a push would be, each ResponseID once), matched by the client's tracker; where the next poll may start."""
    try:
        result = polling.poll_once(f"{drill.url}/api/v1/responses/", client.dcc_certificate, client.tracker.handle,
                                   user_id=drill.srp_user_id, token=drill.aro_token, since=since, seen=seen,
                                   page_size=200, timeout=timeout)
    except ClientError as exc:
        if exc.code == "poll-forbidden":  # not transient: waiting would only hide it
            raise DrillRefused("responses-forbidden", f"the polling API refused the SRP ARO's token: {exc}") from None
        raise
    return polling.next_since(since, result)


def run(drill: Drill, *, concurrency: int = 8, wait: float = 300.0, poll_interval: float = 1.0,
        progress: Callable[[int, int, dict], None] | None = None, timeout: float = 30.0) -> dict:
    """Send SRV 1.6 to every meter, then collect the outcomes by polling until every request has one or ``wait``
    seconds pass (those still waiting count as ``failed``, code ``no-response``). The summary: SUMMARY_KEYS."""
    client = SrpClient(base_url=drill.url, signer=drill.credentials.signer, suppliers=drill.credentials.suppliers,
                       dcc_certificate=drill.credentials.dcc_certificate, counters=CounterStore(None),
                       transport=Transport(timeout=timeout))
    started, since = time.monotonic(), dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    total = len(drill.meters)
    counts: dict[str, int] = {}

    def sent(done: int, result) -> None:
        counts[str(result.outcome)] = counts.get(str(result.outcome), 0) + 1
        if progress:
            progress(done, total, dict(counts))

    try:
        results = client.switch_many(drill.meters, concurrency=concurrency, progress=sent)
        waiting = [r for r in results if r.outcome == Outcome.ACCEPTED]
        seen: set[str] = set()
        deadline = time.monotonic() + wait
        while waiting and time.monotonic() < deadline:
            try:
                since = _poll(drill, client, since, seen, timeout)
            except ClientError:
                pass  # transport-failed, poll-failed: transient until the deadline
            waiting = [r for r in waiting if r.outcome == Outcome.ACCEPTED]
            if progress:
                settled = {}
                for r in results:
                    settled[str(r.outcome)] = settled.get(str(r.outcome), 0) + 1
                progress(total, total, settled)
            if waiting:
                time.sleep(poll_interval)
        for result in waiting:
            client.tracker.give_up(result, "no-response", f"no Service Response within {wait:g} s")
    finally:
        client.counters.close()
    drill.results = results
    full = summarise(results, time.monotonic() - started)
    return {key: full[key] for key in SUMMARY_KEYS} | {"codes": full["codes"]}
