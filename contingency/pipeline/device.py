"""Checks 8 and 9 (DESIGN §4): the device, then whether the sender may act on it now.

8. The device exists (E19 ``device-unknown``); its type fits the SRV (SRV 1.6 and 6.2.9 address meters, ESME or
   GSME: E11 ``device-type-mismatch``); its SMI status is ``commissioned`` (E5 ``device-status-refused``: a
   command to a meter that is not commissioned cannot be delivered); and the Command Variant fits its generation
   (E12 ``command-variant-not-for-device``): a SMETS1 meter has no Pre-Command, so it takes CV 1-3 only; SRV 1.6
   to a SMETS2+ meter is a Critical Command the Supplier signs, so it goes through the Transform (CV 4) and a
   Signed Pre-Command (CV 5-7) only.
9. For a SoLR Contingency sender, ``contingency.events.access.may_act`` (an active activation for the device's
   registered Supplier, within the instruction's window, SRVs and scope); for any other sender, the device's
   registered Supplier must be the sender itself. Otherwise E4 ``not-authorised-for-device``.
"""

from __future__ import annotations

from ..devices.choices import DeviceType, Generation, SmiStatus
from ..events.access import may_act
from .intake import Intake
from .refusal import Refused

#: SRV → the device types it addresses (the SRVs the front door reads; others are not limited here).
DEVICE_TYPES = {"1.6": {DeviceType.ESME, DeviceType.GSME}, "6.2.9": {DeviceType.ESME, DeviceType.GSME}}
ALLOWED_STATUSES = frozenset({SmiStatus.COMMISSIONED})
PRE_COMMAND_VARIANTS = frozenset({4, 5, 6, 7})
#: SRVs that are Critical Commands to a SMETS2+ meter: Transform and Signed Pre-Command only.
CRITICAL_SRVS = frozenset({"1.6"})


def check_device(intake: Intake) -> None:
    request = intake.request
    if request.device_id is None:
        return
    device = intake.device
    if device is None:
        raise Refused("device-unknown", f"no device {request.device_id}")
    srv = request.service_reference_variant
    if srv in DEVICE_TYPES and device.device_type not in DEVICE_TYPES[srv]:
        raise Refused("device-type-mismatch", f"SRV {srv} does not apply to a {device.device_type}")
    if device.smi_status not in ALLOWED_STATUSES:
        raise Refused("device-status-refused", f"device {device.eui} is {device.smi_status}")
    cv = request.command_variant
    if device.generation == Generation.SMETS1 and cv in PRE_COMMAND_VARIANTS:
        raise Refused("command-variant-not-for-device", f"a SMETS1 meter takes no Pre-Command (CV {cv})")
    if device.generation != Generation.SMETS1 and srv in CRITICAL_SRVS and cv not in PRE_COMMAND_VARIANTS:
        raise Refused("command-variant-not-for-device",
                      f"SRV {srv} to a SMETS2+ meter goes through the Transform (CV 4), not CV {cv}")


def check_may_act(intake: Intake) -> None:
    request = intake.request
    device = intake.device
    if device is None:
        return
    if intake.solr:
        decision = may_act(intake.sender, device, request.service_reference_variant, intake.now)
        if not decision:
            raise Refused("not-authorised-for-device", f"may not act on {device.eui} now: {decision.reason}")
        intake.activation_id = decision.activation_id
        return
    if device.registered_supplier_id != intake.sender.pk:
        raise Refused("not-authorised-for-device", f"{device.eui} is not a device of {intake.sender.eui}")
