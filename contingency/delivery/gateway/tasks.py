"""The gateway's Celery task: future-dated changes happen without a request (beat, every 5 s; portal/settings.py).

Idempotent: each change is taken by compare-and-set, so a duplicated message or two workers do it once."""

from __future__ import annotations

from celery import shared_task

from .interface import get_gateway


@shared_task(name="contingency.delivery.gateway.tasks.execute_due")
def execute_due() -> int:
    """Execute every kept future-dated change whose time has come; how many."""
    return len(get_gateway().execute_due())
