"""What the ordered checks need from a DUIS ``sr:Request`` (DESIGN §4; reference digest §1).

The caller has safe-parsed the body, checked the schema and verified the signature: :func:`parse` takes the
verified tree (``pki.xmldsig.Verified.root``; an ``lxml`` element) and reads, without trusting anything the
schema check might have let through:

* the header: RequestID (``requestid.py``), FirstInSequence, PrecedingServiceRequestID, Command Variant,
  Service Reference and Service Reference Variant;
* the target: the RequestID's target, which is the device for a device request and the DCC for a
  non-device one (CV 8);
* the body, for what this service supports: SRV 1.6 ``UpdatePaymentMode`` (``Credit`` or ``Prepayment`` with
  its three fields; optional ``ExecutionDateTime``, the cancellation date 3000-12-31T00:00:00Z marked as
  such), SRV 6.2.9 ``ReadDeviceConfigurationPaymentMode``, and for CV 5/6/7 the ``SignedPreCommand``'s GBCS
  payload (base64-decoded, at most :data:`MAX_GBCS_PAYLOAD` bytes) and its ``ExecutionDateTime``.
  Any other body is reported by its element name only (``body`` is None): whether that SRV may be sent at
  all is the role check's answer (DUIS E2), not a parse error.

It decides nothing about who may send what (roles, devices, Credit-only for SoLR Contingency: those are
the pipeline's checks). It refuses, with :class:`~contingency.duis.refusals.MessageRefused`, only what makes
the request unreadable or self-contradictory; once the header is read the refusal carries the RequestID,
Service Reference and Variant so that the answer can name the request. Codes: docs/duis-messages.md.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from . import requestid, xsdtypes
from .refusals import MessageRefused
from .requestid import RequestID
from .schema import SR_NS

__all__ = [
    "CANCELLATION_DATE_TIME",
    "MAX_GBCS_PAYLOAD",
    "DuisRequest",
    "ReadPaymentMode",
    "SignedPreCommand",
    "UpdatePaymentMode",
    "parse",
]

_SR = f"{{{SR_NS}}}"
_DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
#: DUIS: a future-dated SRV 1.6 with this ExecutionDateTime cancels the pending change (RTDS CANCELLATION
#: templates; reference digest §1).
CANCELLATION_DATE_TIME = dt.datetime(3000, 12, 31, tzinfo=dt.UTC)
#: The largest Signed Pre-Command GBCS payload accepted: eight times the largest signed SRV 1.6 APDU of the RTDS
#: vectors (ECS02 201-222 bytes, ECS03 452-515 bytes; tests/contingency/duis/test_requests.py reads them all).
#: Checked on the base64 text's length before it is decoded.
MAX_GBCS_PAYLOAD = 4096
#: Command Variants whose body is a Signed Pre-Command (XSD CommandVariant comment: input "Signed Pre-Cmd").
SIGNED_PRE_COMMAND_VARIANTS = frozenset({5, 6, 7})
#: The non-device Command Variant: the target is the DCC, not a device.
NON_DEVICE_VARIANT = 8

_SERVICE_REFERENCE = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}")
_SERVICE_REFERENCE_VARIANT = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}(\.[0-9]{1,2})?")
_HEADER = ("RequestID", "FirstInSequence", "PrecedingServiceRequestID", "CommandVariant", "ServiceReference",
           "ServiceReferenceVariant")
_HEADER_REQUIRED = frozenset({"RequestID", "CommandVariant", "ServiceReference", "ServiceReferenceVariant"})


@dataclass(frozen=True)
class UpdatePaymentMode:
    """SRV 1.6 body. ``mode`` is ``"Credit"`` or ``"Prepayment"``; the three Prepayment fields are None for
    Credit. ``execution`` is None for an immediate change."""

    mode: Literal["Credit", "Prepayment"]
    execution: dt.datetime | None = None
    suspend_debt_disabled: bool | None = None
    suspend_debt_emergency: bool | None = None
    disablement_threshold: int | None = None

    @property
    def is_credit(self) -> bool:
        return self.mode == "Credit"

    @property
    def is_cancellation(self) -> bool:
        return self.execution == CANCELLATION_DATE_TIME

    @property
    def is_future_dated(self) -> bool:
        return self.execution is not None and not self.is_cancellation


@dataclass(frozen=True)
class ReadPaymentMode:
    """SRV 6.2.9 body (Read Device Configuration, Payment Mode): no fields."""


@dataclass(frozen=True)
class SignedPreCommand:
    """CV 5/6/7 body: the GBCS General-Signing APDU the User signed, and the optional ExecutionDateTime."""

    gbcs_payload: bytes
    execution: dt.datetime | None = None

    @property
    def is_cancellation(self) -> bool:
        return self.execution == CANCELLATION_DATE_TIME


Body = UpdatePaymentMode | ReadPaymentMode | SignedPreCommand


@dataclass(frozen=True)
class DuisRequest:
    """A read ``sr:Request``. ``body_element`` is the Body's child's local name; ``body`` is None for bodies of
    Service Requests this service does not read."""

    schema_version: str
    request_id: RequestID
    command_variant: int
    service_reference: str
    service_reference_variant: str
    body_element: str
    body: Body | None
    first_in_sequence: bool | None = None
    preceding_request_id: RequestID | None = None

    @property
    def target(self) -> str:
        """The RequestID's target EUI: the device, or the DCC for a non-device request."""
        return self.request_id.target

    @property
    def device_id(self) -> str | None:
        """The target device, or None for a non-device request (CV 8)."""
        return None if self.command_variant == NON_DEVICE_VARIANT else self.request_id.target

    @property
    def is_signed_pre_command(self) -> bool:
        return self.command_variant in SIGNED_PRE_COMMAND_VARIANTS


