"""Pushing signed DUIS documents to a User ID's endpoint (DESIGN §2 steps 6–7; docs/alerts.md "Delivery").

One attempt of one push, :func:`attempt`:

1. **Claim** it with compare-and-set: ``UPDATE … SET claim_token = <new>, claimed_until = now + hold WHERE id = ?
   AND state = 'pending' AND next_attempt_at <= now AND (claimed_until IS NULL OR claimed_until <= now)``. One
   row changed: this worker holds it; none: another worker holds it, it is delivered, or not yet due — nothing
   is sent. Two workers (or a redelivered task message) never send the same push at once.
2. Read the recipient's endpoint URL **now** (it may have been set or changed since the push was made). No URL,
   or ``http://`` while ``SOLR_ALLOW_INSECURE_ENDPOINTS`` is off: nothing is sent, the push stays pending
   (``last_error`` says why) and the sweeper tries again, so setting a URL is enough to get it delivered.
3. ``POST`` the body as ``application/xml`` (no redirects followed, no proxy). 2xx: delivered. Anything else
   (a status, a refused connection, a timeout): the attempt is logged, ``attempts`` grows and the next attempt
   waits ``min(SOLR_PUSH_MAX_DELAY_SECONDS, SOLR_PUSH_BASE_DELAY_SECONDS × 2^(attempts-1))``. A push is never
   given up: it stays pending, listed as failing, until the endpoint accepts it.
4. Record the outcome under the same claim token (compare-and-set again), with its PushAttempt row.

A worker that dies between the endpoint's 2xx and step 4 leaves the push claimed; after the hold expires the
sweeper sends it again. That window (one HTTP answer long) is the only way an endpoint can see a document
twice; it then carries the same ResponseID, by which a receiver recognises it.
"""

from __future__ import annotations

import datetime as dt
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from portal import audit

from .. import conf
from ..models import Push, PushAttempt, PushState

CONTENT_TYPE = "application/xml"
USER_AGENT = "SoLR-Contingency-Service/1 (DCC push)"


class Outcome:
    """What one call of :func:`attempt` did (stable words; tests and the task's result use them)."""

    DELIVERED = "delivered"
    FAILED = "failed"  # sent, not accepted (or no answer): retried later
    NO_ENDPOINT = "no-endpoint"  # nothing sent: the recipient has no endpoint URL
    INSECURE_ENDPOINT = "insecure-endpoint"  # nothing sent: http:// while SOLR_ALLOW_INSECURE_ENDPOINTS is off
    NOT_CLAIMED = "not-claimed"  # nothing sent: delivered, held by another worker, not due, or gone


@dataclass(frozen=True)
class Result:
    outcome: str
    status: int | None = None
    error: str = ""


