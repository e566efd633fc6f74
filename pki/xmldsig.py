"""DUIS XML signatures: sign and verify exactly the DCC Boxed profile (reference §3, DESIGN §4 check 4).

The profile, and nothing else, is accepted:

* an enveloped ``ds:Signature`` that is the root's last child, the only one in the document;
* ``SignedInfo`` canonicalised with exclusive C14N (``xml-exc-c14n#``, no comments);
* ``SignatureMethod`` ``xmldsig-more#ecdsa-sha256``, SignatureValue = base64 of raw r‖s;
* one ``Reference`` with ``URI=""``, exactly one transform (``enveloped-signature``), SHA-256 digest.
  The digest input is the inclusive C14N 1.0 of the document minus the Signature (XMLDSig's default
  node-set → octets conversion, reference §3 [verified]);
* ``KeyInfo`` = ``X509Data/X509IssuerSerial`` (RFC 2253 issuer as Java prints it, decimal serial) and
  nothing else. Keys or certificates inside the document are never used: the signer is found by issuer +
  serial (a resolver: the certificate repository, ``pki.signers``) or must be the certificate the caller
  gives, and its public key comes from there.

:func:`verify` safe-parses (with the tree limits of ``pki.safexml``), checks the structure before any lookup
or cryptography, finds the signer, verifies the SignatureValue over SignedInfo with python-xmlsec, and only
then canonicalises the document and checks its digest. It returns a :class:`Verified` whose tree is parsed
from the canonical signed octets, so a caller can only ever see content that was signed.

This module is the profile only: it imports neither Django nor the repository, so an SRP's client can sign
and verify without Django (issue 6 point 4). The repository-backed signer lookup, its cache and the verifier
the DUIS endpoints use are in ``pki.signers``.

Whitespace (reference §3): the verifier is whitespace-preserving — it checks the document exactly as
received, like javax.xml.crypto with a default parser, xmlsec and signxml. :func:`sign` always signs
compact XML (whitespace-only text between elements removed, as the DCC Boxed tools emit it), so what we
sign also verifies under the DCC Boxed tools, which drop element-content whitespace before verifying.
See docs/xml-signatures.md for the reasoning and the list of rejection codes.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree

from pki import safexml
from pki.names import InvalidName, name_key, rfc2253

__all__ = [
    "DS_NS",
    "SignatureRejected",
    "SignerRefused",
    "Verified",
    "sign",
    "verify",
]

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
ALG_EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ALG_ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ALG_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
ALG_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

_DS = f"{{{DS_NS}}}"
TAG_SIGNATURE = _DS + "Signature"
TAG_SIGNED_INFO = _DS + "SignedInfo"
TAG_C14N_METHOD = _DS + "CanonicalizationMethod"
TAG_SIGNATURE_METHOD = _DS + "SignatureMethod"
TAG_REFERENCE = _DS + "Reference"
TAG_TRANSFORMS = _DS + "Transforms"
TAG_TRANSFORM = _DS + "Transform"
TAG_DIGEST_METHOD = _DS + "DigestMethod"
TAG_DIGEST_VALUE = _DS + "DigestValue"
TAG_SIGNATURE_VALUE = _DS + "SignatureValue"
TAG_KEY_INFO = _DS + "KeyInfo"
TAG_X509_DATA = _DS + "X509Data"
TAG_ISSUER_SERIAL = _DS + "X509IssuerSerial"
TAG_ISSUER_NAME = _DS + "X509IssuerName"
TAG_SERIAL_NUMBER = _DS + "X509SerialNumber"

#: The certificate kinds a DUIS request signer may have (DESIGN §4 check 4: an XML-signing certificate).
DEFAULT_KINDS: tuple[str, ...] = ("xml-signing",)

# X509SerialNumber is an XML Schema integer; we accept only the canonical decimal form Java prints
# (no sign, no leading zeros, no spaces). SMKI serials are 16 bytes (reference §4); RFC 5280 caps at 20
# octets = 49 decimal digits.
_SERIAL_RE = re.compile(r"(?:0|[1-9][0-9]{0,48})")
_B64_WS = re.compile(rb"[ \t\r\n]+")


class SignatureRejected(safexml.XMLRejected):
    """The document is refused. ``code`` is stable and documented in docs/xml-signatures.md.

    For ``unknown-signer`` ``signer_code`` carries the resolver's :class:`SignerRefused` code
    (``unknown-certificate``, ``issuer-mismatch``, ``expired``, ``revoked`` …).
    """

    def __init__(self, code: str, message: str, *, signer_code: str | None = None):
        super().__init__(code, message)
        self.signer_code = signer_code


class SignerRefused(Exception):
    """Raised by a resolver: the certificate named by KeyInfo may not sign. ``code`` is stable.

    The only exception :func:`verify` turns into a rejection (``unknown-signer``); anything else a resolver
    raises (a database outage …) is not a verdict on the document and propagates. ``pki.signers`` maps the
    repository's ``SignerRejected`` codes onto it unchanged.
    """

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Verified:
    """A verified DUIS document.

    ``tree`` is parsed from ``signed_octets`` (the canonical octets the digest covers), so it holds exactly
    the signed content and no Signature element. ``signer`` is what the resolver returned (``pki.signers``: the
    repository's Certificate) or the certificate given to :func:`verify`.
    """

    tree: etree._ElementTree
    signer: Any
    signed_octets: bytes = field(repr=False)
    issuer_name: str
    serial: int

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()


#: ``resolver(issuer_name, serial, at=, kinds=)`` returns the signer certificate or raises SignerRefused.
Resolver = Callable[..., Any]


# --------------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------------


def verify(
    xml: bytes,
    *,
    resolver: Resolver | None = None,
    certificate: Any = None,
    at: datetime | None = None,
    kinds: tuple[str, ...] = DEFAULT_KINDS,
    max_bytes: int = safexml.DEFAULT_MAX_BYTES,
    limits: safexml.Limits = safexml.DEFAULT_LIMITS,
) -> Verified:
    """Verify a DUIS document signed with the DCC Boxed profile, or raise :class:`SignatureRejected`.

    The signer comes from exactly one of:

    * ``resolver(issuer_name, serial, at=, kinds=)``, which returns the signer certificate (anything with
      ``public_key()``) or raises :class:`SignerRefused`; ``kinds`` are the acceptable certificate kinds
      (DUIS requests: ``("xml-signing",)``). The repository-backed one is ``pki.signers``;
    * ``certificate``, a cryptography ``x509.Certificate`` (or anything with ``.x509()``): KeyInfo must name
      it (issuer compared as a name, serial) and it must be within its validity period at ``at``.

    ``at`` is the time at which the certificate must be valid (None: now). ``max_bytes`` and ``limits`` bound
    the work done before anything shows who sent the document (docs/xml-signatures.md).
    """
    if (resolver is None) == (certificate is None):
        raise TypeError("verify() needs exactly one of resolver= or certificate= "
                        "(the repository-backed verifier is pki.signers.verify)")
    try:
        tree = safexml.parse(xml, max_bytes=max_bytes, limits=limits)
    except safexml.XMLRejected as exc:
        raise SignatureRejected(exc.code, exc.message) from None
    root = tree.getroot()
    signature = _the_signature(root)
    profile = _check_profile(signature)

    if resolver is None:
        resolver = _GivenCertificate(certificate)
    signer = _resolve(resolver, profile.issuer_name, profile.serial, at, kinds)

    # XMLDSig core validation, SignatureValue first: the signer's key over SignedInfo (a few hundred bytes)
    # proves who signed before the whole document is canonicalised (issue 7 point 1).
    _check_signature_value(signature[0], profile.signature_value, signer)
    # Then the Reference: the one digest input (inclusive C14N of the document minus the Signature).
    signed_octets = _c14n_without(tree, signature)  # detaches the Signature: the tree is not used after this
    if not hmac.compare_digest(hashlib.sha256(signed_octets).digest(), profile.digest_value):
        raise SignatureRejected("digest-mismatch", "the document does not match the signed digest")

    # Re-derive the tree the caller gets from the signed octets: whatever was not signed cannot reach it.
    verified_tree = safexml.parse(signed_octets, max_bytes=max(max_bytes, len(signed_octets)), limits=limits)
    return Verified(
        tree=verified_tree,
        signer=signer,
        signed_octets=signed_octets,
        issuer_name=profile.issuer_name,
        serial=profile.serial,
    )


def _the_signature(root: etree._Element) -> etree._Element:
    signatures = list(root.iter(TAG_SIGNATURE))
    if not signatures:
        raise SignatureRejected("unsigned", "the document has no ds:Signature")
    if len(signatures) > 1:
        raise SignatureRejected("multiple-signatures", f"{len(signatures)} ds:Signature elements; exactly one allowed")
    signature = signatures[0]
    # Reference §3: enveloped, a child of the root after sr:Body (last child). Anything after it, or a
    # Signature elsewhere, is the shape of a wrapping attack.
    if signature.getparent() is not root or root[-1] is not signature:
        raise SignatureRejected("signature-not-last-child", "the ds:Signature must be the root element's last child")
    return signature


@dataclass(frozen=True)
class _Profile:
    digest_value: bytes
    signature_value: bytes
    issuer_name: str
    serial: int


def _children(element: etree._Element, expected: tuple[str, ...], code: str) -> list[etree._Element]:
    """The element children of ``element``, which must have exactly the tags ``expected`` in this order.

    Text between them must be whitespace (element-only content in the XMLDSig schema).
    """
    children = list(element)
    tags = tuple(child.tag for child in children)
    if tags != expected:
        raise SignatureRejected(
            code, f"{_local(element.tag)} must contain {[_local(t) for t in expected]}, not {[_local(t) for t in tags]}"
        )
    if not _blank(element.text) or any(not _blank(child.tail) for child in children):
        raise SignatureRejected(code, f"unexpected text inside {_local(element.tag)}")
    return children


def _no_attributes(element: etree._Element, code: str, allowed: tuple[str, ...] = ()) -> None:
    extra = [name for name in element.attrib if name not in allowed]
    if extra:
        raise SignatureRejected(code, f"unexpected attribute(s) {extra} on {_local(element.tag)}")


def _algorithm(element: etree._Element, expected: str, code: str) -> None:
    _no_attributes(element, code, allowed=("Algorithm",))
    if element.get("Algorithm") != expected:
        raise SignatureRejected(
            code, f"{_local(element.tag)} Algorithm must be {expected!r}, not {element.get('Algorithm')!r}"
        )
    if len(element) or not _blank(element.text):  # e.g. InclusiveNamespaces, HMACOutputLength, XPath
        raise SignatureRejected(code, f"{_local(element.tag)} must be empty")


# The one accepted shape of a Signature's descendants, in document order: (tag, parent tag, attributes).
# Tags are unique in the profile, so the parent's tag pins the nesting. Leaves whose text is a value:
_EXPECTED_SHAPE = (
    (TAG_SIGNED_INFO, TAG_SIGNATURE, ()),
    (TAG_C14N_METHOD, TAG_SIGNED_INFO, (("Algorithm", ALG_EXC_C14N),)),
    (TAG_SIGNATURE_METHOD, TAG_SIGNED_INFO, (("Algorithm", ALG_ECDSA_SHA256),)),
    (TAG_REFERENCE, TAG_SIGNED_INFO, (("URI", ""),)),
    (TAG_TRANSFORMS, TAG_REFERENCE, ()),
    (TAG_TRANSFORM, TAG_TRANSFORMS, (("Algorithm", ALG_ENVELOPED),)),
    (TAG_DIGEST_METHOD, TAG_REFERENCE, (("Algorithm", ALG_SHA256),)),
    (TAG_DIGEST_VALUE, TAG_REFERENCE, ()),
    (TAG_SIGNATURE_VALUE, TAG_SIGNATURE, ()),
    (TAG_KEY_INFO, TAG_SIGNATURE, ()),
    (TAG_X509_DATA, TAG_KEY_INFO, ()),
    (TAG_ISSUER_SERIAL, TAG_X509_DATA, ()),
    (TAG_ISSUER_NAME, TAG_ISSUER_SERIAL, ()),
    (TAG_SERIAL_NUMBER, TAG_ISSUER_SERIAL, ()),
)
_VALUE_TAGS = frozenset({TAG_DIGEST_VALUE, TAG_SIGNATURE_VALUE, TAG_ISSUER_NAME, TAG_SERIAL_NUMBER})


def _check_profile(signature: etree._Element) -> _Profile:
    """Check the Signature against the profile, structurally, before any cryptography.

    The hot path compares the whole shape in one pass; only a document that differs takes the detailed
    walk below, which names the first violation with a specific code.
    """
    descendants = list(signature.iterdescendants())
    shape = tuple((el.tag, el.getparent().tag, tuple(el.items())) for el in descendants)
    if (
        shape == _EXPECTED_SHAPE
        and not signature.attrib
        and _blank(signature.text)
        and all(_blank(el.tail) and (el.tag in _VALUE_TAGS or _blank(el.text)) for el in descendants)
    ):
        digest_value, signature_value = descendants[7], descendants[8]
        issuer_el, serial_el = descendants[12], descendants[13]
        return _Profile(
            digest_value=_base64(digest_value, "DigestValue", 32),
            signature_value=_base64(signature_value, "SignatureValue", 64),
            issuer_name=_issuer(issuer_el),
            serial=_serial(serial_el),
        )
    _check_profile_in_detail(signature)
    raise SignatureRejected("bad-signature-structure", "the Signature does not have the DUIS profile's shape")


def _check_profile_in_detail(signature: etree._Element) -> _Profile:
    _no_attributes(signature, "bad-signature-structure")
    # No ds:Object (a classic place to hide wrapped content), no Id, nothing but the three parts.
    if tuple(child.tag for child in signature) == (TAG_SIGNED_INFO, TAG_SIGNATURE_VALUE):
        # The signer cannot be identified (vectors: readfw-response-no-serial.xml).
        raise SignatureRejected("bad-keyinfo", "the Signature has no KeyInfo/X509Data/X509IssuerSerial")
    signed_info, signature_value, key_info = _children(
        signature, (TAG_SIGNED_INFO, TAG_SIGNATURE_VALUE, TAG_KEY_INFO), "bad-signature-structure"
    )
    _no_attributes(signed_info, "bad-signature-structure")

    tags = tuple(child.tag for child in signed_info)
    if tags.count(TAG_REFERENCE) > 1:
        raise SignatureRejected("multiple-references", f"{tags.count(TAG_REFERENCE)} References; exactly one allowed")
    c14n_method, signature_method, reference = _children(
        signed_info, (TAG_C14N_METHOD, TAG_SIGNATURE_METHOD, TAG_REFERENCE), "bad-signature-structure"
    )
    _algorithm(c14n_method, ALG_EXC_C14N, "bad-algorithm")
    _algorithm(signature_method, ALG_ECDSA_SHA256, "bad-algorithm")

    _no_attributes(reference, "reference-not-whole-document", allowed=("URI",))
    if reference.get("URI") != "":
        # Only the whole document may be signed; "#id", "#xpointer(/)" or a missing URI are refused.
        raise SignatureRejected(
            "reference-not-whole-document", f'Reference URI must be "", not {reference.get("URI")!r}'
        )
    ref_children = list(reference)
    if not ref_children or ref_children[0].tag != TAG_TRANSFORMS:
        raise SignatureRejected("bad-transforms", "the Reference must have Transforms = [enveloped-signature]")
    transforms, digest_method, digest_value = _children(
        reference, (TAG_TRANSFORMS, TAG_DIGEST_METHOD, TAG_DIGEST_VALUE), "bad-signature-structure"
    )
    _no_attributes(transforms, "bad-transforms")
    transform_list = list(transforms)
    if len(transform_list) != 1 or transform_list[0].tag != TAG_TRANSFORM:
        raise SignatureRejected("bad-transforms", f"exactly one Transform allowed, found {len(transform_list)}")
    _children(transforms, (TAG_TRANSFORM,), "bad-transforms")
    _algorithm(transform_list[0], ALG_ENVELOPED, "bad-transforms")
    _algorithm(digest_method, ALG_SHA256, "bad-algorithm")

    _no_attributes(digest_value, "bad-signature-structure")
    digest = _base64(digest_value, "DigestValue", 32)
    _no_attributes(signature_value, "bad-signature-structure")
    if len(signature_value):
        raise SignatureRejected("bad-signature-structure", "SignatureValue must contain only base64 text")
    # ECDSA P-256 raw r‖s is 64 octets (reference §3); a DER-encoded value is a profile violation.
    raw_signature = _base64(signature_value, "SignatureValue", 64)

    issuer_name, serial = _check_key_info(key_info)
    return _Profile(digest_value=digest, signature_value=raw_signature, issuer_name=issuer_name, serial=serial)


def _check_key_info(key_info: etree._Element) -> tuple[str, int]:
    # Exactly X509Data/X509IssuerSerial: an X509Certificate, KeyValue, KeyName, RetrievalMethod … would be
    # something an attacker controls; we never use it, and refusing it keeps the profile unambiguous.
    _no_attributes(key_info, "bad-keyinfo")
    (x509_data,) = _children(key_info, (TAG_X509_DATA,), "bad-keyinfo")
    _no_attributes(x509_data, "bad-keyinfo")
    (issuer_serial,) = _children(x509_data, (TAG_ISSUER_SERIAL,), "bad-keyinfo")
    _no_attributes(issuer_serial, "bad-keyinfo")
    issuer_el, serial_el = _children(issuer_serial, (TAG_ISSUER_NAME, TAG_SERIAL_NUMBER), "bad-keyinfo")
    for leaf in (issuer_el, serial_el):
        _no_attributes(leaf, "bad-keyinfo")
        if len(leaf):
            raise SignatureRejected("bad-keyinfo", f"{_local(leaf.tag)} must contain text only")
    return _issuer(issuer_el), _serial(serial_el)


def _issuer(element: etree._Element) -> str:
    issuer_name = (element.text or "").strip()
    if not issuer_name:
        raise SignatureRejected("bad-keyinfo", "X509IssuerName is empty")
    return issuer_name


def _serial(element: etree._Element) -> int:
    serial_text = (element.text or "").strip()
    if not _SERIAL_RE.fullmatch(serial_text):
        raise SignatureRejected("bad-keyinfo", f"X509SerialNumber must be a decimal integer, not {serial_text[:60]!r}")
    return int(serial_text)


def _base64(element: etree._Element, what: str, size: int) -> bytes:
    # Java wraps base64 at 76 columns with "&#13;\n" (reference §3); whitespace inside base64 is allowed.
    text = _B64_WS.sub(b"", (element.text or "").encode("ascii", "replace"))
    try:
        value = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRejected("bad-signature-structure", f"{what} is not valid base64") from None
    if len(value) != size:
        raise SignatureRejected("bad-signature-structure", f"{what} must be {size} octets, not {len(value)}")
    return value


class _GivenCertificate:
    """The resolver for ``verify(certificate=...)``: KeyInfo must name this certificate, valid at ``at``."""

    def __init__(self, certificate):
        cert = certificate.x509() if hasattr(certificate, "x509") else certificate
        if not isinstance(cert, x509.Certificate):
            raise TypeError("certificate must be a cryptography x509.Certificate (or have .x509())")
        self.cert = cert
        self.issuer_key = name_key(cert.issuer)

    def __call__(self, issuer_name: str, serial: int, *, at=None, kinds=()):
        cert = self.cert
        if serial != cert.serial_number:
            raise SignerRefused("unknown-certificate", f"KeyInfo names serial {serial}, not {cert.serial_number}")
        try:
            same_issuer = name_key(issuer_name) == self.issuer_key
        except InvalidName:
            same_issuer = False
        if not same_issuer:
            raise SignerRefused(
                "issuer-mismatch", f"KeyInfo names issuer {issuer_name!r}, not {rfc2253(cert.issuer)!r}"
            )
        when = at or datetime.now(UTC)
        if when < cert.not_valid_before_utc:
            raise SignerRefused("not-yet-valid", f"the certificate is not valid before {cert.not_valid_before_utc}")
        if when > cert.not_valid_after_utc:
            raise SignerRefused("expired", f"the certificate expired at {cert.not_valid_after_utc}")
        return cert


def _resolve(resolver: Resolver, issuer_name: str, serial: int, at, kinds):
    try:
        return resolver(issuer_name, serial, at=at, kinds=kinds)
    except SignerRefused as exc:
        # Only SignerRefused is a verdict; anything else (a database outage …) propagates.
        raise SignatureRejected(
            "unknown-signer", f"signer {issuer_name} #{serial} refused: {exc.code}: {exc.message}", signer_code=exc.code
        ) from None


def _c14n_without(tree: etree._ElementTree, signature: etree._Element) -> bytes:
    """Inclusive C14N 1.0 (no comments) of the document minus the Signature: the Reference's digest input.

    Destructive: the Signature is removed from ``tree`` (re-inserting it could let lxml reconcile its
    namespace prefix with an ancestor's, changing SignedInfo's canonical form). The enveloped-signature
    transform removes the Signature element only; the text after it (lxml's ``tail``) belongs to the
    parent and stays, so it is moved to the previous sibling.
    """
    parent = signature.getparent()
    tail = signature.tail
    if tail:
        previous = signature.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(signature)
    return etree.tostring(tree, method="c14n", exclusive=False, with_comments=False)


# xmlsec keys built from signers' certificates, keyed by certificate fingerprint or SPKI DER. Caching the key
# (not the certificate decision) is safe: the resolver is asked on every call, so revocation, expiry and kind
# checks always apply; the cache only saves re-parsing a public key we already parsed.
_KEY_CACHE: dict[bytes, xmlsec.Key] = {}
_KEY_CACHE_MAX = 1024
_KEY_CACHE_LOCK = threading.Lock()


def _xmlsec_key(signer) -> xmlsec.Key:
    # pki.models.Certificate carries the SHA-256 of its DER; other certificate objects are keyed by SPKI.
    fingerprint = getattr(signer, "fingerprint", None)
    if isinstance(fingerprint, str) and fingerprint:
        cache_key = b"fp:" + fingerprint.encode()
    else:
        cache_key = signer.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    key = _KEY_CACHE.get(cache_key)
    if key is None:
        public_key = signer.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
            raise SignatureRejected("bad-signature", "the signer's key is not an EC P-256 key")
        pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        key = xmlsec.Key.from_memory(pem, xmlsec.KeyFormat.PEM)
        with _KEY_CACHE_LOCK:
            if len(_KEY_CACHE) >= _KEY_CACHE_MAX:
                _KEY_CACHE.clear()
            _KEY_CACHE[cache_key] = key
    return key


def _check_signature_value(signed_info: etree._Element, signature_value: bytes, signer) -> None:
    """SignatureValue (raw r‖s) over the exclusive C14N of SignedInfo, verified by libxmlsec1 with the signer's key.

    The exclusive C14N of SignedInfo in place is exactly what :func:`sign` signs and what the profile's
    CanonicalizationMethod names (checked before this runs); xmlsec's ``verify_binary`` runs only the
    profile's ECDSA-SHA256 on it. Checking the Reference ourselves instead of letting xmlsec run it over
    the whole document keeps the document to one canonicalisation, without xmlsec's node-set machinery,
    whose cost grows with elements × namespaces (benchmarks/hostile_xml_bench.py).
    """
    octets = etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)
    ctx = xmlsec.SignatureContext()
    ctx.key = _xmlsec_key(signer)  # python-xmlsec duplicates the key into the context
    try:
        ctx.verify_binary(octets, xmlsec.Transform.ECDSA_SHA256, signature_value)
    except xmlsec.Error:
        raise SignatureRejected("bad-signature", "the signature does not verify with the signer's key") from None


# --------------------------------------------------------------------------------------------------
# Signing
# --------------------------------------------------------------------------------------------------


def sign(
    xml: bytes | etree._Element | etree._ElementTree, private_key: ec.EllipticCurvePrivateKey, certificate
) -> bytes:
    """Sign a DUIS document for sending; returns compact UTF-8 XML with the ds:Signature as last child.

    ``certificate`` is a ``pki.models.Certificate`` (anything with ``.x509()``) or a cryptography
    ``x509.Certificate``; its issuer (RFC 2253, Java style) and serial go into KeyInfo. An existing
    ds:Signature child of the root (e.g. the templates' placeholder) is removed first, as the DCC Boxed
    signer does (reference §3 "Signing" step 2). The input is not modified.
    """
    cert = certificate.x509() if hasattr(certificate, "x509") else certificate
    if not isinstance(cert, x509.Certificate):
        raise TypeError("certificate must be a Certificate model or a cryptography x509.Certificate")
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or private_key.curve.name != "secp256r1":
        raise TypeError("the DUIS profile signs with an EC P-256 private key")
    if private_key.public_key().public_numbers() != cert.public_key().public_numbers():
        raise ValueError("the private key does not belong to the certificate")

    if isinstance(xml, bytes | bytearray):
        # Templates carry a comment inside their placeholder Signature; comments go with it.
        root = safexml.parse(bytes(xml), allow_comments=True).getroot()
    elif isinstance(xml, etree._ElementTree):
        root = copy.deepcopy(xml.getroot())
    elif isinstance(xml, etree._Element):
        root = copy.deepcopy(xml)
    else:
        raise TypeError("xml must be bytes or an lxml element/tree")

    for old in root.findall(TAG_SIGNATURE):
        root.remove(old)
    _compact(root)

    digest = hashlib.sha256(etree.tostring(root, method="c14n", exclusive=False, with_comments=False)).digest()

    signature = etree.SubElement(root, TAG_SIGNATURE, nsmap={"ds": DS_NS})
    signed_info = etree.SubElement(signature, TAG_SIGNED_INFO)
    etree.SubElement(signed_info, TAG_C14N_METHOD, Algorithm=ALG_EXC_C14N)
    etree.SubElement(signed_info, TAG_SIGNATURE_METHOD, Algorithm=ALG_ECDSA_SHA256)
    reference = etree.SubElement(signed_info, TAG_REFERENCE, URI="")
    transforms = etree.SubElement(reference, TAG_TRANSFORMS)
    etree.SubElement(transforms, TAG_TRANSFORM, Algorithm=ALG_ENVELOPED)
    etree.SubElement(reference, TAG_DIGEST_METHOD, Algorithm=ALG_SHA256)
    etree.SubElement(reference, TAG_DIGEST_VALUE).text = base64.b64encode(digest).decode("ascii")
    signature_value = etree.SubElement(signature, TAG_SIGNATURE_VALUE)
    key_info = etree.SubElement(signature, TAG_KEY_INFO)
    issuer_serial = etree.SubElement(etree.SubElement(key_info, TAG_X509_DATA), TAG_ISSUER_SERIAL)
    etree.SubElement(issuer_serial, TAG_ISSUER_NAME).text = rfc2253(cert.issuer)
    etree.SubElement(issuer_serial, TAG_SERIAL_NUMBER).text = str(cert.serial_number)

    signed_info_octets = etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)
    r, s = decode_dss_signature(private_key.sign(signed_info_octets, ec.ECDSA(hashes.SHA256())))
    # XMLDSig ECDSA SignatureValue is r‖s, each left-padded to the field size (RFC 4050 / RFC 6931).
    signature_value.text = base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode("ascii")

    return b'<?xml version="1.0" encoding="UTF-8"?>' + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def _compact(root: etree._Element) -> None:
    """Drop comments, PIs and whitespace-only text between elements (DUIS has no mixed content)."""
    for node in list(root.iter(etree.Comment, etree.PI)):
        parent = node.getparent()
        if parent is None:
            continue
        # Keep the text that followed the node.
        if node.tail:
            previous = node.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + node.tail
            else:
                parent.text = (parent.text or "") + node.tail
        parent.remove(node)
    for element in root.iter(etree.Element):
        if len(element) and _blank(element.text):
            element.text = None
        for child in element:
            if _blank(child.tail):
                child.tail = None
    if _blank(root.tail):
        root.tail = None


def _blank(text: str | None) -> bool:
    return text is None or not text.strip(" \t\r\n")


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else str(tag)
