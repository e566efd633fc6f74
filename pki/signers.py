"""The repository-backed signer lookup for DUIS XML signatures, and the verifier the DUIS endpoints use.

``pki.xmldsig`` is the signature profile and knows nothing of Django; this module joins it to the
certificate repository (DESIGN §4 check 4: the signer is found by issuer + serial in the repository; valid
now, not revoked, digitalSignature key usage, an XML-signing certificate):

* :func:`verify` is ``pki.xmldsig.verify`` with :func:`resolve` as the resolver. The DUIS endpoints and
  ``manage.py duis_verify`` call it, so they verify in exactly the same way.
* :func:`resolve` is ``pki.repository.resolve_signer`` behind a per-process cache (:class:`_SignerCache`),
  with the repository's refusals (``SignerRejected``) passed on as ``pki.xmldsig.SignerRefused``, same code.
* :func:`connect` wires the cache to Certificate saves and deletes (called from ``PkiConfig.ready``).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from . import conf, safexml, xmldsig
from .cache_clearing import clear_on_certificate_change
from .models import Certificate
from .repository import SignerRejected, check_signer, resolve_signer, revocation_token

__all__ = ["clear_signer_cache", "connect", "resolve", "verify"]


class _SignerCache:
    """The repository's certificate for (issuer, serial), kept for ``PKI_SIGNER_CACHE_SECONDS`` (default 300).

    Why: the ORM lookup costs more than the whole xmlsec verification, and the verify path runs on every
    request (benchmarks/xmldsig_bench.py). What keeps it exact:

    * on every hit the row's revocation columns are read again (``pki.repository.revocation_token``, one cheap
      primary-key read); if they changed, or the row is gone, the entry is dropped and the full lookup runs,
      so a revocation recorded by any process applies to the very next request;
    * the cached row is re-checked in memory on every call with ``pki.repository.check_signer`` (validity at
      ``at``, revocation effective time, key usage, kind), so expiry and scheduled revocations are exact;
    * any save or delete of a Certificate in this process clears the cache at once and again on commit
      (:func:`connect`);
    * refusals are never cached, so a newly imported certificate is usable at once.
    """

    MAX_ENTRIES = 4096

    def __init__(self):
        self._entries: dict[tuple[str, int], tuple[Certificate, tuple | None, float]] = {}
        self._lock = threading.Lock()

    def resolve(self, issuer_name: str, serial: int, *, at: datetime | None = None,
                kinds: tuple[str, ...] = xmldsig.DEFAULT_KINDS) -> Certificate:
        try:
            return self._resolve(issuer_name, serial, at, kinds)
        except SignerRejected as exc:
            raise xmldsig.SignerRefused(exc.code, exc.message) from None

    def _resolve(self, issuer_name: str, serial: int, at, kinds) -> Certificate:
        ttl = conf.get("PKI_SIGNER_CACHE_SECONDS")  # typed and checked once, in pki/conf.py
        if ttl <= 0:
            return resolve_signer(issuer_name, serial, at=at, kinds=kinds)
        key = (issuer_name, serial)
        entry = self._entries.get(key)
        if entry is not None and time.monotonic() - entry[2] < ttl:
            cert, token, _ = entry
            if revocation_token(cert.pk) == token:
                check_signer(cert, at=at, kinds=kinds)
                return cert
        cert = resolve_signer(issuer_name, serial, at=at, kinds=kinds)
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (cert, revocation_token(cert.pk), time.monotonic())
        return cert

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_SIGNERS = _SignerCache()

#: The repository-backed resolver (``pki.xmldsig.Resolver``).
resolve = _SIGNERS.resolve


def verify(
    xml: bytes,
    *,
    at: datetime | None = None,
    kinds: tuple[str, ...] = xmldsig.DEFAULT_KINDS,
    max_bytes: int = safexml.DEFAULT_MAX_BYTES,
    limits: safexml.Limits = safexml.DEFAULT_LIMITS,
) -> xmldsig.Verified:
    """Verify a signed DUIS document against the certificate repository (the DUIS endpoints' verifier).

    ``pki.xmldsig.verify`` with the cached repository lookup; ``Verified.signer`` is the repository's
    Certificate. Raises ``pki.xmldsig.SignatureRejected``; see docs/xml-signatures.md for the codes.
    """
    return xmldsig.verify(xml, resolver=resolve, at=at, kinds=kinds, max_bytes=max_bytes, limits=limits)


def clear_signer_cache() -> None:
    """Forget cached signer lookups (tests; operators never need it: revocations clear it themselves)."""
    _SIGNERS.clear()


def connect() -> None:
    """Clear the cache on every Certificate save or delete in this process (PkiConfig.ready calls this)."""
    clear_on_certificate_change(_SIGNERS.clear, "pki.signers")
