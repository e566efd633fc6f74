"""Safe parsing of untrusted XML (DESIGN §4 check 2: no DTD, no entities, no network, no huge trees).

Every XML body that reaches the service from outside goes through :func:`parse` before anything else looks
at it. The parser is configured so that libxml2 never loads a DTD, never substitutes an entity, never
touches the network and keeps its default size/depth limits; on top of that the document is refused
outright if it carries a DOCTYPE (internal subset, entity declarations, external id), an entity reference,
a processing instruction (the XML declaration is not one) or — unless the caller allows them — a comment.
Refusing instead of "parsing without expanding" keeps the rule simple to test and audit: DUIS never needs
a DTD (the DCC Boxed tools set ``disallow-doctype-decl``, reference §3) and never carries PIs.

Only UTF-8 is accepted, judged by the bytes before any parsing: DUIS messages are UTF-8, and a single
encoding rules out BOM/UTF-16 tricks (libxml2 reports "UTF-8" for a UTF-16 document that has a byte-order
mark and no declaration, so the parsed document cannot tell).

Size of the tree (issue 7 point 1): inclusive C14N, which the signature's digest runs over, costs far more
than the input when namespace declarations multiply with elements, or attributes pile up on one element
(libxml2 sorts them quadratically). :class:`Limits` bounds exactly those quantities, measured against what
real DUIS messages need (docs/xml-signatures.md, "Limits on the tree"). Most of the bound is checked on the
bytes before parsing, with C-level counts (``bytes.count``), because even parsing a hostile body costs
more than a whole ordinary verify; the rest in one walk of the parsed tree. Both run before any signer
lookup or cryptography.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

from lxml import etree

__all__ = ["DEFAULT_LIMITS", "DEFAULT_MAX_BYTES", "Limits", "XMLRejected", "parse"]

#: Upper bound for one XML body: 256 KiB, 54 times the largest DUIS message in the conformance data (4,747
#: bytes, an SRV 6.15.1 with certificates; an SRV 1.6 is under 2 kB). Verifying costs time in proportion
#: to the size even within every other limit, so this also bounds the work per request: at this size the
#: worst document costs at most 20 ordinary verifies (docs/xml-signatures.md). Callers may pass another.
DEFAULT_MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on the tree, each refused with its own code. Defaults: docs/xml-signatures.md, with margins.

    The largest values in the DUIS 5.4 templates and DCC Boxed responses of the conformance data are:
    73 elements, depth 7, 4 namespace declarations in a document (3 on one element), 1 attribute on an
    element, 20 ``=`` characters and 143 ``<`` characters in a document.
    """

    #: Namespace declarations in the whole document (``too-many-namespaces``). Checked before parsing as
    #: the number of ``xmlns`` byte strings, which every declaration contains.
    max_namespaces: int = 16
    #: Attributes on one element, namespace declarations not counted (``too-many-attributes``).
    max_attributes: int = 16
    #: Attributes and namespace declarations in the whole document (``too-many-attributes``), checked
    #: before parsing as the number of ``=`` characters (each has one; DUIS text has few: base64 padding).
    max_attributes_total: int = 1024
    #: Elements in the document (``too-many-elements``). Before parsing: more than 2 × this + 1 ``<``
    #: characters (a start and an end tag per element, plus the XML declaration) is refused at once.
    max_elements: int = 1024
    #: Nesting depth, the root being 1 (``too-deep``).
    max_depth: int = 32


DEFAULT_LIMITS = Limits()


