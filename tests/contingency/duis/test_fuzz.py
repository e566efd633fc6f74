"""Fuzzing (hypothesis): whatever bytes arrive, the request parser and the structural check refuse with their own
code or accept, never another exception; RequestIDs are accepted exactly when the XSD pattern matches."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from contingency.duis import requestid, requests, structure
from contingency.duis.refusals import MessageRefused
from pki import safexml
from tests.contingency.duis import messages as m

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])


def _read(data: bytes):
    """The front door's path up to the parser: safe parse, structural check, request parse."""
    try:
        root = safexml.parse(data).getroot()
    except safexml.XMLRejected:
        return "xml"
    outcome = []
    for step in (structure.check, requests.parse):
        try:
            step(root)
            outcome.append("ok")
        except MessageRefused as exc:
            assert exc.code and exc.message
            outcome.append(exc.code)
    return outcome


@pytest.fixture(scope="module")
def template_bytes(vectors_dir) -> list[bytes]:
    _, signed = m.signed_pre_command_bytes(vectors_dir)
    docs = []
    for root in [*(m.load(path) for path in m.templates(vectors_dir)),
                 m.signed_pre_command_request(vectors_dir, signed)]:
        for signature in root.findall("ds:Signature", m.NS):
            root.remove(signature)  # its comment would stop the safe parser before the parser under test
        docs.append(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return docs


@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes(data):
    _read(data)


@FUZZ
@given(st.data())
def test_mutated_templates(template_bytes, data):
    document = bytearray(data.draw(st.sampled_from(template_bytes)))
    for _ in range(data.draw(st.integers(1, 6))):
        kind = data.draw(st.sampled_from(["flip", "delete", "insert", "duplicate"]))
        at = data.draw(st.integers(0, len(document) - 1))
        if kind == "flip":
            document[at] = data.draw(st.integers(0, 255))
        elif kind == "delete":
            del document[at:at + data.draw(st.integers(1, 40))]
        elif kind == "insert":
            document[at:at] = data.draw(st.sampled_from([b"<sr:Credit/>", b"</sr:Body>", b"-", b":", b"9", b" ",
                                                         b"<sr:Body>", b"&#0;", b"\xff", b"xsi:type='x' "]))
        else:
            length = data.draw(st.integers(1, 80))
            document[at:at] = document[at:at + length]
        if not document:
            document = bytearray(b"<x/>")
    _read(bytes(document))


TEXTS = st.text(alphabet=st.sampled_from("0123456789abcdefABCDEFG-: \t\n\u0661x"), max_size=70)


@FUZZ
@given(element=st.sampled_from(["RequestID", "CommandVariant", "ServiceReferenceVariant", "ExecutionDateTime",
                                "GBCSPayload", "DisablementThreshold"]), text=TEXTS)
def test_mutated_values(template_bytes, element, text):
    source = next(d for d in template_bytes if b"SignedPreCommand" in d) if element == "GBCSPayload" else (
        template_bytes[[i for i, d in enumerate(template_bytes) if b"556677" in d][0]])
    root = etree.fromstring(source)
    for node in root.iter(m.SR + element):
        node.text = text
    _read(etree.tostring(root, encoding="UTF-8"))


@pytest.fixture(scope="module")
def xsd_request_id(vectors_dir):
    """The XSD's own RequestIDType pattern, read from the official schema (an XSD pattern is anchored)."""
    schema = etree.parse(str(vectors_dir / "dccboxed-signing-tool" / "schema" / "DUIS Schema V5.4.xsd"))
    pattern = schema.find("{http://www.w3.org/2001/XMLSchema}simpleType[@name='RequestIDType']//"
                          "{http://www.w3.org/2001/XMLSchema}pattern").get("value")
    return re.compile(pattern, re.ASCII)


EUI = st.lists(st.integers(0, 255), min_size=8, max_size=8).map(bytes)


@FUZZ
@given(originator=EUI, target=EUI, counter=st.integers(0, 2**64 - 1), lower=st.booleans())
def test_request_ids_round_trip(originator, target, counter, lower):
    text = f"{requestid.format_eui(originator)}:{requestid.format_eui(target)}:{counter}"
    parsed = requestid.parse(text.lower() if lower else text)
    assert str(parsed) == text
    assert (parsed.originator_hex, parsed.target_hex, parsed.counter) == (originator.hex().upper(),
                                                                          target.hex().upper(), counter)
    assert requestid.parse(str(parsed)) == parsed


REQUEST_ID_LIKE = st.one_of(
    TEXTS,
    st.builds(lambda a, b, c: f"{a}:{b}:{c}", st.sampled_from(["90-B3-D5-1F-30-01-00-00", "90-b3-d5-1f-30-01-00-0",
                                                               "90B3D51F30010000", "00-DB-12-34-56-78-90-A0 "]),
              st.sampled_from(["00-DB-12-34-56-78-90-A0", "00-db-12-34-56-78-90-a0", "00-DB-12-34-56-78-90"]),
              st.one_of(st.integers(-5, 2**65).map(str), TEXTS)),
)


@FUZZ
@given(text=REQUEST_ID_LIKE)
def test_request_ids_are_accepted_exactly_when_the_xsd_pattern_matches(xsd_request_id, text):
    # xs:token: white space is collapsed before the pattern is applied.
    collapsed = re.sub(r"[ \t\r\n]+", " ", text).strip(" ")
    expected = xsd_request_id.fullmatch(collapsed) is not None
    try:
        requestid.parse(text)
        accepted = True
    except MessageRefused as exc:
        assert exc.code in ("request-id-missing", "request-id-malformed", "request-id-counter-out-of-range")
        accepted = False
    assert accepted == expected, text


def test_the_value_mutations_reach_the_parser(template_bytes):
    """The fuzzers above are not vacuous: a well-formed mutation gets past the safe parser to the checks."""
    root = etree.fromstring(next(d for d in template_bytes if b"SignedPreCommand" in d))
    root.find(".//sr:GBCSPayload", m.NS).text = base64.b64encode(b"\xdf\x09").decode() + "="
    assert _read(etree.tostring(root, encoding="UTF-8")) == ["structure-invalid", "signed-pre-command-invalid"]
    assert all(_read(document) == ["ok", "ok"] or _read(document)[0] == "structure-unsupported"
               for document in template_bytes)


def test_the_hostile_xml_set_never_reaches_the_parser(template_bytes):
    """The issue-7 bombs and the DTD / entity shapes stop at the safe parser, before structure or request."""
    from tests.helpers import hostile_xml

    document = template_bytes[0]
    shapes = [
        hostile_xml.ns_bomb(document),
        hostile_xml.attribute_bomb(document),
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + document.split(b"?>", 1)[1],
        document.replace(b"<sr:Body>", b"<sr:Body><!-- unsigned -->"),
        document.replace(b"<sr:Body>", b"<sr:Body><?pi x?>"),
    ]
    for shape in shapes:
        assert _read(shape) == "xml"
