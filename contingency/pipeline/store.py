"""Check 12 (DESIGN §4; §6 "nothing is lost"): store, then queue on commit.

Runs inside the request's transaction, so the row is committed before the answer is sent:

* a Transform (CV 4) is stored ``transformed`` with the Pre-Command the DCC issued (answered I0 with it);
* a Signed Pre-Command (CV 5-7) moves that row by compare-and-set on its ``version`` from ``transformed`` to
  ``accepted`` or ``quarantined`` (a concurrent second use loses: ``pre-command-unknown``);
* any other request (a SMETS1 SRV 1.6, a read such as 6.2.9) is stored ``accepted`` or ``quarantined`` at once.

An accepted request is handed to :func:`queue_for_delivery` after the commit.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F

from portal import audit

from ..duis.requests import SignedPreCommand, UpdatePaymentMode
from ..models import RequestState, ServiceRequest
from .intake import Intake
from .refusal import Refused


def queue_for_delivery(request: ServiceRequest) -> None:
    """Queue an ``accepted`` request for delivery to its device (``contingency.delivery.tasks.deliver_request``).

    Called on commit for every request stored ``accepted``. It never raises: a broker that refuses the message (an
    outage) leaves the committed request to the delivery sweeper, and the sender still gets its answer (DESIGN §6;
    docs/delivery.md, "A broker outage").
    """
    from ..delivery import tasks

    tasks.queue_request(request.pk)


def store(intake: Intake) -> ServiceRequest:
    request = intake.request
    state = RequestState.QUARANTINED if intake.adt_outcome == "quarantine" else RequestState.ACCEPTED
    if isinstance(request.body, SignedPreCommand):
        row = _complete(intake, state, request.body)
    else:
        row = _create(intake, RequestState.TRANSFORMED if intake.precommand is not None else state)
    audit.write(f"duis.request.{row.state}", row, actor=f"duis:{request.request_id.originator}",
                after={"request_id": row.request_id, "srv": row.srv, "command_variant": request.command_variant,
                       "state": row.state, "device": intake.device.eui if intake.device else None,
                       "adt": intake.adt_outcome or None})
    if row.state == RequestState.ACCEPTED:
        transaction.on_commit(lambda: queue_for_delivery(row))
    return row


def _create(intake: Intake, state: str) -> ServiceRequest:
    request = intake.request
    device = intake.device
    body = request.body
    now = intake.now
    row = ServiceRequest(
        request_id=str(request.request_id), sender=intake.sender, device=device,
        target_supplier=device.registered_supplier.party if device is not None else None,
        gbcs_originator=intake.gbcs_originator or request.request_id.originator,
        counter=Decimal(request.request_id.counter), srv=request.service_reference_variant,
        command_variant=request.command_variant, activation_id=intake.activation_id, state=state,
        request_xml=intake.body, precommand=intake.precommand or intake.smets1_command,
        execution_at=body.execution if isinstance(body, UpdatePaymentMode) and body.is_future_dated else None,
        adt_warning=intake.adt_outcome == "warning", received_at=now,
        accepted_at=now if state == RequestState.ACCEPTED else None,
        quarantined_at=now if state == RequestState.QUARANTINED else None,
    )
    try:
        # No savepoint: a failed insert ends the request's transaction, which the refusal rolls back whole.
        row.save(force_insert=True)
    except IntegrityError:  # the unique RequestID: a duplicate raced this one past check 5
        raise Refused("request-id-replayed", f"RequestID {row.request_id} was used already") from None
    return row


def _complete(intake: Intake, state: str, body: SignedPreCommand) -> ServiceRequest:
    row = intake.transformed
    now = intake.now
    values = dict(state=state, signed_precommand=body.gbcs_payload, adt_warning=intake.adt_outcome == "warning",
                  accepted_at=now if state == RequestState.ACCEPTED else None,
                  quarantined_at=now if state == RequestState.QUARANTINED else None,
                  activation_id=intake.activation_id or row.activation_id)
    changed = ServiceRequest.objects.filter(pk=row.pk, state=RequestState.TRANSFORMED, version=row.version).update(
        version=F("version") + 1, **values)
    if not changed:
        raise Refused("pre-command-unknown", f"the Pre-Command of {row.request_id} was used already")
    # The row as the compare-and-set left it, without reading it back: only these columns changed.
    for name, value in values.items():
        setattr(row, name, value)
    row.version += 1
    return row
