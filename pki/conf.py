"""SMKI settings: each declared once here, with its default, type and rule (portal/conf.py explains the layer).

A value comes from Django settings if set there, else from the environment variable of the same name (the
README's configuration table), else the default below. ``PkiConfig.ready()`` validates them all at start-up,
so a bad value stops every process with ``ImproperlyConfigured`` naming the variable.

    from pki import conf
    conf.get("SMKI_CERT_VALIDITY_DAYS")       # an int, checked
"""

from __future__ import annotations

import re

from portal.conf import AppSettings, Setting, at_least, not_empty

_OID = re.compile(r"[0-2](\.(0|[1-9]\d*))+")
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def _oid(value: str) -> str | None:
    return None if _OID.fullmatch(value) else "must be a dotted object identifier such as 1.2.826.0.1.8641679.1.2.1.4"


def _dotted_path(value: str) -> str | None:
    return None if _DOTTED.fullmatch(value) else "must be a dotted Python path (pki.keystore.EncryptedFileKeyStore)"


SETTINGS = AppSettings(
    # The key store that holds CA and DCC private keys (pki.keystore); swap for an HSM-backed class.
    Setting("SMKI_KEYSTORE_CLASS", "pki.keystore.EncryptedFileKeyStore", _dotted_path),
    # Organisation Certificate validity (SMKI Org CP: Organisation Certificates are issued for a fixed term).
    Setting("SMKI_CERT_VALIDITY_DAYS", 365 * 10, at_least(1)),
    Setting("SMKI_ISSUING_CA_VALIDITY_DAYS", 365 * 25, at_least(1)),
    Setting("SMKI_ROOT_CA_VALIDITY_DAYS", 365 * 30, at_least(1)),
    # Subjects of our CAs, in the ZAZ1 style (root OU=00, issuing authority OU=07).
    Setting("SMKI_ROOT_CA_CN", "SCA", not_empty),
    Setting("SMKI_ISSUING_CA_CN", "SC1", not_empty),
    # certificatePolicies of issued Organisation Certificates (critical, as in the SMKI vectors).
    Setting("SMKI_ORG_CERT_POLICY_OID", "1.2.826.0.1.8641679.1.2.1.4", _oid),
    # CRLs: how long a CRL is good for, and how long clients may cache it.
    Setting("SMKI_CRL_VALIDITY_HOURS", 24, at_least(1)),
    Setting("SMKI_CRL_CACHE_SECONDS", 300, at_least(0)),
    # Certificates are immutable; their status is not: the repository lets clients cache for this long.
    Setting("SMKI_CERT_CACHE_SECONDS", 3600, at_least(0)),
    # How long a verified signer's parsed certificate is kept per process; its revocation state is re-read
    # on every request regardless (pki/xmldsig.py). 0 turns the cache off.
    Setting("PKI_SIGNER_CACHE_SECONDS", 300.0, at_least(0)),
    # The DCC's own signing certificate and key, per process (pki.dcc_identity.signing_identity): its revocation
    # is read again on every use; a new certificate issued by another process is taken up within this time.
    Setting("PKI_DCC_IDENTITY_CACHE_SECONDS", 5.0, at_least(0)),
)


def get(name: str):
    """The typed, checked value of one SMKI setting."""
    return SETTINGS.get(name)


def validate() -> None:
    SETTINGS.validate()
