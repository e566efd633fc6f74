"""Anomaly detection's count (DESIGN §4 check 11; issue 10 point 9; docs/adt-format.md "Counting").

``check_and_count`` counts one Service Request for (sender User ID, SRV, target Supplier) against the sender's
active ADT threshold and says where the window's count now stands:

* ``no-adt``: the sender has no active threshold for that key; nothing is counted (the front door refuses the
  request with ``adt-missing``: the TADP gives every User ID and SRV a threshold, and MP134B BR4 lets
  the SoLR Contingency role send only to a Supplier its ADT names);
* ``ok``: count ≤ warning level;
* ``warning``: warning level < count ≤ quarantine level ("above the warning level the DCC raises an alert");
  the first request of a window period over the level raises a DCC alert to the sender and a note
  (``AdtNotice``) for the service desk;
* ``quarantine``: count > quarantine level: the front door keeps the request ``quarantined``; the sender gets
  a DCC alert ``AD1`` ``QuarantinedRequest/ADUserThresholdBreach`` naming the RequestID, whose
  QuarantineEventRef is the counted request's number.

Not one hot row (DESIGN §4 "Scale"): each increment goes to one of ``SHARDS`` rows of the current time bucket,
chosen at random, with one ``INSERT … ON CONFLICT DO UPDATE SET n = n + 1`` (no read-then-write race, the first
use of a row included); the count is the sum over the window's buckets. A CV 4 and its CV 5 count once: the
RequestID is an idempotency key (``AdtCountedRequest``, unique), and a second call returns the first's verdict.

Run it inside the front door's transaction: a request refused later rolls its count back with it.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from portal.models import Party, UserID

from ..models import AdtCount, AdtCountedRequest, AdtNotice, AdtNoticeKind, AdtThreshold, ServiceRequest
from .thresholds import active_threshold

log = logging.getLogger(__name__)

#: Rows per bucket that increments are spread over. 8 lets 8 concurrent requests of one key write different rows.
SHARDS = 8
#: Buckets per window: the window slides in steps of window/60 (one minute for a 60-minute window).
BUCKETS_PER_WINDOW = 60
#: The QuarantineEventRef of a warning alert: DUIS 5.4 has no DCCAlert body for a warning, see _notify.
WARNING_EVENT_REF = 0

OUTCOMES = ("ok", "warning", "quarantine", "no-adt")


@dataclass(frozen=True)
class Verdict:
    """Where the request leaves its key's window. ``count`` includes the request; levels and threshold are None
    for ``no-adt``."""

    outcome: str
    count: int = 0
    warning_level: int | None = None
    quarantine_level: int | None = None
    threshold_id: int | None = None
    counted: bool = False  # False: a repeated call for a RequestID already counted, or no-adt

    @property
    def quarantined(self) -> bool:
        return self.outcome == "quarantine"


NO_ADT = Verdict("no-adt")


def counter_key(threshold: AdtThreshold) -> str:
    return f"{threshold.user_id_id}:{threshold.srv}:{threshold.target_supplier_id or '*'}"


def _epoch(at: dt.datetime) -> int:
    return int(at.timestamp())


def bucket_width(threshold: AdtThreshold) -> int:
    """Seconds per bucket: window_minutes × 60 / 60."""
    return max(1, threshold.window_minutes * 60 // BUCKETS_PER_WINDOW)


def _bucket_start(threshold: AdtThreshold, at: dt.datetime) -> int:
    seconds, width = _epoch(at), bucket_width(threshold)
    return seconds - seconds % width


def _increment(key: str, start: int) -> None:
    q = connection.ops.quote_name
    table = q(AdtCount._meta.db_table)
    # One statement on SQLite (3.24+) and PostgreSQL: insert on first use, add one otherwise, never a lost update.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({q('key')}, {q('start')}, {q('shard')}, {q('n')}) VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT ({q('key')}, {q('start')}, {q('shard')}) DO UPDATE SET {q('n')} = {table}.{q('n')} + 1",
            [key, start, random.randrange(SHARDS)])


def _claim(rid: str, sender: UserID, srv: str, threshold: AdtThreshold, at: dt.datetime) -> int | None:
    """Record that ``rid`` is counted: its new row's pk, or None when a row for it exists (one statement, no
    savepoint: ``INSERT … ON CONFLICT DO NOTHING RETURNING``, PostgreSQL and SQLite 3.35+)."""
    q = connection.ops.quote_name
    columns = ", ".join(q(c) for c in ("request_id", "sender_id", "srv", "threshold_id", "counted_at", "count",
                                       "outcome"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(AdtCountedRequest._meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s, %s, 0, 'ok') "
            f"ON CONFLICT ({q('request_id')}) DO NOTHING RETURNING {q('id')}",
            [rid, sender.pk, srv, threshold.pk, connection.ops.adapt_datetimefield_value(at)])
        row = cursor.fetchone()
    return row[0] if row else None


def _earlier(rid: str | None) -> Verdict | None:
    if not rid:
        return None
    earlier = AdtCountedRequest.objects.select_related("threshold").filter(request_id=rid).first()
    if earlier is None:
        return None
    return _verdict(earlier.outcome, earlier.count, earlier.threshold, counted=False)


def window_count(threshold: AdtThreshold, at: dt.datetime | None = None) -> int:
    """Requests counted for ``threshold``'s key in the window ending at ``at``: the current bucket and the 59
    before it."""
    at = at or timezone.now()
    width = bucket_width(threshold)
    first = _bucket_start(threshold, at) - (BUCKETS_PER_WINDOW - 1) * width
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(SUM({q('n')}), 0) FROM {q(AdtCount._meta.db_table)} "
            f"WHERE {q('key')} = %s AND {q('start')} >= %s AND {q('start')} <= %s",
            [counter_key(threshold), first, _bucket_start(threshold, at)])
        return int(cursor.fetchone()[0])


def _threshold_for(sender: UserID, srv: str, target: Party | UserID | None,
                   request: ServiceRequest | None) -> AdtThreshold | None:
    if isinstance(target, UserID):
        return active_threshold(sender, srv, target)
    supplier_uid = None
    if request is not None and getattr(request, "device_id", None) is not None:
        supplier_uid = request.device.registered_supplier
        if target is not None and supplier_uid.party_id != target.pk:
            supplier_uid = None
    if supplier_uid is not None:
        return active_threshold(sender, srv, supplier_uid)
    # A Party: its Supplier User IDs' rows (lowest id first), then a '*' row.
    rows = AdtThreshold.objects.active().filter(user_id=sender, srv=srv)
    if target is not None:
        named = rows.filter(target_supplier__party=target).order_by("target_supplier_id").first()
        if named is not None:
            return named
    return rows.filter(target_supplier__isnull=True).first()


def _outcome(count: int, threshold: AdtThreshold) -> str:
    if count > threshold.quarantine_level:
        return "quarantine"
    if count > threshold.warning_level:
        return "warning"
    return "ok"


def _verdict(outcome: str, count: int, threshold: AdtThreshold, counted: bool) -> Verdict:
    return Verdict(outcome, count, threshold.warning_level, threshold.quarantine_level, threshold.pk, counted)


def check_and_count(sender: UserID, srv: str, target_supplier: Party | UserID | None,
                    request: ServiceRequest | None = None, *, at: dt.datetime | None = None,
                    request_id: str | None = None) -> Verdict:
    """Count one Service Request from ``sender`` (SRV ``srv``) to a device of ``target_supplier`` (the registered
    Supplier's User ID, or its Party) and return the Verdict. ``request``: the stored ServiceRequest or the front
    door's parsed request (anything with a ``request_id``; ``str()`` of it is the key).

    The RequestID (``request.request_id``, or ``request_id`` when the request is not stored yet) makes the call
    idempotent: the CV 5 that completes a CV 4 gets the CV 4's verdict and counts nothing. ``at``: the request's
    time (now by default)."""
    at = at or timezone.now()
    # ``request``: the stored ServiceRequest, or the front door's parsed DUIS request (its RequestID object).
    rid = str(request.request_id) if request is not None and request.request_id else request_id
    # No savepoint: nothing here recovers from a database error, and the front door rolls its whole transaction
    # back on any refusal (two statements fewer on every counted DUIS request).
    with transaction.atomic(savepoint=False):
        if isinstance(request, ServiceRequest):
            # A stored request (the CV 5 of a CV 4): most likely counted already, and its verdict stands even if
            # the threshold changed since. The front door's parsed request is claimed first instead (below).
            earlier = _earlier(rid)
            if earlier is not None:
                return earlier
        threshold = _threshold_for(sender, srv, target_supplier, request)
        if threshold is None:
            return NO_ADT
        key = counter_key(threshold)
        counted_pk = None
        if rid:
            counted_pk = _claim(rid, sender, srv, threshold, at)
            if counted_pk is None:  # counted before, or at this moment by another process (which committed)
                return _earlier(rid) or NO_ADT
        _increment(key, _bucket_start(threshold, at))
        count = window_count(threshold, at)
        outcome = _outcome(count, threshold)
        if counted_pk is not None:
            AdtCountedRequest.objects.filter(pk=counted_pk).update(count=count, outcome=outcome)
        if outcome == "warning":
            _notify(AdtNoticeKind.WARNING, threshold, key, count, rid or "", at, event_ref=WARNING_EVENT_REF)
        elif outcome == "quarantine":
            _notify(AdtNoticeKind.QUARANTINE, threshold, key, count, rid or "", at,
                    event_ref=counted_pk)
        return _verdict(outcome, count, threshold, counted=True)


def _notify(kind: str, threshold: AdtThreshold, key: str, count: int, rid: str, at: dt.datetime, *,
            event_ref: int | None) -> None:
    """The service desk's note (once per key, kind and window period) and the sender's DCC alert.

    Quarantine: an ``AD1`` alert for every quarantined request (each names its RequestID, DUIS
    ``QuarantinedRequest``). Warning: one alert per window period, with the note. DUIS 5.4's DCCAlert has no
    warning body (its only anomaly-detection element is ``QuarantinedRequest``), so the warning goes as ``AD1``
    ``ADUserThresholdBreach`` naming the request that passed the level with QuarantineEventRef 0, a value no
    quarantine uses (their refs start at 1); docs/adt-format.md says so."""
    period = _epoch(at) // (threshold.window_minutes * 60)
    notice = None
    try:
        with transaction.atomic():
            notice = AdtNotice.objects.create(
                key=key, kind=kind, period=period, threshold=threshold, sender_id=threshold.user_id_id,
                srv=threshold.srv, target_supplier_id=threshold.target_supplier_id, count=count, request_id=rid,
                raised_at=at)
    except IntegrityError:
        notice = None  # already noted in this period
    if kind == AdtNoticeKind.WARNING and notice is None:
        return
    if not rid or event_ref is None:
        return  # no RequestID to name: the note is all there is
    alert = _raise_alert(threshold, rid, event_ref, at)
    if alert is not None and notice is not None:
        AdtNotice.objects.filter(pk=notice.pk).update(alert=alert)


def _raise_alert(threshold: AdtThreshold, rid: str, event_ref: int, at: dt.datetime):
    # Imported here: contingency.alerts imports the delivery room and signing, which the count alone never needs.
    from ..alerts.services import AlertRefused, raise_dcc_alert
    from ..duis.alerts import QuarantinedRequest

    try:
        with transaction.atomic():
            raised = raise_dcc_alert("AD1", QuarantinedRequest(request_id=rid, quarantine_event_ref=event_ref),
                                     addressed_to=threshold.user_id, at=at, source="adt.counting")
    except AlertRefused as exc:
        # The request's fate does not depend on the alert; the note stays for the service desk.
        log.warning("ADT alert for %s not raised: %s", rid, exc.code)
        return None
    return raised.alert