def parse(root: etree._Element | etree._ElementTree) -> DuisRequest:
    """Read a verified ``sr:Request``, or raise :class:`MessageRefused`."""
    if isinstance(root, etree._ElementTree):
        root = root.getroot()
    if not isinstance(root, etree._Element) or not isinstance(root.tag, str) or root.tag != _SR + "Request":
        raise MessageRefused("not-a-request", "the document is not a DUIS sr:Request")
    try:
        schema_version = xsdtypes.decimal(root.get("schemaVersion"))
    except ValueError:
        raise MessageRefused("schema-version-invalid", "sr:Request needs a decimal schemaVersion") from None
    children = _elements(root, "sr:Request")
    names = [_sr_name(child) for child in children]
    # A verified tree has no Signature any more; a tree straight from the parser may still end with it.
    if children and children[-1].tag == _DS_SIGNATURE:
        names.pop()
    if names != ["Header", "Body"]:
        raise MessageRefused("header-invalid", "sr:Request holds sr:Header then sr:Body")
    header = _header(children[0])
    try:
        return _request(schema_version, header, children[1])
    except MessageRefused as exc:
        exc.request_id = header["RequestID"]
        exc.service_reference = header["ServiceReference"]
        exc.service_reference_variant = header["ServiceReferenceVariant"]
        raise


