"""Reading SoLR events (issue 9 points 5 and 10): an event is one Instruction (event id = instruction id) with
its newest activation. ``events_for(person)`` is what a person may list; ``event_summary(instruction)`` is the
event as the API and the demo manifest give it, with exactly the keys of ``EVENT_KEYS``."""

from __future__ import annotations

from django.db.models import Case, Count, F, Func, IntegerField, OuterRef, Prefetch, Subquery, Value, When
from django.db.models.functions import Coalesce

from portal.models import UserID

from ..devices.choices import PaymentMode
from ..models import Activation, Device, Instruction, ScopeKind
from ..models.events import InstructionQuerySet
from .records import can_view_events

EVENT_KEYS = ("id", "supplier", "supplier_user_ids", "contingency_user_id", "instruction_reference",
              "activation_id", "activation_state", "requested_by", "valid_from", "valid_to", "meters")


def _newest_activation():
    return Activation.objects.filter(instruction_id=OuterRef("pk")).order_by("-id")


def _count(devices) -> Coalesce:
    """``SELECT COUNT(*)`` of ``devices`` as a scalar subquery (no GROUP BY: one row, the count)."""
    counted = devices.order_by().annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
    return Coalesce(Subquery(counted.values("n")[:1]), Value(0))


class EventQuerySet(InstructionQuerySet):
    """Instructions read as SoLR events: what a list needs, in the list's own query, so a page of events costs the
    same number of queries for 2 events as for 25 (no query per event)."""

    def with_newest_activation(self):
        """``activation_pk``, ``activation_state_value``, ``activation_requested_by``: the newest activation's."""
        newest = _newest_activation()
        return self.annotate(activation_pk=Subquery(newest.values("pk")[:1]),
                             activation_state_value=Subquery(newest.values("state")[:1]),
                             activation_requested_by=Subquery(newest.values("requested_by__username")[:1]))

    def with_meters(self):
        """``meters_prepayment``, ``meters_credit``: the meters the instruction covers by payment mode, as
        :func:`meters_by_payment_mode` counts them (scope ``listed``: its devices; otherwise the Supplier's ESMEs and
        GSMEs), counted by the database inside the list's query."""
        def covered(mode: str) -> Case:
            listed = Device.objects.filter(contingency_instructions=OuterRef("pk"), payment_mode=mode)
            all_meters = Device.objects.filter(registered_supplier__party_id=OuterRef("supplier_id"),
                                               payment_mode=mode).meters()
            return Case(When(scope=ScopeKind.LISTED, then=_count(listed)), default=_count(all_meters),
                        output_field=IntegerField())

        return self.annotate(meters_prepayment=covered(PaymentMode.PREPAYMENT),
                             meters_credit=covered(PaymentMode.CREDIT))


def events_for(person) -> EventQuerySet:
    """The events ``person`` may see, newest first: every one for DCC operators and Authority officers, none for
    anyone else. Annotated with the newest activation (``with_newest_activation``) and prefetched (Supplier and its
    User IDs, the contingency User ID), so a list costs a fixed number of queries; ``.with_meters()`` adds the
    meter counts the API's events give (the pages do not show them)."""
    events = EventQuerySet(model=Instruction)
    if not can_view_events(person):
        return events.none()
    return (events.select_related("supplier", "contingency_user_id")
            .prefetch_related(Prefetch("supplier__user_ids", queryset=UserID.objects.order_by("eui")))
            .with_newest_activation()
            .order_by("-recorded_at", "-id"))


def newest_activation(instruction: Instruction) -> Activation | None:
    return instruction.activations.select_related("requested_by", "approved_by").order_by("-id").first()


def meters_by_payment_mode(instruction: Instruction) -> dict[str, int]:
    """The meters the instruction covers, counted by payment mode: ``{"prepayment": n, "credit": n}``."""
    if instruction.scope == ScopeKind.LISTED:
        meters = Device.objects.filter(contingency_instructions=instruction)
    else:
        meters = Device.objects.filter(registered_supplier__party_id=instruction.supplier_id).meters()
    counts = dict(meters.order_by().values_list("payment_mode").annotate(n=Count("pk")))
    return {"prepayment": counts.get(PaymentMode.PREPAYMENT, 0), "credit": counts.get(PaymentMode.CREDIT, 0)}


def _iso(value):
    return value.isoformat() if value is not None else None


def event_summary(instruction: Instruction) -> dict:
    """The event as the API gives it (issue 9 point 10): ``supplier`` the Party's short name, EUIs hyphenated
    (the DUIS form), ``requested_by`` the requesting operator's username or None, times ISO 8601."""
    if hasattr(instruction, "activation_pk"):  # from events_for: no further query for the activation
        activation_id = instruction.activation_pk
        state = instruction.activation_state_value
        requested_by = instruction.activation_requested_by
    else:
        activation = newest_activation(instruction)
        activation_id = activation.pk if activation else None
        state = activation.state if activation else None
        requested_by = activation.requested_by.get_username() if activation else None
    if hasattr(instruction, "meters_prepayment"):  # from events_for(...).with_meters(): counted in the list's query
        meters = {"prepayment": instruction.meters_prepayment, "credit": instruction.meters_credit}
    else:
        meters = meters_by_payment_mode(instruction)
    supplier = instruction.supplier
    return {
        "id": instruction.pk,
        "supplier": supplier.short_name,
        "supplier_user_ids": sorted(u.eui for u in supplier.user_ids.all()),
        "contingency_user_id": instruction.contingency_user_id.eui,
        "instruction_reference": instruction.reference,
        "activation_id": activation_id,
        "activation_state": state,
        "requested_by": requested_by,
        "valid_from": _iso(instruction.valid_from),
        "valid_to": _iso(instruction.valid_to),
        "meters": meters,
    }
