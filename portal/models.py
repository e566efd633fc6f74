"""The registry: SEC Parties, their DCC User IDs and User Roles, SRP arrangements, people's offices,
and the audit log every app writes to.

The rules are plain functions of values in ``portal.rules``; ``RuleGuardedModel`` is the one place a model
calls them: in ``clean()`` (forms, the admin), in ``save()`` and in its queryset's bulk writes
(``bulk_create``, ``bulk_update``, ``update``), so no writer skips them silently.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils import timezone

from . import rules
from .choices import (  # noqa: F401 - the registry's vocabulary, used with these models everywhere
    DuisRole,
    LicenceStatus,
    OfficeKind,
    OfficeStatus,
    PartyKind,
    UserIDStatus,
    role_choices,
    solr_role_code,
)
from .eui import EUI64Field

# --- the guard ---------------------------------------------------------------------------------

# Set while bulk_update runs: Django's bulk_update ends in update() with CASE expressions, which the rules
# cannot read; bulk_update has checked the objects themselves by then.
_in_bulk_update: contextvars.ContextVar[bool] = contextvars.ContextVar("in_bulk_update", default=False)


class GuardedQuerySet(models.QuerySet):
    """Bulk writes obey the model's rules too: ``bulk_create`` and ``bulk_update`` check the objects with
    ``Model.check_many`` and ``update()`` of a rule field checks the rows it would produce with
    ``Model.check_update`` (set-wise, not one query per row)."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        self.model.check_many(objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        self.model.check_many(objs)
        token = _in_bulk_update.set(True)
        try:
            return super().bulk_update(objs, fields, *args, **kwargs)
        finally:
            _in_bulk_update.reset(token)

    def update(self, **kwargs):
        changes = {}
        for name, value in kwargs.items():
            field = self.model._meta.get_field(name)
            changes[field.attname] = value.pk if field.is_relation and isinstance(value, models.Model) else value
        guarded = {name: value for name, value in changes.items() if name in self.model.rule_attnames()}
        if guarded and not _in_bulk_update.get():
            if any(hasattr(value, "resolve_expression") for value in guarded.values()):
                raise TypeError(f"{self.model.__name__} rules cannot check an expression; give values")
            self.model.check_update(self, guarded)
        return super().update(**kwargs)


class RuleGuardedModel(models.Model):
    """A model that must still guard itself: its rules run in clean(), save() and the guarded bulk writes.

    Subclasses list the fields their rules read in ``RULE_FIELDS`` and return field → ``rules.Problem``
    from ``rule_problems()``. ``prepare()`` may normalise values before a save.
    """

    RULE_FIELDS: tuple[str, ...] = ()

    objects = GuardedQuerySet.as_manager()

    class Meta:
        abstract = True

    def rule_problems(self) -> dict[str, rules.Problem]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Normalise values before they are checked and saved (nothing by default)."""

    def check_rules(self) -> None:
        rules.refuse(self.rule_problems())

    def clean(self) -> None:
        self.check_rules()

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        # save(update_fields=[…]) writes only those fields: the rules run when one of them is a rule's input.
        if update_fields is None or {self._meta.get_field(n).attname for n in update_fields} & self.rule_attnames():
            self.prepare()
            self.check_rules()
        super().save(*args, **kwargs)

    @classmethod
    def rule_attnames(cls) -> set[str]:
        return {cls._meta.get_field(name).attname for name in cls.RULE_FIELDS}

    @classmethod
    def check_many(cls, objs: Iterable[RuleGuardedModel]) -> None:
        """Check objects about to be bulk-written. The registry's tables are small: one by one."""
        for obj in objs:
            obj.prepare()
            obj.check_rules()

    @classmethod
    def check_update(cls, queryset: models.QuerySet, changes: dict[str, object]) -> None:
        """Check what ``queryset.update(**changes)`` would leave (``changes`` by attname)."""
        objs = list(queryset)
        for obj in objs:
            for attname, value in changes.items():
                setattr(obj, attname, value)
        for obj in objs:
            obj.check_rules()


# --- the registry ------------------------------------------------------------------------------

class PartyQuerySet(GuardedQuerySet):
    def suppliers(self):
        return self.filter(kind=PartyKind.SUPPLIER)

    def licence_revoked(self):
        """Suppliers whose supply licence the Authority revoked (the failed Suppliers of a SoLR event)."""
        return self.filter(kind=PartyKind.SUPPLIER, licence_status=LicenceStatus.REVOKED)