def _request(schema_version: str, header: dict, body_element: etree._Element) -> DuisRequest:
    srv = header["ServiceReferenceVariant"]
    if srv != header["ServiceReference"] and not srv.startswith(header["ServiceReference"] + "."):
        raise MessageRefused("service-reference-mismatch",
                             f"Service Reference Variant {srv} is not a variant of {header['ServiceReference']}")
    body_children = _elements(body_element, "sr:Body")
    if len(body_children) != 1:
        raise MessageRefused("body-invalid", f"sr:Body holds one element, not {len(body_children)}")
    content = body_children[0]
    name = _sr_name(content)
    if name is None:
        raise MessageRefused("body-invalid", "the Body's element is not in the DUIS namespace")
    variant = header["CommandVariant"]
    signed = name == "SignedPreCommand"
    if signed != (variant in SIGNED_PRE_COMMAND_VARIANTS):
        # XSD CommandVariant: 5, 6 and 7 take a Signed Pre-Command, the others a Service Request (DUIS E12).
        raise MessageRefused("command-variant-mismatch",
                             f"Command Variant {variant} does not go with a {name} body")
    body: Body | None = None
    if signed:
        body = _signed_pre_command(content)
    elif srv == "1.6":
        if name != "UpdatePaymentMode":
            raise MessageRefused("body-mismatch", f"SRV 1.6 carries UpdatePaymentMode, not {name}")
        body = _update_payment_mode(content)
    elif srv == "6.2.9":
        if name != "ReadDeviceConfigurationPaymentMode":
            raise MessageRefused("body-mismatch", f"SRV 6.2.9 carries ReadDeviceConfigurationPaymentMode, not {name}")
        if _elements(content, name) or xsdtypes.collapse(content.text):
            raise MessageRefused("body-invalid", "ReadDeviceConfigurationPaymentMode is empty")
        body = ReadPaymentMode()
    elif name in ("UpdatePaymentMode", "ReadDeviceConfigurationPaymentMode"):
        raise MessageRefused("body-mismatch", f"{name} does not belong to SRV {srv}")
    return DuisRequest(
        schema_version=schema_version,
        request_id=header["RequestID"],
        command_variant=variant,
        service_reference=header["ServiceReference"],
        service_reference_variant=srv,
        body_element=name,
        body=body,
        first_in_sequence=header.get("FirstInSequence"),
        preceding_request_id=header.get("PrecedingServiceRequestID"),
    )


def _header(header: etree._Element) -> dict:
    values: dict = {}
    position = 0
    for child in _elements(header, "sr:Header"):
        name = _sr_name(child)
        if name not in _HEADER or _HEADER.index(name) < position or name in values:
            raise MessageRefused("header-invalid", f"unexpected {_printable(child.tag)} in sr:Header")
        position = _HEADER.index(name)
        if len(child):
            raise MessageRefused("header-invalid", f"sr:{name} holds text, not elements")
        values[name] = _header_value(name, child.text)
    missing = _HEADER_REQUIRED - values.keys()
    if missing:
        raise MessageRefused("header-invalid", f"sr:Header lacks {', '.join(sorted(missing))}")
    return values


def _header_value(name: str, text: str | None):
    if name in ("RequestID", "PrecedingServiceRequestID"):
        return requestid.parse(text)
    if name == "FirstInSequence":
        try:
            return xsdtypes.boolean(text)
        except ValueError:
            raise MessageRefused("header-invalid", "FirstInSequence is true or false") from None
    if name == "CommandVariant":
        try:
            variant = xsdtypes.integer(text, low=1, high=9)
        except ValueError:
            raise MessageRefused("command-variant-invalid", "the Command Variant is a number 1 … 9") from None
        if variant == 9:
            raise MessageRefused("command-variant-invalid", "Command Variant 9 is internal to the DCC")
        return variant
    # ServiceReference and ServiceReferenceVariant are xs:string enumerations: no white space folding.
    pattern = _SERVICE_REFERENCE if name == "ServiceReference" else _SERVICE_REFERENCE_VARIANT
    if text is None or not pattern.fullmatch(text):
        raise MessageRefused("service-reference-invalid", f"{name} {(text or '')[:20]!r} is not a DUIS reference")
    return text


