"""``manage.py device_alert`` is a door of the device gateway: it calls the configured gateway's ``device_alert``
(SOLR_GATEWAY_CLASS), not the alerts service directly."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from contingency.delivery.gateway.simulator import SimulatedGateway

CALLS = []


class RecordingGateway(SimulatedGateway):
    def device_alert(self, device_id, alert_code, *, at=None, source=""):
        CALLS.append((device_id, alert_code, source))
        return super().device_alert(device_id, alert_code, at=at, source=source)


@pytest.mark.django_db
def test_device_alert_goes_through_the_configured_gateway(world, settings, capsys):
    settings.SOLR_GATEWAY_CLASS = f"{__name__}.RecordingGateway"
    CALLS.clear()
    call_command("device_alert", "00db1234567890a0", "8f20")
    assert CALLS == [("00db1234567890a0", "8f20", "manage.py device_alert")]
    assert "8F20 from 00-DB-12-34-56-78-90-A0" in capsys.readouterr().out
