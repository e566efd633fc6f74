"""The simulated device gateway's state (contingency.delivery.gateway.simulator; docs/device-gateway.md).

It is in the database so that it survives a worker restart and every worker sees the same meters: per meter, the
last originator counter it accepted from each remote party and the failure it is told to show; per future-dated
command, what the meter will do at its execution time. A meter's payment mode itself is ``Device.payment_mode``,
which only the gateway changes (tests/contingency/gateway/test_payment_mode_writers.py).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .devices import Device
from .requests import COUNTER_DIGITS


class MeterBehaviour(models.TextChoices):
    NORMAL = "normal", "Answers normally"
    FAULT = "fault", "Reports a hardware fault (the RTDS error response); changes nothing"
    UNREACHABLE = "unreachable", "Cannot be reached (E20)"
    SILENT = "silent", "Never answers (E21 after the response timeout)"


class SimulatedMeter(models.Model):
    """What a simulated meter remembers between commands (created on its first command)."""

    device = models.OneToOneField(Device, on_delete=models.CASCADE, primary_key=True, related_name="simulated")
    #: {originator EUI: last accepted originator counter, as decimal text (counters run to 2^64 − 1)}
    counters = models.JSONField(default=dict, blank=True)
    behaviour = models.CharField(max_length=12, choices=MeterBehaviour.choices, default=MeterBehaviour.NORMAL)
    commands = models.PositiveIntegerField(default=0, help_text="Commands this meter answered.")
    last_command_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"simulated {self.device_id}"


class ScheduledState(models.TextChoices):
    PENDING = "pending", "Pending"
    EXECUTED = "executed", "Executed"
    CANCELLED = "cancelled", "Cancelled"


class ScheduledChangeQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=ScheduledState.PENDING)

    def due(self, at=None):
        return self.pending().filter(execute_at__lte=at or timezone.now())


class ScheduledChange(models.Model):
    """A future-dated payment-mode change a meter accepted: it happens at ``execute_at`` (then the meter raises
    the 8F66 alert), unless a cancellation reaches the meter first. At most one is pending per meter (GBCS: a new
    future-dated change to the same attributes replaces the one waiting)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="scheduled_changes")
    originator = models.CharField(max_length=23, help_text="The GBCS originator (the Supplier's EUI).")
    counter = models.DecimalField(max_digits=COUNTER_DIGITS, decimal_places=0,
                                  help_text="The command's originator counter (named by the 8F66 alert).")
    message_code = models.PositiveIntegerField(help_text="GBCS message code: 0x001A/0x001B/0x006C/0x006D.")
    payment_mode = models.CharField(max_length=10)
    execute_at = models.DateTimeField()
    request_ref = models.CharField(max_length=80, blank=True, help_text="The DUIS RequestID it came with.")
    state = models.CharField(max_length=10, choices=ScheduledState.choices, default=ScheduledState.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=80, blank=True, help_text="What cancelled it (RequestID or reason).")
    alert = models.ForeignKey("contingency.Alert", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    alert_error = models.CharField(max_length=200, blank=True,
                                   help_text="Why the 8F66 alert could not be raised yet (retried every run).")

    objects = ScheduledChangeQuerySet.as_manager()

    class Meta:
        ordering = ["execute_at", "id"]
        indexes = [models.Index(fields=["state", "execute_at"], name="scheduled_change_due")]
        constraints = [
            models.UniqueConstraint(fields=["device"], condition=Q(state=ScheduledState.PENDING),
                                    name="scheduled_change_one_pending_per_meter"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_mode} at {self.execute_at:%Y-%m-%d %H:%M} for {self.device_id} ({self.state})"
