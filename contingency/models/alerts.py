"""Alerts and the DCC's outbound pushes (MP134B business requirement 7; DESIGN §2 step 7; docs/alerts.md).

An **Alert** is one device alert (a GBCS alert code from a meter) or DCC alert (an N-code / AD1 about a device
or a Supplier), addressed to a User ID — the device's registered Supplier — and routed to a recipient: that
Supplier's User ID, or, once its licence is revoked, the SoLR Contingency User ID of the SRP serving it
(contingency.alerts.routing). An alert with nowhere to go is kept, marked unroutable, for the service desk.

A **Push** is one signed DUIS document the DCC must POST to a User ID's endpoint: the alerts now, the Service
Responses of issue 11 later (hence generic: a ``key`` names what it carries). ``key`` is unique, so one alert
is pushed once per recipient; a push is claimed with compare-and-set on ``claim_token`` before it is sent, so
two workers never send it at once, and once ``delivered`` it is never sent again. Each try is a PushAttempt.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.models import UserID

from .devices import Device


class AlertKind(models.TextChoices):
    DEVICE = "device", "Device alert"
    FUTURE_DATED = "future-dated", "Future-dated execution outcome"
    DCC = "dcc", "DCC alert"


class RouteKind(models.TextChoices):
    """How the recipient was found (contingency.alerts.routing)."""

    DIRECT = "direct", "The User ID it is addressed to"
    SOLR_INSTRUCTION = "solr-instruction", "SoLR Contingency User ID of the newest instruction"
    SOLR_ARRANGEMENT = "solr-arrangement", "SoLR Contingency User ID of the SRP arrangement"
    UNROUTABLE = "unroutable", "Unroutable: no recipient"


class AlertQuerySet(models.QuerySet):
    def unroutable(self):
        return self.filter(route=RouteKind.UNROUTABLE)

    def via_solr(self):
        return self.filter(via_solr=True)


class Alert(models.Model):
    kind = models.CharField(max_length=12, choices=AlertKind.choices)
    code = models.CharField(max_length=8, help_text="GBCS alert code in hex (8F66) or DCC alert code (N24, AD1).")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts")
    addressed_to = models.ForeignKey(
        UserID, on_delete=models.PROTECT, related_name="alerts_addressed",
        help_text="The User ID the alert is for: a device's registered Supplier (its GBCS recipient).")
    recipient = models.ForeignKey(
        UserID, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts_received",
        help_text="Where it was routed; empty while unroutable.")
    route = models.CharField(max_length=20, choices=RouteKind.choices)
    via_solr = models.BooleanField(default=False,
                                   help_text="Routed to the SRP's SoLR Contingency User ID (MP134B requirement 7).")
    response_id = models.CharField(max_length=80, blank=True)
    gbcs_payload = models.BinaryField(blank=True, default=b"", help_text="The GBCS alert APDU (device alerts).")
    document = models.TextField(blank=True, help_text="The signed DUIS document sent (empty while unroutable).")
    details = models.JSONField(default=dict, blank=True, help_text="What the DCC alert names (request IDs …).")
    raised_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=100, blank=True, help_text="What raised it (command, task, service).")

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.CheckConstraint(name="alert_routed_or_unroutable", condition=(
                Q(route=RouteKind.UNROUTABLE, recipient__isnull=True)
                | (~Q(route=RouteKind.UNROUTABLE) & Q(recipient__isnull=False)))),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code} #{self.pk}"


class PushState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"


class PushQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=PushState.PENDING)

    def due(self, at=None):
        """Pending pushes whose next attempt is due and that no worker holds (an expired claim is free)."""
        at = at or timezone.now()
        return self.pending().filter(next_attempt_at__lte=at).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lte=at))

    def failing(self):
        """Pending pushes that were tried and not accepted yet (the service desk's worry list)."""
        return self.pending().filter(attempts__gt=0)


class Push(models.Model):
    """One signed DUIS document to POST to a User ID's endpoint, tried until accepted (2xx)."""

    key = models.CharField(max_length=120, unique=True,
                           help_text="What it carries, e.g. 'alert:12:<recipient EUI>'; one push per key.")
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, null=True, blank=True, related_name="pushes")
    recipient = models.ForeignKey(UserID, on_delete=models.PROTECT, related_name="pushes")
    endpoint_url = models.CharField(max_length=500, blank=True,
                                    help_text="The recipient's endpoint URL at the last attempt.")
    body = models.TextField(help_text="The signed DUIS document, as POSTed.")
    state = models.CharField(max_length=10, choices=PushState.choices, default=PushState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim_token = models.CharField(max_length=36, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    requeued_at = models.DateTimeField(null=True, blank=True, help_text=(
        "When the push sweeper last queued an attempt; not again within a push's hold time of that."))
    last_status = models.PositiveIntegerField(null=True, blank=True, help_text="HTTP status of the last attempt.")
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = PushQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="push_due")]
        constraints = [
            # The alert's own guarantee, also for pushes made without the service: one push per alert and
            # recipient (so never two deliveries of one alert to the same endpoint).
            models.UniqueConstraint(fields=["alert", "recipient"], name="push_one_per_alert_recipient",
                                    condition=Q(alert__isnull=False)),
            models.CheckConstraint(name="push_delivered_has_time", condition=(
                ~Q(state=PushState.DELIVERED) | Q(delivered_at__isnull=False))),
        ]

    def __str__(self) -> str:
        return f"Push {self.key} ({self.state})"


class PushAttempt(models.Model):
    """One POST of a push: the delivery log."""

    push = models.ForeignKey(Push, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    endpoint_url = models.CharField(max_length=500, blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    delivered = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["push", "number"]
        constraints = [models.UniqueConstraint(fields=["push", "number"], name="push_attempt_number")]

    def __str__(self) -> str:
        return f"{self.push.key} attempt {self.number}"
