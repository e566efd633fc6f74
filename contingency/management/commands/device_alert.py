"""manage.py device_alert DEVICE_ID CODE: a device alert as if the comms hub had received it (issue 9 point 9).

A door of the device gateway (docs/device-gateway.md): ``get_gateway().device_alert``, which for the simulated
comms hub is contingency.alerts.services.raise_device_alert; docs/alerts.md describes routing and delivery.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from contingency.alerts.services import AlertRefused
from contingency.delivery.gateway.interface import get_gateway
from portal import audit


class Command(BaseCommand):
    help = ("Raise a device alert from DEVICE_ID (any EUI-64 spelling) with the GBCS alert CODE (hex, with or "
            "without 0x): routed, signed and pushed to the recipient's endpoint (docs/alerts.md).")

    def add_arguments(self, parser):
        parser.add_argument("device_id", help="the device's EUI-64, e.g. 00-DB-12-34-56-78-90-A0 or 00db1234567890a0")
        parser.add_argument("code", help="the GBCS alert code in hex, e.g. 8F66 or 0x8F66")

    def handle(self, *args, **opts):
        try:
            with audit.acting_as("system:device_alert"):
                raised = get_gateway().device_alert(opts["device_id"], opts["code"], source="manage.py device_alert")
        except AlertRefused as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        alert = raised.alert
        if raised.push is None:
            self.stdout.write(self.style.WARNING(
                f"alert {alert.pk}: {alert.code} from {alert.device.eui} for {alert.addressed_to.eui} is UNROUTABLE "
                f"(licence revoked, no instruction and no SRP arrangement): kept for the service desk, not sent"))
            return
        via = "via SoLR (the SRP's SoLR Contingency User ID)" if alert.via_solr else "direct"
        endpoint = alert.recipient.endpoint_url or "(no endpoint URL yet: kept pending until one is set)"
        self.stdout.write(self.style.SUCCESS(
            f"alert {alert.pk}: {alert.code} from {alert.device.eui} for {alert.addressed_to.eui} "
            f"-> recipient {alert.recipient.eui} {via}; route {alert.route}; push {raised.push.pk} queued to "
            f"{endpoint}; ResponseID {alert.response_id}"))
