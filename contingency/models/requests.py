"""DUIS Service Requests the front door accepted, and what it keeps to refuse replays (DESIGN §4 rows 5, 11, 12).

One row per accepted RequestID. A CV 4 (Transform) request is stored ``transformed`` with the Pre-Command the
DCC issued; its CV 5 (Signed Pre-Command) carries the same RequestID and moves that row, by compare-and-set,
to ``accepted`` (ready for delivery) or ``quarantined`` (over the ADT quarantine level: kept, not delivered,
until two DCC operators release or delete it). A SMETS1 request, which has no Pre-Command, is stored
``accepted`` or ``quarantined`` at once. Delivery (issue 11) adds its own states after ``accepted``.

Nothing here is one hot row: the RequestID's uniqueness is an index; the counter rule ("strictly greater than
the last one sent to that device in the name of the same GBCS originator") is one row per (device,
originator), updated with a conditional UPDATE; rejections are appended, never counted in place.

DUIS counters run to 2^64 − 1, past a signed 64-bit integer: they are stored as 20-digit decimals.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.eui import EUI64Field
from portal.models import Party, UserID

from .devices import Device
from .events import Activation

COUNTER_DIGITS = 20  # 2^64 − 1 = 18446744073709551615


class RequestState(models.TextChoices):
    TRANSFORMED = "transformed", "Pre-Command issued (awaiting its Signed Pre-Command)"
    ACCEPTED = "accepted", "Accepted (ready for delivery)"
    QUARANTINED = "quarantined", "Quarantined"
    DELETED = "deleted", "Deleted from quarantine"
    # Delivery (issue 11; contingency.delivery.requests, docs/delivery.md).
    SENT = "sent", "Sent to the device (awaiting its answer)"
    RESPONDED = "responded", "Responded (I0 with the device's response)"
    FAILED = "failed", "Failed (E20 / E21: the device could not be reached or did not answer)"
    EXPIRED = "expired", "Expired (not delivered in time)"


#: States a delivery task still has work in (the sweeper looks at these).
IN_DELIVERY = (RequestState.ACCEPTED, RequestState.SENT)
#: Final outcomes of delivery: each accepted request reaches exactly one.
OUTCOMES = (RequestState.RESPONDED, RequestState.FAILED, RequestState.EXPIRED)


class ServiceRequestQuerySet(models.QuerySet):
    def quarantined(self):
        return self.filter(state=RequestState.QUARANTINED)

    def in_delivery(self):
        return self.filter(state__in=IN_DELIVERY)

    def with_outcome(self):
        return self.filter(state__in=OUTCOMES)

    def of_sender(self, user_id: UserID | int):
        return self.filter(sender_id=getattr(user_id, "pk", user_id))

    def for_supplier(self, supplier: Party | int):
        """Requests to devices of ``supplier`` (the registered Supplier when the request was taken)."""
        return self.filter(target_supplier_id=getattr(supplier, "pk", supplier))


class ServiceRequest(models.Model):
    """A DUIS Service Request the front door took (I0 with a Pre-Command, I99, or an accepted SMETS1 request)."""

    request_id = models.CharField(max_length=80, unique=True, help_text="The canonical DUIS RequestID.")
    sender = models.ForeignKey(UserID, on_delete=models.PROTECT, related_name="service_requests",
                               help_text="The RequestID's originator: the signer's User ID.")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="service_requests", null=True,
                               blank=True)
    target_supplier = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                                        help_text="The device's registered Supplier when the request was taken.")
    gbcs_originator = EUI64Field(blank=True, help_text="Whose name the GBCS command carries (a SoLR "
                                 "Contingency request: the failed Supplier's User ID; DESIGN §2 step 4).")
    counter = models.DecimalField(max_digits=COUNTER_DIGITS, decimal_places=0)
    srv = models.CharField("SRV", max_length=10)
    command_variant = models.PositiveSmallIntegerField()
    activation = models.ForeignKey(Activation, on_delete=models.PROTECT, related_name="service_requests",
                                   null=True, blank=True, help_text="The SoLR activation it was taken under.")
    state = models.CharField(max_length=12, choices=RequestState.choices)
    version = models.PositiveIntegerField(default=0, help_text="Grows at every state change (compare-and-set).")
    request_xml = models.BinaryField(help_text="The signed request as received (the CV 4 one for a CV 4/5 pair).")
    precommand = models.BinaryField(null=True, blank=True, help_text="The GBCS Pre-Command the DCC issued (CV 4).")
    signed_precommand = models.BinaryField(null=True, blank=True, help_text="The Signed Pre-Command (CV 5).")
    execution_at = models.DateTimeField(null=True, blank=True, help_text="Future-dated execution time.")
    adt_warning = models.BooleanField(default=False, help_text="Taken over the ADT warning level.")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    quarantined_at = models.DateTimeField(null=True, blank=True)
    # Delivery (docs/delivery.md): a worker claims the row (claim_token, claimed_until) by compare-and-set before it
    # sends anything; the sweeper re-queues a row whose claim ran out.
    delivery_attempts = models.PositiveIntegerField(default=0, help_text="Delivery tasks that claimed it.")
    claim_token = models.CharField(max_length=36, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    requeued_at = models.DateTimeField(null=True, blank=True, help_text=(
        "When the sweeper last queued it again; not again within SOLR_DELIVERY_STUCK_SECONDS of that."))
    sent_at = models.DateTimeField(null=True, blank=True, help_text="First handed to the device gateway.")
    responded_at = models.DateTimeField(null=True, blank=True, help_text="When its outcome was recorded.")
    response_code = models.CharField(max_length=4, blank=True, help_text="DUIS code of the Service Response.")
    response_id = models.CharField(max_length=80, blank=True)
    response_document = models.TextField(blank=True, help_text="The signed DUIS Service Response.")
    gateway_refusal = models.CharField(max_length=60, blank=True,
                                       help_text="The meter's or gateway's refusal code, if any.")

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["target_supplier", "received_at"], name="request_supplier_time"),
            models.Index(fields=["state", "received_at"], name="request_state_time"),
            models.Index(fields=["sender", "responded_at"], name="request_sender_responded"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} (SRV {self.srv}, {self.state})"


class DeviceCounter(models.Model):
    """The last counter sent to ``device`` in the name of ``originator`` (DESIGN §4 row 5): one row per pair,
    moved forward only by ``UPDATE … SET last_counter = new WHERE last_counter < new``."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    originator = EUI64Field()
    last_counter = models.DecimalField(max_digits=COUNTER_DIGITS, decimal_places=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "originator"], name="device_counter_key")]

    def __str__(self) -> str:
        return f"{self.originator} → {self.device_id}: {self.last_counter}"


