"""The SRP's side of one SoLR Contingency request, and of many (DESIGN §2 steps 4-6; issue 11 point 6).

:meth:`SrpClient.switch` for one device:

1. a new RequestID ``<SRP User ID>:<device>:<counter>`` (the counter store: strictly increasing per device);
2. SRV 1.6 → Credit, CV 4, signed with the SRP's XML signing key, POSTed to ``{base}/api/v1/serviceT``;
3. the answer must be signed by the DCC (its certificate, given) and name this RequestID; I0 must carry the
   Pre-Command that was asked for (:func:`.messages.check_precommand`): Credit, the failed Supplier as GBCS
   originator, this device, this counter, this execution time. Anything else is refused and **nothing is
   signed** with the Supplier's key — never a Prepayment command, never another device's;
4. the Pre-Command signed with that Supplier User ID's Digital Signing key (``contingency.gbcs.signature``) goes
   back as CV 5 (``SignedPreCommand``, same RequestID) to ``{base}/api/v1/serviceS``; I99 = accepted.

The outcome then comes from the DCC's Service Response (pushed to the SRP's endpoint — :mod:`.receiver` — or
polled — :mod:`.polling`), which :class:`Tracker` matches by RequestID: I0 with the meter's successful GBCS response
= ``switched``; E20 / E21, a meter's failure = ``failed``; a DCC alert AD1 naming the request (anomaly detection
held it) = ``quarantined``. A DCC refusal (a DUIS E-code, or an HTTP 4xx with its JSON ``code``) is ``rejected``;
the client's own refusals and exhausted retries are ``failed``, each with its code (docs/srp-client.md).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from cryptography import x509

from contingency.duis.requestid import RequestID, format_eui
from contingency.gbcs import signature as gbcs_signature
from contingency.gbcs.errors import GbcsRefused
from contingency.gbcs.response import decode_response
from pki import xmldsig

from . import messages
from .counters import CounterStore
from .errors import ClientError
from .keys import SupplierKey, XmlSigner
from .transport import HttpAnswer, Transport

__all__ = ["Meter", "Outcome", "Result", "SrpClient", "Tracker", "summarise"]

log = logging.getLogger("srp_client")

SERVICE_T = "/api/v1/serviceT"
SERVICE_S = "/api/v1/serviceS"
DEVICE_LOCK_STRIPES = 1024
UNMATCHED_KEPT = 10_000


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"  # I99: the DCC took it; the Service Response has not come yet
    SWITCHED = "switched"
    REJECTED = "rejected"
    QUARANTINED = "quarantined"
    FAILED = "failed"


FINAL = frozenset({Outcome.SWITCHED, Outcome.REJECTED, Outcome.QUARANTINED, Outcome.FAILED})


@dataclass(frozen=True)
class Meter:
    """A device to switch. A SMETS1 meter has no Pre-Command: its request is CV 1 to serviceS (docs/duis-checks.md)."""

    eui: str
    generation: str = "SMETS2"

    @property
    def smets1(self) -> bool:
        return self.generation.upper() == "SMETS1"


@dataclass
class Result:
    device: str
    outcome: Outcome
    request_id: str | None = None
    #: the DUIS response code (E4, I99 …), the DCC's refusal code, or the client's own code
    code: str | None = None
    detail: str = ""
    use_case: str | None = None  # ECS02 / GCS02
    http_status: int | None = None
    attempts: int = 0
    seconds: float = 0.0
    #: a CV 5 answered 409 pre-command-unknown after an attempt that may have reached the DCC: taken as accepted
    unconfirmed: bool = False

    def as_dict(self) -> dict:
        data = asdict(self)
        data["outcome"] = str(self.outcome)
        return data


class Tracker:
    """Requests awaiting their outcome, by RequestID; :meth:`handle` takes each verified DCC document."""

    def __init__(self):
        self._results: dict[str, Result] = {}
        self._condition = threading.Condition()
        #: documents that matched no tracked request (alerts, responses to other runs …): the newest 10,000
        self.unmatched: deque[messages.Document] = deque(maxlen=UNMATCHED_KEPT)

    def track(self, result: Result) -> None:
        """Await ``result``'s outcome; a document that came before (kept unmatched) is applied now."""
        with self._condition:
            self._results[result.request_id] = result
            early = [d for d in self.unmatched if result.request_id in (d.request_id, d.alert_request_id)]
            if early:
                self.unmatched = deque((d for d in self.unmatched if d not in early), maxlen=UNMATCHED_KEPT)
        for document in early:
            self.handle(document)

    def settle(self, result: Result, outcome: Outcome, code: str | None, detail: str = "") -> None:
        """Set an outcome unless a final one is there already (a Service Response may overtake the I99)."""
        with self._condition:
            if result.outcome in FINAL and outcome not in FINAL:
                return
            result.outcome, result.code = outcome, code
            if detail:
                result.detail = detail
            self._condition.notify_all()

    def give_up(self, result: Result, code: str, detail: str = "") -> None:
        """``failed`` with ``code`` if the result is still waiting; a final outcome stays as it is."""
        with self._condition:
            if result.outcome not in FINAL:
                result.outcome, result.code, result.detail = Outcome.FAILED, code, detail
                self._condition.notify_all()

    def handle(self, document: messages.Document) -> Result | None:
        """Match a Service Response or DCC alert to its request; returns the request's result, or None."""
        with self._condition:
            if document.body_kind == "DCCAlertMessage":
                result = self._results.get(document.alert_request_id or "")
            elif document.body_kind == "ResponseMessage":
                result = self._results.get(document.request_id or "")
            else:
                result = None
            if result is None:
                self.unmatched.append(document)
                return None
        if document.body_kind == "DCCAlertMessage":
            if document.dcc_alert_code == "AD1":  # anomaly detection held the request (issue 10 point 9)
                self.settle(result, Outcome.QUARANTINED, "AD1")
            else:
                self.settle(result, Outcome.FAILED, document.dcc_alert_code, "DCC alert about the request")
        elif document.response_code == "I0" and document.gbcs_payload:
            try:
                response = decode_response(document.gbcs_payload)
            except GbcsRefused as exc:
                self.settle(result, Outcome.FAILED, "device-response-invalid", exc.code)
            else:
                if response.success and response.device == result.device:
                    self.settle(result, Outcome.SWITCHED, "I0")
                else:
                    self.settle(result, Outcome.FAILED, "device-refused", f"results {response.results}")
        elif document.response_code.startswith("E"):
            self.settle(result, Outcome.FAILED, document.response_code)  # E20 / E21: the meter was not reached
        return result

    def wait(self, results: Iterable[Result], timeout: float) -> bool:
        """Wait until every result is final or ``timeout`` seconds pass; True if all are final."""
        results = list(results)
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                if all(r.outcome in FINAL for r in results):
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._condition.wait(left)


