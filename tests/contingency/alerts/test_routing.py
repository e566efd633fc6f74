"""Routing (MP134B requirement 7; issue 9 point 6): to the registered Supplier while its licence stands; once it
is revoked, to the SRP's SoLR Contingency User ID — the newest instruction's, whatever the activation's state,
else the arranged SRP's — and, with neither, kept as unroutable, never dropped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contingency.alerts import routing
from contingency.alerts.services import raise_device_alert
from contingency.models import ActivationState, Alert, Push, RouteKind
from portal.models import AuditRecord, SRPArrangement

from .world import other_srp_solr_uid

pytestmark = pytest.mark.django_db


def test_before_revocation_the_alert_goes_to_the_registered_supplier(world):
    raised = raise_device_alert(world.device.eui, "8F20")
    alert = raised.alert
    assert (alert.recipient, alert.route, alert.via_solr) == (world.supplier, RouteKind.DIRECT, False)
    assert raised.push.recipient == world.supplier
    assert alert.response_id == f"{world.device.eui}:{world.supplier.eui}:{alert.pk}"


def test_after_revocation_with_no_instruction_the_arranged_srp_gets_it(world):
    world.revoke_licence()
    alert = raise_device_alert(world.device.eui, "8F20").alert
    assert (alert.recipient, alert.route, alert.via_solr) == (world.srp_solr, RouteKind.SOLR_ARRANGEMENT, True)
    assert alert.addressed_to == world.supplier  # still the failed Supplier's alert
    assert alert.response_id == f"{world.device.eui}:{world.srp_solr.eui}:{alert.pk}"


def test_a_revocation_not_yet_in_effect_changes_nothing(world):
    world.revoke_licence(at=timezone.now() + dt.timedelta(hours=1))
    assert raise_device_alert(world.device.eui, "8F20").alert.recipient == world.supplier


@pytest.mark.parametrize("state", [ActivationState.REQUESTED, ActivationState.ACTIVE, ActivationState.SUSPENDED,
                                   ActivationState.ENDED, None])
def test_after_revocation_the_newest_instructions_user_id_gets_it_whatever_the_activation(world, state):
    """The instruction names an SRP User ID other than the arranged one: the instruction wins, for the whole
    event (requested, active, suspended; before any activation too)."""
    world.revoke_licence()
    other = other_srp_solr_uid()
    world.instruct(world.srp_solr, reference="OFG-old", recorded_at=timezone.now() - dt.timedelta(days=2))
    newest = world.instruct(other, reference="OFG-new")
    if state is not None:
        world.activation(newest, state)
    alert = raise_device_alert(world.device.eui, "8F20").alert
    assert (alert.recipient, alert.route, alert.via_solr) == (other, RouteKind.SOLR_INSTRUCTION, True)


def test_the_registry_licence_status_alone_also_counts_as_revoked(world):
    party = world.supplier.party
    party.licence_status, party.licence_revoked_at = "revoked", timezone.now()
    party.save()
    assert routing.route(world.supplier).recipient == world.srp_solr


def test_unroutable_alert_is_kept_and_listed_not_dropped(world):
    world.revoke_licence()
    SRPArrangement.objects.all().delete()
    raised = raise_device_alert(world.device.eui, "8F20")
    alert = Alert.objects.get(pk=raised.alert.pk)
    assert (alert.route, alert.recipient, raised.push) == (RouteKind.UNROUTABLE, None, None)
    assert list(Alert.objects.unroutable()) == [alert]
    assert Push.objects.count() == 0
    assert AuditRecord.objects.filter(action="alert.raise", subject_id=str(alert.pk)).exists()


def test_an_arrangement_that_ended_does_not_route(world):
    world.revoke_licence()
    SRPArrangement.objects.update(valid_to=dt.date(2021, 1, 1))
    assert routing.route(world.supplier).kind == RouteKind.UNROUTABLE


def test_the_unroutable_list_is_in_the_service_desks_admin(world, admin_client):
    world.revoke_licence()
    SRPArrangement.objects.all().delete()
    alert = raise_device_alert(world.device.eui, "8F20").alert
    page = admin_client.get("/admin/contingency/alert/?route__exact=unroutable")
    assert page.status_code == 200
    assert f"/admin/contingency/alert/{alert.pk}/change/" in page.content.decode()


@pytest.mark.parametrize("kind", ["device", "dcc"])
def test_an_unroutable_alert_is_sent_once_a_route_appears(world, kind, duis_schema):
    from contingency.alerts import tasks
    from contingency.alerts.services import raise_dcc_alert
    from contingency.duis.alerts import CommandFailure

    world.revoke_licence()
    SRPArrangement.objects.all().delete()
    if kind == "device":
        raised = raise_device_alert(world.device.eui, "8F20")
    else:
        raised = raise_dcc_alert("N12", CommandFailure(f"{world.supplier.eui}:{world.device.eui}:9", world.device.eui),
                                 addressed_to=world.supplier, device=world.device)
    assert tasks.reroute_unroutable() == 0  # still nowhere to go
    world.instruct(world.srp_solr)
    assert tasks.reroute_unroutable() == 1
    assert tasks.reroute_unroutable() == 0  # once
    alert = Alert.objects.get(pk=raised.alert.pk)
    assert (alert.route, alert.recipient, alert.via_solr) == (RouteKind.SOLR_INSTRUCTION, world.srp_solr, True)
    push = Push.objects.get(alert=alert)
    assert push.body == alert.document and push.recipient == world.srp_solr
    from lxml import etree

    assert duis_schema.errors(etree.fromstring(alert.document.encode())) == []
    assert alert.response_id == f"{world.device.eui}:{world.srp_solr.eui}:{alert.pk}"
    assert AuditRecord.objects.filter(action="alert.reroute", subject_id=str(alert.pk)).exists()


def test_a_dcc_alert_about_a_supplier_follows_the_same_route(world):
    from contingency.alerts.services import raise_dcc_alert
    from contingency.duis.alerts import CommandFailure

    body = CommandFailure(f"{world.supplier.eui}:{world.device.eui}:9", world.device.eui)
    before = raise_dcc_alert("N12", body, addressed_to=world.supplier).alert
    world.revoke_licence()
    world.instruct(world.srp_solr)
    after = raise_dcc_alert("N12", body, addressed_to=world.supplier).alert
    assert (before.recipient, before.via_solr) == (world.supplier, False)
    assert (after.recipient, after.route, after.via_solr) == (world.srp_solr, RouteKind.SOLR_INSTRUCTION, True)
    # No device named: the DCC's EUI leads the ResponseID.
    assert after.response_id == f"90-B3-D5-1F-30-00-00-02:{world.srp_solr.eui}:{after.pk}"
