"""Delivering accepted Service Requests to their devices and the Service Response back (DESIGN §2 step 6, §6;
issue 11 points 1 and 3; docs/delivery.md).

:func:`deliver` takes one ServiceRequest id and moves the row through explicit states, each move a
compare-and-set ``UPDATE … WHERE state = … AND claim_token = …``::

    accepted ──claim──▶ sent ──gateway answer──▶ responded (I0 with the meter's GBCS response)
                                             └─▶ failed    (E20: not reached / refused by the gateway; E21: no answer)
    accepted ──sweeper, too old──▶ expired (E20)

1. **Claim**: ``UPDATE … SET claim_token = <new>, claimed_until = now + SOLR_DELIVERY_STUCK_SECONDS WHERE id = ?
   AND state IN (accepted, sent) AND (claimed_until IS NULL OR claimed_until <= now)``. One row: this worker
   holds it. None: delivered already, held by a live worker, or not ours — nothing is sent. So a redelivered or
   duplicated task message (late acknowledgement re-queues a dead worker's message) sends nothing twice.
2. ``accepted → sent`` (same token), then the command goes to the device gateway: the Signed Pre-Command
   (SMETS2) or the Pre-Command (SMETS1 service provider) wrapped for the device with the ACB's MAC. A command
   whose execution time is in the future is ``schedule``-d, a cancellation (the GBCS cancellation value) is
   ``cancel``-led; the rest ``send``.
3. The Service Response is built from the answer (``contingency.duis.responses``), signed with the DCC's XML
   signing key, and in one transaction: ``sent → responded | failed`` under the same token, one Push keyed
   ``response:<RequestID>`` to the sender's User ID (unique: one push per request, ever), an audit record. The
   push's first attempt is queued after the commit; the push sweeper retries it with backoff until the
   endpoint answers 2xx (contingency.delivery.push).

A worker that dies holding a request leaves its claim to run out; :func:`stuck_request_ids` (the beat task
``sweep_requests``) finds it and queues ``deliver_request`` again. A request found ``sent`` was handed to the
gateway by a worker that died: it is sent again. The simulated meter then refuses it as a replayed counter if
the first copy arrived (the meter's state already changed, and nothing changes twice); its refusal is the
response recorded (docs/delivery.md, "A worker that dies mid-send").
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from pki import xmldsig
from pki.dcc_identity import signing_identity
from portal import audit

from .. import conf
from ..duis import envelope
from ..duis import responses as duis_responses
from ..gbcs import precommand as pcm
from ..gbcs.decode import decode
from ..gbcs.errors import GbcsRefused
from ..models import Push, RequestState, ServiceRequest
from ..models.requests import IN_DELIVERY
from .gateway.interface import GatewayRefused, Outcome, get_gateway
from .gateway.keys import wrap_for_device
from .push import BACKLOG_HOLD_FACTOR


class Delivered:
    """What one call of :func:`deliver` did (stable words)."""

    RESPONDED = RequestState.RESPONDED.value
    FAILED = RequestState.FAILED.value
    EXPIRED = RequestState.EXPIRED.value
    NOT_CLAIMED = "not-claimed"  # nothing done: finished already, held by another worker, or not deliverable


@dataclass(frozen=True)
class Answer:
    """What the gateway said, reduced to what the response needs."""

    code: str  # I0, E20, E21
    payload: bytes | None = None
    refusal: str = ""


def hold_seconds() -> float:
    return float(conf.get("SOLR_DELIVERY_STUCK_SECONDS"))


def claim(request_pk: int, now: dt.datetime | None = None) -> str | None:
    """Take the request for one delivery run; the claim token, or None when it is not this worker's."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    claimed = (ServiceRequest.objects.filter(pk=request_pk, state__in=IN_DELIVERY)
               .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
               .update(claim_token=token, claimed_until=now + dt.timedelta(seconds=hold_seconds()),
                       delivery_attempts=F("delivery_attempts") + 1, version=F("version") + 1))
    return token if claimed else None


def command_for(request: ServiceRequest) -> bytes:
    """The command as sent to the device: the Signed Pre-Command (or, for a SMETS1 request, the Pre-Command the
    DCC built) in a General-Ciphering APDU with the ACB's MAC."""
    apdu = request.signed_precommand or request.precommand
    if not apdu:
        raise GatewayRefused("the request carries no command for the device", code="gateway-command-invalid")
    return wrap_for_device(bytes(apdu), request.device.eui)


