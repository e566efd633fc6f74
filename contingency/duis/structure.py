"""The project's own structural check of the DUIS requests it supports (DESIGN §4 check 3, without the XSD).

When ``DUIS_SCHEMA_DIR`` names the official DUIS 5.4 schema, :func:`check_request` validates against it
(``schema.py``). When it is empty, this module checks what the XSD would check for the messages the
service reads, SRV 1.6 (Update Payment Mode) and SRV 6.2.9 (Read Device Configuration, Payment Mode), with
the same simple-type rules (``xsdtypes.py``):

* ``sr:Request`` with a decimal ``schemaVersion`` and no other attribute; ``sr:Header``, ``sr:Body`` and an
  optional ``ds:Signature`` last; white space only between elements;
* the header in the XSD's order: RequestID (the XSD pattern), FirstInSequence? (boolean),
  PrecedingServiceRequestID?, CommandVariant (1 … 9), ServiceReference, ServiceReferenceVariant;
* one body element: ``UpdatePaymentMode`` (ExecutionDateTime?, then an empty ``Credit`` or ``Prepayment``
  with two booleans and an ``xs:int``), ``ReadDeviceConfigurationPaymentMode`` (empty) or
  ``SignedPreCommand`` (ExecutionDateTime?, GBCSPayload in base64).

Where it is stricter than the XSD, on purpose (tests/contingency/duis/test_structure.py holds each case
against the XSD; docs/duis-messages.md lists them):

* any other Service Request, and a ServiceReference that is not the Variant's own (1.6 / 6.2), is refused
  ``structure-unsupported``: valid DUIS perhaps, but not a message this service reads;
* a body that is not one of those above, even under SRV 1.6 or 6.2.9 (the XSD's Body is a choice of every
  SR's body whatever the header says), is ``structure-unsupported`` too;
* ``xsi:`` attributes (schemaLocation, type, nil), which the XSD tolerates, are refused: nothing in DUIS
  needs them and ``xsi:type`` would change what the schema validates;
* the ``ds:Signature`` element's inside is not looked at: the signature profile (check 4, ``pki.xmldsig``)
  accepts one exact shape, narrower than xmldsig-core-schema.

Codes: ``structure-invalid`` (the XSD refuses it too), ``structure-unsupported`` (see above),
``schema-invalid`` (refused by the official XSD).
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from . import requestid, xsdtypes
from .refusals import MessageRefused
from .schema import SR_NS

__all__ = ["SUPPORTED", "check", "check_request"]

_SR = f"{{{SR_NS}}}"
_DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
#: Service Reference Variant → its Service Reference and the bodies read here (besides SignedPreCommand).
SUPPORTED = {
    "1.6": ("1.6", "UpdatePaymentMode"),
    "6.2.9": ("6.2", "ReadDeviceConfigurationPaymentMode"),
}
_HEADER = ("RequestID", "FirstInSequence", "PrecedingServiceRequestID", "CommandVariant", "ServiceReference",
           "ServiceReferenceVariant")
_OPTIONAL = frozenset({"FirstInSequence", "PrecedingServiceRequestID"})


def check_request(root: etree._Element | etree._ElementTree, schema_dir: str | Path | None = None) -> None:
    """DESIGN §4 check 3: the official XSD when ``schema_dir`` names it (``DUIS_SCHEMA_DIR``), else :func:`check`.

    Raises :class:`MessageRefused` (``schema-invalid``, ``structure-invalid``, ``structure-unsupported``);
    ``schema.SchemaUnavailable`` if the folder does not hold the schema (a configuration error, not a verdict).
    """
    if schema_dir:
        from . import schema

        errors = schema.load(schema_dir).errors(root)
        if errors:
            raise MessageRefused("schema-invalid", "; ".join(errors[:3]))
        return
    check(root)


def check(root: etree._Element | etree._ElementTree) -> None:
    """Check an ``sr:Request`` of a supported SRV, or raise :class:`MessageRefused`."""
    if isinstance(root, etree._ElementTree):
        root = root.getroot()
    if not isinstance(root.tag, str) or root.tag != _SR + "Request":
        _invalid("the root is not sr:Request")
    _attributes(root, allowed=("schemaVersion",))
    if root.get("schemaVersion") is None:
        _invalid("sr:Request has no schemaVersion")
    _simple(xsdtypes.decimal, root.get("schemaVersion"), "schemaVersion")
    children = _children(root)
    names = [child.tag for child in children]
    if names not in ([_SR + "Header", _SR + "Body"], [_SR + "Header", _SR + "Body", _DS_SIGNATURE]):
        _invalid("sr:Request holds sr:Header, sr:Body and an optional ds:Signature, in that order")
    srv = _header(children[0])
    _body(children[1], srv)


def _header(header: etree._Element) -> str:
    _attributes(header)
    values = {}
    position = 0
    for child in _children(header):
        name = _local(child)
        if name not in _HEADER or _HEADER.index(name) < position or name in values:
            _invalid(f"unexpected {str(child.tag)[:80]} in sr:Header")
        for skipped in _HEADER[position:_HEADER.index(name)]:
            if skipped not in _OPTIONAL and skipped not in values:
                _invalid(f"sr:Header lacks {skipped}")
        position = _HEADER.index(name)
        _attributes(child)
        values[name] = _text(child)
    for name in _HEADER:
        if name not in _OPTIONAL and name not in values:
            _invalid(f"sr:Header lacks {name}")
    for name in ("RequestID", "PrecedingServiceRequestID"):
        if name in values:
            try:
                requestid.parse(values[name])
            except MessageRefused:
                _invalid(f"{name} does not match the DUIS RequestID pattern")
    if "FirstInSequence" in values:
        _simple(xsdtypes.boolean, values["FirstInSequence"], "FirstInSequence")
    _simple(lambda text: xsdtypes.integer(text, low=1, high=9), values["CommandVariant"], "CommandVariant")
    srv = values["ServiceReferenceVariant"]
    # ServiceReference / ServiceReferenceVariant are xs:string enumerations: compared as written.
    if srv not in SUPPORTED or values["ServiceReference"] != SUPPORTED[srv][0]:
        raise MessageRefused("structure-unsupported",
                             f"Service Reference {values['ServiceReference'][:20]!r} / Variant {srv[:20]!r} is not a "
                             f"request this service reads (SRV 1.6 or 6.2.9)")
    return srv


def _body(body: etree._Element, srv: str) -> None:
    _attributes(body)
    children = _children(body)
    if len(children) != 1:
        _invalid(f"sr:Body holds one element, not {len(children)}")
    content = children[0]
    name = _local(content)
    if name not in (SUPPORTED[srv][1], "SignedPreCommand"):
        raise MessageRefused("structure-unsupported", f"{str(content.tag)[:80]} is not a body read for SRV {srv}")
    _attributes(content)
    if name == "ReadDeviceConfigurationPaymentMode":
        _empty(content)
        return
    parts = _children(content)
    if parts and _local(parts[0]) == "ExecutionDateTime":
        _attributes(parts[0])
        text = _text(parts[0])
        if text != text.strip(xsdtypes.XML_SPACE):
            # XSD collapses white space around an xs:dateTime, but libxml2 (the validator used with the official
            # schema) refuses it; refusing it here too keeps both checks giving the same answer.
            _invalid("ExecutionDateTime has white space around it")
        _simple(xsdtypes.date_time, text, "ExecutionDateTime")
        parts = parts[1:]
    if name == "SignedPreCommand":
        if [_local(p) for p in parts] != ["GBCSPayload"]:
            _invalid("SignedPreCommand holds an optional ExecutionDateTime and a GBCSPayload")
        _attributes(parts[0])
        _simple(xsdtypes.base64_binary, _text(parts[0]), "GBCSPayload")
        return
    if len(parts) != 1 or _local(parts[0]) not in ("Credit", "Prepayment"):
        _invalid("UpdatePaymentMode holds an optional ExecutionDateTime and one of Credit or Prepayment")
    mode = parts[0]
    _attributes(mode)
    if _local(mode) == "Credit":
        _empty(mode)
        return
    fields = _children(mode)
    if [_local(f) for f in fields] != ["SuspendDebtDisabled", "SuspendDebtEmergency", "DisablementThreshold"]:
        _invalid("Prepayment holds SuspendDebtDisabled, SuspendDebtEmergency and DisablementThreshold")
    for field in fields:
        _attributes(field)
    _simple(xsdtypes.boolean, _text(fields[0]), "SuspendDebtDisabled")
    _simple(xsdtypes.boolean, _text(fields[1]), "SuspendDebtEmergency")
    _simple(lambda text: xsdtypes.integer(text, low=xsdtypes.INT_MIN, high=xsdtypes.INT_MAX), _text(fields[2]),
            "DisablementThreshold")


def _children(element: etree._Element) -> list[etree._Element]:
    """Children of element-only content: white space between them and nothing else (XSD: no mixed content)."""
    if xsdtypes.collapse(element.text):
        _invalid(f"{_local(element)} holds text")
    children = []
    for child in element:
        if not isinstance(child.tag, str):
            _invalid(f"{_local(element)} holds a comment or processing instruction")
        if xsdtypes.collapse(child.tail):
            _invalid(f"{_local(element)} holds text")
        children.append(child)
    return children


def _text(element: etree._Element) -> str:
    """The text of a simple-typed element: no child elements, comments or PIs."""
    if len(element):
        _invalid(f"{_local(element)} holds text only")
    return element.text or ""


def _empty(element: etree._Element) -> None:
    """An element of an empty complex type (NoType, ReadDataOnDemand): no children and no text, not even white
    space (XSD 1.0, cvc-complex-type.2.1)."""
    if len(element) or element.text:
        _invalid(f"{_local(element)} is empty")


def _attributes(element: etree._Element, allowed: tuple[str, ...] = ()) -> None:
    extra = [name for name in element.attrib if name not in allowed]
    if extra:
        _invalid(f"{_local(element)} has no attribute {str(extra[0])[:80]}")


def _simple(reader, text: str | None, what: str) -> None:
    try:
        reader(text)
    except xsdtypes.OutOfRange:
        return  # lexically valid for the XSD; the request parser refuses what Python cannot hold
    except (ValueError, OverflowError):
        _invalid(f"{what} is not a valid value")


def _local(element: etree._Element) -> str:
    tag = element.tag
    if isinstance(tag, str) and tag.startswith(_SR):
        return tag[len(_SR):]
    return str(tag)[:80]


def _invalid(message: str):
    raise MessageRefused("structure-invalid", message)
