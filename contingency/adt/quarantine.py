"""The quarantine console's rules (DESIGN §4 check 11, §6 four eyes; issue 10 point 9; docs/quarantine.md).

A request over its ADT quarantine level is kept ``quarantined`` (contingency.adt.counting). DCC operators decide
its fate with four eyes: one **requests** a release or a delete (``request_decision``), **another** approves it
(``approve_decision``), which moves the request by compare-and-set on its ``version``: release → ``accepted``
(then queued for delivery), delete → ``deleted`` (never delivered). The requester, or another operator, may
withdraw an open request (``withdraw_decision``). One open decision per request (a partial unique index). Every
step writes an audit record with the acting person; a refusal changes and writes nothing.

Plain functions taking validated values; pages and the API map the refusal codes (docs/refusal-codes.md).
"""

from __future__ import annotations

import importlib
import logging

import django_filters
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from portal import audit
from portal.errors import Refusal
from portal.offices.services import is_dcc_operator

from ..models import QuarantineDecision, QuarantineDecisionState, RequestState, ServiceRequest

log = logging.getLogger(__name__)

ACTIONS = tuple(QuarantineDecision.Action.values)


class QuarantineRefused(Refusal):
    """Codes: ``quarantine-not-allowed`` (403, not a DCC operator), ``same-person`` (403, four eyes),
    ``quarantine-action-invalid`` (400), ``request-not-quarantined`` (409), ``quarantine-decision-open`` (409),
    ``quarantine-decision-closed`` (409), ``quarantine-request-changed`` (409, the request changed meanwhile)."""

    code = "quarantine-refused"


def _require_operator(person) -> None:
    if not is_dcc_operator(person):
        raise QuarantineRefused("only a DCC operator decides on quarantined requests", code="quarantine-not-allowed",
                                http_status=403)


def _person(person) -> str:
    return person.get_username()


def quarantined_requests():
    """What the console lists: quarantined requests, newest first, with what the list shows."""
    return (ServiceRequest.objects.quarantined()
            .select_related("sender", "target_supplier", "device")
            .order_by("-quarantined_at", "-received_at", "-id"))


def open_decision(request: ServiceRequest) -> QuarantineDecision | None:
    return request.quarantine_decisions.filter(state=QuarantineDecisionState.REQUESTED).first()


def request_decision(person, request: ServiceRequest, action: str) -> QuarantineDecision:
    """One DCC operator asks for ``action`` (``release`` or ``delete``) of a quarantined request."""
    _require_operator(person)
    if action not in ACTIONS:
        raise QuarantineRefused(f"the action is one of {', '.join(ACTIONS)}", code="quarantine-action-invalid")
    with transaction.atomic():
        current = ServiceRequest.objects.filter(pk=request.pk).values_list("state", flat=True).first()
        if current != RequestState.QUARANTINED:
            raise QuarantineRefused("the request is not quarantined", code="request-not-quarantined",
                                    http_status=409)
        try:
            with transaction.atomic():
                decision = QuarantineDecision.objects.create(request=request, action=action, requested_by=person)
        except IntegrityError:
            raise QuarantineRefused("a decision on this request is already waiting for approval",
                                    code="quarantine-decision-open", http_status=409) from None
        audit.write(f"quarantine.request_{action}", request, actor=_person(person),
                    after={"decision": decision.pk, "action": action, "request_id": request.request_id})
    return decision


def _closed() -> QuarantineRefused:
    return QuarantineRefused("the decision was approved or withdrawn meanwhile", code="quarantine-decision-closed",
                             http_status=409)


def approve_decision(person, decision: QuarantineDecision, *, version: int | None = None) -> ServiceRequest:
    """A second DCC operator approves: the request moves, by compare-and-set on its ``version`` (the one the
    approver saw, when given), to ``accepted`` (release; queued for delivery after the commit) or ``deleted``.
    Of two approvals at once, one moves the request and the other is refused."""
    _require_operator(person)
    if decision.requested_by_id == person.pk:
        raise QuarantineRefused("whoever requested a release or delete cannot approve it (four eyes)",
                                code="same-person", http_status=403)
    now = timezone.now()
    with transaction.atomic():
        request = ServiceRequest.objects.get(pk=decision.request_id)
        expected = request.version if version is None else version
        taken = QuarantineDecision.objects.filter(pk=decision.pk, state=QuarantineDecisionState.REQUESTED).update(
            state=QuarantineDecisionState.DONE, approved_by=person, approved_at=now)
        if not taken:
            raise _closed()
        release = decision.action == QuarantineDecision.Action.RELEASE
        changes = {"state": RequestState.ACCEPTED, "accepted_at": now} if release else {"state": RequestState.DELETED}
        moved = ServiceRequest.objects.filter(pk=request.pk, state=RequestState.QUARANTINED, version=expected).update(
            version=F("version") + 1, **changes)
        if not moved:
            # Rolls the decision back with it: nothing changed.
            raise QuarantineRefused("the request changed since it was read", code="quarantine-request-changed",
                                    http_status=409)
        request.refresh_from_db()
        audit.write("quarantine.release" if release else "quarantine.delete", request, actor=_person(person),
                    before={"state": RequestState.QUARANTINED, "version": expected},
                    after={"state": request.state, "version": request.version, "decision": decision.pk,
                           "requested_by": decision.requested_by.get_username(), "approved_by": _person(person)})
        if release:
            transaction.on_commit(lambda: _queue_for_delivery(request))
    return request


def withdraw_decision(person, decision: QuarantineDecision) -> QuarantineDecision:
    """Withdraw an open request (its requester or another DCC operator); the request stays quarantined."""
    _require_operator(person)
    with transaction.atomic():
        taken = QuarantineDecision.objects.filter(pk=decision.pk, state=QuarantineDecisionState.REQUESTED).update(
            state=QuarantineDecisionState.WITHDRAWN)
        if not taken:
            raise _closed()
        decision.refresh_from_db()
        audit.write("quarantine.withdraw", decision.request, actor=_person(person),
                    after={"decision": decision.pk, "action": decision.action})
    return decision


def _queue_for_delivery(request: ServiceRequest) -> None:
    """The front door's hook ``contingency.pipeline.store.queue_for_delivery(request)``. Looked up by name, not
    imported: ``pipeline/`` sits above ``adt/`` (it calls ``check_and_count``), and nothing imports upward. If the
    hook is missing the released request stays ``accepted``, which the delivery sweeper of issue 11 picks up."""
    try:
        store = importlib.import_module("contingency.pipeline.store")
    except ImportError:
        log.info("contingency.pipeline.store not present: released request %s left accepted", request.request_id)
        return
    queue = getattr(store, "queue_for_delivery", None)
    if queue is not None:
        queue(request)


def _eui_filter(queryset, name, value):
    from portal.eui import InvalidEUI64, parse_eui64

    try:
        return queryset.filter(**{f"{name}__eui": parse_eui64(value)})
    except InvalidEUI64:
        return queryset.none()


class QuarantinedRequestFilter(django_filters.FilterSet):
    """The console's filters, for the page and the API alike: ``sender`` (an EUI, any spelling), ``supplier`` (the
    target Supplier's Party short name), ``srv``."""

    sender = django_filters.CharFilter(method="filter_sender", label="Sender (User ID EUI)")
    supplier = django_filters.CharFilter(field_name="target_supplier__short_name", label="Target Supplier (short name)")
    srv = django_filters.CharFilter(field_name="srv", label="SRV")

    class Meta:
        model = ServiceRequest
        fields = ["sender", "supplier", "srv"]

    def filter_sender(self, queryset, name, value):
        return _eui_filter(queryset, "sender", value)