def _execution(request: ServiceRequest):
    try:
        return decode(bytes(request.signed_precommand or request.precommand)).precommand.execution
    except (GbcsRefused, AttributeError, TypeError, ValueError):
        return None  # the gateway refuses what it cannot read; send() reports it


def _ask_gateway(request: ServiceRequest) -> Answer:
    gateway = get_gateway()
    try:
        command = command_for(request)
        execution = _execution(request)
        if execution is pcm.CANCEL:
            result = gateway.cancel(request.device, command, request_ref=request.request_id)
        elif execution is not None and execution > timezone.now():
            result = gateway.schedule(request.device, command, request_ref=request.request_id)
        else:
            result = gateway.send(request.device, command, request_ref=request.request_id)
    except (GatewayRefused, GbcsRefused) as exc:
        # Nothing reached the meter (DUIS E20: the DCC could not deliver the command): the gateway refused it, or
        # the stored command could not be wrapped for the device.
        return Answer("E20", refusal=exc.code)
    if result.outcome == Outcome.RESPONDED:
        return Answer("I0", result.response, result.refusal)
    return Answer(result.response_code)


def _subject(request: ServiceRequest) -> duis_responses.Answering:
    # The SRVs delivered here (1.6) have one variant: Service Reference and Variant are both the SRV number.
    return duis_responses.Answering(request.request_id, request.srv, request.srv)


def build_response(request: ServiceRequest, answer: Answer, at: dt.datetime):
    """The unsigned DUIS Service Response for ``answer`` (I0 with the GBCS payload, or E20 / E21)."""
    subject = _subject(request)
    if answer.code == "I0":
        return duis_responses.service_response(subject, gbcs_payload=answer.payload, at=at)
    return duis_responses.delivery_failure(answer.code, subject, at=at)


def _record(request: ServiceRequest, token: str, from_state: str, answer: Answer, state: str,
            queue_push, identity) -> bool:
    """Sign the response and, in one transaction, move the row to its outcome and store its push. False if the
    claim was lost (another worker finished it): then nothing is stored."""
    now = timezone.now()
    root = build_response(request, answer, now)
    certificate, key = identity
    signed = xmldsig.sign(root, key, certificate).decode("utf-8")
    response_id = root.findtext(f"{envelope.sr('Header')}/{envelope.sr('ResponseID')}") or ""
    with transaction.atomic():
        moved = ServiceRequest.objects.filter(pk=request.pk, state=from_state, claim_token=token).update(
            state=state, version=F("version") + 1, claim_token="", claimed_until=None, responded_at=now,
            response_code=answer.code, response_id=response_id, response_document=signed,
            gateway_refusal=answer.refusal)
        if not moved:
            return False
        # Its first attempt is queued after the commit (queue_push). The sweeper (sweep_pushes, every few seconds)
        # queues every due pending push; were this one due at once, every sweep while its message waits in a busy
        # queue would queue it again (a campaign's backlog grew by up to SOLR_PUSH_SWEEP_BATCH messages a sweep,
        # docs/performance.md). So it is due for the sweeper only after a stuck-timeout, as a request is: the
        # sweeper then catches a lost first message.
        push, created = Push.objects.get_or_create(
            key=f"response:{request.request_id}",
            defaults={"recipient_id": request.sender_id, "body": signed,
                      "next_attempt_at": now + dt.timedelta(seconds=hold_seconds())})
        audit.write(f"request.{state}", subject_type=ServiceRequest._meta.label, subject_id=str(request.pk),
                    subject_repr=request.request_id, before={"state": from_state},
                    after={"state": state, "response_code": answer.code, "refusal": answer.refusal,
                           "device": request.device.eui if request.device_id else ""})
        if created:
            queue_push(push.pk)
    return True


