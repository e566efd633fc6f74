"""SMKI settings, with their defaults. Each can be set in Django settings (portal/settings.py)."""

from __future__ import annotations

from django.conf import settings


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


DEFAULTS = {
    # The key store that holds CA and DCC private keys (pki.keystore); swap for an HSM-backed class.
    "SMKI_KEYSTORE_CLASS": "pki.keystore.EncryptedFileKeyStore",
    # Organisation Certificate validity (SMKI Org CP: Organisation Certificates are issued for a fixed term).
    "SMKI_CERT_VALIDITY_DAYS": 365 * 10,
    "SMKI_ISSUING_CA_VALIDITY_DAYS": 365 * 25,
    "SMKI_ROOT_CA_VALIDITY_DAYS": 365 * 30,
    # Subjects of our CAs, in the ZAZ1 style (root OU=00, issuing authority OU=07).
    "SMKI_ROOT_CA_CN": "SCA",
    "SMKI_ISSUING_CA_CN": "SC1",
    # certificatePolicies of issued Organisation Certificates (critical, as in the SMKI vectors).
    "SMKI_ORG_CERT_POLICY_OID": "1.2.826.0.1.8641679.1.2.1.4",
    # CRLs: how long a CRL is good for, and how long clients may cache it.
    "SMKI_CRL_VALIDITY_HOURS": 24,
    "SMKI_CRL_CACHE_SECONDS": 300,
    # Certificates are immutable; their status is not: the repository lets clients cache for this long.
    "SMKI_CERT_CACHE_SECONDS": 3600,
}
