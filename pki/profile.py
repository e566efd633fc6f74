"""The certificate profiles: SMKI Organisation Certificates and the DCC CAs that issue them.

Pinned by the SMKI Organisation Certificate Policy and the ZAZ1 vectors (reference §4):
EC P-256 keys, ecdsa-with-SHA256 signatures, 16-byte positive random serials, 8-byte SKI/AKI,
critical Key Usage with exactly one bit, critical certificatePolicies, no Extended Key Usage.
Subject: optional CN (the Party's short name), OU = the remote-party role as two hex digits,
x500UniqueIdentifier (2.5.4.45) = a BIT STRING of the 8 EUI-64 bytes, DER ``03 09 00 <8 bytes>``.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from portal.errors import Refusal
from portal.eui import eui64_bytes

from . import conf

X500_UNIQUE_IDENTIFIER = x509.ObjectIdentifier("2.5.4.45")
# Pinned, never a library default: the curve and the signature algorithm (SMKI Org CP, GBCS §4.3.3).
CURVE = ec.SECP256R1
SIGNATURE_HASH = hashes.SHA256
SIGNATURE_ALGORITHM = SignatureAlgorithmOID.ECDSA_WITH_SHA256
SERIAL_BYTES = 16


class ProfileError(Refusal, ValueError):
    """Something that does not follow the SMKI Organisation Certificate profile (docs/refusal-codes.md, SMKI)."""

    code = "profile-error"


def generate_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(CURVE())


def check_public_key(public_key) -> ec.EllipticCurvePublicKey:
    """SMKI keys are EC on P-256 (secp256r1/prime256v1) only."""
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise ProfileError(f"the key is {type(public_key).__name__.removeprefix('_')}; SMKI needs an EC P-256 key",
                           code="key-not-p256")
    if not isinstance(public_key.curve, CURVE):
        raise ProfileError(f"the key is on curve {public_key.curve.name}; SMKI needs P-256 (secp256r1)",
                           code="key-not-p256")
    return public_key


def new_serial() -> int:
    """A random positive serial that encodes in exactly 16 bytes (top bit clear, at least 2^120)."""
    while True:
        value = secrets.randbits(SERIAL_BYTES * 8 - 1)
        if value >= 1 << (SERIAL_BYTES * 8 - 8):
            return value


def key_identifier(public_key) -> bytes:
    """The 8-byte key identifier of the SMKI vectors: the leftmost 64 bits of the SHA-1 of subjectPublicKey."""
    return x509.SubjectKeyIdentifier.from_public_key(public_key).digest[:8]


_KEY_USAGE_BITS = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                   "key_agreement", "key_cert_sign", "crl_sign")


def check_org_certificate(cert: x509.Certificate) -> None:
    """Raise ProfileError unless ``cert`` follows the SMKI Organisation Certificate profile in what a verifier
    relies on: an EC P-256 key, signed with ecdsa-with-SHA256, a critical Key Usage with exactly one bit
    (digitalSignature or keyAgreement)."""
    check_public_key(cert.public_key())
    if cert.signature_algorithm_oid != SIGNATURE_ALGORITHM:
        raise ProfileError(f"signed with {cert.signature_algorithm_oid.dotted_string}, not ecdsa-with-SHA256",
                           code="not-ecdsa-sha256")
    try:
        extension = cert.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        raise ProfileError("no Key Usage extension", code="no-key-usage") from None
    if not extension.critical:
        raise ProfileError("the Key Usage extension is not critical", code="key-usage-not-critical")
    usage = extension.value
    bits = [name for name in _KEY_USAGE_BITS if getattr(usage, name)]
    if usage.key_agreement:
        bits += [name for name in ("encipher_only", "decipher_only") if getattr(usage, name)]
    if bits not in (["digital_signature"], ["key_agreement"]):
        raise ProfileError(f"Key Usage must be exactly one of digitalSignature or keyAgreement, not "
                           f"{', '.join(bits) or 'nothing'}", code="key-usage-not-single")


_HEX_ROLE = re.compile(r"(?:0x)?([0-9a-f]{2})", re.IGNORECASE)
_DECIMAL_ROLE = re.compile(r"[0-9]{3}")


def parse_role(value: str | int, *, legacy_decimal: bool = False) -> int:
    """The one parser of SMKI remote-party role codes (the subject OU; the repository's ``?role=``).

    An int 0–255, or two hex digits (``02``, ``87``, optionally ``0x87``). With ``legacy_decimal``, also the
    three decimal digits of the pre-1.4.1 DSP certificate's OU (``137`` = 0x89). Raises ProfileError (a
    ValueError) for anything else.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        code = value
    else:
        text = str(value).strip()
        if match := _HEX_ROLE.fullmatch(text):
            code = int(match.group(1), 16)
        elif legacy_decimal and _DECIMAL_ROLE.fullmatch(text):
            code = int(text)
        else:
            raise ProfileError(f"role {value!r} is not a two-hex-digit SMKI role code", code="invalid-role-code")
    if not 0 <= code <= 0xFF:
        raise ProfileError(f"role code {code} does not fit two hex digits", code="invalid-role-code")
    return code


