"""Who may use each event page (issue 9 point 4): every view tried with the whole cast (tests/helpers/cast.py) and
an anonymous visitor. DCC operators and the Authority officer see and record; only DCC operators switch the
contingency (and not the one who requested it, for the approval); the SRP's SRO and ARO and the outsider get 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contingency.models import Activation, ActivationState, LicenceRevocation
from tests.helpers.permissions import assert_access

from .world import event, make_world

pytestmark = pytest.mark.django_db

VIEWERS = {"dcc_operator1": 200, "dcc_operator2": 200, "authority_officer": 200}


@pytest.fixture
def world_event(cast):
    return event(cast)


@pytest.mark.parametrize("name", ["events:list", "events:record-revocation", "events:record-instruction"])
def test_the_pages_without_an_object(cast, name):
    assert_access(cast, "get", reverse(name), VIEWERS, others=403)


def test_the_event_page_and_its_evidence(cast, world_event):
    _, instruction = world_event
    assert_access(cast, "get", reverse("events:detail", args=[instruction.pk]), VIEWERS, others=403)
    results = assert_access(cast, "get", reverse("events:evidence", args=[instruction.pk]), VIEWERS, others=403)
    assert results["outsider"].status == 403


def test_the_deferral_page(cast, world_event):
    revocation = LicenceRevocation.objects.get()
    assert_access(cast, "get", reverse("events:record-deferral", args=[revocation.pk]), VIEWERS, others=403)


def test_nobody_outside_the_service_desk_and_the_authority_records_anything(cast):
    world = make_world(cast)
    data = {"supplier": world.failed.pk, "effective_at": "2026-01-01T00:00", "solr": world.last_resort.pk}
    refused = {m.name: 403 for m in cast if m.name not in VIEWERS}
    # The first recorder's revocation is stored (302 to the list); the same Supplier again is refused (400).
    assert_access(cast, "post", reverse("events:record-revocation"), {
        "dcc_operator1": 302, "dcc_operator2": 400, "authority_officer": 400, **refused}, data=data)
    assert LicenceRevocation.objects.get().recorded_by == cast.dcc_operator1.user


def test_only_a_dcc_operator_requests_an_activation(cast, world_event):
    _, instruction = world_event
    # dcc_operator1 goes first and requests; the second finds it live already (409 activation-exists).
    assert_access(cast, "post", reverse("events:activation-request", args=[instruction.pk]),
                  {"dcc_operator1": 302, "dcc_operator2": 409}, others=403)
    activation = Activation.objects.get()
    assert activation.requested_by == cast.dcc_operator1.user and activation.state == ActivationState.REQUESTED


def test_only_another_dcc_operator_approves(cast, world_event):
    from contingency.events.activation import request_activation

    _, instruction = world_event
    activation = request_activation(cast.dcc_operator1.user, instruction)
    assert_access(cast, "post", reverse("events:activation-action", args=[activation.pk, "approve"]),
                  {"dcc_operator1": 403, "dcc_operator2": 302}, others=403, data={"version": activation.version})
    activation.refresh_from_db()
    assert activation.state == ActivationState.ACTIVE and activation.approved_by == cast.dcc_operator2.user


@pytest.mark.parametrize("action", ["suspend", "end"])
def test_only_a_dcc_operator_suspends_or_ends(cast, world_event, action):
    from contingency.events.activation import approve_activation, request_activation

    _, instruction = world_event
    activation = request_activation(cast.dcc_operator1.user, instruction)
    activation = approve_activation(cast.dcc_operator2.user, activation.pk)
    # The Authority officer and the rest are refused first (nothing changes), then dcc_operator1 acts; the
    # second operator's click, with the version of the page it saw, is refused as someone else came first.
    version = activation.version
    assert_access(cast, "post", reverse("events:activation-action", args=[activation.pk, action]),
                  {"dcc_operator1": 302, "dcc_operator2": 409}, others=403, data={"version": version})
    activation.refresh_from_db()
    assert activation.state == {"suspend": ActivationState.SUSPENDED, "end": ActivationState.ENDED}[action]
    assert activation.version == version + 1


def test_an_unknown_event_is_404_for_viewers_and_403_for_the_rest(cast):
    assert_access(cast, "get", reverse("events:detail", args=[999]), {k: 404 for k in VIEWERS}, others=403)
    assert_access(cast, "get", reverse("events:evidence", args=[999]), {k: 404 for k in VIEWERS}, others=403)


def test_an_unknown_action_is_404(cast, world_event):
    from contingency.events.activation import request_activation

    _, instruction = world_event
    activation = request_activation(cast.dcc_operator1.user, instruction)
    response = cast.dcc_operator2.client.post(f"/events/activations/{activation.pk}/delete/")
    assert response.status_code == 404
    assert Activation.objects.get().state == ActivationState.REQUESTED



def test_only_the_service_desk_and_the_authority_record_instructions_and_deferrals(cast):
    from datetime import timedelta

    from django.conf import settings
    from django.shortcuts import resolve_url
    from django.test import Client
    from django.utils import timezone

    from contingency.events.records import record_licence_revocation
    from contingency.models import Instruction

    from .world import pdf_upload

    world = make_world(cast)
    later = timezone.now() + timedelta(days=1)
    revocation = record_licence_revocation(cast.authority_officer.user, supplier=world.failed, effective_at=later,
                                           solr=world.last_resort)
    expected = {**VIEWERS, **{m.name: 403 for m in cast if m.name not in VIEWERS}}
    found = {}
    for member in cast:
        instruction = member.client.post(reverse("events:record-instruction"), {
            "reference": f"REF-{member.name}", "supplier": world.failed.pk, "contingency_user_id": world.solr_uid.pk,
            "srvs": "1.6", "scope": "all", "valid_from": (later + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "valid_to": (later + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M"), "evidence": pdf_upload()})
        deferral = member.client.post(reverse("events:record-deferral", args=[revocation.pk]), {
            "until": (later + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"), "decided_by": f"PMA via {member.name}"})
        found[member.name] = (instruction.status_code, deferral.status_code)
    assert found == {name: (302, 302) if status == 200 else (403, 403) for name, status in expected.items()}
    assert sorted(Instruction.objects.values_list("reference", flat=True)) == [
        "REF-authority_officer", "REF-dcc_operator1", "REF-dcc_operator2"]
    revocation.refresh_from_db()
    assert revocation.deferral_decided_by == "PMA via authority_officer"  # the last permitted one
    anonymous = Client().post(reverse("events:record-deferral", args=[revocation.pk]), {})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(resolve_url(settings.LOGIN_URL))


def test_only_a_dcc_operator_resumes(cast, world_event):
    from contingency.events.activation import approve_activation, request_activation, suspend_activation

    _, instruction = world_event
    activation = request_activation(cast.dcc_operator1.user, instruction)
    approve_activation(cast.dcc_operator2.user, activation.pk)
    activation = suspend_activation(cast.dcc_operator2.user, activation.pk)
    assert_access(cast, "post", reverse("events:activation-action", args=[activation.pk, "resume"]),
                  {"dcc_operator1": 302, "dcc_operator2": 409}, others=403, data={"version": activation.version})
    activation.refresh_from_db()
    assert activation.state == ActivationState.ACTIVE
