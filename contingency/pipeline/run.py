"""The DUIS front door's one entry point: :func:`handle` runs the checks of DESIGN §4 in order; the first failure
decides the answer (docs/duis-checks.md).

Every answer the DCC sends as DUIS (I0 with the Pre-Command, I99, a DUIS error code) is signed with the DCC's own
XML signing key (``pki.dcc_identity``) and valid against the DUIS 5.4 XSD. A refusal DUIS has no code for (the
request could not be read or verified, a replay …) is answered with its HTTP status and a JSON
``{"code", "detail"}``: before the signature is verified nothing in the request can be trusted to address a DUIS
answer to. Without a DCC signing identity nothing is checked or stored: HTTP 503.

Checks 5-12 run in one transaction: a refusal rolls back everything they wrote (the counter's move included);
then the refusal is recorded — a ``RejectedRequest`` row and an audit record — in a transaction of its own.
An accepted request is committed before its answer is sent (DESIGN §6).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from pki import xmldsig
from pki.dcc_identity import signing_identity
from portal import audit

from ..duis import codes, responses
from ..models import RejectedRequest, ServiceRequest
from . import adt, content, device, document, replay, sender, store, transport
from .intake import Intake
from .refusal import Refused

XML = "application/xml"
JSON = "application/json"
IDENTITY_MISSING = "dcc-signing-identity-missing"

#: The checks after the signature, in the order of DESIGN §4 (row, function), run in one transaction.
CHECKS: tuple[tuple[int, Callable[[Intake], None]], ...] = (
    (5, replay.check_request_id),
    (6, sender.check_user),
    (7, sender.check_role),
    (8, device.check_device),
    (9, device.check_may_act),
    (10, content.check_content),
    (11, adt.check_adt),
)


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    code: str  # the DUIS response code sent, or the refusal code of an HTTP-only refusal
    stored: ServiceRequest | None = None


def handle(service: str, *, method: str, content_type: str, content_length: int | None,
           read_body: Callable[[], bytes]) -> Answer:
    """Take one request to ``service{service}`` (``"T"``, ``"S"`` or ``"D"``)."""
    try:
        # Cached per process, its revocation read again on every request (pki.dcc_identity.signing_identity).
        identity = signing_identity()
    except LookupError as exc:
        return _json(503, IDENTITY_MISSING, f"the DCC cannot sign its answers now: {exc}")
    intake = Intake(service=service, body=b"", now=timezone.now())
    try:
        transport.check_transport(method, content_type, content_length)
        intake.body = read_body()
        tree = document.check_parse(intake)
        document.check_schema(intake, tree)
        del tree
        document.check_signature(intake)
        transport.check_url(service, intake.request.command_variant)
        with transaction.atomic():
            replay.load_parties(intake)
            for _row, check in CHECKS:
                check(intake)
            row = store.store(intake)
    except Refused as exc:
        return _refuse(intake, exc, identity)
    if row.state == "transformed":
        document_root = responses.pre_command(intake.request, gbcs_payload=intake.precommand,
                                              gbcs_version=content.GBCS_VERSION, at=timezone.now())
        code = "I0"
    else:
        document_root = responses.acknowledgement(intake.request, at=timezone.now())
        code = "I99"
    return Answer(200, XML, _sign(document_root, identity), code, row)


def _sign(root, identity) -> bytes:
    certificate, key = identity
    return xmldsig.sign(root, key, certificate)


def _json(status: int, code: str, detail: str, details: dict | None = None) -> Answer:
    return Answer(status, JSON, json.dumps({"code": code, "detail": detail, **(details or {})}).encode(), code)


def _refuse(intake: Intake, exc: Refused, identity) -> Answer:
    answer = codes.answer_for(exc.code)
    subject = exc.subject or intake.request
    request_id = str(subject.request_id) if subject is not None and subject.request_id is not None else ""
    request = intake.request
    dev = intake.device
    supplier = dev.registered_supplier.party if dev is not None else None
    with transaction.atomic():
        RejectedRequest.objects.create(
            received_at=intake.now, request_id=request_id[:80],
            sender_eui=request.request_id.originator if request else "",
            device_eui=(dev.eui if dev is not None else (request.device_id or "") if request else ""),
            target_supplier=supplier, srv=request.service_reference_variant if request else "",
            failed_check=str(answer.check), code=exc.code, response_code=answer.response_code or "",
            http_status=answer.http_status,
        )
        audit.write("duis.request.rejected", subject_type=ServiceRequest._meta.label, subject_id=request_id[:100],
                    subject_repr=f"DUIS request {request_id or '(unreadable)'} to service{intake.service}",
                    actor=f"duis:{request.request_id.originator}" if request else "duis:unverified",
                    after={"code": exc.code, "check": answer.check, "response_code": answer.response_code,
                           "http_status": answer.http_status, "detail": exc.message[:500], **(exc.details or {})})
    if answer.response_code and subject is not None:
        root = responses.error(answer.response_code, subject, at=timezone.now())
        return Answer(answer.http_status, XML, _sign(root, identity), answer.response_code)
    return _json(answer.http_status, exc.code, exc.message, exc.details)
