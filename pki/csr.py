"""Certificate Signing Requests: read (PEM or DER) and check proof of possession and the key type.

Only the public key is taken from a CSR. The subject always comes from the registry (pki.issuance), never
from the CSR, so a requester cannot name someone else's User ID or role.
"""

from __future__ import annotations

from cryptography import x509

from portal.errors import Refusal

from .profile import ProfileError, check_public_key


class CSRRejected(Refusal, ValueError):
    """A CSR that cannot be used (docs/refusal-codes.md, SMKI)."""

    code = "csr-rejected"


def load_csr(data: bytes | str) -> x509.CertificateSigningRequest:
    if isinstance(data, str):
        data = data.encode()
    data = data.strip() if data.lstrip().startswith(b"-----") else data
    try:
        if data.startswith(b"-----"):
            return x509.load_pem_x509_csr(data)
        return x509.load_der_x509_csr(data)
    except ValueError as exc:
        raise CSRRejected(f"not a certificate signing request (PEM or DER): {exc}",
                          code="csr-unreadable") from None


def checked_public_key(csr: x509.CertificateSigningRequest):
    """The CSR's public key, after checking its self-signature (proof of possession) and that it is P-256."""
    try:
        public_key = csr.public_key()
    except (ValueError, TypeError) as exc:
        raise CSRRejected(f"the CSR's public key cannot be read: {exc}", code="csr-key-unreadable") from None
    try:
        check_public_key(public_key)
    except ProfileError as exc:
        raise CSRRejected(exc.message, code=exc.code) from None  # key-not-p256
    try:
        valid = csr.is_signature_valid
    except Exception as exc:  # noqa: BLE001 - an unsupported algorithm is a bad CSR too
        raise CSRRejected(f"the CSR's signature cannot be checked: {exc}", code="csr-signature-unverifiable") from None
    if not valid:
        raise CSRRejected("the CSR's signature does not verify with its own public key (no proof of possession)",
                          code="csr-no-proof-of-possession")
    return public_key


def make_csr(private_key, common_name: str = "solr-contingency") -> x509.CertificateSigningRequest:
    """A CSR for a key we generated (demo and tests). The subject is informative only."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(private_key, hashes.SHA256())
    )