@dataclass
class SrpClient:
    """``base_url`` is the DCC's (``https://dcc.example``); the endpoints are under ``/api/v1/``."""

    base_url: str
    signer: XmlSigner
    suppliers: Iterable[SupplierKey]
    dcc_certificate: x509.Certificate
    counters: CounterStore = field(default_factory=CounterStore)
    transport: Transport = field(default_factory=Transport)
    tracker: Tracker = field(default_factory=Tracker)

    def __post_init__(self):
        self.base_url = self.base_url.rstrip("/")
        self._supplier_keys = {s.user_id: s for s in self.suppliers}
        # One request at a time per device (striped locks: no growth with the number of devices). The DCC refuses a
        # counter not above the last one it saw for the device (DESIGN §4 row 5) and the meter one not above the last
        # command it ran, so two requests for one device in flight at once could overtake each other and be refused.
        self._device_locks = [threading.Lock() for _ in range(DEVICE_LOCK_STRIPES)]
        if not self._supplier_keys:
            raise ClientError("supplier-key-missing", "no Digital Signing key of the failed Supplier")

    # -- one device ---------------------------------------------------------------------------------------
    def switch(self, device: str | Meter, *, execution: dt.datetime | None = None) -> Result:
        """CV 4 then CV 5 for one device (CV 1 for a SMETS1 :class:`Meter`); never raises for a refusal: the
        outcome says what happened."""
        started = time.monotonic()
        smets1 = isinstance(device, Meter) and device.smets1
        device = device.eui if isinstance(device, Meter) else device
        try:
            device = format_eui(device)
        except ValueError:
            return Result(str(device)[:40], Outcome.FAILED, code="device-invalid", detail="not an EUI-64")
        result = Result(device, Outcome.FAILED)
        try:
            execution = messages.check_execution(execution)
            with self._device_locks[hash(device) % DEVICE_LOCK_STRIPES]:
                if smets1:
                    self._switch_smets1(result, execution)
                else:
                    self._switch(result, execution)
        except ClientError as exc:
            self.tracker.settle(result, Outcome.FAILED, exc.code,
                                f"{exc.message} [{exc.cause}]" if exc.cause else exc.message)
        except Exception as exc:  # a bug must cost one meter's outcome, not the campaign's other results
            log.exception("switching %s failed", device)
            self.tracker.settle(result, Outcome.FAILED, "internal-error", f"{type(exc).__name__}: {exc}"[:500])
        result.seconds = round(time.monotonic() - started, 4)
        return result

    def _switch(self, result: Result, execution: dt.datetime | None) -> None:
        sent: list[RequestID] = []

        def cv4_body(attempt: int) -> bytes:
            # A fresh counter per attempt: a lost answer may hide a stored CV 4, and its RequestID would be a replay.
            request_id = RequestID(self.signer.user_id, result.device, self.counters.next(result.device))
            sent.append(request_id)
            return self._sign(messages.credit_request(request_id, execution=execution))

        answer = self.transport.post(self.base_url + SERVICE_T, cv4_body)
        request_id = sent[-1]
        result.request_id, result.attempts, result.http_status = str(request_id), answer.attempts, answer.status
        document = self._read_answer(answer, request_id, result)
        if document is None:
            return
        if document.response_code != "I0" or document.precommand is None:
            raise ClientError("answer-unexpected", f"CV 4 answered {document.response_code} without a Pre-Command")
        decoded = messages.check_precommand(document.precommand, suppliers=frozenset(self._supplier_keys),
                                            device=result.device, counter=request_id.counter, execution=execution)
        result.use_case = decoded.use_case
        try:
            signed = gbcs_signature.sign(document.precommand,
                                         self._supplier_keys[decoded.precommand.originator].key)
        except GbcsRefused as exc:
            raise ClientError("precommand-invalid", str(exc), cause=exc.code) from None
        body = self._sign(messages.signed_pre_command_request(request_id, signed, execution=execution))
        self.tracker.track(result)  # before sending: the Service Response may overtake the I99
        result.outcome = Outcome.ACCEPTED
        try:
            answer = self.transport.post(self.base_url + SERVICE_S, lambda attempt: body)
        except ClientError as exc:
            self.tracker.settle(result, Outcome.FAILED, exc.code, exc.message)
            return
        result.attempts += answer.attempts
        result.http_status = answer.status
        if answer.ambiguous and answer.status == 409 and _json_code(answer) == "pre-command-unknown":
            # The first attempt may have been taken (a lost I99): the Pre-Command is then "used already".
            result.unconfirmed = True
            self.tracker.settle(result, Outcome.ACCEPTED, "I99", "CV 5 answer lost; the DCC has used the Pre-Command")
            return
        try:
            document = self._read_answer(answer, request_id, result)
        except ClientError as exc:
            self.tracker.settle(result, Outcome.FAILED, exc.code, exc.message)
            return
        if document is None:
            return
        if document.response_code != "I99":
            self.tracker.settle(result, Outcome.FAILED, "answer-unexpected", f"CV 5 answered {document.response_code}")
            return
        self.tracker.settle(result, Outcome.ACCEPTED, "I99")

    def _switch_smets1(self, result: Result, execution: dt.datetime | None) -> None:
        sent: list[RequestID] = []

        def cv1_body(attempt: int) -> bytes:
            # A CV 1 is a new request like a CV 4 (replay and counter checks): a fresh counter per attempt.
            request_id = RequestID(self.signer.user_id, result.device, self.counters.next(result.device))
            sent.append(request_id)
            return self._sign(messages.credit_request(request_id, execution=execution, command_variant=1))

        answer = self.transport.post(self.base_url + SERVICE_S, cv1_body)
        result.request_id, result.attempts, result.http_status = str(sent[-1]), answer.attempts, answer.status
        result.use_case = "SMETS1"
        document = self._read_answer(answer, sent[-1], result)
        if document is None:
            return
        if document.response_code != "I99":
            raise ClientError("answer-unexpected", f"CV 1 answered {document.response_code}")
        result.outcome, result.code = Outcome.ACCEPTED, "I99"
        self.tracker.track(result)  # after the answer: a response that came first waits in tracker.unmatched

    def _read_answer(self, answer: HttpAnswer, request_id: RequestID, result: Result) -> messages.Document | None:
        """The verified DUIS answer, or None when the DCC refused (the result then says ``rejected``)."""
        if answer.content_type.split(";")[0].strip() == "application/json" or not answer.body.lstrip().startswith(b"<"):
            if 200 <= answer.status < 300:
                raise ClientError("answer-invalid", f"HTTP {answer.status} without a DUIS document")
            code = _json_code(answer) or f"http-{answer.status}"
            self.tracker.settle(result, Outcome.REJECTED, code, _json_detail(answer))
            return None
        document = messages.read_document(answer.body, self.dcc_certificate)
        if document.request_id != str(request_id):
            raise ClientError("answer-wrong-request", f"the answer names {document.request_id}, not {request_id}")
        if document.response_code.startswith("E"):
            self.tracker.settle(result, Outcome.REJECTED, document.response_code)
            return None
        return document

    def _sign(self, root) -> bytes:
        return xmldsig.sign(root, self.signer.key, self.signer.certificate)

    # -- many devices ---------------------------------------------------------------------------------------
    def switch_many(self, devices: Iterable[str | Meter], *, concurrency: int = 8, execution: dt.datetime | None = None,
                    progress: Callable[[int, Result], None] | None = None) -> list[Result]:
        """:meth:`switch` each device on a pool of ``concurrency`` threads; results in the devices' order.
        ``progress(done, result)`` is called as each finishes (from the worker threads, one at a time)."""
        devices = list(devices)
        lock = threading.Lock()
        done = 0

        def one(device: str | Meter) -> Result:
            nonlocal done
            result = self.switch(device, execution=execution)
            if progress is not None:
                with lock:
                    done += 1
                    progress(done, result)
            return result

        with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="srp-client") as pool:
            return list(pool.map(one, devices))

    def receive(self, data: bytes) -> messages.Document:
        """Verify and match one document the DCC pushed or the poller fetched (raises ClientError if forged)."""
        document = messages.read_document(data, self.dcc_certificate)
        self.tracker.handle(document)
        return document


def _json_code(answer: HttpAnswer) -> str | None:
    try:
        code = json.loads(answer.body).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, str) else None


def _json_detail(answer: HttpAnswer) -> str:
    try:
        detail = json.loads(answer.body).get("detail")
    except (ValueError, AttributeError):
        return answer.body[:200].decode("utf-8", "replace")
    return str(detail or "")[:500]


def summarise(results: list[Result], seconds: float) -> dict:
    """Counts by outcome and by code: the summary the command prints (``--json``: one object)."""
    summary = {str(o): 0 for o in (Outcome.SWITCHED, Outcome.REJECTED, Outcome.QUARANTINED, Outcome.FAILED,
                                   Outcome.ACCEPTED)}
    codes: dict[str, int] = {}
    for result in results:
        summary[str(result.outcome)] += 1
        if result.outcome in (Outcome.REJECTED, Outcome.FAILED) and result.code:
            codes[result.code] = codes.get(result.code, 0) + 1
    summary.update(requested=len(results), codes=dict(sorted(codes.items())), seconds=round(seconds, 3))
    return summary
