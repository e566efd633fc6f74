"""Activation (issue 9 point 3): four eyes, the states, compare-and-set on version, a current instruction,
transitions and audit, expiry by beat and at request time with beat stopped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contingency.events.access import may_act
from contingency.events.activation import (
    approve_activation,
    end_activation,
    expire_due_activations,
    may_operate,
    request_activation,
    resume_activation,
    suspend_activation,
)
from contingency.events.refusals import EventRefused
from contingency.models import Activation, ActivationState, ActivationTransition, Instruction
from contingency.tasks import expire_activations
from portal.models import AuditRecord

from .world import instruct, make_world

pytestmark = pytest.mark.django_db
S = ActivationState


@pytest.fixture
def world(cast):
    return make_world(cast)


@pytest.fixture
def instruction(cast, world):
    return instruct(world, cast.authority_officer.user)


def code_of(action) -> str:
    with pytest.raises(EventRefused) as caught:
        action()
    return caught.value.code


def test_only_dcc_operators_operate(cast, instruction):
    assert may_operate(cast.dcc_operator1.user) and may_operate(cast.dcc_operator2.user)
    for member in (cast.authority_officer, cast.srp_sro, cast.srp_aro, cast.outsider):
        assert not may_operate(member.user)
        assert code_of(lambda m=member: request_activation(m.user, instruction)) == "not-permitted"
    assert not Activation.objects.exists()
    activation = request_activation(cast.dcc_operator1.user, instruction)
    assert code_of(lambda: approve_activation(cast.authority_officer.user, activation.pk)) == "not-permitted"


def test_the_requester_cannot_approve_a_second_operator_can(cast, instruction):
    a, b = cast.dcc_operator1.user, cast.dcc_operator2.user
    activation = request_activation(a, instruction)
    assert (activation.state, activation.version, activation.requested_by) == (S.REQUESTED, 0, a)
    with pytest.raises(EventRefused) as caught:
        approve_activation(a, activation.pk)
    assert caught.value.code == "same-person" and caught.value.http_status == 403
    activation.refresh_from_db()
    assert activation.state == S.REQUESTED and activation.approved_by is None

    approved = approve_activation(b, activation.pk, version=0)
    assert (approved.state, approved.version, approved.approved_by) == (S.ACTIVE, 1, b)
    assert approved.approved_at is not None


def test_the_whole_life_with_transitions_and_audit(cast, instruction):
    a, b = cast.dcc_operator1.user, cast.dcc_operator2.user
    activation = request_activation(a, instruction)
    approve_activation(b, activation.pk)
    suspend_activation(a, activation.pk, note="SoLR asked for a pause")
    resume_activation(b, activation.pk)
    ended = end_activation(a, activation.pk, version=3, note="SoLR took over")
    assert (ended.state, ended.version) == (S.ENDED, 4) and ended.closed_at is not None

    steps = list(ActivationTransition.objects.filter(activation=activation).values_list(
        "from_state", "to_state", "by__username", "note"))
    assert steps == [
        ("", S.REQUESTED, a.username, ""),
        (S.REQUESTED, S.ACTIVE, b.username, ""),
        (S.ACTIVE, S.SUSPENDED, a.username, "SoLR asked for a pause"),
        (S.SUSPENDED, S.ACTIVE, b.username, ""),
        (S.ACTIVE, S.ENDED, a.username, "SoLR took over"),
    ]
    audit = list(AuditRecord.objects.filter(subject_type="contingency.Activation", subject_id=str(activation.pk))
                 .values_list("action", "actor", "before", "after"))
    assert [(x[0], x[1]) for x in audit] == [
        ("activation.request", a.username), ("activation.approve", b.username), ("activation.suspend", a.username),
        ("activation.resume", b.username), ("activation.end", a.username)]
    assert audit[1][2]["state"] == S.REQUESTED and audit[1][3]["state"] == S.ACTIVE
    assert (audit[4][2]["state"], audit[4][2]["version"], audit[4][3]["version"]) == (S.ACTIVE, 3, 4)


@pytest.mark.parametrize("action, state", [
    (approve_activation, S.ACTIVE), (resume_activation, S.ACTIVE), (suspend_activation, S.REQUESTED)])
def test_transitions_only_from_their_states(cast, instruction, action, state):
    activation = request_activation(cast.dcc_operator1.user, instruction)
    if state == S.ACTIVE:
        approve_activation(cast.dcc_operator2.user, activation.pk)
    with pytest.raises(EventRefused) as caught:
        action(cast.dcc_operator2.user, activation.pk)
    assert caught.value.code == "invalid-transition" and caught.value.http_status == 409
    activation.refresh_from_db()
    assert activation.state == state


def test_ended_is_final(cast, instruction):
    activation = request_activation(cast.dcc_operator1.user, instruction)
    end_activation(cast.dcc_operator1.user, activation.pk)  # a request may be withdrawn
    for action in (approve_activation, suspend_activation, resume_activation, end_activation):
        assert code_of(lambda act=action: act(cast.dcc_operator2.user, activation.pk)) == "invalid-transition"


def test_a_stale_version_is_a_conflict_and_changes_nothing(cast, instruction):
    activation = request_activation(cast.dcc_operator1.user, instruction)
    approve_activation(cast.dcc_operator2.user, activation.pk, version=0)
    with pytest.raises(EventRefused) as caught:
        suspend_activation(cast.dcc_operator1.user, activation.pk, version=0)  # read before the approval
    assert caught.value.code == "conflict" and caught.value.http_status == 409
    activation.refresh_from_db()
    assert (activation.state, activation.version) == (S.ACTIVE, 1)


def test_unknown_activation_is_not_found(cast):
    with pytest.raises(EventRefused) as caught:
        approve_activation(cast.dcc_operator2.user, 999999)
    assert caught.value.code == "not-found" and caught.value.http_status == 404


def test_one_live_activation_per_supplier_and_user_id(cast, world, instruction):
    first = request_activation(cast.dcc_operator1.user, instruction)
    other = instruct(world, cast.authority_officer.user, reference="AUTH/2026/002")
    assert code_of(lambda: request_activation(cast.dcc_operator2.user, other)) == "activation-exists"
    assert code_of(lambda: request_activation(cast.dcc_operator2.user, instruction)) == "activation-exists"
    end_activation(cast.dcc_operator1.user, first.pk)
    second = request_activation(cast.dcc_operator2.user, other)
    assert second.state == S.REQUESTED and second.instruction == other


def test_a_current_instruction_is_needed(cast, world):
    future = instruct(world, cast.authority_officer.user, reference="LATER", hours_from=2, hours_to=10)
    assert code_of(lambda: request_activation(cast.dcc_operator1.user, future)) == "instruction-not-current"
    assert not Activation.objects.exists()


def _past_window(instruction: Instruction) -> None:
    """The instruction's window ended a second ago (the check constraint keeps valid_to after valid_from)."""
    now = timezone.now()
    Instruction.objects.filter(pk=instruction.pk).update(valid_from=now - timedelta(days=2),
                                                         valid_to=now - timedelta(seconds=1))


