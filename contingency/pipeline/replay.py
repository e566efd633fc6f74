"""Check 5 (DESIGN §4): RequestIDs and counters. No single row serialises all requests.

* A **new request** (CV 1-4, 8) carries a RequestID never seen (``ServiceRequest.request_id`` is unique: the check
  here is a read on that index, and the insert at check 12 is the final word — a racing duplicate fails there with
  the same code) and a counter strictly greater than the last one sent to that device in the name of the same
  GBCS originator. For a SoLR Contingency sender that originator is the device's registered Supplier (DESIGN §2
  step 4: the meter counts the Supplier's commands); for any other sender, the sender. The counter is kept in one
  ``DeviceCounter`` row per (device, originator), moved forward by a conditional
  ``UPDATE … SET last_counter = n WHERE last_counter < n``; the first request for a pair inserts the row, and an
  insert that loses a race retries the conditional update. The update runs inside the request's transaction: a
  request refused by a later check rolls it back.
* A **CV 5-7** (Signed Pre-Command) carries the RequestID of a Pre-Command the DCC issued to this sender and that
  has not been used: a ``transformed`` row of the same sender and SRV. Its state moves (compare-and-set) at check 12.

For an unknown device the counter is not looked at: check 8 refuses it (E19).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.models import UserID, solr_role_code

from ..models import Device, DeviceCounter, RequestState, ServiceRequest
from .intake import Intake
from .refusal import Refused

NEW_REQUEST_VARIANTS = frozenset({1, 2, 3, 4, 8})


def load_parties(intake: Intake) -> None:
    """The sender (by the RequestID's originator) and the device (by its target), for this and later checks."""
    rid = intake.request.request_id
    intake.sender = (UserID.objects.select_related("party").prefetch_related("roles")
                     .filter(eui=rid.originator).first())
    intake.solr = intake.sender is not None and solr_role_code() in intake.sender.role_codes
    if intake.request.device_id is not None:
        intake.device = (Device.objects.select_related("registered_supplier__party")
                         .filter(eui=intake.request.device_id).first())
    if intake.device is not None:
        intake.gbcs_originator = intake.device.registered_supplier.eui if intake.solr else rid.originator


def check_request_id(intake: Intake) -> None:
    request = intake.request
    rid = request.request_id
    if request.command_variant in NEW_REQUEST_VARIANTS:
        if ServiceRequest.objects.filter(request_id=str(rid)).exists():
            raise Refused("request-id-replayed", f"RequestID {rid} was used already")
        if intake.device is not None:
            advance_counter(intake.device, intake.gbcs_originator, rid.counter)
        return
    row = (ServiceRequest.objects.filter(request_id=str(rid), sender__eui=rid.originator)
           .select_related("device__registered_supplier__party").first())
    if row is None or row.state != RequestState.TRANSFORMED or row.srv != request.service_reference_variant:
        raise Refused("pre-command-unknown", f"the DCC issued no unused Pre-Command for {rid} to this sender")
    intake.transformed = row
    intake.device = row.device
    intake.gbcs_originator = row.gbcs_originator


def advance_counter(device: Device, originator: str, counter: int) -> None:
    """Move (device, originator)'s last counter to ``counter``, or refuse ``counter-not-increasing``."""
    value = Decimal(counter)
    pair = DeviceCounter.objects.filter(device=device, originator=originator)
    if pair.filter(last_counter__lt=value).update(last_counter=value, updated_at=timezone.now()):
        return
    if not pair.exists():
        try:
            with transaction.atomic():  # a savepoint: a lost insert race leaves the outer transaction usable
                DeviceCounter.objects.create(device=device, originator=originator, last_counter=value)
            return
        except IntegrityError:
            if pair.filter(last_counter__lt=value).update(last_counter=value, updated_at=timezone.now()):
                return
    raise Refused("counter-not-increasing",
                  f"counter {counter} is not above the last one sent to {device.eui} in the name of {originator}")
