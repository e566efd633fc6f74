"""The command as sent to the device: the Signed Pre-Command inside a GBCS General-Ciphering APDU whose
AES-GCM tag is the Access Control Broker's MAC (reference digest §5, "Command as sent to the device"; GBCS's
"ACB-MAC"). For the device gateway of the next issue; byte-identical to the RTDS ``*_COMMAND_GBCS.HEX``.

Layout::

    DD                          general-ciphering tag
    00 00 00 00 00 00           transaction-id, originator / recipient system titles, date-time,
                                other-information (all empty), key-info absent
    BER length | 11 | 00000000 | signed General-Signing APDU | MAC(12)
                 security control (authentication only), invocation counter

The MAC is the 12-byte AES-128-GCM tag over empty plaintext with
IV = originator system title ‖ invocation counter, AAD = security header ‖ 00 ‖ the signed APDU, and a key derived
from the static ECDH secret of the ACB's Key Agreement key and the device's (NIST SP 800-56A concatenation KDF
with SHA-256; other-info = algorithm id ‖ originator title ‖ transaction-id ‖ recipient title).
"""

from __future__ import annotations

import hmac

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash

from .errors import GbcsRefused
from .frame import TRANSACTION_ID_LENGTH, Frame, Reader, ber_length, eui_bytes, parse_frame

GENERAL_CIPHERING = 0xDD
SECURITY_CONTROL_AUTHENTICATED = 0x11
MAC_LENGTH = 12
#: GBCS's AlgorithmID of the KDF other-info (the ECC key agreement, AES-GCM 128 suite) as RTDS uses it.
KDF_ALGORITHM_ID = bytes.fromhex("60857406080300")
_EMPTY_HEADER = bytes(6)
#: The AAD is the security header, one zero byte, then the signed APDU: the digest's ``11 00 00 00 00 00 ‖ APDU``,
#: verified on every RTDS SRV 1.6 command (without the zero byte no RTDS MAC verifies).
_AAD_SEPARATOR = b"\x00"


def mac_key(frame: Frame, acb_private_key: ec.EllipticCurvePrivateKey,
            device_public_key: ec.EllipticCurvePublicKey | x509.Certificate) -> bytes:
    """The 16-byte AES key for this command's MAC."""
    if isinstance(device_public_key, x509.Certificate):
        device_public_key = device_public_key.public_key()
    if not isinstance(acb_private_key, ec.EllipticCurvePrivateKey) or not isinstance(
            device_public_key, ec.EllipticCurvePublicKey):
        raise GbcsRefused("gbcs-key-unsupported", "the ACB MAC needs EC Key Agreement keys")
    shared = acb_private_key.exchange(ec.ECDH(), device_public_key)
    other_info = (KDF_ALGORITHM_ID + eui_bytes(frame.originator)
                  + bytes([TRANSACTION_ID_LENGTH, frame.cra_flag]) + frame.counter.to_bytes(8, "big")
                  + eui_bytes(frame.recipient))
    return ConcatKDFHash(algorithm=hashes.SHA256(), length=16, otherinfo=other_info).derive(shared)


def _mac(frame: Frame, signed: bytes, security_header: bytes, key: bytes) -> bytes:
    iv = eui_bytes(frame.originator) + security_header[1:]
    return AESGCM(key).encrypt(iv, b"", security_header + _AAD_SEPARATOR + signed)[:MAC_LENGTH]


def wrap(signed: bytes, acb_private_key: ec.EllipticCurvePrivateKey,
         device_public_key: ec.EllipticCurvePublicKey | x509.Certificate, *, invocation_counter: int = 0) -> bytes:
    """The General-Ciphering command for a Signed Pre-Command, MAC'd with the ACB's Key Agreement key."""
    frame = parse_frame(signed)
    if not frame.signature:
        raise GbcsRefused("gbcs-signature-missing", "only a signed command goes to a device")
    security_header = bytes([SECURITY_CONTROL_AUTHENTICATED]) + invocation_counter.to_bytes(4, "big")
    tag = _mac(frame, signed, security_header, mac_key(frame, acb_private_key, device_public_key))
    ciphered = security_header + signed + tag
    return bytes([GENERAL_CIPHERING]) + _EMPTY_HEADER + ber_length(len(ciphered)) + ciphered


def unwrap(command: bytes, *, acb_private_key: ec.EllipticCurvePrivateKey | None = None,
           device_public_key: ec.EllipticCurvePublicKey | x509.Certificate | None = None) -> bytes:
    """The Signed Pre-Command inside a General-Ciphering command; with both keys the MAC is checked too
    (``gbcs-mac-invalid``)."""
    r = Reader(bytes(command), "General-Ciphering APDU")
    if r.byte() != GENERAL_CIPHERING or r.take(6) != _EMPTY_HEADER:
        raise GbcsRefused("gbcs-not-general-ciphering", "not a DCC General-Ciphering command (DD 00…)")
    ciphered = r.take(r.ber_length())
    if r.remaining:
        raise GbcsRefused("gbcs-not-general-ciphering", "bytes after the ciphered content")
    if len(ciphered) < 5 + MAC_LENGTH or ciphered[0] != SECURITY_CONTROL_AUTHENTICATED:
        raise GbcsRefused("gbcs-not-general-ciphering", "no authentication-only security header")
    security_header, signed, tag = ciphered[:5], ciphered[5:-MAC_LENGTH], ciphered[-MAC_LENGTH:]
    frame = parse_frame(signed)
    if acb_private_key is not None and device_public_key is not None:
        want = _mac(frame, signed, security_header, mac_key(frame, acb_private_key, device_public_key))
        if not hmac.compare_digest(want, tag):
            raise GbcsRefused("gbcs-mac-invalid", "the ACB MAC does not verify")
    return signed