class XMLRejected(ValueError):
    """The body is not acceptable XML. ``code`` is stable (documented in docs/xml-signatures.md)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class _RefuseExternal(etree.Resolver):
    """Defence in depth: if libxml2 ever asks to load anything external, refuse instead of loading it."""

    def resolve(self, system_url, public_id, context):
        raise XMLRejected("dtd-forbidden", f"external resource refused: {system_url!r}")


_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads; one per thread, built once (the verify path is hot).
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            attribute_defaults=False,
            huge_tree=False,
            recover=False,
            remove_comments=False,  # kept so that they can be detected and refused
            remove_pis=False,
            collect_ids=False,  # no ID table: nothing in the signature profile may resolve by ID
            remove_blank_text=False,  # whitespace is signed content (inclusive C14N), never drop it
        )
        parser.resolvers.add(_RefuseExternal())
        _local.parser = parser
    return parser


# Byte-order marks of the encodings that are not UTF-8 (UTF-32LE's starts with UTF-16LE's).
_FOREIGN_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
# The encoding pseudo-attribute of an XML declaration at the very start (after an optional UTF-8 BOM).
_DECLARED_ENCODING = re.compile(rb"\A(?:\xef\xbb\xbf)?<\?xml\s[^>]*?\bencoding\s*=\s*([\"'])(.*?)\1", re.DOTALL)
_UTF8_NAMES = ("UTF-8", "UTF8")


def parse(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_comments: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> etree._ElementTree:
    """Parse untrusted ``data`` (bytes) into an lxml tree, or raise :class:`XMLRejected`.

    Codes: ``empty``, ``too-large``, ``bad-encoding``, ``dtd-forbidden``, ``too-many-namespaces``,
    ``too-many-attributes``, ``too-many-elements``, ``too-deep``, ``not-well-formed``, ``pi-forbidden``,
    ``comment-forbidden``.
    """
    if isinstance(data, str):
        # A str has lost its original octets; signatures are over octets, so insist on bytes.
        raise TypeError("parse() takes bytes, not str")
    if len(data) > max_bytes:
        raise XMLRejected("too-large", f"body of {len(data)} bytes exceeds the limit of {max_bytes}")
    if not data.strip():
        raise XMLRejected("empty", "empty body")
    _check_utf8(data)
    # Cheap pre-scan (C-level search): a DOCTYPE can only be refused by name before libxml2 starts
    # processing its internal subset (where e.g. entity-amplification limits would report a generic
    # syntax error). Reliable because the bytes are known to be UTF-8.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise XMLRejected("dtd-forbidden", "a DOCTYPE or entity declaration is not allowed")
    tags, equals, end_tags = _check_counts(data, limits)
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except XMLRejected:
        raise
    except etree.XMLSyntaxError as exc:
        if exc.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT and "depth" in str(exc):
            # libxml2's own nesting limit (256) is far above ours; report it as what it is.
            raise XMLRejected("too-deep", f"nesting deeper than {limits.max_depth} elements") from None
        raise XMLRejected("not-well-formed", str(exc)) from None
    except ValueError as exc:  # e.g. lxml refusing an unknown or inconsistent encoding
        raise XMLRejected("not-well-formed", str(exc)) from None
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XMLRejected("dtd-forbidden", "a DOCTYPE declaration is not allowed")
    encoding = (docinfo.encoding or "UTF-8").upper()
    if encoding not in _UTF8_NAMES:  # defence in depth: the bytes were checked before parsing
        raise XMLRejected("bad-encoding", f"only UTF-8 is accepted, not {docinfo.encoding}")
    root = tree.getroot()
    # Nodes beside the root (before or after it): only comments or PIs can live there.
    for node in (*root.itersiblings(preceding=True), *root.itersiblings()):
        _refuse_node(node, allow_comments)
    # One C-level pass over the tree that yields only the node kinds we refuse.
    kinds = (etree.PI, etree.Entity) if allow_comments else (etree.PI, etree.Entity, etree.Comment)
    for node in root.iter(*kinds):
        _refuse_node(node, allow_comments)
    _check_tree(root, limits, tags, equals, end_tags)
    return tree


def _check_utf8(data: bytes) -> None:
    """Refuse anything that is not UTF-8 by its bytes (issue 7 point 5), before libxml2 guesses."""
    if data.startswith(_FOREIGN_BOMS):
        raise XMLRejected("bad-encoding", "a UTF-16 or UTF-32 byte-order mark: only UTF-8 is accepted")
    if b"\x00" in data:
        # NUL is no XML character in any encoding; in bytes it is the mark of UTF-16/UTF-32 text.
        raise XMLRejected("bad-encoding", "NUL bytes: only UTF-8 is accepted")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XMLRejected("bad-encoding", f"not valid UTF-8 at byte {exc.start}") from None
    declared = _DECLARED_ENCODING.match(data, 0, 512)
    if declared is not None and declared.group(2).decode("ascii", "replace").upper() not in _UTF8_NAMES:
        raise XMLRejected("bad-encoding", f"only UTF-8 is accepted, not {declared.group(2)[:40].decode()!r}")


def _check_counts(data: bytes, limits: Limits) -> tuple[int, int, int]:
    """Bounds that the bytes alone prove, before libxml2 spends time on the document (bytes.count is C).

    Returns the numbers of ``<``, of ``=`` and (only when it matters) of ``</``: upper bounds of the elements,
    of the attributes, and of the depth minus one (every element that has children has an end tag)."""
    equals = data.count(b"=")
    if equals > limits.max_attributes_total:
        raise XMLRejected(
            "too-many-attributes",
            f"{equals} '=' in the body; at most {limits.max_attributes_total} attributes allowed in a document",
        )
    # Every declaration has an '=' too, so with few of them the slower five-byte count is not needed.
    namespaces = data.count(b"xmlns") if equals > limits.max_namespaces else 0
    if namespaces > limits.max_namespaces:
        raise XMLRejected(
            "too-many-namespaces",
            f"{namespaces} 'xmlns' in the body; at most {limits.max_namespaces} namespace declarations allowed",
        )
    tags = data.count(b"<")
    if tags > 2 * limits.max_elements + 1:
        raise XMLRejected(
            "too-many-elements", f"{tags} '<' in the body; at most {limits.max_elements} elements allowed"
        )
    end_tags = data.count(b"</") if tags > limits.max_depth else 0
    return tags, equals, end_tags


# The exact counts run as compiled XPath in libxml2 (C), not as a Python loop over the elements.
_MANY_ATTRIBUTES = etree.XPath("boolean(//*[count(@*) > $n])")
_COUNT_ELEMENTS = etree.XPath("count(//*)")


@functools.lru_cache(maxsize=8)
def _deeper_than(depth: int) -> etree.XPath:
    return etree.XPath("boolean(" + "/*" * (depth + 1) + ")")


def _check_tree(root: etree._Element, limits: Limits, tags: int, equals: int, end_tags: int) -> None:
    """The exact per-element rules, on the parsed tree; each runs only when the byte counts cannot decide it.

    ``equals`` (the number of ``=`` in the body) bounds the attributes on any one element, ``tags`` (the number
    of ``<``) the number of elements, and ``end_tags`` + 1 the depth, so the ordinary DUIS request skips all three.
    """
    if equals > limits.max_attributes and _MANY_ATTRIBUTES(root, n=limits.max_attributes):
        raise XMLRejected("too-many-attributes", f"more than {limits.max_attributes} attributes on one element")
    if tags > limits.max_elements:
        elements = int(_COUNT_ELEMENTS(root))
        if elements > limits.max_elements:
            raise XMLRejected("too-many-elements", f"{elements} elements; at most {limits.max_elements} allowed")
    if end_tags + 1 > limits.max_depth and _deeper_than(limits.max_depth)(root):
        raise XMLRejected("too-deep", f"nesting deeper than {limits.max_depth} elements")


def _refuse_node(node, allow_comments: bool) -> None:
    if isinstance(node, etree._ProcessingInstruction):
        raise XMLRejected("pi-forbidden", f"processing instruction <?{node.target} ...?> is not allowed")
    if isinstance(node, etree._Entity):
        raise XMLRejected("dtd-forbidden", f"entity reference &{node.name}; is not allowed")
    if isinstance(node, etree._Comment) and not allow_comments:
        raise XMLRejected("comment-forbidden", "comments are not allowed (they are not covered by the signature)")
