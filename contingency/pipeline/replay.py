"""Check 5 (DESIGN §4): RequestIDs and counters. No single row serialises all requests.

* A **new request** (CV 1-4, 8) carries a RequestID never seen (``ServiceRequest.request_id`` is unique: the check
  here is a read on that index, and the insert at check 12 is the final word — a racing duplicate fails there with
  the same code) and a counter strictly greater than the last one sent to that device in the name of the same
  GBCS originator. For a SoLR Contingency sender that originator is the device's registered Supplier (DESIGN §2
  step 4: the meter counts the Supplier's commands); for any other sender, the sender. The counter is kept in one
  ``DeviceCounter`` row per (device, originator), moved forward by one conditional upsert
  (``INSERT … ON CONFLICT DO UPDATE … WHERE last_counter < n``, ``reads.advance_counter``): the first request for
  a pair inserts the row, a later one moves it only upwards, and two racing requests queue on that pair's row
  alone. It runs inside the request's transaction: a request refused by a later check rolls it back.
* A **CV 5-7** (Signed Pre-Command) carries the RequestID of a Pre-Command the DCC issued to this sender and that
  has not been used: a ``transformed`` row of the same sender and SRV. Its state moves (compare-and-set) at check 12.

For an unknown device the counter is not looked at: check 8 refuses it (E19).
"""

from __future__ import annotations

from portal.models import solr_role_code

from ..models import Device, RequestState, ServiceRequest
from . import reads
from .intake import Intake
from .refusal import Refused

NEW_REQUEST_VARIANTS = frozenset({1, 2, 3, 4, 8})


def load_parties(intake: Intake) -> None:
    """The sender (by the RequestID's originator) with its roles, and the device (by its target), for this and later
    checks: two indexed reads (``reads``)."""
    rid = intake.request.request_id
    intake.sender, intake.roles = reads.sender(rid.originator)
    intake.solr = solr_role_code() in intake.roles
    if intake.request.device_id is not None:
        intake.device = reads.device(intake.request.device_id)
    if intake.device is not None:
        intake.gbcs_originator = intake.device.registered_supplier.eui if intake.solr else rid.originator


def check_request_id(intake: Intake) -> None:
    request = intake.request
    rid = request.request_id
    if request.command_variant in NEW_REQUEST_VARIANTS:
        # A RequestID names its counter, so a replayed one never moves the counter: the replay is looked for only
        # when the counter refuses (or there is no device to count for), which keeps it off the accepted path.
        # The unique RequestID at check 12 stays the final word (a racing duplicate gets the same code).
        if intake.device is None or not reads.advance_counter(intake.device.pk, intake.gbcs_originator, rid.counter):
            if ServiceRequest.objects.filter(request_id=str(rid)).exists():
                raise Refused("request-id-replayed", f"RequestID {rid} was used already")
            if intake.device is not None:
                raise Refused("counter-not-increasing", f"counter {rid.counter} is not above the last one sent to "
                                                        f"{intake.device.eui} in the name of {intake.gbcs_originator}")
        return
    row = reads.transformed(str(rid), intake.sender.pk) if intake.sender is not None else None
    if row is None or row.state != RequestState.TRANSFORMED or row.srv != request.service_reference_variant:
        raise Refused("pre-command-unknown", f"the DCC issued no unused Pre-Command for {rid} to this sender")
    intake.transformed = row
    if intake.device is None or intake.device.pk != row.device_id:  # the RequestID names it: loaded already
        intake.device = Device.objects.select_related("registered_supplier__party").get(pk=row.device_id)
    intake.gbcs_originator = row.gbcs_originator
