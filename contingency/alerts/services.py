"""Raising alerts: route, store, sign, queue (MP134B business requirement 7; docs/alerts.md).

Each ``raise_*`` takes validated values (or text it validates first, refusing with a stable code), and in one
transaction: routes the alert (contingency.alerts.routing), stores the Alert, builds its DUIS document
(contingency.duis.alerts; for a device alert also the GBCS alert APDU, contingency.gbcs.alerts), signs it
with the DCC's XML signing key (pki.dcc_identity), stores one Push to the recipient and writes the audit
record. The first delivery attempt is queued after the commit; the sweeper catches anything that slips.

An unroutable alert is stored all the same (``route = unroutable``, no document, no push) for the service
desk: nothing is dropped. The alert's primary key is the ResponseID counter (and the simulated device's GBCS
originator counter), so every alert's ResponseID is unique.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from lxml import etree

from pki import xmldsig
from pki.dcc_identity import dcc_signing_identity
from portal import audit
from portal.errors import Refusal
from portal.eui import InvalidEUI64, eui64_bytes, parse_eui64
from portal.models import UserID

from ..delivery.tasks import queue_after_commit
from ..duis import alerts as duis_alerts
from ..gbcs import alerts as gbcs_alerts
from ..models import Alert, AlertKind, Device, Push
from .routing import route


class AlertRefused(Refusal):
    """An alert that cannot be raised; nothing is stored. Codes: ``device-unknown``, ``alert-code-invalid``,
    ``eui64-invalid``, ``alert-message-invalid``, ``dcc-signing-identity-missing`` (docs/refusal-codes.md)."""

    code = "alert-refused"


@dataclass(frozen=True)
class Raised:
    """What a raise did: the alert, and its push (None when unroutable)."""

    alert: Alert
    push: Push | None

    @property
    def recipient(self) -> UserID | None:
        return self.alert.recipient


def find_device(device_id: str) -> Device:
    """The meter named by any EUI-64 spelling portal.eui accepts; AlertRefused otherwise."""
    try:
        eui = parse_eui64(device_id)
    except InvalidEUI64 as exc:
        raise AlertRefused(exc.message, code=exc.code) from exc
    try:
        return Device.objects.select_related("registered_supplier__party").get(eui=eui)
    except Device.DoesNotExist:
        raise AlertRefused(f"no device {eui} in the inventory", code="device-unknown") from None


def _signing_identity():
    try:
        return dcc_signing_identity()
    except LookupError as exc:
        raise AlertRefused(str(exc), code="dcc-signing-identity-missing") from exc


# build(alert, recipient EUI) -> (unsigned document, GBCS payload or b"")
Builder = Callable[[Alert, str], tuple[etree._Element, bytes]]


def _raise(*, kind: str, code: str, device: Device | None, addressed_to: UserID, build: Builder,
           at: dt.datetime, source: str, details: dict | None = None) -> Raised:
    where = route(addressed_to, at)
    identity = _signing_identity() if where.routable else None
    with transaction.atomic():
        alert = Alert.objects.create(
            kind=kind, code=code, device=device, addressed_to=addressed_to,
            recipient=where.recipient, route=where.kind, via_solr=where.via_solr, raised_at=at,
            source=source[:100], details=details or {})
        push = None
        if where.routable:
            try:
                root, payload = build(alert, where.recipient.eui)
            except (duis_alerts.AlertMessageInvalid, gbcs_alerts.AlertCodeInvalid, ValueError) as exc:
                raise AlertRefused(str(exc), code=getattr(exc, "code", "alert-message-invalid")) from exc
            certificate, key = identity
            signed = xmldsig.sign(root, key, certificate).decode("utf-8")
            alert.document = signed
            alert.gbcs_payload = payload
            alert.response_id = root.findtext(f"{duis_alerts.sr('Header')}/{duis_alerts.sr('ResponseID')}")
            alert.save(update_fields=["document", "gbcs_payload", "response_id"])
            push = Push.objects.create(key=f"alert:{alert.pk}", alert=alert, recipient=where.recipient,
                                       body=signed, next_attempt_at=at)
            queue_after_commit(push.pk)
        audit.write("alert.raise", alert, after={
            "kind": kind, "code": code, "device": device.eui if device else None,
            "addressed_to": addressed_to.eui, "recipient": where.recipient.eui if where.recipient else None,
            "route": where.kind, "push": push.pk if push else None, "response_id": alert.response_id,
        })
    return Raised(alert, push)


def raise_device_alert(device_id: str, alert_code: str | int, *, at: dt.datetime | None = None,
                       source: str = "") -> Raised:
    """A device alert as if the comms hub had received it from the meter (issue 9 point 9).

    ``device_id``: any EUI-64 spelling; ``alert_code``: hex text (``8F66``, ``0x8f66``) or an int. Refuses
    (AlertRefused, nothing stored) an unknown device, a bad code or a missing DCC signing identity."""
    try:
        code = gbcs_alerts.parse_alert_code(alert_code)
    except gbcs_alerts.AlertCodeInvalid as exc:
        raise AlertRefused(str(exc), code=exc.code) from exc
    device = find_device(device_id)
    at = at or timezone.now()
    supplier = device.registered_supplier

    def build(alert: Alert, recipient_eui: str):
        # The GBCS recipient is the registered Supplier, whoever the DCC routes the alert to (digest §7).
        payload = gbcs_alerts.alert_apdu(originator=eui64_bytes(device.eui), recipient=eui64_bytes(supplier.eui),
                                         counter=alert.pk, alert_code=code, at=at)
        root = duis_alerts.device_alert(device_eui=device.eui, recipient_eui=recipient_eui, counter=alert.pk,
                                        alert_code=code, gbcs_payload=payload, at=at)
        return root, payload

    return _raise(kind=AlertKind.DEVICE, code=gbcs_alerts.alert_code_hex(code), device=device,
                  addressed_to=supplier, build=build, at=at, source=source)


def raise_future_dated_alert(device: Device, alert_code: int, *, reference: gbcs_alerts.InstructionReference,
                             service_reference: str, service_reference_variant: str,
                             at: dt.datetime | None = None, instruction_number: int = 1,
                             total_instructions: int = 1, source: str = "") -> Raised:
    """The outcome of a future-dated command (8F66 actioned / 8F67 not), e.g. SRV 1.6 with an ExecutionDateTime
    (issue 11 raises it when the simulated device executes the command)."""
    at = at or timezone.now()
    supplier = device.registered_supplier

    def build(alert: Alert, recipient_eui: str):
        payload = gbcs_alerts.alert_apdu(originator=eui64_bytes(device.eui), recipient=eui64_bytes(supplier.eui),
                                         counter=alert.pk, alert_code=alert_code, at=at, reference=reference)
        root = duis_alerts.future_dated_alert(
            device_eui=device.eui, recipient_eui=recipient_eui, counter=alert.pk, alert_code=alert_code,
            gbcs_payload=payload, service_reference=service_reference,
            service_reference_variant=service_reference_variant, at=at, instruction_number=instruction_number,
            total_instructions=total_instructions)
        return root, payload

    return _raise(kind=AlertKind.FUTURE_DATED, code=gbcs_alerts.alert_code_hex(alert_code), device=device,
                  addressed_to=supplier, build=build, at=at, source=source,
                  details={"original_counter": reference.counter, "service_reference_variant":
                           service_reference_variant})


def raise_dcc_alert(code: str, alert: duis_alerts.DCCAlertBody, *, addressed_to: UserID, device: Device | None = None,
                    at: dt.datetime | None = None, source: str = "") -> Raised:
    """A DCC alert (``AD1`` or an N-code) for ``addressed_to``: a Supplier's User ID (routed to its SRP once its
    licence is revoked) or any other User ID (e.g. the sender of a quarantined request). ``device``: the device
    it is about, if any (its EUI leads the ResponseID; the DCC's otherwise)."""
    if code not in duis_alerts.DCC_ALERT_CODES:
        raise AlertRefused(f"{code!r} is not a DUIS DCC alert code", code="alert-code-invalid")
    at = at or timezone.now()
    subject_eui = device.eui if device else parse_eui64(settings.DCC_USER_ID)

    def build(stored: Alert, recipient_eui: str):
        root = duis_alerts.dcc_alert(code=code, subject_eui=subject_eui, recipient_eui=recipient_eui,
                                     counter=stored.pk, alert=alert, at=at)
        return root, b""

    details = {"type": type(alert).__name__, **vars(alert)}
    return _raise(kind=AlertKind.DCC, code=code, device=device, addressed_to=addressed_to, build=build, at=at,
                  source=source, details=details)
