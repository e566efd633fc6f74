"""Revoking certificates (SMKI RAPP / SMKI Org CP 4.9), at once or from a set effective time.

A revocation records its effective time (``revoked_at``), the reason and who decided, and writes an audit
record. From its effective time on, ``pki.repository.resolve_signer`` refuses the certificate and the CRL
(pki.crl) lists it: a revocation signs a new CRL once committed, and ``pki.tasks.refresh_crl`` re-signs it
when a scheduled revocation takes effect. ``revoke_party_certificates`` revokes every certificate of a Party
in one action, as the DCC does when the Authority revokes a Supplier's licence.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal import audit
from portal.errors import Refusal
from portal.models import Party

from .models import Certificate

logger = logging.getLogger(__name__)


class RevocationError(Refusal, ValueError):
    """A revocation that cannot be recorded (docs/refusal-codes.md, SMKI)."""

    code = "revocation-refused"


def _state(cert: Certificate) -> dict:
    return {"revoked_at": cert.revoked_at, "revocation_reason": cert.revocation_reason,
            "revoked_by": cert.revoked_by, "serial": cert.serial, "issuer": cert.issuer_name}


def _revoke(cert: Certificate, *, reason: str, decided_by: str, effective_at: datetime, now: datetime) -> bool:
    """Revoke one locked certificate. False if it was already revoked at or before ``effective_at``."""
    if cert.is_revoked(effective_at):
        return False
    before = _state(cert)
    cert.revoked_at = effective_at
    cert.revocation_reason = reason[:255]
    cert.revoked_by = decided_by[:150]
    cert.revocation_recorded_at = now
    cert.save(update_fields=["revoked_at", "revocation_reason", "revoked_by", "revocation_recorded_at"])
    action = "certificate.revoke" if effective_at <= now else "certificate.revoke_scheduled"
    audit.write(action, cert, before=before, after=_state(cert))
    return True


def _checked(reason: str, decided_by: str | None, effective_at: datetime | None) -> tuple[str, str, datetime, datetime]:
    reason = (reason or "").strip()
    if not reason:
        raise RevocationError("a revocation needs a reason", code="revocation-reason-missing")
    decided_by = (decided_by or audit.current_actor()).strip()
    now = timezone.now()
    effective_at = effective_at or now
    if timezone.is_naive(effective_at):
        raise RevocationError("the effective time needs a time zone", code="effective-time-naive")
    return reason, decided_by, effective_at, now


def _publish_crl() -> None:
    """Sign the CRL now that the revocations changed (after commit). A failure never undoes a revocation: the
    periodic task pki.tasks.refresh_crl tries again."""
    from .crl import refresh_crl

    try:
        refresh_crl()
    except Exception:  # noqa: BLE001 - e.g. the key store is unavailable; logged, retried by the task
        logger.exception("the CRL could not be signed after a revocation; pki.tasks.refresh_crl will retry")


def revoke_certificate(cert: Certificate, *, reason: str, decided_by: str | None = None,
                       effective_at: datetime | None = None) -> Certificate:
    """Revoke ``cert`` now, or from ``effective_at``. An earlier effective time wins over a later one."""
    reason, decided_by, effective_at, now = _checked(reason, decided_by, effective_at)
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=cert.pk)
        changed = _revoke(locked, reason=reason, decided_by=decided_by, effective_at=effective_at, now=now)
        if changed and locked.ca_id is not None:
            transaction.on_commit(_publish_crl)
    return locked


def revoke_party_certificates(party: Party, *, reason: str, decided_by: str | None = None,
                              effective_at: datetime | None = None) -> list[Certificate]:
    """Revoke every certificate held by any User ID of ``party`` in one transaction (e.g. licence revocation).

    Returns the certificates whose revocation this call set or brought forward.
    """
    reason, decided_by, effective_at, now = _checked(reason, decided_by, effective_at)
    changed = []
    with transaction.atomic():
        # Linked by User ID, or (imported before the User ID was registered) by the subject EUI.
        # No join: PostgreSQL cannot lock rows of the nullable side of an outer join.
        user_ids = dict(party.user_ids.values_list("pk", "eui"))
        linked = Q(user_id__in=list(user_ids))
        unlinked = Q(user_id__isnull=True, subject_eui__in=list(user_ids.values()))
        certs = Certificate.objects.select_for_update().filter(linked | unlinked).order_by("pk")
        for cert in certs:
            if _revoke(cert, reason=reason, decided_by=decided_by, effective_at=effective_at, now=now):
                changed.append(cert)
        audit.write("party.certificates_revoke", party, after={
            "reason": reason, "decided_by": decided_by, "effective_at": effective_at,
            "serials": [c.serial for c in changed],
        })
        if any(c.ca_id is not None for c in changed):
            transaction.on_commit(_publish_crl)
    return changed