class Party(RuleGuardedModel):
    """A SEC Party (SEC Section A: 'Party'). Suppliers carry the state of their supply licence."""

    RULE_FIELDS = ("kind", "licence_status", "licence_revoked_at")

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

    objects = PartyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "parties"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def prepare(self) -> None:
        self.licence_status, self.licence_revoked_at = rules.normalised_licence(
            self.kind, self.licence_status, self.licence_revoked_at)

    def rule_problems(self) -> dict[str, rules.Problem]:
        holds_solr_role = bool(self.pk) and self.kind != PartyKind.SRP and UserRole.objects.filter(
            holder__party_id=self.pk, role=solr_role_code()).exists()
        return rules.party_problems(self.kind, self.licence_status, self.licence_revoked_at,
                                    holds_solr_role=holds_solr_role)


class UserIDQuerySet(GuardedQuerySet):
    def active(self):
        """User IDs whose status is active (not suspended, not withdrawn)."""
        return self.filter(status=UserIDStatus.ACTIVE)

    def with_role(self, code: str):
        """User IDs holding the DUIS User Role ``code`` (each once; a subquery, not a join, so the result can
        still be updated or deleted)."""
        return self.filter(pk__in=UserRole.objects.filter(role=code).values("holder_id"))

    def of_party(self, party: Party | int):
        return self.filter(party_id=getattr(party, "pk", party))

    def role_facts(self) -> dict[str, RoleFacts]:
        """EUI → (pk, its Party's kind, its role codes) for these User IDs, in one query: what the rules need
        to judge a User ID (e.g. as a meter's registered Supplier) without a query per row."""
        facts: dict[str, RoleFacts] = {}
        for pk, eui, kind, role in self.order_by().values_list("pk", "eui", "party__kind", "roles__role"):
            entry = facts.setdefault(eui, RoleFacts(pk, eui, kind, set()))
            if role:
                entry.roles.add(role)
        return facts


class RoleFacts:
    __slots__ = ("pk", "eui", "party_kind", "roles")

    def __init__(self, pk: int, eui: str, party_kind: str, roles: set[str]):
        self.pk, self.eui, self.party_kind, self.roles = pk, eui, party_kind, roles


class UserID(RuleGuardedModel):
    """A DCC User ID: an EUI-64 owned by exactly one Party, holding one or more DUIS User Roles."""

    RULE_FIELDS = ("party",)

    eui = EUI64Field(unique=True)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="user_ids")
    status = models.CharField(max_length=10, choices=UserIDStatus.choices, default=UserIDStatus.ACTIVE)
    endpoint_url = models.URLField(
        blank=True, help_text="Where the DCC pushes Service Responses and Alerts for this User ID."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = UserIDQuerySet.as_manager()

    class Meta:
        verbose_name = "User ID"
        ordering = ["eui"]

    def __str__(self) -> str:
        return self.eui

    @property
    def role_codes(self) -> list[str]:
        return sorted(r.role for r in self.roles.all())

    def rule_problems(self) -> dict[str, rules.Problem]:
        # Only a User ID that exists can hold roles; moving it to another Party must not break them.
        if not self.pk or not self.party_id:
            return {}
        problem = rules.roles_problem(self.roles.values_list("role", flat=True), self.party.kind, str(self.party))
        return {"party": problem} if problem else {}


class UserRole(RuleGuardedModel):
    RULE_FIELDS = ("holder", "role")

    holder = models.ForeignKey(UserID, on_delete=models.CASCADE, related_name="roles", verbose_name="User ID")
    role = models.CharField(max_length=8)

    class Meta:
        verbose_name = "User Role"
        constraints = [models.UniqueConstraint(fields=["holder", "role"], name="unique_role_per_user_id")]

    def __str__(self) -> str:
        return f"{self.holder} {self.role}"

    def rule_problems(self) -> dict[str, rules.Problem]:
        if not self.holder_id:
            return {}
        problem = rules.role_problem(self.role, self.holder.party.kind, str(self.holder.party))
        return {"role": problem} if problem else {}

    def check_rules(self) -> None:
        super().check_rules()
        # Then the rules other apps registered (pki: MP134B BR2), which raise ValidationError themselves.
        if self.holder_id:
            rules.run_registered_role_checks(self.holder, self.role)


class SRPArrangement(RuleGuardedModel):
    """Which Shared Resource Provider runs which Supplier's systems, and when."""

    RULE_FIELDS = ("srp", "supplier", "valid_from", "valid_to")

    srp = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="srp_arrangements")
    supplier = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="served_by")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "SRP arrangement"
        ordering = ["supplier__name", "valid_from"]

    def __str__(self) -> str:
        return f"{self.srp} serves {self.supplier}"

    def rule_problems(self) -> dict[str, rules.Problem]:
        srp = self.srp if self.srp_id else None
        supplier = self.supplier if self.supplier_id else None
        return rules.arrangement_problems(
            srp.kind if srp else None, supplier.kind if supplier else None, _date(self.valid_from),
            _date(self.valid_to), srp_name=str(srp), supplier_name=str(supplier))


