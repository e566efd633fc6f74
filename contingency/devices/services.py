"""Changes to many meters at once, for workers and the service desk.

One change to any number of meters runs the rules set-wise (the guarded ``update()``: one query over the
distinct combinations of the rules' inputs, not one per meter), writes with one UPDATE and leaves one audit
record — the per-row audit signals do not see bulk writes.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from portal import audit

from ..models import Device, DeviceQuerySet


def update_devices(devices: DeviceQuerySet, *, reason: str, **changes) -> int:
    """Set ``changes`` (field=value) on every meter of ``devices``; returns how many. Refuses with
    ``portal.rules.RuleViolation`` (its code says which rule), changing nothing, when any meter would break a rule."""
    with transaction.atomic():
        count = devices.update(**changes, updated_at=timezone.now())
        audit.write("device.bulk_update", subject_type=Device._meta.label, subject_id="bulk",
                    subject_repr=reason[:255], after={"changes": changes, "devices": count, "reason": reason})
    return count