class RejectedRequest(models.Model):
    """One refused request, appended (never counted in place): for the event console's chart and the service
    desk. The audit log has the same fact, chained; this row is the cheap one to count."""

    received_at = models.DateTimeField(default=timezone.now)
    request_id = models.CharField(max_length=80, blank=True, help_text="As sent, if it could be read.")
    sender_eui = models.CharField(max_length=23, blank=True)
    device_eui = models.CharField(max_length=23, blank=True)
    target_supplier = models.ForeignKey(Party, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    srv = models.CharField(max_length=10, blank=True)
    failed_check = models.CharField(max_length=40, help_text="The check that refused it (docs/duis-checks.md).")
    code = models.CharField(max_length=60, help_text="The refusal code.")
    response_code = models.CharField(max_length=10, blank=True, help_text="The DUIS response code, if any.")
    http_status = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["target_supplier", "received_at"], name="rejected_supplier_time")]

    def __str__(self) -> str:
        return f"rejected {self.request_id or '(unreadable)'}: {self.code}"


class QuarantineDecisionState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    DONE = "done", "Approved and done"
    WITHDRAWN = "withdrawn", "Withdrawn"


class QuarantineDecision(models.Model):
    """Release or delete of a quarantined request: requested by one DCC operator, approved by another (four eyes,
    DESIGN §6)."""

    class Action(models.TextChoices):
        RELEASE = "release", "Release (deliver)"
        DELETE = "delete", "Delete (never deliver)"

    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="quarantine_decisions")
    action = models.CharField(max_length=8, choices=Action.choices)
    state = models.CharField(max_length=10, choices=QuarantineDecisionState.choices,
                             default=QuarantineDecisionState.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open decision per quarantined request.
            models.UniqueConstraint(fields=["request"], condition=Q(state="requested"),
                                    name="quarantine_decision_open"),
        ]

    def __str__(self) -> str:
        return f"{self.action} of request #{self.request_id} ({self.state})"
