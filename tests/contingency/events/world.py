"""A SoLR event's world for the events tests (not a test module): a failed Supplier with two User IDs and meters,
a healthy Supplier, the SoLR appointed, the SRP's SoLR Contingency User ID; the cast of tests/helpers/cast.py
(two DCC operators, an Authority officer, SRP people, an outsider) acts on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contingency.devices.choices import DeviceType, EsmeVariant, Generation, PaymentMode
from contingency.events.evidence import simple_pdf
from contingency.events.records import record_instruction
from contingency.models import Device
from portal.models import Party, PartyKind, UserID, solr_role_code
from tests.portal.factories import PartyFactory, UserIDFactory


def pdf_upload(name: str = "direction.pdf", data: bytes | None = None, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, simple_pdf(["Direction of the Authority"]) if data is None else data,
                              content_type=content_type)


@dataclass
class World:
    failed: Party
    failed_is: UserID
    failed_gs: UserID
    healthy: Party
    healthy_is: UserID
    solr: Party
    srp: Party
    solr_uid: UserID
    meters: list[Device]  # the failed Supplier's: [0..2] ESMEs (prepayment, prepayment, credit), [3] a GSME
    other_meter: Device  # the healthy Supplier's


def _meter(eui: str, uid: UserID, device_type: str, payment_mode: str) -> Device:
    return Device.objects.create(
        eui=eui, device_type=device_type, generation=Generation.SMETS2, payment_mode=payment_mode,
        esme_variant=EsmeVariant.SINGLE if device_type == DeviceType.ESME else "", registered_supplier=uid,
        mpxn="")


def make_world(cast, *, revoked: bool = True) -> World:
    failed = PartyFactory(kind=PartyKind.SUPPLIER, name="Failed Energy", short_name="failed-energy",
                          **({"licence_status": "revoked", "licence_revoked_at": timezone.now() - timedelta(days=1)}
                             if revoked else {}))
    healthy = PartyFactory(kind=PartyKind.SUPPLIER, name="Healthy Energy", short_name="healthy-energy")
    solr = PartyFactory(kind=PartyKind.SUPPLIER, name="Last Resort Energy", short_name="last-resort")
    failed_is = UserIDFactory(eui="90-B3-D5-1F-50-00-01-01", party=failed, roles=["IS"])
    failed_gs = UserIDFactory(eui="90-B3-D5-1F-50-00-01-02", party=failed, roles=["GS"])
    healthy_is = UserIDFactory(eui="90-B3-D5-1F-50-00-02-01", party=healthy, roles=["IS"])
    solr_uid = UserIDFactory(eui="90-B3-D5-1F-50-00-09-01", party=cast.srp, roles=[solr_role_code()])
    meters = [
        _meter("00-DB-50-00-00-00-00-01", failed_is, DeviceType.ESME, PaymentMode.PREPAYMENT),
        _meter("00-DB-50-00-00-00-00-02", failed_is, DeviceType.ESME, PaymentMode.PREPAYMENT),
        _meter("00-DB-50-00-00-00-00-03", failed_is, DeviceType.ESME, PaymentMode.CREDIT),
        _meter("00-DB-50-00-00-00-00-04", failed_gs, DeviceType.GSME, PaymentMode.PREPAYMENT),
    ]
    other = _meter("00-DB-50-00-00-00-01-01", healthy_is, DeviceType.ESME, PaymentMode.PREPAYMENT)
    return World(failed, failed_is, failed_gs, healthy, healthy_is, solr, cast.srp, solr_uid, meters, other)


def instruct(world: World, actor, *, reference: str = "AUTH/2026/001", hours_from: float = -1, hours_to: float = 48,
             **kwargs):
    now = timezone.now()
    return record_instruction(actor, reference=reference, supplier=world.failed,
                              contingency_user_id=world.solr_uid, valid_from=now + timedelta(hours=hours_from),
                              valid_to=now + timedelta(hours=hours_to), evidence=pdf_upload(), **kwargs)
