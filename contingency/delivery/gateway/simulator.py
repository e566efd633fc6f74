"""The simulated SMETS2 communications hub (SMETS2+ meters) and SMETS1 service provider (SMETS1 meters) behind
the gateway interface (docs/device-gateway.md).

Per command: the network may fail (``SOLR_GATEWAY_FAILURE_RATE``: E20 at once, or E21 after
``SOLR_GATEWAY_RESPONSE_TIMEOUT_SECONDS``; a meter's ``behaviour`` can force either), the round trip takes
``SOLR_GATEWAY_LATENCY_SECONDS`` ± ``SOLR_GATEWAY_JITTER_SECONDS``, then the meter (:mod:`.meter`) processes the
command in one transaction with its row locked: the counter it accepted, the payment mode it set
(``Device.payment_mode``, with a ``device.payment_mode`` audit record), the future-dated change it keeps or
cancels. Nothing is kept in memory: every worker sees the same meters, and a restart loses nothing.

``execute_due`` carries out the kept changes whose time has come and raises the 8F66 alert
(contingency.alerts.services.raise_future_dated_alert: routed like any alert, to the SRP after a licence
revocation). The clock, the random source and the sleep are attributes, so tests move time instead of waiting.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from portal import audit
from portal.eui import InvalidEUI64, parse_eui64

from ... import conf
from ...alerts import services as alerts
from ...gbcs import alerts as gbcs_alerts
from ...gbcs import command as gbcs_command
from ...gbcs import precommand as pcm
from ...gbcs.decode import decode
from ...gbcs.errors import GbcsRefused
from ...models import Device, MeterBehaviour, ScheduledChange, ScheduledState, SimulatedMeter
from . import meter
from .interface import GatewayRefused, GatewayResult, Outcome
from .keys import SimulatedKeys

# What the 8F66 alert names as the attribute the command set (reference digest §7): the Account's activation
# time for electricity; for gas the ZSE Prepayment cluster's Change Payment Mode command (cluster 0705, command
# 06) in the same fields, as the DLMS-format alert has no GBZ variant here (docs/device-gateway.md).
_GAS_REFERENCE = (pcm.ZSE_PREPAYMENT_CLUSTER, bytes(6), pcm.CHANGE_PAYMENT_MODE)


class SimulatedGateway:
    def __init__(self, *, keys: meter.MeterKeys | None = None, clock=None, sleep=None,
                 rng: random.Random | None = None):
        self.keys = keys or SimulatedKeys()
        self.clock = clock or timezone.now
        self.sleep = sleep or time.sleep
        self.rng = rng or random.Random()

    # --- sending ---------------------------------------------------------------------------------------------

    def send(self, device: Device | str, command: bytes, *, request_ref: str) -> GatewayResult:
        """Deliver ``command`` to the meter and bring back its answer (see the module's docstring)."""
        device = _device(device)
        if not isinstance(request_ref, str) or not 0 < len(request_ref) <= 80:
            raise GatewayRefused("request_ref is the DUIS RequestID (1 to 80 characters)", code="request-ref-invalid")
        command = bytes(command)
        sent_at = self.clock()
        behaviour = (SimulatedMeter.objects.filter(device=device).values_list("behaviour", flat=True).first()
                     or MeterBehaviour.NORMAL)
        failure = self._failure(behaviour)
        if failure == Outcome.UNREACHABLE:
            return GatewayResult(device.eui, request_ref, Outcome.UNREACHABLE, sent_at, self.clock())
        if failure == Outcome.NO_RESPONSE:
            self.sleep(conf.get("SOLR_GATEWAY_RESPONSE_TIMEOUT_SECONDS"))
            return GatewayResult(device.eui, request_ref, Outcome.NO_RESPONSE, sent_at, self.clock())
        self.sleep(self._latency())
        outcome = self._deliver(device, command, request_ref)
        return GatewayResult(device.eui, request_ref, Outcome.RESPONDED, sent_at, self.clock(), outcome.response,
                             outcome.success, outcome.refusal)

    def schedule(self, device: Device | str, command: bytes, *, request_ref: str) -> GatewayResult:
        """Send a future-dated command (the meter keeps it until its execution time)."""
        if _execution(command) in (None, pcm.CANCEL):
            raise GatewayRefused("the command has no future execution time", code="gateway-not-future-dated")
        return self.send(device, command, request_ref=request_ref)

    def cancel(self, device: Device | str, command: bytes, *, request_ref: str) -> GatewayResult:
        """Send a cancellation (execution time: the cancellation value): the meter drops its kept change."""
        if _execution(command) is not pcm.CANCEL:
            raise GatewayRefused("the command does not carry the cancellation value", code="gateway-not-a-cancellation")
        return self.send(device, command, request_ref=request_ref)

    def scheduled(self, device: Device | str) -> list[ScheduledChange]:
        return list(ScheduledChange.objects.pending().filter(device=_device(device)))

    def _failure(self, behaviour: str) -> Outcome | None:
        if behaviour == MeterBehaviour.UNREACHABLE:
            return Outcome.UNREACHABLE
        if behaviour == MeterBehaviour.SILENT:
            return Outcome.NO_RESPONSE
        rate = conf.get("SOLR_GATEWAY_FAILURE_RATE")
        if rate and self.rng.random() < rate:
            return Outcome.UNREACHABLE if self.rng.random() < 0.5 else Outcome.NO_RESPONSE
        return None

    def _latency(self) -> float:
        mean, jitter = conf.get("SOLR_GATEWAY_LATENCY_SECONDS"), conf.get("SOLR_GATEWAY_JITTER_SECONDS")
        return max(0.0, mean + self.rng.uniform(-jitter, jitter))

    def _deliver(self, device: Device, command: bytes, request_ref: str) -> meter.Outcome:
        with transaction.atomic():
            SimulatedMeter.objects.get_or_create(device=device)
            state_row = SimulatedMeter.objects.select_for_update().get(device=device)
            device = Device.objects.select_for_update().select_related("registered_supplier").get(pk=device.pk)
            now = self.clock()
            state = meter.MeterState(
                device=device.eui, kind=device.device_type, generation=device.generation,
                payment_mode=device.payment_mode, supplier=device.registered_supplier.eui,
                counters={k: int(v) for k, v in state_row.counters.items()},
                fault=state_row.behaviour == MeterBehaviour.FAULT)
            try:
                outcome = meter.receive(command, state, self.keys, now)
            except meter.MeterRefused as exc:
                raise GatewayRefused(exc.message, code=exc.code) from None
            if outcome.counter:
                originator, counter = outcome.counter
                state_row.counters = {**state_row.counters, originator: str(counter)}
            state_row.commands += 1
            state_row.last_command_at = now
            state_row.save(update_fields=["counters", "commands", "last_command_at"])
            with audit.acting_as("system:device-gateway", request_ref):
                if outcome.payment_mode:
                    set_payment_mode(device, outcome.payment_mode, why=f"command {request_ref}")
                if outcome.cancel:
                    _cancel_pending(device, by=request_ref, at=now)
                if outcome.scheduled:
                    _cancel_pending(device, by=f"replaced by {request_ref}", at=now)
                    s = outcome.scheduled
                    kept = ScheduledChange.objects.create(
                        device=device, originator=s.originator, counter=Decimal(s.counter),
                        message_code=s.message_code, payment_mode=s.payment_mode, execute_at=s.execute_at,
                        request_ref=request_ref)
                    audit.write("gateway.schedule", kept, after={
                        "device": device.eui, "payment_mode": s.payment_mode, "execute_at": s.execute_at.isoformat(),
                        "request": request_ref})
                if outcome.refusal:
                    audit.write("gateway.refused", device, after={"request": request_ref, "code": outcome.refusal})
        return outcome

    # --- future-dated execution ----------------------------------------------------------------------------

    def execute_due(self, at: dt.datetime | None = None, limit: int | None = None) -> list[ScheduledChange]:
        """Carry out every kept change due at ``at`` (now): the meter changes, then raises 8F66. Each in its own
        transaction, taken by compare-and-set, so two workers never execute one twice. An alert that cannot be
        raised yet (e.g. no DCC signing key) is retried on the next run; the meter has changed regardless."""
        at = at or self.clock()
        limit = limit or conf.get("SOLR_GATEWAY_EXECUTE_BATCH")
        done = []
        for pk in list(ScheduledChange.objects.due(at).values_list("pk", flat=True)[:limit]):
            with transaction.atomic(), audit.acting_as("system:device-gateway"):
                if not ScheduledChange.objects.filter(pk=pk, state=ScheduledState.PENDING).update(
                        state=ScheduledState.EXECUTED, finished_at=at):
                    continue  # cancelled or executed meanwhile
                change = ScheduledChange.objects.select_related("device").get(pk=pk)
                device = Device.objects.select_for_update().get(pk=change.device_id)
                set_payment_mode(device, change.payment_mode, why=f"future-dated command {change.request_ref}")
                audit.write("gateway.execute", change, after={"device": device.eui, "request": change.request_ref})
                self._alert(change, device)
            done.append(change)
        for pk in list(ScheduledChange.objects.filter(state=ScheduledState.EXECUTED, alert__isnull=True)
                       .exclude(alert_error="").values_list("pk", flat=True)[:limit]):
            with transaction.atomic(), audit.acting_as("system:device-gateway"):
                change = ScheduledChange.objects.select_for_update().select_related("device").filter(
                    pk=pk, alert__isnull=True).first()
                if change is not None:
                    self._alert(change, change.device)
        return done

    def _alert(self, change: ScheduledChange, device: Device) -> None:
        code = change.message_code
        if code in pcm.ESME_MESSAGE_CODES:
            ic, obis, attribute = gbcs_alerts.ACCOUNT_IC, gbcs_alerts.ACCOUNT_OBIS, gbcs_alerts.ACCOUNT_ACTIVATION
        else:
            ic, obis, attribute = _GAS_REFERENCE
        reference = gbcs_alerts.InstructionReference(code, int(change.counter), ic, obis, attribute)
        try:
            with transaction.atomic():
                raised = alerts.raise_future_dated_alert(
                    device, gbcs_alerts.FUTURE_DATED_SUCCESS, reference=reference, service_reference="1.6",
                    service_reference_variant="1.6", at=change.execute_at, source="device gateway: future-dated")
        except alerts.AlertRefused as exc:
            change.alert_error = f"{exc.code}: {exc.message}"[:200]
            change.save(update_fields=["alert_error"])
            return
        change.alert, change.alert_error = raised.alert, ""
        change.save(update_fields=["alert", "alert_error"])

    # --- alerts the device raises ----------------------------------------------------------------------------

    def device_alert(self, device_id: str, alert_code: str | int, *, at: dt.datetime | None = None,
                     source: str = "") -> alerts.Raised:
        """A device alert as the comms hub passes it on (manage.py device_alert): routed, signed, pushed."""
        return alerts.raise_device_alert(device_id, alert_code, at=at, source=source or "device gateway")


def set_payment_mode(device: Device, mode: str, *, why: str) -> None:
    """The one writer of ``Device.payment_mode`` outside the inventory's own import paths: the meter applied a
    command. Audited as ``device.payment_mode`` with before and after."""
    before = device.payment_mode
    if before == mode:
        return
    Device.objects.filter(pk=device.pk).update(payment_mode=mode, updated_at=timezone.now())
    device.payment_mode = mode
    audit.write("device.payment_mode", device, before={"payment_mode": before},
                after={"payment_mode": mode, "why": why})


def _cancel_pending(device: Device, *, by: str, at: dt.datetime) -> None:
    for change in ScheduledChange.objects.pending().filter(device=device):
        ScheduledChange.objects.filter(pk=change.pk, state=ScheduledState.PENDING).update(
            state=ScheduledState.CANCELLED, finished_at=at, cancelled_by=by[:80])
        audit.write("gateway.cancel", change, after={"device": device.eui, "by": by})


def _device(device: Device | str) -> Device:
    if isinstance(device, Device):
        return device
    try:
        eui = parse_eui64(device)
    except (InvalidEUI64, TypeError) as exc:
        raise GatewayRefused(str(exc), code="eui64-invalid") from None
    try:
        return Device.objects.get(eui=eui)
    except Device.DoesNotExist:
        raise GatewayRefused(f"no device {eui} in the inventory", code="device-unknown") from None


def _execution(command: bytes):
    """The execution value of an SRV 1.6 command as sent (None: immediate; CANCEL; a datetime)."""
    try:
        return decode(gbcs_command.unwrap(bytes(command))).precommand.execution
    except GbcsRefused as exc:
        raise GatewayRefused(exc.message, code="gateway-command-invalid") from None
