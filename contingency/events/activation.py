"""Switching the SoLR contingency on and off (issue 9 point 3; MP134B business requirement 6).

Per (failed Supplier, SoLR Contingency User ID), under a current instruction:

    requested ──approve──▶ active ──suspend──▶ suspended ──resume──▶ active
        │                    │                     │
        └────────end─────────┴─────────end─────────┴──▶ ended
    requested / active / suspended ──(the instruction's window ends)──▶ expired

One DCC operator requests, a *different* one approves (four eyes, DESIGN §6: ``same-person``). Every transition
is a compare-and-set on ``Activation.version`` and ``state`` (``UPDATE … WHERE id = ? AND version = ? AND
state = ?``): of two operators acting at once one wins, the other is refused (``conflict``, or
``invalid-transition`` if it reads the state after the winner committed). Each transition writes an
``ActivationTransition`` row and an audit record (who, before, after) in the same transaction.

Expiry: ``expire_due_activations`` (beat task ``contingency.tasks.expire_activations``) moves live activations
whose instruction has ended to ``expired``; ``access.may_act`` answers ``expired`` for them anyway, so a stopped
beat never leaves the role switched on.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from portal import audit
from portal.offices import is_dcc_operator

from ..models import Activation, ActivationState, ActivationTransition, Instruction
from ..models.events import LIVE_STATES
from .refusals import EventRefused

S = ActivationState


def may_operate(person) -> bool:
    """A verified DCC operator (the service desk) requests, approves, suspends, resumes and ends activations."""
    return is_dcc_operator(person)


def _check_operator(person) -> None:
    if not may_operate(person):
        raise EventRefused("only a DCC operator switches the contingency on or off", code="not-permitted")


def _state(activation: Activation) -> dict:
    return {"state": activation.state, "version": activation.version, "instruction": activation.instruction_id,
            "supplier": activation.supplier_id, "contingency_user_id": activation.contingency_user_id_id}


def _is_current(instruction: Instruction, at: datetime) -> bool:
    return instruction.valid_from <= at < instruction.valid_to


def _record(activation: Activation, actor, from_state: str, action: str, before: dict, note: str = "") -> None:
    ActivationTransition.objects.create(activation=activation, from_state=from_state, to_state=activation.state,
                                        by=actor, at=timezone.now(), note=note[:500])
    # The system's transitions (expiry) are recorded as whoever runs them: the beat task's acting_as name.
    username = actor.get_username() if actor is not None else None
    audit.write(f"activation.{action}", activation, actor=username, before=before,
                after={**_state(activation), **({"note": note[:500]} if note else {})})


def request_activation(actor, instruction: Instruction) -> Activation:
    """A DCC operator asks for the contingency to be switched on under ``instruction`` (which must be current).
    At most one live activation per (Supplier, User ID): ``activation-exists`` otherwise."""
    _check_operator(actor)
    now = timezone.now()
    with transaction.atomic():
        instruction = Instruction.objects.filter(pk=getattr(instruction, "pk", instruction)).first()
        if instruction is None:
            raise EventRefused("no such instruction", code="not-found")
        if not _is_current(instruction, now):
            raise EventRefused(f"instruction {instruction.reference} is not current", code="instruction-not-current")
        live = Activation.objects.live().filter(supplier_id=instruction.supplier_id,
                                                contingency_user_id_id=instruction.contingency_user_id_id)
        if live.exists():
            raise EventRefused("an activation for this Supplier and User ID is already live", code="activation-exists")
        try:
            with transaction.atomic():  # the partial unique index activation_live_key decides a race
                activation = Activation.objects.create(
                    instruction=instruction, supplier_id=instruction.supplier_id,
                    contingency_user_id_id=instruction.contingency_user_id_id, state=S.REQUESTED,
                    requested_by=actor, requested_at=now)
        except IntegrityError as exc:
            raise EventRefused("an activation for this Supplier and User ID is already live",
                               code="activation-exists") from exc
        _record(activation, actor, "", "request", before=None)
    return activation


def _transition(actor, activation_id: int, *, sources: tuple[str, ...], target: str, action: str,
                version: int | None, note: str = "", needs_current: bool = False, **changes) -> Activation:
    _check_operator(actor)
    now = timezone.now()
    with transaction.atomic():
        activation = Activation.objects.select_related("instruction").filter(pk=activation_id).first()
        if activation is None:
            raise EventRefused(f"no activation #{activation_id}", code="not-found")
        if version is not None and version != activation.version:
            raise EventRefused(f"activation #{activation_id} was changed meanwhile (version {activation.version}, "
                               f"not {version})", code="conflict")
        if activation.state not in sources:
            raise EventRefused(f"activation #{activation_id} is {activation.state}: it cannot be {action}d",
                               code="invalid-transition")
        if action == "approve" and activation.requested_by_id == actor.pk:
            raise EventRefused("whoever requested the activation cannot approve it (four eyes)", code="same-person")
        if needs_current and not _is_current(activation.instruction, now):
            raise EventRefused(f"instruction {activation.instruction.reference} is not current",
                               code="instruction-not-current")
        before = _state(activation)
        won = Activation.objects.filter(pk=activation.pk, version=activation.version, state=activation.state).update(
            state=target, version=F("version") + 1, **changes)
        if not won:
            raise EventRefused(f"activation #{activation_id} was changed by someone else first", code="conflict")
        from_state = activation.state
        activation.refresh_from_db()
        _record(activation, actor, from_state, action, before=before, note=note)
    return activation


def approve_activation(actor, activation_id: int, *, version: int | None = None) -> Activation:
    """A second DCC operator, never the requester, switches the contingency on (``requested`` → ``active``)."""
    return _transition(actor, activation_id, sources=(S.REQUESTED,), target=S.ACTIVE, action="approve",
                       version=version, needs_current=True, approved_by=actor, approved_at=timezone.now())


def suspend_activation(actor, activation_id: int, *, version: int | None = None, note: str = "") -> Activation:
    """``active`` → ``suspended``: the SRP may not act; alerts still go to it (issue 9 point 6)."""
    return _transition(actor, activation_id, sources=(S.ACTIVE,), target=S.SUSPENDED, action="suspend",
                       version=version, note=note)


def resume_activation(actor, activation_id: int, *, version: int | None = None, note: str = "") -> Activation:
    """``suspended`` → ``active``, while the instruction is current."""
    return _transition(actor, activation_id, sources=(S.SUSPENDED,), target=S.ACTIVE, action="resume",
                       version=version, note=note, needs_current=True)


def end_activation(actor, activation_id: int, *, version: int | None = None, note: str = "") -> Activation:
    """Any live activation (a request not yet approved too) → ``ended``, for good."""
    return _transition(actor, activation_id, sources=tuple(LIVE_STATES), target=S.ENDED, action="end",
                       version=version, note=note, closed_at=timezone.now())


def expire_due_activations(at: datetime | None = None) -> int:
    """Move every live activation whose instruction's window has ended by ``at`` (now) to ``expired``. Each one
    is a compare-and-set of its own (an operator acting at the same moment simply wins or loses). Returns how
    many expired."""
    at = at or timezone.now()
    expired = 0
    due = Activation.objects.live().filter(instruction__valid_to__lte=at).values_list("pk", "version", "state")
    for pk, version, state in list(due):
        with transaction.atomic():
            activation = Activation.objects.filter(pk=pk).first()
            if activation is None:
                continue
            before = _state(activation)
            won = Activation.objects.filter(pk=pk, version=version, state=state).update(
                state=S.EXPIRED, version=F("version") + 1, closed_at=at)
            if not won:
                continue
            activation.refresh_from_db()
            _record(activation, None, state, "expire", before=before)
            expired += 1
    return expired
