"""The simulated gateway with its state in the database: payment mode changed only by a command the meter
accepts (audited), counters kept across gateway instances (a worker restart), future-dated changes executed at their
time with the 8F66 alert routed like any alert (to the SRP after a licence revocation) and stopped by a
cancellation, latency and failures from the settings, E21 after the response timeout."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from contingency.delivery.gateway import keys as gateway_keys
from contingency.delivery.gateway.interface import GatewayRefused, Outcome, get_gateway
from contingency.delivery.gateway.simulator import SimulatedGateway
from contingency.gbcs import precommand as pcm
from contingency.gbcs.response import decode_response
from contingency.gbcs.signature import verify
from contingency.models import Alert, AlertKind, MeterBehaviour, ScheduledChange, ScheduledState, SimulatedMeter
from portal.models import AuditRecord

from .conftest import command

pytestmark = pytest.mark.django_db(transaction=False)


def mode(device) -> str:
    device.refresh_from_db()
    return device.payment_mode


def test_an_immediate_credit_command_switches_the_meter_and_answers_i0(world, gateway, clock):
    result = gateway.send(world.device, command(world, world.device, 5000), request_ref="ref-1")
    assert result.outcome == Outcome.RESPONDED and result.response_code == "I0" and result.meter_success
    assert mode(world.device) == "credit"
    response = verify(result.response, gateway_keys.device_signing_key(world.device.eui).public_key())
    assert response.counter == 5000 and decode_response(result.response).success
    assert SimulatedMeter.objects.get(device=world.device).counters == {world.supplier.eui: "5000"}
    record = AuditRecord.objects.filter(action="device.payment_mode").get()
    assert (record.before, record.after["payment_mode"]) == ({"payment_mode": "prepayment"}, "credit")
    assert result.elapsed_seconds == pytest.approx(clock.slept[0], abs=1e-6)  # the latency slept


def test_a_gas_meter_too(world, gateway):
    result = gateway.send(world.gas.eui.lower().replace("-", ""), command(world, world.gas, 7), request_ref="ref-g")
    assert result.meter_success and decode_response(result.response).use_case == "GCS02"
    assert mode(world.gas) == "credit"


def test_a_replayed_command_is_refused_by_the_meter_even_after_a_restart(world, gateway, clock):
    sent = command(world, world.device, 5000)
    assert gateway.send(world.device, sent, request_ref="ref-1").meter_success
    world.device.payment_mode = "prepayment"  # as if another command had switched it back
    world.device.save()
    restarted = SimulatedGateway(clock=clock, sleep=clock.sleep)  # a new worker: nothing kept in memory
    replay = restarted.send(world.device, sent, request_ref="ref-2")
    assert replay.response_code == "I0" and replay.refusal == "gbcs-counter-replayed" and not replay.meter_success
    assert mode(world.device) == "prepayment"


def test_a_command_signed_with_another_key_changes_nothing(world, gateway):
    forged = command(world, world.device, 5000, key=ec.generate_private_key(ec.SECP256R1()))
    result = gateway.send(world.device, forged, request_ref="ref-1")
    assert result.refusal == "gbcs-signature-invalid" and not decode_response(result.response).success
    assert mode(world.device) == "prepayment"
    assert AuditRecord.objects.filter(action="gateway.refused").count() == 1


def test_a_command_the_supplier_signed_before_its_certificate_was_revoked_still_works(world, gateway):
    """A meter has no CRL: after the licence revocation it obeys the failed Supplier's key (DESIGN §2 step 5)."""
    from pki.models import Certificate

    Certificate.objects.filter(subject_eui=world.supplier.eui).update(revoked_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert gateway.send(world.device, command(world, world.device, 9), request_ref="r").meter_success


@pytest.mark.parametrize("bad, code", [("00-DB-00-00-00-00-00-01", "device-unknown"), ("nope", "eui64-invalid")])
def test_an_unknown_device_is_refused(world, gateway, bad, code):
    with pytest.raises(GatewayRefused) as caught:
        gateway.send(bad, command(world, world.device, 1), request_ref="r")
    assert caught.value.code == code


def test_a_command_for_another_meter_is_refused_and_changes_nothing(world, gateway):
    with pytest.raises(GatewayRefused) as caught:
        gateway.send(world.gas, command(world, world.device, 1), request_ref="r")
    assert caught.value.code == "gateway-device-mismatch"
    assert not SimulatedMeter.objects.exists() and mode(world.device) == "prepayment"


def test_latency_is_the_mean_plus_or_minus_the_jitter(world, clock, settings):
    settings.SOLR_GATEWAY_LATENCY_SECONDS, settings.SOLR_GATEWAY_JITTER_SECONDS = 0.5, 0.1
    gateway = SimulatedGateway(clock=clock, sleep=clock.sleep, rng=random.Random(1))
    for n in range(20):
        gateway.send(world.device, command(world, world.device, 100 + n), request_ref=f"r{n}")
    assert len(clock.slept) == 20 and all(0.4 <= s <= 0.6 for s in clock.slept)
    assert max(clock.slept) - min(clock.slept) > 0.05  # jitter, not a constant


def test_failures_are_e20_at_once_or_e21_after_the_timeout_and_leave_the_meter_alone(world, clock, settings):
    settings.SOLR_GATEWAY_FAILURE_RATE, settings.SOLR_GATEWAY_RESPONSE_TIMEOUT_SECONDS = 1.0, 7.0
    gateway = SimulatedGateway(clock=clock, sleep=clock.sleep, rng=random.Random(3))
    results = [gateway.send(world.device, command(world, world.device, 10 + n), request_ref=f"r{n}") for n in range(12)]
    codes = {r.response_code for r in results}
    assert codes == {"E20", "E21"} and all(r.response is None for r in results)
    assert all(r.elapsed_seconds == 7.0 for r in results if r.response_code == "E21")
    assert all(r.elapsed_seconds == 0 for r in results if r.response_code == "E20")
    assert mode(world.device) == "prepayment" and not SimulatedMeter.objects.filter(commands__gt=0).exists()


def test_the_default_failure_rate_is_zero(world, gateway):
    results = [gateway.send(world.device, command(world, world.device, 10 + n), request_ref=f"r{n}") for n in range(30)]
    assert {r.response_code for r in results} == {"I0"}


@pytest.mark.parametrize("behaviour, code", [(MeterBehaviour.UNREACHABLE, "E20"), (MeterBehaviour.SILENT, "E21")])
def test_a_meter_told_to_fail_fails(world, gateway, behaviour, code):
    SimulatedMeter.objects.create(device=world.device, behaviour=behaviour)
    assert gateway.send(world.device, command(world, world.device, 1), request_ref="r").response_code == code
    assert mode(world.device) == "prepayment"


def test_a_faulty_meter_answers_its_error_and_stays(world, gateway):
    SimulatedMeter.objects.create(device=world.device, behaviour=MeterBehaviour.FAULT)
    result = gateway.send(world.device, command(world, world.device, 1), request_ref="r")
    assert result.response_code == "I0" and decode_response(result.response).results == (0, 1, 0xFA)
    assert mode(world.device) == "prepayment"


# --- future-dated ---------------------------------------------------------------------------------------

def test_a_future_dated_change_happens_at_its_time_and_raises_8f66_to_the_supplier(world, gateway, clock):
    at = clock.now + dt.timedelta(hours=1)
    result = gateway.schedule(world.device, command(world, world.device, 42, execution=at), request_ref="ref-f")
    assert result.meter_success and mode(world.device) == "prepayment"
    assert [c.execute_at for c in gateway.scheduled(world.device)] == [at]
    assert gateway.execute_due(at - dt.timedelta(seconds=1)) == [] and mode(world.device) == "prepayment"
    [done] = gateway.execute_due(at + dt.timedelta(seconds=1))
    assert mode(world.device) == "credit" and done.state == ScheduledState.EXECUTED
    alert = Alert.objects.get(kind=AlertKind.FUTURE_DATED)
    assert (alert.code, alert.device, alert.recipient, alert.raised_at) == ("8F66", world.device, world.supplier, at)
    assert alert.details["reference"]["counter"] == 42 and done.alert == alert
    assert gateway.execute_due(at + dt.timedelta(hours=2)) == []  # once
    assert Alert.objects.count() == 1


def test_after_a_licence_revocation_the_8f66_alert_goes_to_the_srp(world, gateway, clock):
    world.revoke_licence()
    world.instruct(world.srp_solr)
    at = clock.now + dt.timedelta(minutes=5)
    gateway.schedule(world.device, command(world, world.device, 43, execution=at), request_ref="ref-f")
    gateway.execute_due(at)
    alert = Alert.objects.get(code="8F66")
    assert alert.recipient == world.srp_solr and alert.via_solr and alert.addressed_to == world.supplier


def test_a_cancellation_stops_the_pending_change(world, gateway, clock):
    at = clock.now + dt.timedelta(hours=1)
    gateway.schedule(world.device, command(world, world.device, 50, execution=at), request_ref="ref-f")
    cancel = gateway.cancel(world.device, command(world, world.device, 51, execution=pcm.CANCEL), request_ref="ref-c")
    assert cancel.meter_success and gateway.scheduled(world.device) == []
    assert ScheduledChange.objects.get().cancelled_by == "ref-c"
    assert gateway.execute_due(at + dt.timedelta(days=1)) == []
    assert mode(world.device) == "prepayment" and not Alert.objects.exists()


def test_a_second_future_dated_change_replaces_the_first(world, gateway, clock):
    first, second = clock.now + dt.timedelta(hours=1), clock.now + dt.timedelta(hours=2)
    gateway.schedule(world.device, command(world, world.device, 60, execution=first), request_ref="a")
    gateway.schedule(world.device, command(world, world.device, 61, execution=second), request_ref="b")
    assert [c.request_ref for c in gateway.scheduled(world.device)] == ["b"]


def test_schedule_and_cancel_check_what_they_carry(world, gateway, clock):
    with pytest.raises(GatewayRefused) as caught:
        gateway.schedule(world.device, command(world, world.device, 1), request_ref="r")
    assert caught.value.code == "gateway-not-future-dated"
    with pytest.raises(GatewayRefused) as caught:
        gateway.cancel(world.device, command(world, world.device, 1, execution=clock.now + dt.timedelta(hours=1)),
                       request_ref="r")
    assert caught.value.code == "gateway-not-a-cancellation"


def test_an_alert_that_cannot_be_raised_yet_is_raised_on_a_later_run(world, gateway, clock, monkeypatch):
    from contingency.alerts import services

    at = clock.now + dt.timedelta(minutes=1)
    gateway.schedule(world.device, command(world, world.device, 70, execution=at), request_ref="r")

    def missing():
        raise services.AlertRefused("no key", code="dcc-signing-identity-missing")

    with monkeypatch.context() as m:
        m.setattr(services, "_signing_identity", missing)
        gateway.execute_due(at)
    change = ScheduledChange.objects.get()
    assert mode(world.device) == "credit" and change.alert is None
    assert change.alert_error.startswith("dcc-signing-identity-missing")
    gateway.execute_due(at + dt.timedelta(seconds=5))
    change.refresh_from_db()
    assert change.alert is not None and change.alert_error == "" and Alert.objects.count() == 1


def test_the_beat_task_executes_due_changes_when_time_has_moved(world, clock, monkeypatch):
    from contingency.delivery.gateway import simulator, tasks

    at = clock.now + dt.timedelta(hours=3)
    get_gateway().schedule(world.device, command(world, world.device, 80, execution=at), request_ref="r")
    assert tasks.execute_due() == 0 and mode(world.device) == "prepayment"
    monkeypatch.setattr(simulator.timezone, "now", lambda: at + dt.timedelta(seconds=1))
    assert tasks.execute_due() == 1 and mode(world.device) == "credit"


def test_the_door_for_device_alerts(world, gateway):
    raised = get_gateway().device_alert(world.device.eui.lower(), "0x8F20")
    assert raised.alert.code == "8F20" and raised.alert.kind == AlertKind.DEVICE and raised.recipient == world.supplier
