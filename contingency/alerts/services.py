"""Raising alerts: route, store, sign, queue (MP134B business requirement 7; docs/alerts.md).

Each ``raise_*`` takes validated values (or text it validates first, refusing with a stable code), and in one
transaction: routes the alert (contingency.alerts.routing), stores the Alert, builds its DUIS document
(contingency.duis.alerts; for a device alert also the GBCS alert APDU, contingency.gbcs.alerts), signs it
with the DCC's XML signing key (pki.dcc_identity), stores one Push to the recipient and writes the audit
record. The first delivery attempt is queued after the commit; the sweeper catches anything that slips.

An unroutable alert is stored all the same (``route = unroutable``, no document, no push) for the service
desk: nothing is dropped. ``reroute_unroutable`` (a beat task, every minute) sends it once a later instruction
or SRP arrangement gives it a recipient; its document is built from the stored row (``build_document``).
The alert's primary key is the ResponseID counter (and the simulated device's GBCS originator counter), so
every alert's ResponseID is unique.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from lxml import etree

from pki import xmldsig
from pki.dcc_identity import signing_identity
from portal import audit
from portal.errors import Refusal
from portal.eui import InvalidEUI64, parse_eui64
from portal.models import UserID

from ..delivery.queue import queue_after_commit
from ..duis import alerts as duis_alerts
from ..gbcs import alerts as gbcs_alerts
from ..gbcs.errors import GbcsRefused
from ..models import Alert, AlertKind, Device, Push, RouteKind
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
        return signing_identity()
    except LookupError as exc:
        raise AlertRefused(str(exc), code="dcc-signing-identity-missing") from exc


def _reference(details: dict) -> gbcs_alerts.InstructionReference:
    ref = details["reference"]
    return gbcs_alerts.InstructionReference(ref["message_code"], ref["counter"], ref["interface_class"],
                                            bytes.fromhex(ref["obis"]), ref["attribute"])


_DCC_BODIES = {cls.__name__: cls for cls in (duis_alerts.QuarantinedRequest, duis_alerts.CommandFailure)}


def _dcc_body(details: dict) -> duis_alerts.DCCAlertBody:
    fields = dict(details)
    return _DCC_BODIES[fields.pop("type")](**fields)


def build_document(alert: Alert, recipient_eui: str) -> tuple[etree._Element, bytes]:
    """The unsigned DUIS document of a stored alert for ``recipient_eui`` and its GBCS payload (b"" for a DCC
    alert): everything comes from the alert's row, so an alert kept unroutable can be sent once it has a route."""
    at, counter = alert.raised_at, alert.pk
    if alert.kind == AlertKind.DCC:
        subject = alert.device.eui if alert.device_id else parse_eui64(settings.DCC_USER_ID)
        return duis_alerts.dcc_alert(code=alert.code, subject_eui=subject, recipient_eui=recipient_eui,
                                     counter=counter, alert=_dcc_body(alert.details), at=at), b""
    code = gbcs_alerts.parse_alert_code(alert.code)
    # The GBCS recipient is the registered Supplier, whoever the DCC routes the alert to (digest §7).
    originator, gbcs_recipient = alert.device.eui, alert.addressed_to.eui
    if alert.kind == AlertKind.FUTURE_DATED:
        details = alert.details
        payload = gbcs_alerts.alert_apdu(originator=originator, recipient=gbcs_recipient, counter=counter,
                                         alert_code=code, at=at, reference=_reference(details))
        return duis_alerts.future_dated_alert(
            device_eui=alert.device.eui, recipient_eui=recipient_eui, counter=counter, alert_code=code,
            gbcs_payload=payload, service_reference=details["service_reference"],
            service_reference_variant=details["service_reference_variant"], at=at,
            instruction_number=details["instruction_number"],
            total_instructions=details["total_instructions"]), payload
    payload = gbcs_alerts.alert_apdu(originator=originator, recipient=gbcs_recipient, counter=counter,
                                     alert_code=code, at=at)
    return duis_alerts.device_alert(device_eui=alert.device.eui, recipient_eui=recipient_eui, counter=counter,
                                    alert_code=code, gbcs_payload=payload, at=at), payload


def _checked_document(alert: Alert, recipient_eui: str) -> tuple[etree._Element, bytes]:
    try:
        return build_document(alert, recipient_eui)
    except GbcsRefused as exc:
        code = "alert-code-invalid" if exc.code == "gbcs-alert-code-invalid" else "alert-message-invalid"
        raise AlertRefused(exc.message, code=code) from exc
    except (duis_alerts.AlertMessageInvalid, ValueError, TypeError, KeyError) as exc:
        raise AlertRefused(str(exc), code="alert-message-invalid") from exc


