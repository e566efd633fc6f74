"""The DUIS response codes, and what the front door answers for each refusal (DESIGN §4; docs/duis-messages.md).

Two tables:

* :data:`RESPONSE_CODES`: the DUIS 5.4 ``ResponseCode`` values this service gives a meaning to, with that
  meaning. Meanings come from the reference digest §2 (paraphrased there from the DUIS response-code list).
  The XSD defines more (E31, E40–E71, E100, E1000…, and the SRV-specific seven-character codes); the digest
  gives no meaning for them, so they are listed in :data:`UNDESCRIBED` and the service never sends them.
* :data:`REFUSALS`: every refusal code a request can meet on its way through the checks → the
  :class:`Answer`: the DUIS response code when DUIS has one (the front door then sends a signed DUIS error
  response naming the request) or None (DUIS leaves it to the DCC: the request is refused with the HTTP
  status alone, no DUIS document, since before the signature is verified nothing in it can be trusted to
  address an answer to), the HTTP status, and the check of DESIGN §4 where it happens.

The refusal codes of checks 2 and 4 are those of ``pki.safexml`` and ``pki.xmldsig``; of checks 3 and 5 and the
request's own consistency, those of this room (``structure.py``, ``requestid.py``, ``requests.py``); of the Signed
Pre-Command's check (10), those of ``contingency.gbcs``. Checks 6–10 happen in the pipeline; the DUIS codes of
those checks are given by DUIS itself (E1–E5, E11–E13, E19), so their refusal codes are named here, once, for
the pipeline to raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Answer", "REFUSALS", "RESPONSE_CODES", "UNDESCRIBED", "ResponseCode", "answer_for"]


@dataclass(frozen=True)
class ResponseCode:
    code: str
    kind: Literal["success", "acknowledgement", "error"]
    title: str
    meaning: str


_CODES = (
    ResponseCode("I0", "success", "Success", "the request had a successful outcome; a Transform (CV 4) answer "
                 "carries the Pre-Command, a Service Response the device's GBCS response"),
    ResponseCode("I99", "acknowledgement", "Acknowledgement", "the request for a device was accepted and passed "
                 "access control; the outcome follows later as a Service Response (or: a non-device request "
                 "succeeded with no data to return)"),
    ResponseCode("E1", "error", "Failed authorisation: invalid User / User Role",
                 "the User ID and User Role are not a valid SEC Party and User Role combination"),
    ResponseCode("E2", "error", "Failed authorisation: invalid User Role / Service Reference",
                 "the User Role may not send this Service Reference (Variant)"),
    ResponseCode("E3", "error", "Failed authorisation: invalid User status",
                 "the User's status does not permit it to send this Service Reference"),
    ResponseCode("E4", "error", "Failed authorisation: invalid User / User Role for the device",
                 "the User Role is not authorised for this device at the requested date and time"),
    ResponseCode("E5", "error", "Failed authorisation: invalid device status",
                 "the device's SMI status does not allow this Service Reference"),
    ResponseCode("E11", "error", "Failed validation: Service Request / device type",
                 "the Service Reference does not apply to this type of device"),
    ResponseCode("E12", "error", "Failed validation: request / Command Variant",
                 "the Command Variant does not apply to this request"),
    ResponseCode("E13", "error", "Failed validation: request type for the URL",
                 "the request was sent to the wrong web service for its Command Variant"),
    ResponseCode("E17", "error", "Failed authorisation: no local delivery",
                 "the User Role and device status do not permit a command for local delivery"),
    ResponseCode("E19", "error", "Failed authorisation: device does not exist", "the device ID is not known"),
    ResponseCode("E20", "error", "Communications failure: unable to communicate with the device",
                 "the DCC could not establish communications with the device"),
    ResponseCode("E21", "error", "Communications failure: no response from the device",
                 "no response came from the device for an on-demand or future-dated command"),
    ResponseCode("E30", "error", "Time-out: future-dated command", "a future-dated command timed out"),
)
RESPONSE_CODES: dict[str, ResponseCode] = {c.code: c for c in _CODES}

#: General (non-SRV-specific) codes of the DUIS 5.4 XSD whose meaning the reference digest does not give. The
#: service never sends them; the XSD's SRV-specific seven-character codes (E010101 …, W050201 …) likewise.
UNDESCRIBED: frozenset[str] = frozenset(
    ["E31", "E100", "E1000", "E1001", "E1003", "E1004", "E1006", "E1007", "E1008", "E1010", "E1011"]
    + [f"E{n}" for n in range(40, 72)]
)


@dataclass(frozen=True)
class Answer:
    """What the front door answers for a refusal: ``response_code`` (a DUIS error response, signed, naming the
    request) or None (the HTTP status alone); ``check`` is the row of DESIGN §4."""

    response_code: str | None
    http_status: int
    check: int
    reason: str


def _rows(codes: str, response_code: str | None, http_status: int, check: int, reason: str) -> dict[str, Answer]:
    return {code: Answer(response_code, http_status, check, reason) for code in codes.split()}


def _table(*groups: dict[str, Answer]) -> dict[str, Answer]:
    """One table from the groups below; a code named twice (two meanings for one code) stops the import."""
    table: dict[str, Answer] = {}
    for group in groups:
        for code, answer in group.items():
            if code in table:
                raise ValueError(f"refusal code {code!r} is named twice in contingency.duis.codes")
            table[code] = answer
    return table


REFUSALS: dict[str, Answer] = _table(
    # 1 — transport (contingency.pipeline.transport): before the body is read.
    _rows("method-not-allowed", None, 405, 1, "a DUIS request is an HTTP POST"),
    _rows("unsupported-media-type", None, 415, 1, "a DUIS request is sent as application/xml"),
    # 2 — safe parse (pki.safexml; docs/xml-signatures.md): nothing is known about the sender.
    _rows("empty bad-encoding dtd-forbidden too-many-namespaces too-many-attributes too-many-elements too-deep "
          "not-well-formed pi-forbidden comment-forbidden", None, 400, 2, "not acceptable XML"),
    _rows("too-large", None, 413, 2, "the body is larger than the limit"),
    # 3 — the official XSD, or this room's structural check (structure.py).
    _rows("schema-invalid structure-invalid", None, 400, 3, "not a valid DUIS 5.4 request"),
    _rows("structure-unsupported", None, 400, 3,
          "a request this service does not read (without the XSD: only SRV 1.6 and 6.2.9 are checked)"),
    # 4 — the XML signature (pki.xmldsig): until it verifies, the RequestID cannot be trusted to answer to.
    _rows("unsigned multiple-signatures signature-not-last-child bad-signature-structure bad-algorithm "
          "multiple-references reference-not-whole-document bad-transforms bad-keyinfo unknown-signer "
          "digest-mismatch bad-signature", None, 403, 4, "the XML signature is not acceptable"),
    _rows("signer-not-originator", None, 403, 4,
          "the signing certificate's EUI is not the RequestID's originator"),
    # 5 — reading the verified request (requestid.py, requests.py): the header could not be read.
    _rows("not-a-request schema-version-invalid header-invalid request-id-missing request-id-malformed "
          "request-id-counter-out-of-range command-variant-invalid service-reference-invalid", None, 400, 5,
          "the request's header cannot be read"),
    # … or the header was read but the request contradicts itself (the refusal carries the RequestID).
    _rows("service-reference-mismatch body-invalid body-mismatch payment-mode-invalid "
          "execution-date-time-invalid signed-pre-command-invalid", None, 400, 5,
          "the request is not a consistent DUIS request"),
    _rows("signed-pre-command-too-large", None, 413, 5, "the Signed Pre-Command is larger than the limit"),
    # A Signed Pre-Command body with CV 1-4/8, or a Service Request body with CV 5-7 (XSD CommandVariant table).
    _rows("command-variant-mismatch", "E12", 400, 5, "the Command Variant does not go with the body"),
    # 5 — replays and counters (pipeline): DUIS leaves them to the DCC.
    _rows("request-id-replayed counter-not-increasing pre-command-unknown", None, 409, 5,
          "a RequestID already used, a counter not above the last one for the device, or a CV 5-7 for a "
          "Pre-Command the DCC did not issue to this sender (or that was used already)"),
    # 1, 6-9 — the checks DUIS gives codes to (pipeline).
    _rows("wrong-url", "E13", 400, 1, "the Command Variant belongs to another web service"),
    _rows("user-unknown", "E1", 403, 6, "the User ID or its User Role is not registered"),
    _rows("user-not-active", "E3", 403, 6, "the User ID is not active"),
    _rows("srv-not-permitted", "E2", 403, 7, "the role may not send this Service Reference Variant"),
    _rows("command-variant-not-permitted", "E12", 400, 7, "the role may not use this Command Variant"),
    _rows("device-unknown", "E19", 403, 8, "no such device"),
    _rows("device-type-mismatch", "E11", 400, 8, "the SRV does not apply to this device type"),
    _rows("device-status-refused", "E5", 403, 8, "the device's SMI status does not allow it"),
    # SMETS1 meters take no Pre-Command (CV 4-7); SRV 1.6 to a SMETS2+ meter is a Critical Command: CV 4-7 only.
    _rows("command-variant-not-for-device", "E12", 400, 8,
          "the Command Variant does not fit the device's generation (Pre-Commands are for SMETS2+ meters only)"),
    _rows("not-authorised-for-device", "E4", 403, 9,
          "the sender may not act on this device now (for SoLR Contingency: no active activation for the "
          "device's registered Supplier, outside the instruction's window or scope)"),
    # 10 — content (MP134B requirement 5). For a SoLR Contingency sender a Prepayment body is a request its
    # role may not send (the role's permission is SRV 1.6 to Credit only): E2, the nearest DUIS meaning.
    _rows("payment-mode-not-credit", "E2", 403, 10, "SRV 1.6 from this role may only change to Credit"),
    # 10 — the Signed Pre-Command (CV 5-7), checked by contingency.gbcs (docs/gbcs.md: the decode, verify and check
    # codes). DUIS has no codes for them but the Credit rule, which is answered like the SRV 1.6 body's.
    _rows("gbcs-truncated gbcs-not-general-signing gbcs-transaction-id-invalid gbcs-not-a-command "
          "gbcs-system-title-invalid gbcs-date-time-invalid gbcs-other-information-invalid "
          "gbcs-message-code-unsupported gbcs-length-invalid gbcs-signature-malformed gbcs-mode-inconsistent "
          "gbcs-payload-invalid", None, 400, 10, "the Signed Pre-Command is not an SRV 1.6 GBCS command"),
    _rows("gbcs-originator-mismatch gbcs-device-mismatch gbcs-counter-mismatch gbcs-precommand-mismatch", None, 400,
          10, "the Signed Pre-Command is not the Pre-Command the DCC issued for this RequestID"),
    _rows("gbcs-signature-missing gbcs-signature-invalid gbcs-no-signing-key gbcs-key-unsupported", None, 403, 10,
          "the Signed Pre-Command is not signed with the registered Supplier's Digital Signing key"),
    _rows("gbcs-not-credit", "E2", 403, 10, "the Signed Pre-Command does not change the payment mode to Credit"),
    # 11 — ADT (contingency.adt.counting): no active ADT threshold for (User ID, SRV, target Supplier).
    _rows("adt-missing", None, 403, 11, "no active ADT for this User ID, SRV and target Supplier"),
)


def answer_for(code: str) -> Answer:
    """The answer to a refusal code; ``LookupError`` for a code no row names (a gap in this table, never a guess)."""
    try:
        return REFUSALS[code]
    except KeyError:
        raise LookupError(f"refusal code {code!r} has no answer in contingency.duis.codes.REFUSALS") from None
