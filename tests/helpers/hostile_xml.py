"""Hostile shapes made from a signed DUIS request's bytes, never re-signed (issue 7 point 1).

Shared by the limit tests (tests/pki/test_xmldsig_limits.py) and the benchmark (benchmarks/hostile_xml_bench.py),
so both try exactly the same documents.
"""

from __future__ import annotations


def declarations(n: int) -> bytes:
    return b"".join(b' xmlns:n%d="urn:x:%d"' % (i, i) for i in range(n))


def on_root(signed: bytes, extra: bytes) -> bytes:
    """``extra`` inserted into the root's start tag (just after its name)."""
    start = signed.index(b"<sr:Request") + len(b"<sr:Request")
    return signed[:start] + extra + signed[start:]


def in_body(signed: bytes, content: bytes) -> bytes:
    """``content`` inserted at the start of sr:Body (signed content: the digest no longer matches)."""
    start = signed.index(b"<sr:Body>") + len(b"<sr:Body>")
    return signed[:start] + content + signed[start:]


def attributes(n: int) -> bytes:
    return b"".join(b' a%d="%d"' % (i, i) for i in range(n))


def ns_bomb(signed: bytes) -> bytes:
    """Issue 7's first shape: 1,000 namespace declarations on the root, 16,000 nested elements in the body."""
    return in_body(on_root(signed, declarations(1000)), b"<e>" * 16000 + b"</e>" * 16000)


def attribute_bomb(signed: bytes) -> bytes:
    """Issue 7's second shape: 60,000 attributes on one element."""
    return in_body(signed, b"<e" + attributes(60000) + b"/>")
