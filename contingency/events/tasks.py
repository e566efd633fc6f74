"""Periodic work of SoLR events (Celery beat; the schedule is portal/settings.py's CELERY_BEAT_SCHEDULE).

Both are idempotent and cheap when nothing is due; contingency/tasks.py registers them with the worker."""

from __future__ import annotations

from celery import shared_task

from portal import audit


@shared_task(name="contingency.tasks.apply_licence_revocations")
def apply_licence_revocations() -> dict:
    """Licence revocations that took effect mark their Party revoked; due certificates are revoked (docs/events.md,
    "Certificates follow the licence")."""
    from .certificates import apply_due_revocations

    with audit.acting_as("system:contingency.tasks.apply_licence_revocations"):
        return apply_due_revocations()


@shared_task(name="contingency.tasks.expire_activations")
def expire_activations() -> int:
    """Activations whose instruction's window has ended become ``expired`` (may_act answers so even before)."""
    from .activation import expire_due_activations

    with audit.acting_as("system:contingency.tasks.expire_activations"):
        return expire_due_activations()