def test_approval_after_the_window_is_refused(cast, instruction):
    activation = request_activation(cast.dcc_operator1.user, instruction)
    _past_window(instruction)
    assert code_of(lambda: approve_activation(cast.dcc_operator2.user, activation.pk)) == "instruction-not-current"


def test_expiry_by_beat(cast, world, instruction):
    activation = request_activation(cast.dcc_operator1.user, instruction)
    approve_activation(cast.dcc_operator2.user, activation.pk)
    other = instruct(world, cast.authority_officer.user, reference="OTHER")  # its window is open: not due
    assert expire_due_activations() == 0
    _past_window(instruction)
    assert expire_activations.apply().get() == 1  # the beat task itself
    activation.refresh_from_db()
    assert activation.state == S.EXPIRED and activation.closed_at is not None and activation.version == 2
    step = ActivationTransition.objects.filter(activation=activation).last()
    assert (step.from_state, step.to_state, step.by) == (S.ACTIVE, S.EXPIRED, None)
    record = AuditRecord.objects.get(action="activation.expire")
    assert record.actor == "system:contingency.tasks.expire_activations" and record.before["state"] == S.ACTIVE
    assert expire_due_activations() == 0  # idempotent
    assert code_of(lambda: resume_activation(cast.dcc_operator1.user, activation.pk)) == "invalid-transition"
    assert may_act(world.solr_uid, world.meters[0], "1.6").reason == "expired"
    assert other.activations.count() == 0


def test_expired_at_request_time_with_beat_stopped(cast, world, instruction):
    activation = request_activation(cast.dcc_operator1.user, instruction)
    approve_activation(cast.dcc_operator2.user, activation.pk)
    assert may_act(world.solr_uid, world.meters[0], "1.6").allowed
    _past_window(instruction)  # and no beat runs
    decision = may_act(world.solr_uid, world.meters[0], "1.6")
    assert not decision and decision.reason == "expired" and decision.activation_id == activation.pk
    activation.refresh_from_db()
    assert activation.state == S.ACTIVE  # may_act answers, it does not write (docs/events.md)
    # and at a time inside the window it was allowed: the answer is about ``at``
    assert may_act(world.solr_uid, world.meters[0], "1.6", at=timezone.now() - timedelta(days=1)).allowed