def _date(value):
    """A DateField's value as a date, also when code set it as ISO text (create(valid_from="2026-01-01"))."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


# The statuses in which an office counts (a rejected or removed office is history only).
LIVE_OFFICE_STATUSES = (OfficeStatus.NOMINATED, OfficeStatus.VERIFIED)


class OfficeQuerySet(GuardedQuerySet):
    """Offices in the words of SEC Section L (the SMKI RAPP): ``Office.objects.verified().of_person(p)``."""

    def live(self):
        """Nominated or verified: not rejected, not removed."""
        return self.filter(status__in=LIVE_OFFICE_STATUSES)

    def verified(self):
        return self.filter(status=OfficeStatus.VERIFIED)

    def nominated(self):
        return self.filter(status=OfficeStatus.NOMINATED)

    def acting(self):
        """The offices through which their holders may act now: verified AROs only (an ARO acts for its Party
        once a DCC operator has verified it, SEC L / RAPP), other offices while live. The holder's account must
        be active too."""
        return self.live().filter(person__is_active=True).filter(
            ~models.Q(kind=OfficeKind.ARO) | models.Q(status=OfficeStatus.VERIFIED))

    def of_person(self, person):
        return self.filter(person_id=getattr(person, "pk", person))

    def of_party(self, party: Party | int):
        return self.filter(party_id=getattr(party, "pk", party))

    def aros(self):
        return self.filter(kind=OfficeKind.ARO)

    def sros(self):
        return self.filter(kind=OfficeKind.SRO)

    def dcc_operators(self):
        return self.filter(kind=OfficeKind.DCC_OPERATOR)


class Office(RuleGuardedModel):
    """A person's office: SRO or ARO of a Party (SEC L / RAPP), a DCC operator, an Authority officer.

    An ARO is nominated by an SRO of its Party with the evidence of its screening, then verified or rejected
    by a DCC operator who is neither the nominator nor the nominee; the SRO may remove it. The changes are
    made by ``portal.offices.services`` (compare-and-set on ``status``, audited), never by saving here.
    """

    RULE_FIELDS = ("kind", "party")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offices")
    kind = models.CharField(max_length=20, choices=OfficeKind.choices)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="offices")
    status = models.CharField(max_length=10, choices=OfficeStatus.choices, default=OfficeStatus.NOMINATED)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The SRO who nominated this office (empty for offices registered by the DCC).")
    screening_reference = models.CharField(
        max_length=100, blank=True,
        help_text="The Party's reference of the evidence that it screened the nominee (SEC L / RAPP).")
    screening_date = models.DateField(null=True, blank=True, help_text="When the nominee was screened.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The DCC operator who verified or rejected the nomination.")
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = OfficeQuerySet.as_manager()

    class Meta:
        ordering = ["party__name", "kind", "person__username"]
        constraints = [
            # One live office of a kind per person and Party; rejected and removed ones stay as history, so a
            # person can be nominated again after a rejection or a removal.
            models.UniqueConstraint(fields=["person", "kind", "party"], name="unique_live_office",
                                    condition=models.Q(status__in=LIVE_OFFICE_STATUSES)),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_kind_display()} of {self.party}"

    def rule_problems(self) -> dict[str, rules.Problem]:
        party = self.party if self.party_id else None
        return rules.office_problems(self.kind, party.kind if party else None, str(party))


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
    # "req:<server id>" for HTTP requests, optionally followed by " client-request-id=<the client's claim>"
    # (sanitised, capped); a command or task name otherwise. See portal.audit.AuditActorMiddleware.
    context = models.CharField(max_length=200, blank=True, help_text="HTTP request id (server's, then the "
                               "client's claim) or the command / task.")
    # Keyed: without the audit key nobody can make a record that the sealer accepts or edit one unnoticed.
    entry_hash = models.CharField(max_length=64, help_text="HMAC-SHA256 (audit key) of this record's content.")
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
    """The last sealed position of the audit chain, as the database sees it.

    Not trusted on its own (whoever writes the database can roll it back): the sealer and audit_verify
    compare it with the keyed anchor kept outside the database (portal.audit, docs/audit.md).
    Only the sealer touches this row, never a request, so it is not a hot row.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_record_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"audit chain head: seq {self.last_seq}"