def allow_insecure() -> bool:
    """``SOLR_ALLOW_INSECURE_ENDPOINTS`` (portal's setting, issue 9 point 8: the run command in demo mode and the
    tests set it; ``check --deploy`` warns about it outside a demo)."""
    return bool(settings.SOLR_ALLOW_INSECURE_ENDPOINTS)


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: exponential, capped."""
    base = conf.get("SOLR_PUSH_BASE_DELAY_SECONDS")
    cap = conf.get("SOLR_PUSH_MAX_DELAY_SECONDS")
    return min(cap, base * 2 ** min(max(attempts - 1, 0), 40))


def hold_seconds() -> float:
    return 2 * conf.get("SOLR_PUSH_TIMEOUT_SECONDS") + 30


# While the broker's queue is behind (contingency.delivery.queue.queue_is_behind), an item no worker has taken yet
# is most likely still waiting in it: both sweepers then leave such an item this many hold times (stuck timeouts for
# requests) instead of one, before they queue it again, and then once per that many. A message lost during a long
# backlog is delayed that much, never dropped; a long backlog gets at most one copy per item per that time.
BACKLOG_HOLD_FACTOR = 10


def endpoint_problem(url: str) -> str | None:
    """Why nothing may be sent to ``url`` (an Outcome), or None."""
    if not url:
        return Outcome.NO_ENDPOINT
    scheme = urlsplit(url).scheme.lower()
    if scheme == "https" or (scheme == "http" and allow_insecure()):
        return None
    return Outcome.INSECURE_ENDPOINT


def claim(push_id: int, now: dt.datetime | None = None) -> str | None:
    """Take the push for one attempt; its claim token, or None if it is not this worker's to send now."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    # A push never tried is claimed whatever its next_attempt_at: the message that asks for its first attempt is
    # the one queued when it was made, and a Service Response's push is made with next_attempt_at one stuck-timeout
    # ahead so that the sweeper leaves it to that message (contingency.delivery.service._record).
    claimed = (Push.objects.filter(pk=push_id, state=PushState.PENDING)
               .filter(Q(next_attempt_at__lte=now) | Q(attempts=0))
               .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
               .update(claim_token=token, claimed_until=now + dt.timedelta(seconds=hold_seconds())))
    return token if claimed else None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 2xx: the push is not delivered (and its body goes nowhere else)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def post(url: str, body: bytes, timeout: float) -> tuple[int | None, str]:
    """POST ``body`` as application/xml; (HTTP status or None, error text)."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": CONTENT_TYPE, "User-Agent": USER_AGENT})
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            answer.read(65536)
            return answer.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"[:500]
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(exc).__name__}: {reason}"[:500]


def _release(push_id: int, token: str, problem: str, now: dt.datetime) -> None:
    """Nothing was sent: give the claim back and look again after the base delay (no attempt counted)."""
    Push.objects.filter(pk=push_id, claim_token=token).update(
        claim_token="", claimed_until=None, last_error=problem,
        next_attempt_at=now + dt.timedelta(seconds=retry_delay(1)))


def attempt(push_id: int) -> Result:
    """One delivery attempt of one push (see the module's docstring). Safe to call any number of times."""
    now = timezone.now()
    token = claim(push_id, now)
    if token is None:
        return Result(Outcome.NOT_CLAIMED)
    push = Push.objects.select_related("recipient").get(pk=push_id)
    url = push.recipient.endpoint_url.strip()
    problem = endpoint_problem(url)
    if problem:
        _release(push_id, token, problem, now)
        return Result(problem)

    started = time.monotonic()
    status, error = post(url, push.body.encode("utf-8"), conf.get("SOLR_PUSH_TIMEOUT_SECONDS"))
    duration_ms = int((time.monotonic() - started) * 1000)
    delivered = status is not None and 200 <= status < 300
    finished = timezone.now()
    with transaction.atomic():
        number = push.attempts + 1
        changes = dict(claim_token="", claimed_until=None, attempts=F("attempts") + 1, endpoint_url=url,
                       last_status=status, last_error=error)
        if delivered:
            changes.update(state=PushState.DELIVERED, delivered_at=finished)
        else:
            changes.update(next_attempt_at=finished + dt.timedelta(seconds=retry_delay(number)))
        recorded = Push.objects.filter(pk=push_id, claim_token=token).update(**changes)
        if recorded and delivered:
            # The outcome that matters to the recipient is audited (DESIGN §6); every attempt is in the log.
            audit.write("push.delivered", subject_type=Push._meta.label, subject_id=str(push_id),
                        subject_repr=push.key, after={"endpoint_url": url, "status": status, "attempts": number})
        if recorded:
            PushAttempt.objects.create(push_id=push_id, number=number, at=finished, endpoint_url=url,
                                       http_status=status, error=error, delivered=delivered,
                                       duration_ms=duration_ms)
    return Result(Outcome.DELIVERED if delivered else Outcome.FAILED, status, error)


def due_push_ids(limit: int | None = None, at: dt.datetime | None = None, *, behind: bool = False) -> list[int]:
    """Pending pushes that are due and held by no worker, oldest due first, none queued by the sweeper within a hold
    time (what the sweeper queues). With ``behind`` (the queue is behind), a push no worker has taken yet (never
    claimed, tried or released) is left for BACKLOG_HOLD_FACTOR hold times since it was made or last queued: its
    first message is most likely still in the queue."""
    limit = limit or conf.get("SOLR_PUSH_SWEEP_BATCH")
    at = at or timezone.now()
    # Not one the sweeper queued within a hold time: that message still waits in a queue that is behind.
    cutoff = at - dt.timedelta(seconds=hold_seconds())
    due = Push.objects.due(at).filter(Q(requeued_at__isnull=True) | Q(requeued_at__lte=cutoff))
    if behind:
        long_ago = at - dt.timedelta(seconds=BACKLOG_HOLD_FACTOR * hold_seconds())
        never_taken = Q(attempts=0, last_error="", claimed_until__isnull=True)
        due = due.exclude(never_taken & (Q(created_at__gt=long_ago) | Q(requeued_at__gt=long_ago)))
    return list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


def mark_requeued(push_ids: list[int], at: dt.datetime | None = None) -> None:
    """The sweeper queued an attempt of these now (``due_push_ids`` leaves them for a hold time)."""
    if push_ids:
        Push.objects.filter(pk__in=push_ids).update(requeued_at=at or timezone.now())
