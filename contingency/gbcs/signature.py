"""GBCS command signatures (reference digest §5, "Signing"; GBCS's ECDSA signature of the General-Signing APDU).

The Supplier signs a Pre-Command with its device-level Digital Signing key: ECDSA over P-256 with SHA-256, over
everything after the APDU's leading ``DF`` up to the end of the content, written as IEEE P1363 r‖s (32 + 32
bytes) after a length byte ``40``. Verified on every RTDS SRV 1.6 command with the supplier's RTDS key.

Generic over General-Signing APDUs (commands, responses and alerts), so the same code checks a device's
signature on its response. The cryptography is ``cryptography``'s; only the framing is ours.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from .errors import GbcsRefused
from .frame import SIGNATURE_LENGTH, Frame, parse_frame

_HALF = SIGNATURE_LENGTH // 2
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def sign(apdu: bytes, private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """``apdu`` (unsigned, or ending in a null signature length, which is dropped) followed by its signature."""
    frame = parse_frame(apdu)
    if frame.signature:
        raise GbcsRefused("gbcs-already-signed", "the APDU already carries a signature")
    _check_key(private_key, ec.EllipticCurvePrivateKey)
    body = frame.unsigned
    r, s = decode_dss_signature(private_key.sign(body[1:], _ECDSA_SHA256))
    return body + bytes([SIGNATURE_LENGTH]) + r.to_bytes(_HALF, "big") + s.to_bytes(_HALF, "big")


def verify(signed: bytes, public_key: ec.EllipticCurvePublicKey | x509.Certificate) -> Frame:
    """The parsed frame if its signature verifies with ``public_key`` (or a certificate's key); otherwise
    ``GbcsRefused`` (``gbcs-signature-missing``, ``gbcs-signature-invalid``, or a framing code)."""
    frame = parse_frame(signed)
    if not frame.signature:
        raise GbcsRefused("gbcs-signature-missing", "the APDU carries no signature")
    if is_signed_by(frame, public_key):
        return frame
    raise GbcsRefused("gbcs-signature-invalid", "the GBCS signature does not verify with the given key")


def is_signed_by(frame: Frame, public_key: ec.EllipticCurvePublicKey | x509.Certificate) -> bool:
    """Whether a parsed, signed frame's signature verifies with ``public_key``."""
    if isinstance(public_key, x509.Certificate):
        public_key = public_key.public_key()
    _check_key(public_key, ec.EllipticCurvePublicKey)
    if not frame.signature:
        return False
    r = int.from_bytes(frame.signature[:_HALF], "big")
    s = int.from_bytes(frame.signature[_HALF:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), frame.unsigned[1:], _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True


def _check_key(key, kind) -> None:
    if not isinstance(key, kind) or not isinstance(key.curve, ec.SECP256R1):
        raise GbcsRefused("gbcs-key-unsupported", "GBCS signatures use ECDSA keys on P-256")
