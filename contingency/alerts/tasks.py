"""Celery tasks of alerts. The beat schedule is in portal/settings.py (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from portal import audit


@shared_task(name="contingency.alerts.tasks.reroute_unroutable")
def reroute_unroutable() -> int:
    """Send the alerts kept unroutable that have a route now (contingency.alerts.services); their number."""
    from .services import reroute_unroutable as reroute

    with audit.acting_as("system:contingency.alerts.tasks.reroute_unroutable"):
        return len(reroute())
