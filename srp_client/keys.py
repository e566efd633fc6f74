"""Keys and certificates from PEM files (issue 11 point 6: "its keys from files").

Three kinds of credential, all EC P-256 (the SMKI profile, reference digest §4):

* the SRP's **XML signing** key and certificate, for its SoLR Contingency User ID: every DUIS request it sends
  is signed with them (DESIGN §2 step 3, MP134B requirement 2). The User ID is the certificate's EUI-64;
* the failed Supplier's **Digital Signing** key (device level, GBCS), one per User ID of that Supplier (its import
  supplier and gas supplier User IDs): the meters still trust it, so the SRP signs the Pre-Commands with it
  (DESIGN §2 step 5). Its User ID comes from its certificate, or is given;
* the DCC's **XML signing** certificate, to check that every answer and Service Response comes from the DCC.

Private keys are PKCS#8 or traditional PEM, unencrypted or with a password; certificates PEM. Nothing here
imports Django.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from contingency.duis.requestid import format_eui

from .errors import ClientError

__all__ = ["SupplierKey", "XmlSigner", "certificate_eui", "load_certificate", "load_private_key", "supplier_key",
           "xml_signer"]

#: x500UniqueIdentifier: the SMKI Organisation Certificate's EUI-64, a BIT STRING (reference digest §4).
X500_UNIQUE_IDENTIFIER = x509.ObjectIdentifier("2.5.4.45")


@dataclass(frozen=True)
class XmlSigner:
    """The SRP's XML signing credential: what signs its DUIS requests. ``user_id`` is the RequestID originator."""

    user_id: str
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


@dataclass(frozen=True)
class SupplierKey:
    """A failed Supplier User ID's Digital Signing key: signs the Pre-Commands whose GBCS originator it is."""

    user_id: str
    key: ec.EllipticCurvePrivateKey


def load_private_key(path: str | os.PathLike, password: bytes | None = None) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password)
    except OSError as exc:
        raise ClientError("key-file-unreadable", f"{path}: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:
        raise ClientError("key-file-invalid", f"{path}: not a PEM private key ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ClientError("key-file-invalid", f"{path}: not an EC P-256 private key (the SMKI profile)")
    return key


def load_certificate(path: str | os.PathLike) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(Path(path).read_bytes())
    except OSError as exc:
        raise ClientError("certificate-file-unreadable", f"{path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ClientError("certificate-file-invalid", f"{path}: not a PEM certificate ({exc})") from None


def certificate_eui(certificate: x509.Certificate) -> str | None:
    """The EUI-64 in the subject's x500UniqueIdentifier (unused-bits octet 0, then 8 bytes), or None."""
    for attribute in certificate.subject.get_attributes_for_oid(X500_UNIQUE_IDENTIFIER):
        value = attribute.value
        if isinstance(value, bytes) and len(value) == 9 and value[0] == 0:
            return format_eui(value[1:])
    return None


def _matches(key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> bool:
    return key.public_key().public_numbers() == certificate.public_key().public_numbers()


def _user_id(certificate: x509.Certificate | None, given: str | None, what: str) -> str:
    from_cert = certificate_eui(certificate) if certificate is not None else None
    try:
        given = format_eui(given) if given else None
    except ValueError:
        raise ClientError("user-id-invalid", f"{given!r} is not an EUI-64") from None
    if given and from_cert and given != from_cert:
        raise ClientError("user-id-mismatch", f"{what}: the certificate is {from_cert}'s, not {given}'s")
    if not (given or from_cert):
        raise ClientError("user-id-missing", f"{what}: no EUI-64 in the certificate and none given")
    return given or from_cert


def xml_signer(key_path, cert_path, *, user_id: str | None = None, password: bytes | None = None) -> XmlSigner:
    """The SRP's XML signing credential from its key and certificate files; the key must be the certificate's."""
    key = load_private_key(key_path, password)
    certificate = load_certificate(cert_path)
    if not _matches(key, certificate):
        raise ClientError("key-certificate-mismatch", f"{key_path} is not the key of {cert_path}")
    return XmlSigner(_user_id(certificate, user_id, str(cert_path)), key, certificate)


def supplier_key(key_path, cert_path=None, *, user_id: str | None = None,
                 password: bytes | None = None) -> SupplierKey:
    """A failed Supplier's Digital Signing key; its User ID from ``cert_path`` (checked against the key) or given."""
    key = load_private_key(key_path, password)
    certificate = load_certificate(cert_path) if cert_path else None
    if certificate is not None and not _matches(key, certificate):
        raise ClientError("key-certificate-mismatch", f"{key_path} is not the key of {cert_path}")
    return SupplierKey(_user_id(certificate, user_id, str(cert_path or key_path)), key)
