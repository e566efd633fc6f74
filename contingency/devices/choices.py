"""The meters' vocabulary, apart from the model, so that the rules can speak it without importing a model."""

from __future__ import annotations

from django.db import models


class DeviceType(models.TextChoices):
    ESME = "ESME", "Electricity Smart Metering Equipment"
    GSME = "GSME", "Gas Smart Metering Equipment"
    # Room for the other device types of the Smart Metering Inventory.
    CHF = "CHF", "Communications Hub Function"
    GPF = "GPF", "Gas Proxy Function"
    PPMID = "PPMID", "Prepayment Interface Device"
    HCALCS = "HCALCS", "HAN Connected Auxiliary Load Control Switch"


METERS = (DeviceType.ESME, DeviceType.GSME)


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
