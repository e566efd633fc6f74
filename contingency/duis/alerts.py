"""DUIS alert documents the DCC pushes to a User (reference digest §2 and §7; DUIS 5.4 XSD).

Three kinds, each an ``sr:Response`` (contingency.duis.envelope) with ResponseCode ``I0``:

* ``DeviceAlertMessage`` — a device alert: ``AlertCode`` (xs:hexBinary, e.g. ``8F20``) and the device's GBCS
  alert APDU as ``GBCSPayload`` (contingency.gbcs.alerts).
* ``DCCAlertMessage`` — a DCC alert: ``DCCAlertCode`` (``AD1`` or an N-code) and one ``DCCAlert`` choice; built
  here: ``QuarantinedRequest`` (anomaly detection: ``ADUserThresholdBreach`` and its siblings) and
  ``CommandFailure`` (the DCC could not deliver a command to a device).
* the future-dated outcome — ``ResponseMessage`` (ServiceReference / Variant of the original request, e.g.
  1.6) holding ``FutureDatedDeviceAlertMessage`` (8F66 success / 8F67 failure, the GBCS alert, instruction
  number and total).

An alert answers no request, so the header has no RequestID; its ResponseID is
``<device EUI>:<recipient EUI>:<counter>`` — the device the alert is about (the DCC's EUI for a DCC alert that
names no device), the User ID it is sent to, and a counter unique per alert. Device IDs are EUIs in the
hyphenated DUIS form, as the XSD's EUI type requires.

Plain Python: no Django. The caller signs the result (pki.xmldsig.sign) with the DCC's key.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from lxml import etree

from . import envelope
from .envelope import sr

SUCCESS = "I0"
MAX_COUNTER = 2**64 - 1

# DCCAlertCode values the DUIS 5.4 XSD allows: AD1, N1–N31, N33–N65, N999 (no N32).
DCC_ALERT_CODES = frozenset({"AD1", "N999"} | {f"N{n}" for n in range(1, 66) if n != 32})

QUARANTINE_KINDS = ("ADUserThresholdBreach", "ADDCCThresholdBreach", "ADAttributeLimitsBreach")


class AlertMessageInvalid(ValueError):
    """The values cannot make a valid alert document. ``code`` is stable (docs/refusal-codes.md)."""

    code = "alert-message-invalid"


def response_id(subject_eui: str, recipient_eui: str, counter: int) -> str:
    if not 0 <= counter <= MAX_COUNTER:
        raise AlertMessageInvalid("the ResponseID counter is 0 to 2^64-1")
    return f"{subject_eui}:{recipient_eui}:{counter}"


def _envelope(subject_eui: str, recipient_eui: str, counter: int, at: dt.datetime):
    return envelope.response(code=SUCCESS, at=at, response_id=response_id(subject_eui, recipient_eui, counter))


def _b64(payload: bytes) -> str:
    return base64.b64encode(payload).decode("ascii")


def device_alert(*, device_eui: str, recipient_eui: str, counter: int, alert_code: int, gbcs_payload: bytes,
                 at: dt.datetime) -> etree._Element:
    """An unsigned ``DeviceAlertMessage`` response."""
    if not 0 < alert_code <= 0xFFFF:
        raise AlertMessageInvalid("a device alert code is two bytes")
    root, body = _envelope(device_eui, recipient_eui, counter, at)
    message = etree.SubElement(body, sr("DeviceAlertMessage"))
    etree.SubElement(message, sr("AlertCode")).text = f"{alert_code:04X}"
    etree.SubElement(message, sr("GBCSPayload")).text = _b64(gbcs_payload)
    return root


def future_dated_alert(*, device_eui: str, recipient_eui: str, counter: int, alert_code: int, gbcs_payload: bytes,
                       service_reference: str, service_reference_variant: str, at: dt.datetime,
                       instruction_number: int = 1, total_instructions: int = 1) -> etree._Element:
    """An unsigned future-dated execution outcome: ResponseMessage / FutureDatedDeviceAlertMessage (8F66|8F67)."""
    if alert_code not in (0x8F66, 0x8F67):
        raise AlertMessageInvalid("a future-dated outcome is 8F66 (actioned) or 8F67 (not actioned)")
    if not 1 <= instruction_number <= total_instructions <= 0xFFFF:
        raise AlertMessageInvalid("instruction number and total are 1 ≤ number ≤ total ≤ 65535")
    root, body = _envelope(device_eui, recipient_eui, counter, at)
    message = etree.SubElement(body, sr("ResponseMessage"))
    etree.SubElement(message, sr("ServiceReference")).text = service_reference
    etree.SubElement(message, sr("ServiceReferenceVariant")).text = service_reference_variant
    outcome = etree.SubElement(message, sr("FutureDatedDeviceAlertMessage"))
    etree.SubElement(outcome, sr("FutureDatedAlertCode")).text = f"{alert_code:04X}"
    etree.SubElement(outcome, sr("GBCSPayload")).text = _b64(gbcs_payload)
    etree.SubElement(outcome, sr("InstructionNumber")).text = str(instruction_number)
    etree.SubElement(outcome, sr("TotalCommandInstructions")).text = str(total_instructions)
    return root


@dataclass(frozen=True)
class QuarantinedRequest:
    """DCCAlert/QuarantinedRequest: a request held by anomaly detection (the ADT's quarantine level)."""

    request_id: str
    quarantine_event_ref: int
    kind: str = "ADUserThresholdBreach"

    def build(self, parent: etree._Element) -> None:
        if self.kind not in QUARANTINE_KINDS:
            raise AlertMessageInvalid(f"a quarantine is one of {', '.join(QUARANTINE_KINDS)}")
        if not 0 <= self.quarantine_event_ref < 10**20:
            raise AlertMessageInvalid("QuarantineEventRef has at most 20 digits")
        breach = etree.SubElement(etree.SubElement(parent, sr("QuarantinedRequest")), sr(self.kind))
        etree.SubElement(breach, sr("RequestID")).text = self.request_id
        etree.SubElement(breach, sr("QuarantineEventRef")).text = str(self.quarantine_event_ref)


@dataclass(frozen=True)
class CommandFailure:
    """DCCAlert/CommandFailure: the DCC could not deliver the command of ``command_request_id`` to the device."""

    command_request_id: str
    device_eui: str
    dsp_schedule_id: int | None = None

    def build(self, parent: etree._Element) -> None:
        failure = etree.SubElement(parent, sr("CommandFailure"))
        etree.SubElement(failure, sr("CommandRequestID")).text = self.command_request_id
        if self.dsp_schedule_id is not None:
            etree.SubElement(failure, sr("DSPScheduleID")).text = str(self.dsp_schedule_id)
        etree.SubElement(failure, sr("DeviceID")).text = self.device_eui


DCCAlertBody = QuarantinedRequest | CommandFailure


def dcc_alert(*, code: str, subject_eui: str, recipient_eui: str, counter: int, alert: DCCAlertBody,
              at: dt.datetime) -> etree._Element:
    """An unsigned ``DCCAlertMessage`` response. ``subject_eui``: the device it is about, else the DCC's EUI."""
    if code not in DCC_ALERT_CODES:
        raise AlertMessageInvalid(f"{code!r} is not a DUIS DCCAlertCode (AD1, N1–N31, N33–N65, N999)")
    root, body = _envelope(subject_eui, recipient_eui, counter, at)
    message = etree.SubElement(body, sr("DCCAlertMessage"))
    etree.SubElement(message, sr("DCCAlertCode")).text = code
    alert.build(etree.SubElement(message, sr("DCCAlert")))
    return root
