"""The DUIS documents the client sends and reads (reference digest §1 and §2; DESIGN §2 steps 4-6).

Built here, from the DUIS 5.4 XSD's structure (no template is copied):

* :func:`credit_request` — SRV 1.6 Update Payment Mode to ``Credit``, Command Variant 4, for ``serviceT`` (or
  Command Variant 1 for ``serviceS``, for a SMETS1 meter);
  immediate (no ``ExecutionDateTime``), future-dated (a whole-second UTC time) or the cancellation of a
  future-dated change (``ExecutionDateTime`` 3000-12-31T00:00:00Z, as DUIS writes it);
* :func:`signed_pre_command_request` — Command Variant 5, the same RequestID and references, the Signed
  Pre-Command as ``SignedPreCommand/GBCSPayload``, for ``serviceS``.

Both are signed with the SRP's XML signing key by ``pki.xmldsig.sign`` (compact XML: what is signed is what is
sent, which the DCC Boxed tools need).

Read here: every document from the DCC (:func:`read_document`) is verified first against the DCC's XML signing
certificate (``pki.xmldsig.verify``); only the verified tree is read. Then :func:`check_precommand` decides whether
the Pre-Command of an I0 is the one asked for, before anything is signed with a Supplier's key.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from lxml import etree

from contingency.duis import envelope
from contingency.duis.requestid import RequestID
from contingency.duis.schema import SR_NS
from contingency.gbcs.decode import Decoded, decode
from contingency.gbcs.errors import GbcsRefused
from contingency.gbcs.precommand import CANCEL
from pki import xmldsig

from .errors import ClientError

__all__ = ["CANCELLATION", "Document", "check_precommand", "credit_request", "read_document",
           "signed_pre_command_request"]

SRV = "1.6"
#: DUIS: ExecutionDateTime of a cancellation of a future-dated SRV 1.6 (RTDS CANCELLATION templates).
CANCELLATION = dt.datetime(3000, 12, 31, tzinfo=dt.UTC)
_SR = f"{{{SR_NS}}}"
sr = envelope.sr


def _execution_text(execution: dt.datetime) -> str:
    return envelope.format_datetime(execution)


def check_execution(execution: dt.datetime | None) -> dt.datetime | None:
    """None (immediate), :data:`CANCELLATION`, or an aware whole-second time (GBCS counts whole seconds)."""
    if execution is None or execution == CANCELLATION:
        return execution
    if not isinstance(execution, dt.datetime) or execution.tzinfo is None:
        raise ClientError("execution-invalid", "an execution time is an aware datetime (DUIS times are UTC)")
    if execution.microsecond:
        raise ClientError("execution-invalid", "an execution time is whole seconds (GBCS counts seconds)")
    return execution.astimezone(dt.UTC)


def _request(request_id: RequestID, command_variant: int) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(sr("Request"), nsmap={"sr": SR_NS}, schemaVersion=envelope.SCHEMA_VERSION)
    header = etree.SubElement(root, sr("Header"))
    etree.SubElement(header, sr("RequestID")).text = str(request_id)
    etree.SubElement(header, sr("CommandVariant")).text = str(command_variant)
    etree.SubElement(header, sr("ServiceReference")).text = SRV
    etree.SubElement(header, sr("ServiceReferenceVariant")).text = SRV
    return root, etree.SubElement(root, sr("Body"))


def credit_request(request_id: RequestID, *, execution: dt.datetime | None = None,
                   command_variant: int = 4) -> etree._Element:
    """SRV 1.6 → Credit (unsigned): CV 4 for a SMETS2+ meter (Transform), CV 1 for a SMETS1 meter, which has no
    Pre-Command: the DCC checks this body itself (docs/duis-checks.md, "SMETS1 meters")."""
    if command_variant not in (1, 4):
        raise ValueError("SRV 1.6 → Credit is sent as CV 4 (SMETS2+) or CV 1 (SMETS1)")
    execution = check_execution(execution)
    root, body = _request(request_id, command_variant)
    update = etree.SubElement(body, sr("UpdatePaymentMode"))
    if execution is not None:
        etree.SubElement(update, sr("ExecutionDateTime")).text = _execution_text(execution)
    etree.SubElement(update, sr("Credit"))
    return root


def signed_pre_command_request(request_id: RequestID, signed: bytes, *,
                               execution: dt.datetime | None = None) -> etree._Element:
    """CV 5 (unsigned): the Signed Pre-Command under the CV 4's RequestID (reference digest §1, full flow step 4).
    A future-dated or cancelling request repeats its ExecutionDateTime (``FutureDatedAbstractType``)."""
    execution = check_execution(execution)
    root, body = _request(request_id, 5)
    command = etree.SubElement(body, sr("SignedPreCommand"))
    if execution is not None:
        etree.SubElement(command, sr("ExecutionDateTime")).text = _execution_text(execution)
    etree.SubElement(command, sr("GBCSPayload")).text = base64.b64encode(signed).decode("ascii")
    return root


@dataclass(frozen=True)
class Document:
    """A verified DUIS ``sr:Response`` from the DCC: an answer, a Service Response or an alert."""

    response_code: str
    request_id: str | None
    response_id: str | None
    #: ``ResponseMessage``, ``DCCAlertMessage``, ``DeviceAlertMessage``, … (the Body's element)
    body_kind: str
    service_reference_variant: str | None = None
    #: I0 to CV 4: the Pre-Command (GBCS General-Signing APDU) and its GBCS version
    precommand: bytes | None = None
    gbcs_version: str | None = None
    #: a Service Response's device response (GBCS)
    gbcs_payload: bytes | None = None
    #: a DCC alert: its code, and the RequestID it names (a quarantined request, a command failure)
    dcc_alert_code: str | None = None
    alert_request_id: str | None = None
    #: the signed octets as verified (for logs)
    raw: bytes = b""


def _text(element: etree._Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    return found.text.strip() if found is not None and found.text is not None else None


def _b64(text: str | None, what: str) -> bytes | None:
    if text is None:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ClientError("answer-invalid", f"{what} is not base64") from None


def read_document(data: bytes, dcc_certificate: x509.Certificate) -> Document:
    """Verify ``data`` as signed by the DCC (``pki.xmldsig``, the DCC Boxed profile) and read it.

    Refused: ``answer-signature-invalid`` (``cause``: the ``pki.xmldsig`` code — ``unsigned``, ``unknown-signer``,
    ``digest-mismatch`` …), ``answer-invalid`` (not a DUIS ``sr:Response``)."""
    try:
        verified = xmldsig.verify(data, certificate=dcc_certificate)
    except xmldsig.SignatureRejected as exc:
        raise ClientError("answer-signature-invalid", f"not signed by the DCC: {exc.message}",
                          cause=exc.signer_code or exc.code) from None
    root = verified.root
    if root.tag != sr("Response"):
        raise ClientError("answer-invalid", f"a DCC answer is an sr:Response, not {str(root.tag)[:80]}")
    header, body = root.find(sr("Header")), root.find(sr("Body"))
    code = _text(header, sr("ResponseCode"))
    if header is None or body is None or not code or len(body) != 1:
        raise ClientError("answer-invalid", "an sr:Response has a Header with a ResponseCode and a Body")
    content = body[0]
    kind = content.tag[len(_SR):] if isinstance(content.tag, str) and content.tag.startswith(_SR) else ""
    alert_request_id = None
    if kind == "DCCAlertMessage":
        alert = content.find(sr("DCCAlert"))
        if alert is not None:
            for element in alert.iter(sr("RequestID"), sr("CommandRequestID")):
                alert_request_id = (element.text or "").strip()
                break
    return Document(
        response_code=code,
        request_id=_text(header, sr("RequestID")),
        response_id=_text(header, sr("ResponseID")),
        body_kind=kind,
        service_reference_variant=_text(content, sr("ServiceReferenceVariant")),
        precommand=_b64(_text(content, f"{sr('PreCommand')}/{sr('GBCSPayload')}"), "PreCommand/GBCSPayload"),
        gbcs_version=_text(content, f"{sr('PreCommand')}/{sr('GBCSVersion')}"),
        gbcs_payload=_b64(_text(content, sr("GBCSPayload")), "GBCSPayload"),
        dcc_alert_code=_text(content, sr("DCCAlertCode")) if kind == "DCCAlertMessage" else None,
        alert_request_id=alert_request_id,
        raw=verified.signed_octets,
    )


def check_precommand(payload: bytes, *, suppliers: set[str] | frozenset[str], device: str, counter: int,
                     execution: dt.datetime | None) -> Decoded:
    """The Pre-Command of an I0 must be exactly what was asked for, or nothing is signed (MP134B requirement 5).

    It decodes strictly as SRV 1.6 (``contingency.gbcs.decode``: anything the DCC's Transform would not produce is
    refused), is unsigned, is ECS02 / GCS02 (Credit — never a Prepayment command), names one of the failed
    Supplier's User IDs as GBCS originator (the meter counts the Supplier's commands, DESIGN §2 step 4), the
    requested device as recipient, the RequestID's counter, and the requested execution time."""
    try:
        got = decode(payload)
    except GbcsRefused as exc:
        raise ClientError("precommand-invalid", f"the Pre-Command is not an SRV 1.6 command: {exc}",
                          cause=exc.code) from None
    pc = got.precommand
    if got.frame.signature:
        raise ClientError("precommand-invalid", "a Pre-Command arrives unsigned", cause="signed")
    if not got.is_credit:
        raise ClientError("precommand-not-credit", f"{got.use_case} sets Prepayment; only Credit is ever signed")
    if pc.originator not in suppliers:
        raise ClientError("precommand-wrong-originator",
                          f"GBCS originator {pc.originator} is not a failed Supplier User ID this client holds")
    if pc.device != device:
        raise ClientError("precommand-wrong-device", f"the Pre-Command is for {pc.device}, not {device}")
    if pc.counter != counter:
        raise ClientError("precommand-wrong-counter", f"counter {pc.counter}, not the RequestID's {counter}")
    want = CANCEL if execution == CANCELLATION else execution
    if pc.execution != want:
        raise ClientError("precommand-wrong-execution", f"execution {pc.execution!r}, not the requested {want!r}")
    return got