def _sign_and_push(alert: Alert, identity) -> Push:
    """Build and sign the routed alert's document, store it and one push; queue the push after the commit."""
    root, payload = _checked_document(alert, alert.recipient.eui)
    certificate, key = identity
    signed = xmldsig.sign(root, key, certificate).decode("utf-8")
    alert.document, alert.gbcs_payload = signed, payload
    alert.response_id = root.findtext(f"{duis_alerts.sr('Header')}/{duis_alerts.sr('ResponseID')}")
    alert.save(update_fields=["document", "gbcs_payload", "response_id"])
    push = Push.objects.create(key=f"alert:{alert.pk}", alert=alert, recipient=alert.recipient, body=signed)
    queue_after_commit(push.pk)
    return push


def _raise(*, kind: str, code: str, device: Device | None, addressed_to: UserID, at: dt.datetime, source: str,
           details: dict | None = None) -> Raised:
    where = route(addressed_to, at)
    identity = _signing_identity() if where.routable else None
    with transaction.atomic():
        alert = Alert.objects.create(
            kind=kind, code=code, device=device, addressed_to=addressed_to, recipient=where.recipient,
            route=where.kind, via_solr=where.via_solr, raised_at=at, source=source[:100], details=details or {})
        if where.routable:
            push = _sign_and_push(alert, identity)
        else:
            push = None
            _checked_document(alert, addressed_to.eui)  # refuse bad values now, not when a route appears
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
    except GbcsRefused as exc:
        raise AlertRefused(exc.message, code="alert-code-invalid") from exc
    device = find_device(device_id)
    return _raise(kind=AlertKind.DEVICE, code=gbcs_alerts.alert_code_hex(code), device=device,
                  addressed_to=device.registered_supplier, at=at or timezone.now(), source=source)


def raise_future_dated_alert(device: Device, alert_code: int, *, reference: gbcs_alerts.InstructionReference,
                             service_reference: str, service_reference_variant: str,
                             at: dt.datetime | None = None, instruction_number: int = 1,
                             total_instructions: int = 1, source: str = "") -> Raised:
    """The outcome of a future-dated command (8F66 actioned / 8F67 not), e.g. SRV 1.6 with an ExecutionDateTime
    (issue 11 raises it when the simulated device executes the command)."""
    details = {
        "reference": {"message_code": reference.message_code, "counter": reference.counter,
                      "interface_class": reference.interface_class, "obis": reference.obis.hex().upper(),
                      "attribute": reference.attribute},
        "service_reference": service_reference, "service_reference_variant": service_reference_variant,
        "instruction_number": instruction_number, "total_instructions": total_instructions,
    }
    return _raise(kind=AlertKind.FUTURE_DATED, code=gbcs_alerts.alert_code_hex(alert_code), device=device,
                  addressed_to=device.registered_supplier, at=at or timezone.now(), source=source, details=details)


def raise_dcc_alert(code: str, alert: duis_alerts.DCCAlertBody, *, addressed_to: UserID, device: Device | None = None,
                    at: dt.datetime | None = None, source: str = "") -> Raised:
    """A DCC alert (``AD1`` or an N-code) for ``addressed_to``: a Supplier's User ID (routed to its SRP once its
    licence is revoked) or any other User ID (e.g. the sender of a quarantined request). ``device``: the device
    it is about, if any (its EUI leads the ResponseID; the DCC's otherwise)."""
    if code not in duis_alerts.DCC_ALERT_CODES:
        raise AlertRefused(f"{code!r} is not a DUIS DCC alert code", code="alert-code-invalid")
    if type(alert).__name__ not in _DCC_BODIES:
        raise AlertRefused(f"no DCC alert body {type(alert).__name__}", code="alert-message-invalid")
    return _raise(kind=AlertKind.DCC, code=code, device=device, addressed_to=addressed_to, at=at or timezone.now(),
                  source=source, details={"type": type(alert).__name__, **vars(alert)})


def reroute_unroutable(limit: int = 500) -> list[Raised]:
    """Route again the alerts kept unroutable (oldest first): those that now have a recipient (an instruction or
    an SRP arrangement was recorded since) are signed and pushed. Each in its own transaction; an alert is
    taken with compare-and-set on its route, so two sweepers never push it twice."""
    pending = list(Alert.objects.unroutable().order_by("raised_at", "pk").values_list("pk", flat=True)[:limit])
    done = []
    for pk in pending:
        alert = Alert.objects.select_related("addressed_to__party", "device").get(pk=pk)
        where = route(alert.addressed_to)
        if not where.routable:
            continue
        identity = _signing_identity()
        with transaction.atomic():
            taken = Alert.objects.filter(pk=pk, route=RouteKind.UNROUTABLE).update(
                route=where.kind, recipient=where.recipient, via_solr=where.via_solr)
            if not taken:
                continue
            alert.route, alert.recipient, alert.via_solr = where.kind, where.recipient, where.via_solr
            push = _sign_and_push(alert, identity)
            audit.write("alert.reroute", alert, before={"route": RouteKind.UNROUTABLE}, after={
                "route": where.kind, "recipient": where.recipient.eui, "push": push.pk})
        done.append(Raised(alert, push))
    return done
