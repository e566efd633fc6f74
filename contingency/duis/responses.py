"""The DUIS responses the DCC sends to a request, built unsigned (reference digest §2; DESIGN §2 and §4).

Each function returns the ``sr:Response`` root (an lxml element) for the caller to sign with the DCC's XML
signing key (``pki.xmldsig.sign(root, key, certificate)``; DESIGN §4: every response is signed, valid
against the DUIS 5.4 XSD and verifiable by an independent implementation). All share the envelope of
``envelope.py``: the header names the request (``RequestID``) and answers it (``ResponseID``, the RequestID
with originator and target swapped), then ``ResponseCode`` and ``ResponseDateTime``; the body is a
``ResponseMessage`` with the request's Service Reference and Variant, and:

=======================  =====  =================================================================
function                 code   ResponseMessage after ServiceReference / ServiceReferenceVariant
=======================  =====  =================================================================
:func:`pre_command`      I0     ``PreCommand{GBCSVersion, GBCSPayload}``: the Transform answer (CV 4)
:func:`acknowledgement`  I99    nothing: accepted, the outcome follows (CV 5 / SMETS1)
:func:`service_response` I0     ``GBCSPayload``: the device's response, after delivery
:func:`error`            E…     nothing: a refusal with a DUIS code (``codes.REFUSALS``)
:func:`delivery_failure` E20/21 nothing: the device could not be reached / did not answer
=======================  =====  =================================================================

``subject`` is anything with ``request_id``, ``service_reference`` and ``service_reference_variant``: a
:class:`~contingency.duis.requests.DuisRequest`, a :class:`~contingency.duis.refusals.MessageRefused` raised
after the header was read, a stored request, or an :class:`Answering`.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from lxml import etree

from . import envelope, requestid
from .codes import RESPONSE_CODES
from .requestid import RequestID

__all__ = ["Answering", "acknowledgement", "delivery_failure", "error", "pre_command", "service_response"]

sr = envelope.sr


class Subject(Protocol):
    request_id: RequestID | str | None
    service_reference: str | None
    service_reference_variant: str | None


@dataclass(frozen=True)
class Answering:
    """The three things an answer needs from the request, when there is no parsed request to hand."""

    request_id: RequestID | str
    service_reference: str
    service_reference_variant: str


def pre_command(subject: Subject, *, gbcs_payload: bytes, gbcs_version: str, at: dt.datetime) -> etree._Element:
    """I0 with the Pre-Command: the GBCS General-Signing APDU the User is to sign (the Transform answer, CV 4)."""
    if not gbcs_payload:
        raise ValueError("a Pre-Command carries a GBCS payload")
    if not gbcs_version:
        raise ValueError("a Pre-Command names its GBCS version")
    root, message = _response("I0", subject, at)
    pre = etree.SubElement(message, sr("PreCommand"))
    etree.SubElement(pre, sr("GBCSVersion")).text = gbcs_version
    etree.SubElement(pre, sr("GBCSPayload")).text = _base64(gbcs_payload)
    return root


def acknowledgement(subject: Subject, *, at: dt.datetime) -> etree._Element:
    """I99: accepted and passed access control; the Service Response follows (CV 5, or an SMETS1 request)."""
    return _response("I99", subject, at)[0]


def service_response(subject: Subject, *, gbcs_payload: bytes, at: dt.datetime) -> etree._Element:
    """I0 with the device's GBCS response: the Service Response sent after delivery."""
    if not gbcs_payload:
        raise ValueError("a Service Response carries the device's GBCS payload")
    root, message = _response("I0", subject, at)
    etree.SubElement(message, sr("GBCSPayload")).text = _base64(gbcs_payload)
    return root


def error(code: str, subject: Subject, *, at: dt.datetime) -> etree._Element:
    """An error response with a DUIS E code from ``codes.RESPONSE_CODES`` (no body beyond the references)."""
    known = RESPONSE_CODES.get(code)
    if known is None or known.kind != "error":
        raise ValueError(f"{code!r} is not a DUIS error code this service sends (contingency.duis.codes)")
    return _response(code, subject, at)[0]


def delivery_failure(code: str, subject: Subject, *, at: dt.datetime) -> etree._Element:
    """E20 (the DCC could not reach the device) or E21 (no response from the device): the delivery's failures."""
    if code not in ("E20", "E21"):
        raise ValueError("a delivery failure is E20 or E21")
    return error(code, subject, at=at)


def _response(code: str, subject: Subject, at: dt.datetime) -> tuple[etree._Element, etree._Element]:
    request_id = _request_id(subject.request_id)
    if not subject.service_reference or not subject.service_reference_variant:
        raise ValueError("a DUIS response names the request's Service Reference and Variant")
    root, body = envelope.response(code=code, at=at, request_id=str(request_id),
                                   response_id=str(request_id.swapped()))
    message = etree.SubElement(body, sr("ResponseMessage"))
    etree.SubElement(message, sr("ServiceReference")).text = subject.service_reference
    etree.SubElement(message, sr("ServiceReferenceVariant")).text = subject.service_reference_variant
    return root, message


def _request_id(value: RequestID | str | None) -> RequestID:
    if isinstance(value, RequestID):
        return value
    if value is None:
        raise ValueError("a DUIS response answers a request: its RequestID is needed")
    return requestid.parse(value)


def _base64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")
