"""The event console's chart data (issue 9 point 5; DESIGN §6: an event's progress is shown as a chart).

Over an instruction's window, per time bucket: the failed Supplier's **prepayment meters remaining** (the
contingency exists to move them to Credit, MP134B BR3 / SRV 1.6) and the SoLR Contingency **requests
accepted, rejected and quarantined** (the ADT check, DESIGN §4 step 11).

Prepayment meters remaining are read from what exists: the meters' payment mode now, walked back through the
audit log's records of meter changes (``device.create`` / ``.update`` / ``.delete``, written by
portal.audit_hooks for every saved Device, and ``device.payment_mode``, written by the device gateway when a meter
applies SRV 1.6: that is how the chart sees a SoLR drill switch meters live). A ``device.payment_mode`` record
carries only the payment mode, so it counts for the meters that are the Supplier's now. Any other change made
without a save (a bulk ``update()``) leaves no record, so the history before it cannot be drawn; the value at the
end of the chart is always today's count.

Requests come from the DUIS front door's tables (issue 10): ``request_counts`` is the one place they are read.
"""

from __future__ import annotations

import heapq
import math
from datetime import datetime, timedelta

from django.db.models import Case, CharField, Count, IntegerField, Q, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from portal.models import AuditRecord, Party, UserID

from ..devices.choices import METERS, PaymentMode
from ..models import Device, Instruction, RejectedRequest, RequestState, ServiceRequest

#: How many intervals the chart divides the window into, unless told otherwise.
BUCKETS = 24

DEVICE_SUBJECT = Device._meta.label  # "contingency.Device": the audit records' subject_type for meters
DEVICE_ACTIONS = ("device.create", "device.update", "device.delete")
#: the device gateway's record of a meter that applied a payment-mode command (contingency.delivery.gateway.simulator
#: set_payment_mode): a bulk update() plus this record, whose before / after hold only ``payment_mode``
PAYMENT_MODE_ACTION = "device.payment_mode"


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
    """Requests for ``supplier``'s devices per ``bucket`` from ``since`` to ``until``:
    ``{"accepted", "rejected", "quarantined"}`` for each interval, in order.

    Read from the DUIS front door's tables (issue 10), by the time each request was received: ``ServiceRequest``
    rows whose registered Supplier was ``supplier`` — ``quarantined``, or ``accepted`` (and any later delivery
    state; a Pre-Command still awaiting its Signed Pre-Command and a deleted request are neither) — and
    ``RejectedRequest`` rows (a refusal whose device was known). One query per table, each interval a filtered count
    over the (target_supplier, received_at) index."""
    # round() first: a window divided into n buckets must give n, not n + 1 from a microsecond of rounding.
    count = max(1, math.ceil(round((until - since) / bucket, 6))) if bucket > timedelta(0) else 1
    step = bucket if bucket > timedelta(0) else until - since
    bounds = [(since + step * i, min(until, since + step * (i + 1))) for i in range(count)]

    def counted(queryset, name: str, extra: Q) -> list[int]:
        # The last interval includes ``until`` itself; the others are half-open.
        spans = [Q(received_at__gte=start, received_at__lt=end) if i < count - 1
                 else Q(received_at__gte=start, received_at__lte=end) for i, (start, end) in enumerate(bounds)]
        totals = queryset.filter(target_supplier=supplier, received_at__gte=since, received_at__lte=until).aggregate(
            **{f"{name}{i}": Count("id", filter=span & extra) for i, span in enumerate(spans)})
        return [totals[f"{name}{i}"] for i in range(count)]

    requests = ServiceRequest.objects.all()
    accepted = counted(requests, "a", ~Q(state__in=[RequestState.TRANSFORMED, RequestState.QUARANTINED,
                                                    RequestState.DELETED]))
    quarantined = counted(requests, "q", Q(state=RequestState.QUARANTINED))
    rejected = counted(RejectedRequest.objects.all(), "r", Q())
    return [{"accepted": a, "rejected": r, "quarantined": q}
            for a, r, q in zip(accepted, rejected, quarantined, strict=True)]


def _prepayment_meter_of(side: str, supplier_ids: list[int]) -> Case:
    """1 when the audit snapshot ``side`` ("before" or "after") is a prepayment meter of the Supplier, else 0."""
    return Case(When(Q(**{f"{side}__payment_mode": PaymentMode.PREPAYMENT, f"{side}__device_type__in": list(METERS),
                          f"{side}__registered_supplier_id__in": supplier_ids}), then=Value(1)),
                default=Value(0), output_field=IntegerField())


def prepayment_remaining(supplier: Party, instants: list[datetime]) -> list[int]:
    """How many of ``supplier``'s meters were in prepayment mode at each of ``instants``.

    Today's count, minus every audited change after the instant that added a prepayment meter of the
    Supplier, plus every one that removed one (switched to Credit, moved to another Supplier, deleted). One
    query over the audit records, which works out each change's effect on the count itself (a large event has
    hundreds of thousands of meter changes: only a time and ±1 each comes back, no JSON)."""
    if not instants:
        return []
    supplier_ids = sorted(UserID.objects.of_party(supplier).values_list("pk", flat=True))
    now_count = Device.objects.of_supplier(supplier).meters().filter(payment_mode=PaymentMode.PREPAYMENT).count()
    if not supplier_ids:
        return [now_count for _ in instants]
    # +1: the change made a prepayment meter of the Supplier; -1: it took one away; 0: neither (or both).
    delta = _prepayment_meter_of("after", supplier_ids) - _prepayment_meter_of("before", supplier_ids)
    changes = (
        AuditRecord.objects.filter(subject_type=DEVICE_SUBJECT, action__in=DEVICE_ACTIONS,
                                   created_at__gt=min(instants))
        # Only records that touch this Supplier's meters, before or after the change.
        .filter(Q(before__registered_supplier_id__in=supplier_ids) | Q(after__registered_supplier_id__in=supplier_ids))
    )
    # Each record's +1 / -1 is worked out in the database; only the ones that change the count travel, as
    # (time, ±1), newest first, and are undone instant by instant walking back from today's count.
    moves = (changes.annotate(delta=delta).exclude(delta=0).order_by("-created_at", "-id")
             .values_list("created_at", "delta"))
    # The gateway's payment-mode records of the Supplier's meters (subject_id is the meter's pk as text).
    meter_ids = (Device.objects.of_supplier(supplier).meters().annotate(text_pk=Cast("pk", CharField()))
                 .values("text_pk"))
    prepayment = PaymentMode.PREPAYMENT
    switched = (
        AuditRecord.objects.filter(subject_type=DEVICE_SUBJECT, action=PAYMENT_MODE_ACTION,
                                   created_at__gt=min(instants), subject_id__in=meter_ids)
        .annotate(delta=Case(When(after__payment_mode=prepayment, then=Value(1)), default=Value(0),
                             output_field=IntegerField())
                  - Case(When(before__payment_mode=prepayment, then=Value(1)), default=Value(0),
                         output_field=IntegerField()))
        .exclude(delta=0).order_by("-created_at", "-id").values_list("created_at", "delta"))
    at: dict[datetime, int] = {}
    remaining = now_count
    pending = heapq.merge(moves.iterator(chunk_size=5000), switched.iterator(chunk_size=5000),
                          key=lambda move: move[0], reverse=True)
    move = next(pending, None)
    for instant in sorted(set(instants), reverse=True):
        while move is not None and move[0] > instant:
            remaining -= move[1]
            move = next(pending, None)
        at[instant] = remaining
    return [at[instant] for instant in instants]


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
