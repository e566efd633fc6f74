"""The event console's chart data (issue 9 point 5; DESIGN §6: an event's progress is shown as a chart).

Over an instruction's window, per time bucket: the failed Supplier's **prepayment meters remaining** (the
contingency exists to move them to Credit, MP134B BR3 / SRV 1.6) and the SoLR Contingency **requests
accepted, rejected and quarantined** (the ADT check, DESIGN §4 step 11).

Prepayment meters remaining are read from what exists: the meters' payment mode now, walked back through the
audit log's records of meter changes (``device.create`` / ``.update`` / ``.delete``, written by
portal.audit_hooks for every saved Device). A change made without a save (a bulk ``update()``) leaves no
record, so the history before it cannot be drawn; the value at the end of the chart is always today's count.

Requests come with the DUIS front door (issue 10): ``request_counts`` is the one place they will be read.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from portal.models import AuditRecord, Party, UserID

from ..devices.choices import METERS, PaymentMode
from ..models import Device, Instruction

#: How many intervals the chart divides the window into, unless told otherwise.
BUCKETS = 24

DEVICE_SUBJECT = Device._meta.label  # "contingency.Device": the audit records' subject_type for meters
DEVICE_ACTIONS = ("device.create", "device.update", "device.delete")


def window(instruction: Instruction, now: datetime | None = None) -> tuple[datetime, datetime] | None:
    """The part of the instruction's window that has happened: valid_from up to now (or valid_to, if it is
    over). None while the window has not begun."""
    now = now or timezone.now()
    until = min(now, instruction.valid_to)
    if until <= instruction.valid_from:
        return None
    return instruction.valid_from, until


def bucket_bounds(since: datetime, until: datetime, buckets: int) -> list[tuple[datetime, datetime]]:
    """``buckets`` equal intervals from ``since`` to ``until`` (the last one ends exactly at ``until``)."""
    if buckets < 1:
        raise ValueError("at least one bucket")
    step = (until - since) / buckets
    bounds = [since + step * i for i in range(buckets)] + [until]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def request_counts(supplier: Party, since: datetime, until: datetime, bucket: timedelta) -> list[dict]:
    """SoLR Contingency requests for ``supplier``'s devices per ``bucket`` from ``since`` to ``until``:
    ``{"accepted", "rejected", "quarantined"}`` for each interval, in order.

    Zeros today: DUIS requests do not exist yet. Issue 10 (the front door) stores each request with its
    outcome and fills this in with one grouped count over its table, keeping this signature."""
    # round() first: a window divided into n buckets must give n, not n + 1 from a microsecond of rounding.
    count = max(1, math.ceil(round((until - since) / bucket, 6))) if bucket > timedelta(0) else 1
    return [{"accepted": 0, "rejected": 0, "quarantined": 0} for _ in range(count)]


def _is_prepayment_meter(payment_mode, device_type, supplier_id, supplier_ids: set[int]) -> bool:
    return payment_mode == PaymentMode.PREPAYMENT and device_type in METERS and supplier_id in supplier_ids


def prepayment_remaining(supplier: Party, instants: list[datetime]) -> list[int]:
    """How many of ``supplier``'s meters were in prepayment mode at each of ``instants``.

    Today's count, minus every audited change after the instant that added a prepayment meter of the
    Supplier, plus every one that removed one (switched to Credit, moved to another Supplier, deleted)."""
    supplier_ids = set(UserID.objects.of_party(supplier).values_list("pk", flat=True))
    now_count = Device.objects.of_supplier(supplier).meters().filter(payment_mode=PaymentMode.PREPAYMENT).count()
    if not instants:
        return []
    ids = sorted(supplier_ids)
    changes = (
        AuditRecord.objects.filter(subject_type=DEVICE_SUBJECT, action__in=DEVICE_ACTIONS,
                                   created_at__gt=min(instants))
        # Only records that touch this Supplier's meters, before or after the change.
        .filter(Q(before__registered_supplier_id__in=ids) | Q(after__registered_supplier_id__in=ids))
        .order_by("-created_at", "-id")
        .values_list("created_at", "before__payment_mode", "before__device_type", "before__registered_supplier_id",
                     "after__payment_mode", "after__device_type", "after__registered_supplier_id")
    )
    # Walk back from now: at each instant (latest first), undo the changes made after it.
    counts: dict[datetime, int] = {}
    remaining = now_count
    pending = iter(changes.iterator())
    change = next(pending, None)
    for instant in sorted(set(instants), reverse=True):
        while change is not None and change[0] > instant:
            was = _is_prepayment_meter(change[1], change[2], change[3], supplier_ids)
            became = _is_prepayment_meter(change[4], change[5], change[6], supplier_ids)
            remaining -= int(became) - int(was)
            change = next(pending, None)
        counts[instant] = remaining
    return [counts[instant] for instant in instants]


def event_timeline(instruction: Instruction, *, buckets: int = BUCKETS, now: datetime | None = None) -> list[dict]:
    """The chart's rows for one event, oldest first: for each interval of the window so far,
    ``{"start", "end", "prepayment_start", "prepayment", "accepted", "rejected", "quarantined"}``, where
    ``prepayment`` is the prepayment meters remaining at ``end`` (and ``prepayment_start`` at ``start``) and the
    request counts are those of the interval. An empty list while the window has not begun."""
    span = window(instruction, now)
    if span is None:
        return []
    since, until = span
    bounds = bucket_bounds(since, until, buckets)
    remaining = prepayment_remaining(instruction.supplier, [since] + [end for _, end in bounds])
    requests = request_counts(instruction.supplier, since, until, (until - since) / buckets)
    rows = []
    for i, (start, end) in enumerate(bounds):
        counts = requests[i] if i < len(requests) else {"accepted": 0, "rejected": 0, "quarantined": 0}
        rows.append({"start": start, "end": end, "prepayment_start": remaining[i], "prepayment": remaining[i + 1],
                     **counts})
    return rows
