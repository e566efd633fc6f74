"""Safe parsing of untrusted XML (DESIGN §4 check 2: no DTD, no entities, no network, no huge trees).

Every XML body that reaches the service from outside goes through :func:`parse` before anything else looks
at it. The parser is configured so that libxml2 never loads a DTD, never substitutes an entity, never
touches the network and keeps its default size/depth limits; on top of that the document is refused
outright if it carries a DOCTYPE (internal subset, entity declarations, external id), an entity reference,
a processing instruction (the XML declaration is not one) or — unless the caller allows them — a comment.
Refusing instead of "parsing without expanding" keeps the rule simple to test and audit: DUIS never needs
a DTD (the DCC Boxed tools set ``disallow-doctype-decl``, reference §3) and never carries PIs.

Only UTF-8 is accepted: DUIS messages are UTF-8 and a single encoding rules out BOM/UTF-16 tricks.
"""

from __future__ import annotations

import threading

from lxml import etree

__all__ = ["DEFAULT_MAX_BYTES", "XMLRejected", "parse"]

#: Upper bound for one XML body. DUIS requests are a few kB; the largest DUIS responses we handle
#: (inventories, certificate chains) stay well under this. Callers may pass a smaller limit.
DEFAULT_MAX_BYTES = 1024 * 1024


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


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, allow_comments: bool = False) -> etree._ElementTree:
    """Parse untrusted ``data`` (bytes) into an lxml tree, or raise :class:`XMLRejected`.

    Codes: ``empty``, ``too-large``, ``not-well-formed``, ``bad-encoding``, ``dtd-forbidden``,
    ``pi-forbidden``, ``comment-forbidden``.
    """
    if isinstance(data, str):
        # A str has lost its original octets; signatures are over octets, so insist on bytes.
        raise TypeError("parse() takes bytes, not str")
    if len(data) > max_bytes:
        raise XMLRejected("too-large", f"body of {len(data)} bytes exceeds the limit of {max_bytes}")
    if not data.strip():
        raise XMLRejected("empty", "empty body")
    # Cheap pre-scan (C-level search): a DOCTYPE can only be refused by name before libxml2 starts
    # processing its internal subset (where e.g. entity-amplification limits would report a generic
    # syntax error). Reliable because only UTF-8 is accepted; other encodings are caught after parsing.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise XMLRejected("dtd-forbidden", "a DOCTYPE or entity declaration is not allowed")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except XMLRejected:
        raise
    except etree.XMLSyntaxError as exc:
        raise XMLRejected("not-well-formed", str(exc)) from None
    except ValueError as exc:  # e.g. lxml refusing an unknown or inconsistent encoding
        raise XMLRejected("not-well-formed", str(exc)) from None
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XMLRejected("dtd-forbidden", "a DOCTYPE declaration is not allowed")
    encoding = (docinfo.encoding or "UTF-8").upper()
    if encoding not in ("UTF-8", "UTF8"):
        raise XMLRejected("bad-encoding", f"only UTF-8 is accepted, not {docinfo.encoding}")
    root = tree.getroot()
    # Nodes beside the root (before or after it): only comments or PIs can live there.
    for node in (*root.itersiblings(preceding=True), *root.itersiblings()):
        _refuse_node(node, allow_comments)
    # One C-level pass over the tree that yields only the node kinds we refuse.
    kinds = (etree.PI, etree.Entity) if allow_comments else (etree.PI, etree.Entity, etree.Comment)
    for node in root.iter(*kinds):
        _refuse_node(node, allow_comments)
    return tree


def _refuse_node(node, allow_comments: bool) -> None:
    if isinstance(node, etree._ProcessingInstruction):
        raise XMLRejected("pi-forbidden", f"processing instruction <?{node.target} ...?> is not allowed")
    if isinstance(node, etree._Entity):
        raise XMLRejected("dtd-forbidden", f"entity reference &{node.name}; is not allowed")
    if isinstance(node, etree._Comment) and not allow_comments:
        raise XMLRejected("comment-forbidden", "comments are not allowed (they are not covered by the signature)")
