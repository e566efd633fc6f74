"""Canonicalisation bombs (issue 7 point 1): hostile trees are refused, each with its own code, before the
signer lookup and before any cryptography; and every real DUIS message in the conformance data is within
the limits.

The hostile documents are made from an ordinary signed SRV 1.6 and are not signed again: an attacker needs
only the issuer and serial of some XML signing certificate, which the repository publishes.
"""

from __future__ import annotations

import time

import pytest
from lxml import etree

from pki import safexml, xmldsig
from tests.helpers.hostile_xml import attribute_bomb, attributes, declarations, in_body, ns_bomb, on_root
from tests.pki import xmldsig_cases as cases

LIMIT_CODES = {"too-many-namespaces", "too-many-attributes", "too-many-elements", "too-deep", "too-large"}


@pytest.fixture(scope="module")
def signed(request) -> bytes:
    vectors_dir = request.getfixturevalue("vectors_dir")
    key = cases.load_key(vectors_dir, cases.SUPPLIER_XML_SIGN)
    cert = cases.load_cert(vectors_dir, cases.SUPPLIER_XML_SIGN)
    return xmldsig.sign(cases.srv16_request(vectors_dir, counter=4242), key, cert)


@pytest.fixture
def resolver(vectors_dir):
    return cases.FakeResolver(cases.all_vector_certs(vectors_dir).values())


@pytest.fixture
def no_crypto(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the signature was checked: the limits should have refused the document first")

    monkeypatch.setattr(xmldsig, "_check_signature_value", refuse)
    monkeypatch.setattr(xmldsig, "_c14n_without", refuse)



def _refuse(data: bytes, resolver, **kwargs) -> xmldsig.SignatureRejected:
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(data, resolver=resolver, **kwargs)
    assert resolver.calls == 0, "the signer was looked up before the document was refused"
    return info.value


def test_the_shapes_are_what_the_issue_measured(signed):
    assert 125_000 < len(ns_bomb(signed)) < 145_000  # "about 131 KB"
    assert 820_000 < len(attribute_bomb(signed)) < 900_000  # "about 858 KB"
    assert ns_bomb(signed).count(b"<e>") == 16000


def test_namespace_bomb_is_refused_before_lookup_and_crypto(signed, resolver, no_crypto):
    started = time.perf_counter()
    error = _refuse(ns_bomb(signed), resolver)
    assert error.code == "too-many-namespaces"
    assert time.perf_counter() - started < 1.0  # was 74 s for a smaller one (issue 7); generous for CI


def test_attribute_bomb_is_refused_by_size_and_by_its_own_rule(signed, resolver, no_crypto):
    bomb = attribute_bomb(signed)
    assert _refuse(bomb, resolver).code == "too-large"  # the default body limit is 256 KiB
    # A caller that allows 1 MiB still never canonicalises it.
    started = time.perf_counter()
    assert _refuse(bomb, resolver, max_bytes=1024 * 1024).code == "too-many-attributes"
    assert time.perf_counter() - started < 1.0


def _elements(signed: bytes) -> int:
    return len(list(etree.fromstring(signed).iter(etree.Element)))


def _namespaces(signed: bytes) -> int:
    return signed.count(b"xmlns")


L = safexml.DEFAULT_LIMITS
# Each shape at the limit (+0) and one over it (+1). sr:Body is at depth 2, so n nested elements at its
# start reach depth 2 + n.
SHAPES = {
    "namespaces-on-root": (lambda s, k: on_root(s, declarations(L.max_namespaces - _namespaces(s) + k)),
                           "too-many-namespaces"),
    "namespaces-in-body": (lambda s, k: in_body(s, b"<e" + declarations(L.max_namespaces - _namespaces(s) + k)
                                                 + b"/>"), "too-many-namespaces"),
    "attributes-on-one-element": (lambda s, k: in_body(s, b"<e" + attributes(L.max_attributes + k) + b"/>"),
                                  "too-many-attributes"),
    "elements-empty": (lambda s, k: in_body(s, b"<e/>" * (L.max_elements - _elements(s) + k)),
                       "too-many-elements"),
    "elements-with-end-tags": (lambda s, k: in_body(s, b"<e></e>" * (L.max_elements - _elements(s) + k)),
                               "too-many-elements"),
    "depth": (lambda s, k: in_body(s, b"<e>" * (L.max_depth - 2 + k) + b"</e>" * (L.max_depth - 2 + k)),
              "too-deep"),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_one_over_each_limit_is_refused_with_its_own_code(signed, resolver, no_crypto, shape):
    make, code = SHAPES[shape]
    assert _refuse(make(signed, 1), resolver).code == code


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_at_each_limit_the_document_reaches_the_digest_check(signed, resolver, shape):
    """At the limit the tree is accepted and checked: its content changed, so the digest does not match."""
    make, _ = SHAPES[shape]
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(make(signed, 0), resolver=resolver)
    assert info.value.code == "digest-mismatch", info.value.message
    assert resolver.calls == 1


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"<e>" + b"=" * 1100 + b"</e>", "too-many-attributes"),  # the document's budget, counted as '='
        (b"<e>" * 300 + b"</e>" * 300, "too-deep"),  # beyond libxml2's own nesting limit (256)
        (b"<e/>" * 5000, "too-many-elements"),  # more '<' than 1,024 elements can have
    ],
    ids=["equals-budget", "depth-over-libxml2", "elements-by-bytes"],
)
def test_other_shapes_are_refused_with_their_codes(signed, resolver, no_crypto, content, code):
    assert _refuse(in_body(signed, content), resolver).code == code


def test_limits_can_be_set_by_the_caller(signed, resolver):
    tight = safexml.Limits(max_elements=20)
    assert _refuse(signed, resolver, limits=tight).code == "too-many-elements"
    resolver.calls = 0
    xmldsig.verify(signed, resolver=resolver)


def test_every_duis_message_in_the_conformance_data_is_within_the_limits(vectors_dir):
    """The margin: real templates and DCC Boxed responses pass every limit (docs/xml-signatures.md)."""
    paths = sorted(p for p in vectors_dir.rglob("*") if p.suffix.lower() == ".xml")
    assert len(paths) >= 40
    checked = 0
    for path in paths:
        try:
            safexml.parse(path.read_bytes(), allow_comments=True)
        except safexml.XMLRejected as exc:
            assert exc.code not in LIMIT_CODES, f"{path.name}: {exc}"
            assert exc.code == "dtd-forbidden", f"{path.name}: {exc}"  # only the XXE sample
            continue
        checked += 1
    assert checked >= 40


def test_limits_are_checked_on_the_bytes_before_parsing(signed, monkeypatch):
    def no_parsing(*args, **kwargs):
        raise AssertionError("the parser ran")

    monkeypatch.setattr(safexml, "_parser", no_parsing)
    bombs = [(ns_bomb(signed), "too-many-namespaces"), (in_body(signed, b"<e/>" * 5000), "too-many-elements"),
             (attribute_bomb(signed), "too-many-attributes")]
    for bomb, code in bombs:
        with pytest.raises(safexml.XMLRejected) as info:
            safexml.parse(bomb, max_bytes=1024 * 1024)
        assert info.value.code == code
