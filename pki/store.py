"""The certificate store: read the SMKI facts out of an X.509 certificate and keep it as a Certificate row."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from portal.errors import Refusal
from portal.eui import InvalidEUI64, parse_eui64

from .models import (
    ROLE_DSP_XML_SIGN,
    ROLE_XML_SIGN,
    Certificate,
    CertificateAuthority,
    CertificateKind,
    CertificateSource,
    KeyUsage,
)
from .names import name_key, rfc2253
from .profile import X500_UNIQUE_IDENTIFIER, ProfileError, parse_role


class NotAnOrgCertificate(Refusal, ValueError):
    """Not an SMKI Organisation Certificate (docs/refusal-codes.md, SMKI)."""

    code = "not-an-org-certificate"


@dataclass(frozen=True)
class SmkiFacts:
    """What the SMKI profile says about a certificate (reference §4)."""

    eui: str | None
    role_code: int | None
    key_usage: str
    kind: str
    common_name: str


def subject_eui(name: x509.Name) -> str | None:
    """The EUI-64 in x500UniqueIdentifier (BIT STRING: unused-bits octet 0, then 8 bytes)."""
    for attr in name.get_attributes_for_oid(X500_UNIQUE_IDENTIFIER):
        value = attr.value
        if isinstance(value, bytes) and len(value) == 9 and value[0] == 0:
            try:
                return parse_eui64(value[1:])
            except InvalidEUI64:
                return None
    return None


def smki_facts(cert: x509.Certificate) -> SmkiFacts:
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise NotAnOrgCertificate("no Key Usage extension", code="no-key-usage") from None
    if ku.digital_signature:
        key_usage = KeyUsage.DIGITAL_SIGNATURE
    elif ku.key_agreement:
        key_usage = KeyUsage.KEY_AGREEMENT
    else:
        raise NotAnOrgCertificate("Key Usage has neither digitalSignature nor keyAgreement")
    ous = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    try:
        role = parse_role(str(ous[0].value), legacy_decimal=True) if ous else None
    except ProfileError:
        role = None
    if key_usage == KeyUsage.KEY_AGREEMENT:
        kind = CertificateKind.KEY_AGREEMENT
    elif role in (ROLE_XML_SIGN, ROLE_DSP_XML_SIGN):
        kind = CertificateKind.XML_SIGNING
    else:
        kind = CertificateKind.DIGITAL_SIGNING
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return SmkiFacts(eui=subject_eui(cert.subject), role_code=role, key_usage=key_usage, kind=kind,
                     common_name=str(cns[0].value) if cns else "")


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def issuing_ca_for(cert: x509.Certificate, candidates=None) -> CertificateAuthority | None:
    """A known CA whose subject is the certificate's issuer and whose key verifies its signature."""
    if candidates is None:
        candidates = CertificateAuthority.objects.filter(subject_key=name_key(cert.issuer))
    for ca in candidates:
        try:
            cert.verify_directly_issued_by(ca.x509())
        except (ValueError, TypeError, Exception):  # noqa: BLE001 - any failure means "not this CA"
            continue
        return ca
    return None


def new_certificate(cert: x509.Certificate, *, source: str = CertificateSource.ISSUED,
                    ca: CertificateAuthority | None = None, chain_verified: bool = False,
                    user_id=None, label: str = "", facts: SmkiFacts | None = None) -> Certificate:
    """An unsaved Certificate row for ``cert``."""
    facts = facts or smki_facts(cert)
    return Certificate(
        serial=str(cert.serial_number),
        issuer_name=rfc2253(cert.issuer),
        issuer_key=name_key(cert.issuer),
        subject_name=rfc2253(cert.subject),
        subject_eui=facts.eui,
        role_code=facts.role_code,
        kind=facts.kind,
        key_usage=facts.key_usage,
        der=cert.public_bytes(Encoding.DER),
        fingerprint=fingerprint(cert),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        source=source,
        ca=ca,
        chain_verified=chain_verified,
        user_id=user_id,
        label=label[:128],
    )