def role_ou(role_code: int) -> str:
    """The OU text of a role code: two upper-case hex digits."""
    return f"{parse_role(role_code):02X}"


def org_subject(eui: str, role_code: int, common_name: str | None = None) -> x509.Name:
    """CN (optional), OU = role as 2 hex digits, x500UniqueIdentifier = EUI-64 (as in the ZAZ1 certs)."""
    attrs = []
    if common_name:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name, _type=_ASN1Type.UTF8String))
    attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role_ou(role_code), _type=_ASN1Type.UTF8String))
    # BIT STRING value: cryptography takes the content octets, i.e. the unused-bits octet (0) + the 8 bytes.
    attrs.append(x509.NameAttribute(X500_UNIQUE_IDENTIFIER, b"\x00" + eui64_bytes(eui), _type=_ASN1Type.BitString))
    return x509.Name([x509.RelativeDistinguishedName([a]) for a in attrs])


def ca_subject(common_name: str, role_code: int) -> x509.Name:
    """DER order OU then CN, so RFC 2253 text reads like the ZAZ1 CAs: ``CN=Z1,OU=07``."""
    return x509.Name([
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role_ou(role_code))]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]),
    ])


def policies(critical: bool = True) -> tuple[x509.CertificatePolicies, bool]:
    oid = x509.ObjectIdentifier(conf.get("SMKI_ORG_CERT_POLICY_OID"))
    return x509.CertificatePolicies([x509.PolicyInformation(oid, None)]), critical


def sign(builder: x509.CertificateBuilder, issuer_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """Sign with ecdsa-with-SHA256, and check that is what came out."""
    check_public_key(issuer_key.public_key())
    cert = builder.sign(issuer_key, SIGNATURE_HASH())
    if cert.signature_algorithm_oid != SIGNATURE_ALGORITHM:
        raise ProfileError(f"signed with {cert.signature_algorithm_oid.dotted_string}, not ecdsa-with-SHA256",
                           code="not-ecdsa-sha256")
    return cert


def _validity(not_before: datetime, days: int) -> tuple[datetime, datetime]:
    start = not_before.replace(microsecond=0)
    return start, start + timedelta(days=days)


def build_ca_certificate(*, subject: x509.Name, public_key, issuer_cert: x509.Certificate | None,
                         issuer_key: ec.EllipticCurvePrivateKey, path_length: int | None,
                         not_before: datetime, days: int) -> x509.Certificate:
    check_public_key(public_key)
    start, end = _validity(not_before, days)
    ski = key_identifier(public_key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(public_key)
        .serial_number(new_serial())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.SubjectKeyIdentifier(ski), critical=False)
    )
    if issuer_cert is not None:
        issuer_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        builder = builder.add_extension(x509.AuthorityKeyIdentifier(issuer_ski, None, None), critical=False)
    return sign(builder, issuer_key)


def build_org_certificate(*, eui: str, role_code: int, common_name: str | None, public_key,
                          key_agreement: bool, issuer_cert: x509.Certificate,
                          issuer_key: ec.EllipticCurvePrivateKey, not_before: datetime, days: int) -> x509.Certificate:
    """An SMKI Organisation Certificate (Key Usage digitalSignature, or keyAgreement, critical, one bit)."""
    check_public_key(public_key)
    start, end = _validity(not_before, days)
    start = max(start, issuer_cert.not_valid_before_utc)
    end = min(end, issuer_cert.not_valid_after_utc)  # never outlive the issuing CA
    issuer_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    usage = x509.KeyUsage(
        digital_signature=not key_agreement, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=key_agreement, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(org_subject(eui, role_code, common_name))
        .issuer_name(issuer_cert.subject)
        .public_key(public_key)
        .serial_number(new_serial())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier(key_identifier(public_key)), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(issuer_ski, None, None), critical=False)
        .add_extension(*policies())
    )
    return sign(builder, issuer_key)

