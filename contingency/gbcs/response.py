"""A meter's response to SRV 1.6 (reference digest §5, "Device responses"), for the device gateway: success or
the failure the meter reports, read strictly from the General-Signing response APDU the device signs.

* ESME: a DLMS access-response (``DA``) with the Pre-Command's invoke-id, no date-time, one null data item per
  SET and one set-result per SET (3 for ECS02, 5 for ECS03); 00 is success, anything else the DLMS
  data-access-result (e.g. 01 hardware fault, FA other reason). Success only if every SET succeeded.
* GSME: a GBZ component of the ZSE Prepayment cluster holding either the Change Payment Mode Response
  (command 0x02: friendly credit, its calendar ID, the emergency-credit limit and threshold) or a ZCL Default
  Response (command 0x0B) to Change Payment Mode with a failure status (e.g. 0xC0).

The device's signature is checked with :func:`.signature.verify` and the device's Digital Signing certificate;
this module reads the content only.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import precommand as pcm
from .errors import GbcsRefused
from .frame import CRA_RESPONSE, DLMS_DATE_TIME_LENGTH, Frame, Reader, parse_frame

ACCESS_RESPONSE = 0xDA
NULL_DATA = 0x00
SET_RESULT = 0x02
SET_COUNT = {0x001A: 3, 0x001B: 5}  # ECS02 / ECS03: SETs in the Pre-Command, so results in the response

ZCL_SERVER_TO_CLIENT_SPECIFIC_NO_DEFAULT = 0x19  # cluster-specific, server to client, default response disabled
ZCL_SERVER_TO_CLIENT_GLOBAL = 0x08
CHANGE_PAYMENT_MODE_RESPONSE = 0x02
DEFAULT_RESPONSE = 0x0B
ZCL_SUCCESS = 0x00


@dataclass(frozen=True)
class GasCreditSettings:
    """The Change Payment Mode Response's fields (ZSE): what the gas meter reports it now uses."""

    friendly_credit: int
    friendly_credit_calendar_id: int
    emergency_credit_limit: int
    emergency_credit_threshold: int


@dataclass(frozen=True)
class DeviceResponse:
    frame: Frame
    use_case: str
    success: bool
    #: ESME: the data-access-result of each SET, in order. GSME: empty on success, (status,) on a Default Response.
    results: tuple[int, ...]
    gas: GasCreditSettings | None = None

    @property
    def counter(self) -> int:
        return self.frame.counter

    @property
    def device(self) -> str:
        return self.frame.originator

    @property
    def business_target(self) -> str:
        """The response goes to the command's originator (for SoLR: the failed Supplier's User ID)."""
        return self.frame.recipient


def decode_response(data: bytes) -> DeviceResponse:
    """Decode a meter's response to an SRV 1.6 command; refuse (``GbcsRefused``) anything else."""
    frame = parse_frame(data)
    if frame.cra_flag != CRA_RESPONSE:
        raise GbcsRefused("gbcs-not-a-response", f"CRA flag {frame.cra_flag:#04x}: a response is 02")
    if len(frame.date_time) != DLMS_DATE_TIME_LENGTH:
        raise GbcsRefused("gbcs-date-time-invalid", "a device response carries the device's date-time")
    if len(frame.other_information) != 2 or frame.message_code not in pcm.USE_CASES:
        raise GbcsRefused("gbcs-message-code-unsupported", "not a response to SRV 1.6")
    code = frame.message_code
    if code in SET_COUNT:
        results = _esme_results(frame, SET_COUNT[code])
        return DeviceResponse(frame, pcm.USE_CASES[code], all(r == 0 for r in results), results)
    results, gas = _gsme(frame.content)
    return DeviceResponse(frame, pcm.USE_CASES[code], gas is not None, results, gas)


def _refuse(why: str) -> GbcsRefused:
    return GbcsRefused("gbcs-response-invalid", why)


def _esme_results(frame: Frame, sets: int) -> tuple[int, ...]:
    r = Reader(frame.content, "DLMS access-response")
    if r.byte() != ACCESS_RESPONSE:
        raise _refuse("an ESME response is a DLMS access-response (DA)")
    if int.from_bytes(r.take(4), "big") != pcm.invoke_id(frame.counter):
        raise _refuse("the invoke-id is not the command's")
    if r.byte() != 0 or r.byte() != 0:  # no date-time; no access-request-specification echoed
        raise _refuse("unexpected date-time or specification in the access-response")
    if r.byte() != sets or r.take(sets) != bytes([NULL_DATA]) * sets:
        raise _refuse(f"SRV 1.6 answers {sets} SETs with {sets} null data items")
    if r.byte() != sets:
        raise _refuse(f"SRV 1.6 answers {sets} SETs with {sets} results")
    results = []
    for _ in range(sets):
        if r.byte() != SET_RESULT:
            raise _refuse("a result that is not a set result")
        results.append(r.byte())
    if r.remaining:
        raise _refuse("bytes after the last result")
    return tuple(results)


def _gsme(content: bytes) -> tuple[tuple[int, ...], GasCreditSettings | None]:
    r = Reader(content, "GBZ response")
    if (int.from_bytes(r.take(2), "big"), r.byte(), r.byte(), int.from_bytes(r.take(2), "big")) != (
            pcm.GBZ_PROFILE, 1, pcm.GBZ_LAST_COMPONENT, pcm.ZSE_PREPAYMENT_CLUSTER):
        raise _refuse("a GSME response to SRV 1.6 is one GBZ component of the ZSE Prepayment cluster")
    zcl = Reader(r.take(int.from_bytes(r.take(2), "big")), "ZCL frame")
    if r.remaining:
        raise _refuse("bytes after the GBZ component")
    header = (zcl.byte(), zcl.byte(), zcl.byte())
    if header == (ZCL_SERVER_TO_CLIENT_SPECIFIC_NO_DEFAULT, 0, CHANGE_PAYMENT_MODE_RESPONSE):
        settings = GasCreditSettings(zcl.byte(), *(int.from_bytes(zcl.take(4), "little") for _ in range(3)))
        results: tuple[int, ...] = ()
    elif header == (ZCL_SERVER_TO_CLIENT_GLOBAL, 0, DEFAULT_RESPONSE):
        if zcl.byte() != pcm.CHANGE_PAYMENT_MODE:
            raise _refuse("a Default Response to another command")
        status = zcl.byte()
        if status == ZCL_SUCCESS:  # with default responses disabled, success is the Change Payment Mode Response
            raise _refuse("a Default Response reporting success")
        settings, results = None, (status,)
    else:
        raise _refuse("neither a Change Payment Mode Response nor a Default Response")
    if zcl.remaining:
        raise _refuse("bytes after the ZCL fields")
    return results, settings
