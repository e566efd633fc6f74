"""POST /api/v1/activations/ and its approve / suspend / resume / end actions, GET with the history (issue 9
points 3 and 10): every action tried by the whole cast, four eyes on the API, compare-and-set with ``version``."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from contingency.events.activation import suspend_activation
from contingency.models import Activation, ActivationState, ActivationTransition
from portal.models import AuditRecord
from tests.helpers.permissions import assert_access

from .world import make_instruction

pytestmark = pytest.mark.django_db

URL = "/api/v1/activations/"
OPERATORS = ["dcc_operator1", "dcc_operator2"]
VIEWERS = [*OPERATORS, "authority_officer"]
OTHERS = ["srp_sro", "srp_aro", "outsider"]
# What each member gets from an action on an activation they are not allowed: the Authority officer sees the
# event but does not operate it; the others do not see it at all.
NOT_OPERATORS = {"authority_officer": (403, "not-permitted"), **{name: (404, "not_found") for name in OTHERS}}


def state_of(activation) -> str:
    activation.refresh_from_db()
    return activation.state


# --- request ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", OPERATORS)
def test_an_operator_requests_activation(world, instruction, who):
    response = world.client(who).post(URL, {"instruction": instruction.pk}, format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    activation = Activation.objects.get()
    assert answer["id"] == activation.pk and answer["instruction"] == instruction.pk
    assert answer["state"] == ActivationState.REQUESTED and answer["requested_by"] == world.cast[who].username
    assert answer["supplier"] == "failing-energy" and answer["contingency_user_id"] == world.solr.eui
    assert answer["approved_by"] is None
    assert [(h["from_state"], h["to_state"], h["by"]) for h in answer["history"]] == [
        ("", ActivationState.REQUESTED, world.cast[who].username)]


@pytest.mark.parametrize("who", [*NOT_OPERATORS])
def test_nobody_else_requests_activation(world, instruction, who):
    response = world.client(who).post(URL, {"instruction": instruction.pk}, format="json")
    assert (response.status_code, response.json()["code"]) == NOT_OPERATORS[who]
    assert not Activation.objects.exists()


def test_anonymous_is_refused(world, requested):
    assert APIClient().post(URL, {"instruction": requested.instruction_id}, format="json").status_code == 403
    assert APIClient().post(f"{URL}{requested.pk}/approve/", {}, format="json").status_code == 403
    assert state_of(requested) == ActivationState.REQUESTED


def test_a_second_live_activation_is_refused(world, requested):
    response = world.client("dcc_operator2").post(URL, {"instruction": requested.instruction_id}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "activation-exists")
    assert Activation.objects.count() == 1


def test_an_instruction_that_is_not_current_cannot_be_activated(world, revoked):
    later = make_instruction(world, reference="OFG-LATER", start_hours=24, end_hours=48)
    response = world.client("dcc_operator1").post(URL, {"instruction": later.pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "instruction-not-current")
    assert not Activation.objects.exists()


def test_an_unknown_instruction_is_404(world, instruction):
    response = world.client("dcc_operator1").post(URL, {"instruction": instruction.pk + 100}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


# --- four eyes ----------------------------------------------------------------------------------------------

def test_the_requester_cannot_approve_and_another_operator_can(world, requested):
    refused = world.client("dcc_operator1").post(f"{URL}{requested.pk}/approve/", {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "same-person")
    assert state_of(requested) == ActivationState.REQUESTED
    assert requested.approved_by is None

    approved = world.client("dcc_operator2").post(f"{URL}{requested.pk}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == ActivationState.ACTIVE
    assert approved.json()["approved_by"] == world.cast.dcc_operator2.username
    assert state_of(requested) == ActivationState.ACTIVE


def test_approve_tried_by_the_whole_cast(world, requested):
    # The cast is tried in order: operator 1 (the requester) is refused, operator 2 approves, then the others.
    assert_access(world.cast, "post", f"{URL}{requested.pk}/approve/",
                  {"dcc_operator1": (403, "same-person"), "dcc_operator2": 200, **NOT_OPERATORS}, data={}, api=True)
    requested.refresh_from_db()
    assert requested.state == ActivationState.ACTIVE and requested.approved_by == world.cast.dcc_operator2.user


# --- suspend, resume, end -------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", OPERATORS)
def test_an_operator_suspends_resumes_and_ends(world, active, who):
    client = world.client(who)
    steps = [("suspend", ActivationState.SUSPENDED), ("resume", ActivationState.ACTIVE),
             ("end", ActivationState.ENDED)]
    for step, state in steps:
        response = client.post(f"{URL}{active.pk}/{step}/", {"note": f"{step} by {who}"}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["state"] == state and state_of(active) == state
    history = response.json()["history"]
    assert [(h["from_state"], h["to_state"]) for h in history] == [
        ("", "requested"), ("requested", "active"), ("active", "suspended"), ("suspended", "active"),
        ("active", "ended")]
    assert [h["by"] for h in history[2:]] == [world.cast[who].username] * 3
    assert [h["note"] for h in history[2:]] == [f"suspend by {who}", f"resume by {who}", f"end by {who}"]
    assert response.json()["closed_at"] is not None
    # Every transition audited with the acting operator (the services write it; the API passes the person on).
    steps_audited = AuditRecord.objects.filter(actor=world.cast[who].username, action__in=[
        "activation.suspend", "activation.resume", "activation.end"]).order_by("pk")
    assert list(steps_audited.values_list("action", flat=True)) == [
        "activation.suspend", "activation.resume", "activation.end"]


@pytest.mark.parametrize("step", ["suspend", "end"])
@pytest.mark.parametrize("who", [*NOT_OPERATORS])
def test_nobody_else_suspends_or_ends(world, active, who, step):
    response = world.client(who).post(f"{URL}{active.pk}/{step}/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == NOT_OPERATORS[who]
    assert state_of(active) == ActivationState.ACTIVE


@pytest.mark.parametrize("who", [*NOT_OPERATORS])
def test_nobody_else_resumes(world, active, who):
    suspend_activation(world.cast.dcc_operator1.user, active.pk)
    response = world.client(who).post(f"{URL}{active.pk}/resume/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == NOT_OPERATORS[who]
    assert state_of(active) == ActivationState.SUSPENDED


def test_an_action_from_the_wrong_state_is_refused(world, requested):
    for step in ("suspend", "resume"):
        response = world.client("dcc_operator2").post(f"{URL}{requested.pk}/{step}/", {}, format="json")
        assert (response.status_code, response.json()["code"]) == (409, "invalid-transition")
    assert state_of(requested) == ActivationState.REQUESTED


# --- compare-and-set ---------------------------------------------------------------------------------------

def test_a_stale_version_is_a_conflict_and_changes_nothing(world, requested):
    client = world.client("dcc_operator1")
    read = client.get(f"{URL}{requested.pk}/").json()
    # Someone else moves it on after this client read it ...
    other = world.client("dcc_operator2")
    assert other.post(f"{URL}{requested.pk}/approve/", {"version": read["version"]}, format="json").status_code == 200
    transitions = ActivationTransition.objects.count()
    # ... so an action with the version this client read is refused, whatever the action.
    for step in ("suspend", "end"):
        stale = client.post(f"{URL}{requested.pk}/{step}/", {"version": read["version"]}, format="json")
        assert (stale.status_code, stale.json()["code"]) == (409, "conflict")
    assert state_of(requested) == ActivationState.ACTIVE
    assert ActivationTransition.objects.count() == transitions
    # With the current version it goes through.
    current = client.get(f"{URL}{requested.pk}/").json()["version"]
    assert current > read["version"]
    ok = client.post(f"{URL}{requested.pk}/suspend/", {"version": current, "note": "checked"}, format="json")
    assert ok.status_code == 200 and ok.json()["state"] == ActivationState.SUSPENDED


def test_a_version_that_is_no_number_is_a_field_error(world, requested):
    response = world.client("dcc_operator2").post(f"{URL}{requested.pk}/approve/", {"version": "x"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "version"
    assert state_of(requested) == ActivationState.REQUESTED


# --- reading ------------------------------------------------------------------------------------------------

def test_those_who_may_see_read_an_activation_with_its_history(world, active):
    outcomes = assert_access(world.cast, "get", f"{URL}{active.pk}/", {name: 200 for name in VIEWERS},
                             others=(404, "not_found"), api=True)
    assert outcomes
    detail = world.client("authority_officer").get(f"{URL}{active.pk}/").json()
    assert detail["state"] == "active" and detail["requested_by"] == world.cast.dcc_operator1.username
    assert [(h["to_state"], h["by"]) for h in detail["history"]] == [
        ("requested", world.cast.dcc_operator1.username), ("active", world.cast.dcc_operator2.username)]
    for member in world.cast:
        listing = world.client(member.name).get(URL).json()
        assert [a["id"] for a in listing["results"]] == ([active.pk] if member.name in VIEWERS else []), member.name
