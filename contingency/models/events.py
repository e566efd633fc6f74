"""SoLR events: the Authority's records and the contingency's activation (MP134B business requirement 6).

A SoLR event is one failed Supplier: the Authority records the **licence revocation** (its certificates
follow, DESIGN §2 step 1) and a **contingency instruction** naming the SRP's SoLR Contingency User ID, the
scope and the window. Two different DCC operators then switch the contingency on for (failed Supplier,
SoLR Contingency User ID): an **activation** moves ``requested → active ⇄ suspended → ended``, or to
``expired`` at the end of the instruction's window. The rules are contingency.events (services); these are
the records they keep.

The front door asks contingency.events.access.may_act on every request: the partial index
``activation_live_key`` over live activations (requested, active, suspended) makes that a single indexed
lookup, and the same index is the database's guarantee of at most one live activation per pair.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.models import Party, UserID

from .devices import Device


def evidence_storage():
    """Evidence documents live under DATA_DIR/evidence (mode 0700 via portal.datadir), never under a URL the
    web server serves: they are read only through the event pages' download view (DCC operators, Authority)."""
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(location=settings.DATA_DIR / "evidence", file_permissions_mode=0o600,
                             directory_permissions_mode=0o700)


class LicenceRevocationQuerySet(models.QuerySet):
    def effective(self, at=None):
        """Revocations in force at ``at`` (now by default)."""
        return self.filter(effective_at__lte=at or timezone.now())

    def of_supplier(self, supplier: Party | int):
        return self.filter(supplier_id=getattr(supplier, "pk", supplier))


class LicenceRevocation(models.Model):
    """The Authority's revocation of a Supplier's licence, with the Supplier of Last Resort it appointed.

    The failed Supplier's certificates are revoked at ``effective_at``, or at ``certificates_deferred_until``
    when the SMKI PMA decided to defer it (``deferral_decided_by`` says who); ``certificates_revoked_at`` is
    when that was done."""

    supplier = models.OneToOneField(Party, on_delete=models.PROTECT, related_name="licence_revocation")
    effective_at = models.DateTimeField(help_text="When the licence revocation takes effect.")
    solr = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="solr_appointments",
                             verbose_name="Supplier of Last Resort", help_text="The Supplier the Authority appointed.")
    reference = models.CharField(max_length=100, blank=True, help_text="The Authority's reference, if any.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    on_behalf_of_authority = models.BooleanField(
        default=False, help_text="Recorded by a DCC operator on the Authority's behalf.")
    certificates_deferred_until = models.DateTimeField(
        null=True, blank=True, help_text="SMKI PMA deferral: the certificates are revoked at this time instead.")
    deferral_decided_by = models.CharField(max_length=200, blank=True,
                                           help_text="Who in the SMKI PMA decided the deferral.")
    deferral_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                             null=True, blank=True)
    certificates_revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="When the Supplier's certificates were revoked following this record.")

    objects = LicenceRevocationQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_at", "-id"]

    def __str__(self) -> str:
        return f"Licence revocation of {self.supplier} at {self.effective_at:%Y-%m-%d %H:%M} UTC"

    @property
    def certificates_due_at(self):
        """When the Supplier's certificates are to be revoked: the deferral's time if one was recorded."""
        return self.certificates_deferred_until or self.effective_at


class ScopeKind(models.TextChoices):
    ALL_METERS = "all", "All the Supplier's meters"
    LISTED = "listed", "Listed devices only"


class InstructionQuerySet(models.QuerySet):
    def of_supplier(self, supplier: Party | int):
        return self.filter(supplier_id=getattr(supplier, "pk", supplier))

    def current(self, at=None):
        """Instructions whose window holds ``at`` (now by default): valid_from ≤ at < valid_to."""
        at = at or timezone.now()
        return self.filter(valid_from__lte=at, valid_to__gt=at)


