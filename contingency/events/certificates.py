"""Certificates follow the licence (issue 9 point 2; DESIGN §2 step 1).

When a licence revocation takes effect the Party is marked revoked; when its certificates fall due
(``LicenceRevocation.certificates_due_at``: the effective time, or the SMKI PMA's deferral) every certificate of
the failed Supplier's User IDs is revoked through ``pki.revocation.revoke_party_certificates``, which signs a new
CRL once committed, so the CRL and the repository show it.

Nothing is scheduled in pki ahead of time: a scheduled pki revocation cannot be postponed ("an earlier effective
time wins"), and a deferral may still be recorded until the certificates are revoked. So the revocation is made
when due: by ``apply_due_revocations`` (the beat task ``contingency.tasks.apply_licence_revocations``, every 30 s)
and at once when a record is made whose time has already come.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from pki.revocation import revoke_party_certificates
from portal import audit
from portal.models import LicenceStatus, Party

from ..models import LicenceRevocation

logger = logging.getLogger(__name__)


def _mark_licence_revoked(revocation: LicenceRevocation) -> bool:
    """The Party's licence_status follows the record once it is in effect. True if this call changed it."""
    party = Party.objects.select_for_update().get(pk=revocation.supplier_id)
    if party.licence_status == LicenceStatus.REVOKED:
        return False
    before = {"licence_status": party.licence_status, "licence_revoked_at": party.licence_revoked_at}
    party.licence_status = LicenceStatus.REVOKED
    party.licence_revoked_at = revocation.effective_at
    party.save(update_fields=["licence_status", "licence_revoked_at"])
    audit.write("party.licence_revoke", party, before=before,
                after={"licence_status": party.licence_status, "licence_revoked_at": party.licence_revoked_at,
                       "licence_revocation": revocation.pk})
    return True


def _due(at: datetime) -> Q:
    """Revocations whose certificates fall due by ``at`` and are not yet revoked."""
    return Q(certificates_revoked_at__isnull=True) & (
        Q(certificates_deferred_until__isnull=True, effective_at__lte=at) | Q(certificates_deferred_until__lte=at))


def _revoke_certificates(revocation: LicenceRevocation, at: datetime) -> list | None:
    """Compare-and-set ``certificates_revoked_at`` (so a deferral recorded meanwhile, or a second beat worker, is
    never overtaken), then revoke. None when it was not (or no longer) due."""
    claimed = LicenceRevocation.objects.filter(_due(at), pk=revocation.pk).update(certificates_revoked_at=at)
    if not claimed:
        return None
    revocation.refresh_from_db()
    # Effective from the time the Authority (or the SMKI PMA) set, but never before it was recorded: signatures
    # the DCC accepted before the record are not made invalid after the fact.
    effective = max(revocation.certificates_due_at, revocation.recorded_at)
    decided = (f"SMKI PMA deferral: {revocation.deferral_decided_by}" if revocation.certificates_deferred_until
               else "Authority licence revocation")
    revoked = revoke_party_certificates(
        revocation.supplier, reason=f"licence revoked (licence revocation #{revocation.pk})", decided_by=decided,
        effective_at=min(effective, at))
    audit.write("licence_revocation.certificates_revoke", revocation,
                before={"certificates_revoked_at": None},
                after={"certificates_revoked_at": at, "effective_at": min(effective, at),
                       "serials": [c.serial for c in revoked]})
    return revoked


def apply_due_revocation(revocation: LicenceRevocation, at: datetime | None = None) -> None:
    """Bring one revocation up to date at ``at`` (now): the Party's licence status, then its certificates."""
    at = at or timezone.now()
    with transaction.atomic():
        if revocation.effective_at <= at:
            _mark_licence_revoked(revocation)
        _revoke_certificates(revocation, at)


def apply_due_revocations(at: datetime | None = None) -> dict:
    """What the beat task runs: every licence revocation in effect marks its Party, every one whose certificates
    are due revokes them. Idempotent; each revocation in a transaction of its own. Returns counts."""
    at = at or timezone.now()
    marked = revoked = 0
    pending = LicenceRevocation.objects.filter(
        Q(effective_at__lte=at) & ~Q(supplier__licence_status=LicenceStatus.REVOKED) | _due(at)).order_by("pk")
    for revocation in pending:
        with transaction.atomic():
            if revocation.effective_at <= at and _mark_licence_revoked(revocation):
                marked += 1
            if _revoke_certificates(revocation, at) is not None:
                revoked += 1
    return {"licences_marked": marked, "certificate_revocations": revoked}
