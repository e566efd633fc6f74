"""The DCC's CA hierarchy: a root CA and one issuing Organisation CA (SMKI Org CP: the Organisation CA).

Both keys are EC P-256 and live in the key store (pki.keystore); the database holds their certificates and
the key references only. ``init_hierarchy()`` (``manage.py pki_init``) creates them once.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding
from django.db import transaction
from django.utils import timezone

from portal import audit
from portal.errors import Refusal

from . import conf, profile
from .keystore import get_keystore
from .models import ROLE_ISSUING_AUTHORITY, ROLE_ROOT, CertificateAuthority
from .names import name_key, rfc2253

ROOT = "root"
ISSUING = "issuing"


class CANotReady(Refusal):
    """The CA hierarchy is missing or incomplete (docs/refusal-codes.md, SMKI)."""

    code = "ca-not-ready"


def _record(name: str, level: str, cert, key_ref: str, parent: CertificateAuthority | None) -> CertificateAuthority:
    ca = CertificateAuthority.objects.create(
        name=name, level=level, subject_name=rfc2253(cert.subject), subject_key=name_key(cert.subject),
        serial=str(cert.serial_number), der=cert.public_bytes(Encoding.DER), key_ref=key_ref,
        parent=parent, not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
    )
    audit.write("ca.create", ca, after={"subject": ca.subject_name, "serial": ca.serial, "level": level,
                                        "key_ref": key_ref, "not_after": ca.not_after})
    return ca


def _free_name(base: str, stamp: str) -> str:
    # A retired hierarchy keeps its rows (certificates point at them); a new one gets a fresh name.
    return base if not CertificateAuthority.objects.filter(name=base).exists() else f"{base}-{stamp}"


@transaction.atomic
def init_hierarchy() -> tuple[CertificateAuthority, CertificateAuthority, bool]:
    """Create the root and issuing CAs unless they exist. Returns (root, issuing, created)."""
    existing = {ca.level: ca for ca in CertificateAuthority.objects.select_for_update().filter(
        level__in=[CertificateAuthority.Level.ROOT, CertificateAuthority.Level.ISSUING], active=True)}
    store = get_keystore()
    if len(existing) == 2:
        for ca in existing.values():
            if not store.has_key(ca.key_ref):
                raise CANotReady(f"the key of CA {ca.name} ({ca.key_ref}) is missing from the key store",
                                 code="ca-key-missing")
        return existing["root"], existing["issuing"], False
    if existing:
        raise CANotReady("only part of the CA hierarchy exists; fix it by hand before running pki_init again",
                         code="ca-hierarchy-partial")
    now = timezone.now()
    stamp = now.strftime("%Y%m%d%H%M%S")

    root_key = profile.generate_key()
    root_cert = profile.build_ca_certificate(
        subject=profile.ca_subject(conf.get("SMKI_ROOT_CA_CN"), ROLE_ROOT), public_key=root_key.public_key(),
        issuer_cert=None, issuer_key=root_key, path_length=1, not_before=now,
        days=conf.get("SMKI_ROOT_CA_VALIDITY_DAYS"),
    )
    root_ref = f"ca/root-{stamp}-{root_cert.serial_number % 10**6:06d}"
    store.store_private_key(root_ref, root_key)
    root = _record(_free_name(ROOT, stamp), CertificateAuthority.Level.ROOT, root_cert, root_ref, None)

    issuing_key = profile.generate_key()
    issuing_cert = profile.build_ca_certificate(
        subject=profile.ca_subject(conf.get("SMKI_ISSUING_CA_CN"), ROLE_ISSUING_AUTHORITY),
        public_key=issuing_key.public_key(), issuer_cert=root_cert, issuer_key=root_key, path_length=0,
        not_before=now, days=conf.get("SMKI_ISSUING_CA_VALIDITY_DAYS"),
    )
    issuing_ref = f"ca/issuing-{stamp}-{issuing_cert.serial_number % 10**6:06d}"
    store.store_private_key(issuing_ref, issuing_key)
    issuing = _record(_free_name(ISSUING, stamp), CertificateAuthority.Level.ISSUING, issuing_cert, issuing_ref, root)
    return root, issuing, True


def issuing_ca() -> CertificateAuthority:
    ca = CertificateAuthority.objects.filter(level=CertificateAuthority.Level.ISSUING, active=True).first()
    if ca is None:
        raise CANotReady("no issuing CA: run `manage.py pki_init` first", code="no-issuing-ca")
    return ca


def private_key(ca: CertificateAuthority):
    if not ca.key_ref:
        raise CANotReady(f"this service does not hold the key of CA {ca.name}", code="ca-key-not-held")
    return get_keystore().load_private_key(ca.key_ref)
