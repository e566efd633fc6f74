"""Certificate Revocation Lists of the issuing CA (SMKI Org CP 4.9.7; RFC 5280 §5).

``current_crl()`` returns the newest stored CRL while it still says the truth: it has not passed its
nextUpdate, lists exactly the revocations in effect now with their effective times, and no scheduled
revocation comes before its nextUpdate. Otherwise it signs a new one (numbered, signed with
ecdsa-with-SHA256). nextUpdate is the sooner of the configured lifetime and the next scheduled revocation, so
a client that honours nextUpdate never misses a revocation.

Who signs: the revocation services (pki.revocation, right after a revocation), ``manage.py pki_crl`` and the
periodic task ``pki.tasks.refresh_crl``, through ``refresh_crl()``. The public repository view only serves the
newest stored CRL (``latest_crl()``); it signs one only when none exists yet.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.db import transaction
from django.utils import timezone

from portal import audit

from . import ca as ca_module
from . import conf, profile
from .models import Certificate, CertificateAuthority, RevocationList


def _revoked(ca: CertificateAuthority, at: datetime) -> list[tuple[str, datetime]]:
    rows = Certificate.objects.filter(ca=ca).revoked(at)
    return sorted(rows.values_list("serial", "revoked_at"), key=lambda r: int(r[0]))


def _next_scheduled(ca: CertificateAuthority, at: datetime) -> datetime | None:
    return (Certificate.objects.filter(ca=ca).revocation_pending(at).order_by("revoked_at")
            .values_list("revoked_at", flat=True).first())


def _listed(row: RevocationList) -> list[tuple[int, datetime]]:
    crl = x509.load_der_x509_crl(bytes(row.der))
    return sorted((entry.serial_number, entry.revocation_date_utc) for entry in crl)


def _still_true(row: RevocationList, ca: CertificateAuthority, at: datetime) -> bool:
    if not (row.this_update <= at < row.next_update):
        return False
    wanted = [(int(serial), when.replace(microsecond=0)) for serial, when in _revoked(ca, at)]
    if [int(serial) for serial, _ in wanted] != [int(serial) for serial in row.revoked_serials]:
        return False
    if _listed(row) != wanted:  # same serials, but an effective time moved
        return False
    scheduled = _next_scheduled(ca, at)
    return scheduled is None or scheduled >= row.next_update  # a scheduled revocation moved earlier


def latest_crl(ca: CertificateAuthority | None = None) -> RevocationList | None:
    """The newest stored CRL of ``ca`` (default: the issuing CA), whatever its age; None if none yet."""
    ca = ca or ca_module.issuing_ca()
    return ca.crls.order_by("-number").first()


def current_crl(ca: CertificateAuthority | None = None, *, at: datetime | None = None) -> RevocationList:
    ca = ca or ca_module.issuing_ca()
    at = at or timezone.now()
    latest = latest_crl(ca)
    if latest is not None and _still_true(latest, ca, at):
        return latest
    return issue_crl(ca, at=at)


def refresh_crl() -> RevocationList | None:
    """Sign a new CRL of the issuing CA if the stored one no longer says the truth. None without a CA."""
    try:
        return current_crl()
    except ca_module.CANotReady:
        return None


def issue_crl(ca: CertificateAuthority, *, at: datetime | None = None) -> RevocationList:
    at = at or timezone.now()
    with transaction.atomic():
        ca = CertificateAuthority.objects.select_for_update().get(pk=ca.pk)
        revoked = _revoked(ca, at)
        scheduled = _next_scheduled(ca, at)
        at = at.replace(microsecond=0)  # X.509 times have whole seconds
        next_update = at + timedelta(hours=conf.get("SMKI_CRL_VALIDITY_HOURS"))
        if scheduled is not None and scheduled < next_update:
            next_update = max(scheduled.replace(microsecond=0), at + timedelta(seconds=1))
        number = ca.crl_number + 1
        issuer = ca.x509()
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.subject)
            .last_update(at)
            .next_update(next_update)
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier(ski, None, None), critical=False)
        )
        for serial, revoked_at in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(int(serial))
                .revocation_date(revoked_at.replace(microsecond=0)).build()
            )
        crl = builder.sign(ca_module.private_key(ca), profile.SIGNATURE_HASH())
        if crl.signature_algorithm_oid != profile.SIGNATURE_ALGORITHM:
            raise profile.ProfileError("the CRL was not signed with ecdsa-with-SHA256")
        der = crl.public_bytes(Encoding.DER)
        ca.crl_number = number
        ca.save(update_fields=["crl_number"])
        row = RevocationList.objects.create(
            ca=ca, number=number, this_update=at, next_update=next_update, der=der,
            revoked_serials=[serial for serial, _ in revoked], sha256=hashlib.sha256(der).hexdigest(),
        )
        audit.write("crl.issue", row, after={"number": number, "revoked": row.revoked_serials,
                                             "next_update": next_update})
    return row
