"""The device gateway's one interface (issue 11 point 2; DESIGN §2 step 6; docs/device-gateway.md).

The delivery tasks call ``get_gateway().send(device, command_bytes, request_ref=...)`` with the command as sent
to the device (the Signed Pre-Command in a General-Ciphering APDU with the ACB's MAC, contingency.gbcs.command)
and get a :class:`GatewayResult`: the meter's response bytes in the RTDS GBCS layout, or a communication failure
(DUIS E20, "cannot communicate with the device") or no response (E21, after the response timeout), with timing.
``schedule`` and ``cancel`` carry future-dated commands and their cancellation (the DUIS 3000-12-31 / GBCS
cancellation value); ``execute_due`` runs the changes whose time has come (the beat task
contingency.delivery.gateway.tasks.execute_due); ``device_alert`` is the door for alerts the device raises.

A meter's payment mode changes only here: the meter applies the command it receives.

Which gateway: the setting ``SOLR_GATEWAY_CLASS`` (default: the simulated comms hub and SMETS1 service provider,
contingency.delivery.gateway.simulator.SimulatedGateway). Refusals are :class:`GatewayRefused` with a stable code.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.utils.module_loading import import_string

from portal.errors import Refusal

from ... import conf

if TYPE_CHECKING:
    from ...alerts.services import Raised
    from ...models import Device, ScheduledChange


class GatewayRefused(Refusal):
    """The gateway could not take the command; nothing reached a meter and nothing changed. Codes
    (docs/device-gateway.md): ``device-unknown``, ``eui64-invalid``, ``gateway-command-invalid``,
    ``gateway-device-mismatch``, ``gateway-command-unsupported``, ``gateway-not-future-dated``,
    ``gateway-not-a-cancellation``, ``request-ref-invalid``."""

    code = "gateway-refused"


class Outcome(enum.StrEnum):
    RESPONDED = "responded"  # the meter answered (success or its error response): DUIS I0 with the GBCS payload
    UNREACHABLE = "E20"  # the command could not be delivered
    NO_RESPONSE = "E21"  # no answer within the response timeout


@dataclass(frozen=True)
class GatewayResult:
    device: str  # the device's EUI
    request_ref: str
    outcome: Outcome
    sent_at: dt.datetime
    finished_at: dt.datetime
    #: The meter's response in the RTDS GBCS layout (None on E20 / E21).
    response: bytes | None = None
    #: Whether the meter reports success (None on E20 / E21).
    meter_success: bool | None = None
    #: The GBCS code when the meter refused the command (forged MAC or signature, replayed counter), else "".
    refusal: str = ""

    @property
    def response_code(self) -> str:
        """The DUIS ResponseCode of the Service Response: I0 when the meter answered, else E20 / E21."""
        return "I0" if self.outcome == Outcome.RESPONDED else str(self.outcome)

    @property
    def elapsed_seconds(self) -> float:
        return (self.finished_at - self.sent_at).total_seconds()


class DeviceGateway(Protocol):
    def send(self, device: Device | str, command: bytes, *, request_ref: str) -> GatewayResult: ...

    def schedule(self, device: Device | str, command: bytes, *, request_ref: str) -> GatewayResult: ...

    def cancel(self, device: Device | str, command: bytes, *, request_ref: str) -> GatewayResult: ...

    def scheduled(self, device: Device | str) -> list[ScheduledChange]: ...

    def execute_due(self, at: dt.datetime | None = None, limit: int | None = None) -> list[ScheduledChange]: ...

    def device_alert(self, device_id: str, alert_code: str | int, *, at: dt.datetime | None = None,
                     source: str = "") -> Raised: ...


def get_gateway() -> DeviceGateway:
    """The configured gateway (``SOLR_GATEWAY_CLASS``), a new instance per call (it keeps no state in memory)."""
    return import_string(conf.get("SOLR_GATEWAY_CLASS"))()
