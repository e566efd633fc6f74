"""The SoLR business: meters (this issue); instructions, events, ADT and requests come later."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from portal.eui import EUI64Field
from portal.models import UserID


class DeviceType(models.TextChoices):
    ESME = "ESME", "Electricity Smart Metering Equipment"
    GSME = "GSME", "Gas Smart Metering Equipment"
    # Room for the other device types of the Smart Metering Inventory.
    CHF = "CHF", "Communications Hub Function"
    GPF = "GPF", "Gas Proxy Function"
    PPMID = "PPMID", "Prepayment Interface Device"
    HCALCS = "HCALCS", "HAN Connected Auxiliary Load Control Switch"


class EsmeVariant(models.TextChoices):
    # The GBCS SRV 1.6 commands differ with the meter build: the RTDS vectors come in
    # single-element and twin-element versions whose credit-charge arrays differ.
    SINGLE = "single", "Single element"
    TWIN = "twin", "Twin element"
    POLYPHASE = "polyphase", "Polyphase"


class Generation(models.TextChoices):
    SMETS1 = "SMETS1", "SMETS1"
    SMETS2 = "SMETS2", "SMETS2+"


class SmiStatus(models.TextChoices):
    # Smart Metering Inventory statuses (SEC H5 / DUIS).
    PENDING = "pending", "Pending"
    WHITELISTED = "whitelisted", "Whitelisted"
    INSTALLED_NOT_COMMISSIONED = "installed_not_commissioned", "Installed not commissioned"
    COMMISSIONED = "commissioned", "Commissioned"
    DECOMMISSIONED = "decommissioned", "Decommissioned"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUSPENDED = "suspended", "Suspended"
    RECOVERY = "recovery", "Recovery"
    RECOVERED = "recovered", "Recovered"


class PaymentMode(models.TextChoices):
    CREDIT = "credit", "Credit"
    PREPAYMENT = "prepayment", "Prepayment"


class Device(models.Model):
    """A meter in the Smart Metering Inventory, with what the SoLR checks need to know."""

    eui = EUI64Field(unique=True)
    device_type = models.CharField(max_length=8, choices=DeviceType.choices)
    esme_variant = models.CharField(max_length=10, choices=EsmeVariant.choices, blank=True,
                                    help_text="ESME only: the meter build, which shapes its GBCS commands.")
    generation = models.CharField(max_length=6, choices=Generation.choices)
    smi_status = models.CharField(max_length=30, choices=SmiStatus.choices, default=SmiStatus.COMMISSIONED)
    payment_mode = models.CharField(max_length=10, choices=PaymentMode.choices, blank=True)
    registered_supplier = models.ForeignKey(
        UserID, on_delete=models.PROTECT, related_name="devices",
        help_text="The registered Supplier's User ID: import supplier (ESME) or gas supplier (GSME).",
    )
    mpxn = models.CharField("MPxN", max_length=13, blank=True, db_index=True,
                            help_text="MPAN (electricity, 13 digits) or MPRN (gas, 6–10 digits).")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["eui"]
        indexes = [models.Index(fields=["registered_supplier", "device_type"], name="device_supplier_type")]

    def __str__(self) -> str:
        return f"{self.device_type} {self.eui}"

    def clean(self) -> None:
        from .device_rules import check_device

        check_device(self)

    def save(self, *args, **kwargs):
        from .device_rules import check_device

        check_device(self)
        super().save(*args, **kwargs)
