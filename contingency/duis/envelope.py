"""The envelope of every DUIS document the DCC sends (reference digest §2; DUIS 5.4 XSD ``sr:Response``):
acknowledgements, Pre-Commands, Service Responses and alerts all share it.

    root, body = envelope.response(code="I0", at=now, request_id=..., response_id=...)
    etree.SubElement(body, envelope.sr("ResponseMessage")) ...
    signed = pki.xmldsig.sign(root, key, certificate)   # DESIGN §4: every response is signed by the DCC

Header = RequestID?, ResponseID?, ResponseCode, ResponseDateTime; then Body (one child); then the signature.
``ResponseID`` is the RequestID with originator and target swapped (§2); for an alert, which answers no
request, it is ``<device or DCC EUI>:<recipient EUI>:<counter>`` in the same shape.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from .schema import RA_NS, SR_NS

# The version the DCC writes into schemaVersion; the official XSD of this version validates what we send.
SCHEMA_VERSION = "5.4"
NSMAP = {"sr": SR_NS, "ra": RA_NS}


def sr(local: str) -> str:
    """The Clark name of a ServiceUserGateway element: ``sr("Header")``."""
    return f"{{{SR_NS}}}{local}"


def format_datetime(at: dt.datetime) -> str:
    """xs:dateTime in UTC with milliseconds and a Z, as DCC Boxed writes it (2022-08-17T15:45:42.790Z)."""
    if at.tzinfo is None:
        raise ValueError("DUIS date-times are written in UTC: give an aware datetime")
    at = at.astimezone(dt.UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def swap_request_id(request_id: str) -> str:
    """The ResponseID that answers ``request_id``: originator and target swapped, counter kept (§2)."""
    originator, target, counter = request_id.split(":")
    return f"{target}:{originator}:{counter}"


def response(*, code: str, at: dt.datetime, request_id: str | None = None,
             response_id: str | None = None) -> tuple[etree._Element, etree._Element]:
    """A new, unsigned ``sr:Response``: returns (root, body); the caller adds the body's one child."""
    root = etree.Element(sr("Response"), nsmap=NSMAP, schemaVersion=SCHEMA_VERSION)
    header = etree.SubElement(root, sr("Header"))
    if request_id is not None:
        etree.SubElement(header, sr("RequestID")).text = request_id
    if response_id is not None:
        etree.SubElement(header, sr("ResponseID")).text = response_id
    etree.SubElement(header, sr("ResponseCode")).text = code
    etree.SubElement(header, sr("ResponseDateTime")).text = format_datetime(at)
    body = etree.SubElement(root, sr("Body"))
    return root, body