def _update_payment_mode(element: etree._Element) -> UpdatePaymentMode:
    children = _elements(element, "UpdatePaymentMode")
    execution = None
    if children and _sr_name(children[0]) == "ExecutionDateTime":
        execution = _execution(children.pop(0))
    if len(children) != 1 or _sr_name(children[0]) not in ("Credit", "Prepayment"):
        raise MessageRefused("payment-mode-invalid", "UpdatePaymentMode holds one of Credit or Prepayment")
    mode = children[0]
    if _sr_name(mode) == "Credit":
        if len(mode) or xsdtypes.collapse(mode.text):
            raise MessageRefused("payment-mode-invalid", "Credit is an empty element")
        return UpdatePaymentMode(mode="Credit", execution=execution)
    fields = _elements(mode, "Prepayment")
    if [_sr_name(f) for f in fields] != ["SuspendDebtDisabled", "SuspendDebtEmergency", "DisablementThreshold"]:
        raise MessageRefused("payment-mode-invalid",
                             "Prepayment holds SuspendDebtDisabled, SuspendDebtEmergency, DisablementThreshold")
    try:
        if any(len(f) for f in fields):
            raise ValueError("fields hold text only")
        return UpdatePaymentMode(
            mode="Prepayment",
            execution=execution,
            suspend_debt_disabled=xsdtypes.boolean(fields[0].text),
            suspend_debt_emergency=xsdtypes.boolean(fields[1].text),
            disablement_threshold=xsdtypes.integer(fields[2].text, low=xsdtypes.INT_MIN, high=xsdtypes.INT_MAX),
        )
    except ValueError as exc:
        raise MessageRefused("payment-mode-invalid", f"Prepayment fields: {exc}") from None


def _signed_pre_command(element: etree._Element) -> SignedPreCommand:
    children = _elements(element, "SignedPreCommand")
    execution = None
    if children and _sr_name(children[0]) == "ExecutionDateTime":
        execution = _execution(children.pop(0))
    if len(children) != 1 or _sr_name(children[0]) != "GBCSPayload" or len(children[0]):
        raise MessageRefused("body-invalid", "SignedPreCommand holds an optional ExecutionDateTime and GBCSPayload")
    try:
        payload = xsdtypes.base64_binary(children[0].text, max_bytes=MAX_GBCS_PAYLOAD)
    except OverflowError:
        raise MessageRefused("signed-pre-command-too-large",
                             f"the Signed Pre-Command is larger than {MAX_GBCS_PAYLOAD} bytes") from None
    except ValueError as exc:
        raise MessageRefused("signed-pre-command-invalid", f"GBCSPayload: {exc}") from None
    if not payload:
        raise MessageRefused("signed-pre-command-invalid", "GBCSPayload is empty")
    if len(payload) > MAX_GBCS_PAYLOAD:
        raise MessageRefused("signed-pre-command-too-large",
                             f"the Signed Pre-Command is larger than {MAX_GBCS_PAYLOAD} bytes")
    return SignedPreCommand(gbcs_payload=payload, execution=execution)


def _execution(element: etree._Element) -> dt.datetime:
    if len(element):
        raise MessageRefused("execution-date-time-invalid", "ExecutionDateTime holds text only")
    try:
        return xsdtypes.date_time(element.text)
    except ValueError as exc:
        raise MessageRefused("execution-date-time-invalid", f"ExecutionDateTime: {exc}") from None


def _elements(parent: etree._Element, where: str) -> list[etree._Element]:
    """The element children of an element-only node; text other than white space there is refused."""
    if xsdtypes.collapse(parent.text):
        raise MessageRefused("body-invalid" if where != "sr:Header" else "header-invalid",
                             f"{where} holds elements, not text")
    children = []
    for child in parent:
        if not isinstance(child.tag, str):  # a comment or PI: the safe parser refuses them; never trust it here
            raise MessageRefused("body-invalid", f"{where} holds a comment or processing instruction")
        if xsdtypes.collapse(child.tail):
            raise MessageRefused("body-invalid" if where != "sr:Header" else "header-invalid",
                                 f"{where} holds elements, not text")
        children.append(child)
    return children


def _sr_name(element: etree._Element) -> str | None:
    """The local name of an element in the DUIS namespace; None for any other namespace."""
    tag = element.tag
    return tag[len(_SR):] if isinstance(tag, str) and tag.startswith(_SR) else None


def _printable(tag) -> str:
    return str(tag)[:80]
