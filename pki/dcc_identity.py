"""The DCC's own XML signing identity: the certificate and key the DCC signs DUIS responses with (DESIGN §4).

The private key lives in the key store under ``DCC_XML_SIGNING_KEY_REF`` (never in the database or the tree);
the certificate is an ordinary issued Organisation Certificate (OU 89) of the DCC's User ID
(``settings.DCC_USER_ID``). Put one in place with::

    manage.py pki_issue <DCC_USER_ID> --kind xml-signing --into-keystore dcc/xml-signing [--replace-key]

(the demo, pki.demo.seed_certificates, does the same for seed_demo).
"""

from __future__ import annotations

from django.conf import settings

from portal.eui import parse_eui64

from .keystore import KeyNotFound, get_keystore
from .models import Certificate, CertificateKind, CertificateSource

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
