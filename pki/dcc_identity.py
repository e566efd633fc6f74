"""The DCC's own XML signing identity: the certificate and key the DCC signs DUIS responses with (DESIGN §4).

The private key lives in the key store under ``DCC_XML_SIGNING_KEY_REF`` (never in the database or the tree);
the certificate is an ordinary issued Organisation Certificate (OU 89) of the DCC's User ID
(``settings.DCC_USER_ID``). Put one in place with::

    manage.py pki_issue <DCC_USER_ID> --kind xml-signing --into-keystore dcc/xml-signing [--replace-key]

(the demo, pki.demo.seed_certificates, does the same for seed_demo).
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.utils import timezone

from portal.eui import parse_eui64

from . import conf
from .cache_clearing import clear_on_certificate_change
from .keystore import KeyNotFound, get_keystore
from .models import Certificate, CertificateKind, CertificateSource
from .repository import revocation_token

DCC_XML_SIGNING_KEY_REF = "dcc/xml-signing"


def dcc_signing_certificate() -> Certificate | None:
    """The DCC's newest valid XML signing certificate (its key: DCC_XML_SIGNING_KEY_REF in the key store)."""
    return (Certificate.objects.usable_for(parse_eui64(settings.DCC_USER_ID), CertificateKind.XML_SIGNING)
            .filter(source=CertificateSource.ISSUED).order_by("-not_before", "-pk").first())


def dcc_signing_identity():
    """(certificate, private key) for signing DUIS responses: the newest valid DCC XML signing certificate whose
    public key is the key stored under DCC_XML_SIGNING_KEY_REF. Raises LookupError if there is none."""
    try:
        key = get_keystore().load_private_key(DCC_XML_SIGNING_KEY_REF)
    except KeyNotFound as exc:
        raise LookupError(f"no DCC XML signing key in the key store: {exc}") from exc
    cert = dcc_signing_certificate()
    if cert is None or cert.public_key() != key.public_key():
        raise LookupError(f"no valid DCC XML signing certificate matches the key {DCC_XML_SIGNING_KEY_REF!r}: "
                          f"issue one with pki_issue --into-keystore {DCC_XML_SIGNING_KEY_REF}")
    return cert, key


class _IdentityCache:
    """:func:`dcc_signing_identity` kept for ``PKI_DCC_IDENTITY_CACHE_SECONDS`` (default 5) per process.

    Why: the DUIS front door and delivery sign every answer. Finding the newest certificate through the ORM and
    decrypting the key from the key store cost more than the signature itself (docs/performance.md). What keeps it
    exact, as the signer cache (``pki.signers``) does:

    * on every use the certificate's revocation columns are read again (one primary-key read) and its validity
      period checked in memory: a revocation recorded by any process stops the very next answer (``LookupError``);
    * a certificate saved or deleted in this process (``pki_issue --replace-key`` issues a new one) clears it at
      once and again on commit; one issued by another process is taken up within the cache time.
    """

    def __init__(self):
        self._entry: tuple | None = None  # (certificate, key, revocation token, loaded at)
        self._lock = threading.Lock()

    def get(self):
        ttl = conf.get("PKI_DCC_IDENTITY_CACHE_SECONDS")
        entry = self._entry
        if entry is not None and time.monotonic() - entry[3] < ttl:
            certificate, key, token, _ = entry
            now = timezone.now()
            if (revocation_token(certificate.pk) == token and not certificate.is_revoked(now)
                    and certificate.in_validity_period(now)):
                return certificate, key
        certificate, key = dcc_signing_identity()
        with self._lock:
            self._entry = (certificate, key, revocation_token(certificate.pk), time.monotonic())
        return certificate, key

    def clear(self) -> None:
        self._entry = None


_IDENTITY = _IdentityCache()


def signing_identity():
    """(certificate, key) to sign with now: :func:`dcc_signing_identity`, cached (``_IdentityCache``).
    Raises LookupError when the DCC has no usable signing identity."""
    return _IDENTITY.get()


def clear_identity_cache() -> None:
    _IDENTITY.clear()


def connect() -> None:
    """Forget the cached identity on every Certificate save or delete in this process (PkiConfig.ready)."""
    clear_on_certificate_change(_IDENTITY.clear, "pki.dcc_identity")