def deliver(request_pk: int, *, queue_push) -> str:
    """One delivery run of one request (see the module's docstring). Safe to call any number of times.
    ``queue_push(push_id)`` queues a new push's first attempt (the task passes tasks.queue_after_commit)."""
    # The signing identity first: without it no response could be sent, so nothing goes to the meter (the task
    # fails with LookupError, the row stays as it is and the sweeper tries again once the identity is in place).
    identity = signing_identity()
    token = claim(request_pk)
    if token is None:
        return Delivered.NOT_CLAIMED
    request = ServiceRequest.objects.select_related("device").get(pk=request_pk)
    if request.state == RequestState.ACCEPTED:
        if not ServiceRequest.objects.filter(pk=request_pk, state=RequestState.ACCEPTED, claim_token=token).update(
                state=RequestState.SENT, sent_at=timezone.now(), version=F("version") + 1):
            return Delivered.NOT_CLAIMED
    answer = _ask_gateway(request)
    state = RequestState.RESPONDED if answer.code == "I0" else RequestState.FAILED
    if not _record(request, token, RequestState.SENT, answer, state, queue_push, identity):
        return Delivered.NOT_CLAIMED
    return state.value


def expire(request_pk: int, *, queue_push) -> bool:
    """Give up an accepted request nobody delivered within SOLR_DELIVERY_EXPIRY_SECONDS: ``expired`` with an E20
    response. Only an ``accepted`` row (never sent) expires: a sent one may have reached the meter."""
    identity = signing_identity()
    token = claim(request_pk)
    if token is None:
        return False
    request = ServiceRequest.objects.select_related("device").get(pk=request_pk)
    if request.state != RequestState.ACCEPTED:
        ServiceRequest.objects.filter(pk=request_pk, claim_token=token).update(claim_token="", claimed_until=None)
        return False
    return _record(request, token, RequestState.ACCEPTED, Answer("E20", refusal="delivery-expired"),
                   RequestState.EXPIRED, queue_push, identity)


def stuck_request_ids(at: dt.datetime | None = None, limit: int | None = None, *, behind: bool = False) -> list[int]:
    """Requests to queue again: accepted ones no worker took within SOLR_DELIVERY_STUCK_SECONDS of acceptance,
    and accepted or sent ones whose holder's claim ran out (a dead worker); none the sweeper queued again within
    that time. With ``behind`` (the broker's queue is behind) that time is BACKLOG_HOLD_FACTOR stuck timeouts: a
    request nobody took is most likely still waiting in the queue, and so is the copy of one queued again."""
    at = at or timezone.now()
    cutoff = at - dt.timedelta(seconds=hold_seconds() * (BACKLOG_HOLD_FACTOR if behind else 1))
    limit = limit or conf.get("SOLR_DELIVERY_SWEEP_BATCH")
    unclaimed_old = Q(claimed_until__isnull=True) & (
        Q(accepted_at__lte=cutoff) | Q(accepted_at__isnull=True, received_at__lte=cutoff))
    # Not one queued again within the last stuck timeout: its message is still waiting in a queue that is behind
    # (each copy would cost a worker a task that claims nothing, and grow the queue it waits in).
    not_just_requeued = Q(requeued_at__isnull=True) | Q(requeued_at__lte=cutoff)
    return list(ServiceRequest.objects.in_delivery().filter(unclaimed_old | Q(claimed_until__lte=at))
                .filter(not_just_requeued).order_by("received_at", "pk").values_list("pk", flat=True)[:limit])


def mark_requeued(request_pks: list[int], at: dt.datetime | None = None) -> None:
    """The sweeper queued these again now (``stuck_request_ids`` leaves them for a stuck timeout)."""
    if request_pks:
        ServiceRequest.objects.filter(pk__in=request_pks).update(requeued_at=at or timezone.now())


def expired_request_ids(at: dt.datetime | None = None, limit: int | None = None) -> list[int]:
    at = at or timezone.now()
    cutoff = at - dt.timedelta(seconds=conf.get("SOLR_DELIVERY_EXPIRY_SECONDS"))
    limit = limit or conf.get("SOLR_DELIVERY_SWEEP_BATCH")
    # Measured from accepted_at only: a row without it (say, released from quarantine by code that does not set it)
    # is never expired on the age of its receipt; it is still re-queued by stuck_request_ids.
    rows = (ServiceRequest.objects.filter(state=RequestState.ACCEPTED, accepted_at__lte=cutoff)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=at)))
    return list(rows.order_by("received_at", "pk").values_list("pk", flat=True)[:limit])
