"""Meters in the Smart Metering Inventory.

The rules are contingency.devices.rules (functions of values); the model guards itself through
portal.models.RuleGuardedModel: clean() for forms, save(), and bulk writes checked set-wise.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter

from django.db import models
from django.utils import timezone

from portal import rules as registry_rules
from portal.eui import EUI64Field
from portal.models import GuardedQuerySet, Party, RuleGuardedModel, UserID

from ..devices import rules
from ..devices.choices import DeviceType, EsmeVariant, Generation, PaymentMode, SmiStatus  # noqa: F401


class DeviceQuerySet(GuardedQuerySet):
    def of_supplier(self, supplier: Party | UserID | int):
        """Meters whose registered Supplier is ``supplier``: a Supplier Party (any of its User IDs), one
        User ID, or a User ID's primary key."""
        if isinstance(supplier, Party):
            return self.filter(registered_supplier__party_id=supplier.pk)
        return self.filter(registered_supplier_id=getattr(supplier, "pk", supplier))

    def meters(self):
        """Electricity and gas meters (ESME, GSME): the devices SRV 1.6 addresses."""
        return self.filter(device_type__in=[DeviceType.ESME, DeviceType.GSME])


class Device(RuleGuardedModel):
    """A meter in the Smart Metering Inventory, with what the SoLR checks need to know."""

    RULE_FIELDS = ("device_type", "esme_variant", "payment_mode", "mpxn", "registered_supplier")

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

    objects = DeviceQuerySet.as_manager()

    class Meta:
        ordering = ["eui"]
        indexes = [models.Index(fields=["registered_supplier", "device_type"], name="device_supplier_type")]

    def __str__(self) -> str:
        return f"{self.device_type} {self.eui}"

    @classmethod
    def from_db(cls, db, field_names, values):
        device = super().from_db(db, field_names, values)
        # The Supplier rule was met when this row was written: saving it again with the same type and
        # Supplier needs no look-up (a payment-mode change costs no query for the rules).
        device._supplier_checked = (device.__dict__.get("device_type"), device.__dict__.get("registered_supplier_id"))
        return device

    def rule_problems(self) -> dict[str, registry_rules.Problem]:
        problems = rules.device_problems(self.device_type, self.esme_variant, self.payment_mode, self.mpxn)
        key = (self.device_type, self.registered_supplier_id)
        if self.registered_supplier_id and key != getattr(self, "_supplier_checked", None):
            facts = UserID.objects.filter(pk=self.registered_supplier_id).role_facts()
            fact = next(iter(facts.values()), None)
            problem = rules.supplier_problem(self.device_type, fact.roles, fact.party_kind) if fact else None
            if problem:
                problems["registered_supplier"] = problem
        return problems

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._supplier_checked = (self.device_type, self.registered_supplier_id)

    @classmethod
    def check_many(cls, objs: Iterable[Device]) -> None:
        """Check meters about to be bulk-written, each rule once per distinct combination of its inputs
        (a few for the type rules, one per meter only for the MPxN) and the Supplier rule with one look-up
        for all Suppliers: seed_demo writes 300,000 meters this way."""
        objs = list(objs)
        for field, inputs, rule in rules.RULES:
            for args in set(map(attrgetter(*inputs), objs)):
                problem = rule(*args)
                if problem:
                    registry_rules.refuse({field: problem})
        registry_rules.refuse(_supplier_problems(set(map(attrgetter(*rules.SUPPLIER_RULE_INPUTS), objs))))

    @classmethod
    def check_update(cls, queryset: models.QuerySet, changes: dict[str, object]) -> None:
        """What ``queryset.update(**changes)`` would leave: only the rules whose inputs change are checked,
        over the distinct combinations of their inputs — one query, not one per meter."""
        changed = set(changes)
        selected = [(field, inputs, rule) for field, inputs, rule in rules.RULES if changed & set(inputs)]
        supplier_rule = bool(changed & set(rules.SUPPLIER_RULE_INPUTS))
        needed = sorted({name for _, inputs, _ in selected for name in inputs}
                        | (set(rules.SUPPLIER_RULE_INPUTS) if supplier_rule else set()))
        stored = [dict(zip(needed, combo, strict=True))
                  for combo in queryset.order_by().values_list(*needed).distinct()]
        rows = [{**row, **changes} for row in stored]
        for row in rows:
            for field, inputs, rule in selected:
                problem = rule(*(row[name] for name in inputs))
                if problem:
                    registry_rules.refuse({field: problem})
        if supplier_rule:
            registry_rules.refuse(_supplier_problems({(r["device_type"], r["registered_supplier_id"]) for r in rows}))


def _supplier_problems(pairs: set[tuple[str, int]]) -> dict[str, registry_rules.Problem]:
    """The Supplier rule for each (device type, Supplier User ID pk), with one look-up of those User IDs."""
    if not pairs:
        return {}
    facts = {f.pk: f for f in UserID.objects.filter(pk__in={pk for _, pk in pairs}).role_facts().values()}
    for device_type, pk in sorted(pairs, key=lambda p: (p[0], p[1] or 0)):
        fact = facts.get(pk)
        if fact is None:
            continue  # the foreign key refuses it
        problem = rules.supplier_problem(device_type, fact.roles, fact.party_kind)
        if problem:
            return {"registered_supplier": problem}
    return {}