class Instruction(models.Model):
    """The Authority's contingency instruction for one failed Supplier (MP134B requirement 6)."""

    reference = models.CharField(max_length=100, unique=True)
    supplier = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="contingency_instructions",
                                 help_text="The failed Supplier.")
    contingency_user_id = models.ForeignKey(
        UserID, on_delete=models.PROTECT, related_name="contingency_instructions",
        verbose_name="SoLR Contingency User ID", help_text="The SRP's User ID holding the SoLR Contingency role.")
    srvs = models.JSONField(default=list, help_text='Service Reference Variants allowed, e.g. ["1.6"].')
    scope = models.CharField(max_length=10, choices=ScopeKind.choices, default=ScopeKind.ALL_METERS)
    devices = models.ManyToManyField(Device, blank=True, related_name="contingency_instructions",
                                     help_text="Scope 'listed': the devices the instruction covers.")
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField()
    evidence = models.FileField(storage=evidence_storage, upload_to="instructions/%Y/%m/", max_length=255)
    evidence_name = models.CharField(max_length=255, help_text="The file name as uploaded.")
    evidence_sha256 = models.CharField(max_length=64)
    evidence_size = models.PositiveIntegerField(help_text="Bytes.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    on_behalf_of_authority = models.BooleanField(
        default=False, help_text="Recorded by a DCC operator on the Authority's behalf.")

    objects = InstructionQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(valid_to__gt=models.F("valid_from")),
                                              name="instruction_window_positive")]
        # may_act's second look-up when there is no activation: does an instruction name this pair?
        indexes = [models.Index(fields=["contingency_user_id", "supplier"], name="instruction_pair")]

    def __str__(self) -> str:
        return f"Instruction {self.reference}"


class ActivationState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    ENDED = "ended", "Ended"
    EXPIRED = "expired", "Expired"


LIVE_STATES = (ActivationState.REQUESTED, ActivationState.ACTIVE, ActivationState.SUSPENDED)


class ActivationQuerySet(models.QuerySet):
    def live(self):
        """Requested, active or suspended: not yet ended or expired."""
        return self.filter(state__in=LIVE_STATES)

    def active(self):
        return self.filter(state=ActivationState.ACTIVE)

    def of_supplier(self, supplier: Party | int):
        return self.filter(supplier_id=getattr(supplier, "pk", supplier))


class Activation(models.Model):
    """The contingency switched on for (failed Supplier, SoLR Contingency User ID) under one instruction.

    ``supplier`` and ``contingency_user_id`` repeat the instruction's so that may_act finds the activation in
    one indexed lookup. ``version`` grows by one at every transition: services change state with
    ``UPDATE … WHERE id = ? AND version = ?`` (compare-and-set), so two operators acting at once give one
    transition and one refusal."""

    instruction = models.ForeignKey(Instruction, on_delete=models.PROTECT, related_name="activations")
    supplier = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="contingency_activations")
    contingency_user_id = models.ForeignKey(UserID, on_delete=models.PROTECT, related_name="contingency_activations",
                                            verbose_name="SoLR Contingency User ID")
    state = models.CharField(max_length=10, choices=ActivationState.choices, default=ActivationState.REQUESTED)
    version = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it ended or expired.")

    objects = ActivationQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # At most one live activation per (failed Supplier, SoLR Contingency User ID); also may_act's index.
            models.UniqueConstraint(fields=["contingency_user_id", "supplier"], condition=Q(state__in=LIVE_STATES),
                                    name="activation_live_key"),
        ]
        # may_act's first look-up: the newest activation of (User ID, Supplier), whatever its state.
        indexes = [models.Index(fields=["contingency_user_id", "supplier", "-id"], name="activation_pair_newest")]

    def __str__(self) -> str:
        return f"Activation #{self.pk} ({self.state})"


class ActivationTransition(models.Model):
    """One step of an activation's history (the audit log has the same facts, chained; this is for the page)."""

    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=10, choices=ActivationState.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=ActivationState.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                           blank=True, help_text="Empty for the system (expiry).")
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '—'} → {self.to_state}"
