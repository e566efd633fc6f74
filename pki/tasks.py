"""Periodic SMKI work (Celery). The beat schedule lives in portal/settings.py (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from portal import audit


@shared_task(name="pki.tasks.refresh_crl")
def refresh_crl() -> dict | None:
    """Re-sign the issuing CA's CRL when a revocation took effect, an effective time moved, or the stored CRL
    reaches its nextUpdate (pki.crl.current_crl). Cheap when nothing changed. Idempotent."""
    from .crl import refresh_crl as refresh

    with audit.acting_as("system:pki.tasks.refresh_crl"):
        row = refresh()
    if row is None:
        return None
    return {"number": row.number, "next_update": row.next_update.isoformat(), "revoked": len(row.revoked_serials)}
