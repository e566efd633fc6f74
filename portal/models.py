"""The registry: SEC Parties, their DCC User IDs and User Roles, SRP arrangements, people's offices,
and the audit log every app writes to.

The rules that bind these together live in ``portal.rules`` and are called from ``save()`` so
that the admin, management commands and services all obey them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .eui import EUI64Field


class PartyKind(models.TextChoices):
    SUPPLIER = "supplier", "Supplier"
    SRP = "srp", "Shared Resource Provider"
    DCC = "dcc", "DCC"
    AUTHORITY = "authority", "Authority"
    NETWORK_OPERATOR = "network_operator", "Network Operator"
    OTHER = "other", "Other"


class LicenceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class Party(models.Model):
    """A SEC Party (SEC Section A: 'Party'). Suppliers carry the state of their supply licence."""

    name = models.CharField(max_length=200, unique=True)
    short_name = models.SlugField(
        max_length=32, unique=True, help_text="Short name; the CN of the Party's SMKI Organisation Certificates."
    )
    kind = models.CharField(max_length=20, choices=PartyKind.choices)
    licence_status = models.CharField(
        max_length=10, choices=LicenceStatus.choices, blank=True, default="",
        help_text="Suppliers only: the state of the supply licence.",
    )
    licence_revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "parties"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from . import rules

        rules.check_party(self)

    def save(self, *args, **kwargs):
        from . import rules

        rules.normalise_party(self)
        rules.check_party(self)
        super().save(*args, **kwargs)


class DuisRole(models.TextChoices):
    """DUIS User Roles (DUIS 'Eligible User Roles'). The SoLR Contingency code is a setting."""

    IS = "IS", "Import Supplier"
    ES = "ES", "Export Supplier"
    GS = "GS", "Gas Supplier"
    RSA = "RSA", "Registered Supplier Agent"
    ED = "ED", "Electricity Distributor"
    GT = "GT", "Gas Transporter"
    OU = "OU", "Other User"


def solr_role_code() -> str:
    return settings.SOLR_CONTINGENCY_ROLE_CODE


def role_choices() -> list[tuple[str, str]]:
    return [*DuisRole.choices, (solr_role_code(), "SoLR Contingency")]


class UserIDStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    WITHDRAWN = "withdrawn", "Withdrawn"


class UserID(models.Model):
    """A DCC User ID: an EUI-64 owned by exactly one Party, holding one or more DUIS User Roles."""

    eui = EUI64Field(unique=True)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="user_ids")
    status = models.CharField(max_length=10, choices=UserIDStatus.choices, default=UserIDStatus.ACTIVE)
    endpoint_url = models.URLField(
        blank=True, help_text="Where the DCC pushes Service Responses and Alerts for this User ID."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "User ID"
        ordering = ["eui"]

    def __str__(self) -> str:
        return self.eui

    @property
    def role_codes(self) -> list[str]:
        return sorted(r.role for r in self.roles.all())

    def clean(self) -> None:
        from . import rules

        if self.pk:
            rules.check_roles_fit_party(self.party, self.roles.values_list("role", flat=True))

    def save(self, *args, **kwargs):
        from . import rules

        if self.pk:
            rules.check_roles_fit_party(self.party, self.roles.values_list("role", flat=True))
        super().save(*args, **kwargs)


class UserRole(models.Model):
    holder = models.ForeignKey(UserID, on_delete=models.CASCADE, related_name="roles", verbose_name="User ID")
    role = models.CharField(max_length=8)

    class Meta:
        verbose_name = "User Role"
        constraints = [models.UniqueConstraint(fields=["holder", "role"], name="unique_role_per_user_id")]

    def __str__(self) -> str:
        return f"{self.holder} {self.role}"

    def clean(self) -> None:
        from . import rules

        rules.check_user_role(self.holder, self.role)

    def save(self, *args, **kwargs):
        from . import rules

        rules.check_user_role(self.holder, self.role)
        super().save(*args, **kwargs)


class SRPArrangement(models.Model):
    """Which Shared Resource Provider runs which Supplier's systems, and when."""

    srp = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="srp_arrangements")
    supplier = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="served_by")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "SRP arrangement"
        ordering = ["supplier__name", "valid_from"]

    def __str__(self) -> str:
        return f"{self.srp} serves {self.supplier}"

    def clean(self) -> None:
        from . import rules

        rules.check_arrangement(self)

    def save(self, *args, **kwargs):
        from . import rules

        rules.check_arrangement(self)
        super().save(*args, **kwargs)


class OfficeKind(models.TextChoices):
    SRO = "sro", "Senior Responsible Officer"
    ARO = "aro", "Authorised Responsible Officer"
    DCC_OPERATOR = "dcc_operator", "DCC operator"
    AUTHORITY_OFFICER = "authority_officer", "Authority officer"


class OfficeStatus(models.TextChoices):
    NOMINATED = "nominated", "Nominated"
    VERIFIED = "verified", "Verified"
    REMOVED = "removed", "Removed"


class Office(models.Model):
    """A person's office: SRO or ARO of a Party (SEC L / RAPP), a DCC operator, an Authority officer."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offices")
    kind = models.CharField(max_length=20, choices=OfficeKind.choices)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="offices")
    status = models.CharField(max_length=10, choices=OfficeStatus.choices, default=OfficeStatus.NOMINATED)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["party__name", "kind", "person__username"]
        constraints = [
            models.UniqueConstraint(fields=["person", "kind", "party"], name="unique_office"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_kind_display()} of {self.party}"

    def clean(self) -> None:
        from . import rules

        rules.check_office(self)

    def save(self, *args, **kwargs):
        from . import rules

        rules.check_office(self)
        super().save(*args, **kwargs)


class AuditRecord(models.Model):
    """One append-only audit record (DESIGN §6). See portal.audit for the hash chain."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150, help_text="Username, or 'system:<process>' for automated work.")
    action = models.CharField(max_length=64, db_index=True)
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField(max_length=100, db_index=True)
    subject_repr = models.CharField(max_length=255, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    context = models.CharField(max_length=100, blank=True, help_text="HTTP request or task id.")
    entry_hash = models.CharField(max_length=64, help_text="SHA-256 of this record's content.")
    # Filled in by portal.audit.seal(): position in the chain and the chained hash.
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    chain_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.subject_type}:{self.subject_id} by {self.actor}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit records are append-only")


class AuditChainHead(models.Model):
    """The last sealed position of the audit chain: lets audit_verify notice a deleted tail.

    Only the sealer touches this row, never a request, so it is not a hot row.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_record_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"audit chain head: seq {self.last_seq}"
