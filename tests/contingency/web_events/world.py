"""The world of the event page tests (not a test module): a failed Supplier with two User IDs, meters in both
payment modes and certificates, the Supplier of Last Resort, the SRP's SoLR Contingency User ID (the cast's SRP,
tests/helpers/cast.py), and helpers that record through contingency.events' services as the pages do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contingency.devices.choices import DeviceType, EsmeVariant, Generation, PaymentMode
from contingency.models import Device, Instruction, LicenceRevocation
from portal.choices import solr_role_code
from portal.models import Party, PartyKind, UserID
from tests.portal.factories import PartyFactory, UserIDFactory

# A minimal PDF: the services check the magic number and the declared type, not the drawing.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
      b"trailer<</Root 1 0 R>>\n%%EOF\n"

FAILED_IS = "90-B3-D5-1F-60-00-01-01"
FAILED_GS = "90-B3-D5-1F-60-00-01-02"
SOLR_UID = "90-B3-D5-1F-60-00-09-01"
METER_EUIS = ["00-DB-60-00-00-00-00-01", "00-DB-60-00-00-00-00-02", "00-DB-60-00-00-00-00-03",
              "00-DB-60-00-00-00-00-04"]


def pdf_upload(name: str = "direction.pdf", data: bytes = PDF, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@dataclass
class World:
    failed: Party
    failed_is: UserID
    failed_gs: UserID
    healthy: Party
    last_resort: Party
    solr_uid: UserID
    meters: list[Device]  # ESME prepayment, ESME prepayment, ESME credit, GSME prepayment


def meter(eui: str, uid: UserID, device_type: str = DeviceType.ESME,
          payment_mode: str = PaymentMode.PREPAYMENT) -> Device:
    return Device.objects.create(
        eui=eui, device_type=device_type, generation=Generation.SMETS2, payment_mode=payment_mode,
        esme_variant=EsmeVariant.SINGLE if device_type == DeviceType.ESME else "", registered_supplier=uid)


def make_world(cast) -> World:
    failed = PartyFactory(kind=PartyKind.SUPPLIER, name="Failed Energy", short_name="failed-energy")
    healthy = PartyFactory(kind=PartyKind.SUPPLIER, name="Healthy Energy", short_name="healthy-energy")
    last_resort = PartyFactory(kind=PartyKind.SUPPLIER, name="Last Resort Energy", short_name="last-resort")
    failed_is = UserIDFactory(eui=FAILED_IS, party=failed, roles=["IS"])
    failed_gs = UserIDFactory(eui=FAILED_GS, party=failed, roles=["GS"])
    UserIDFactory(eui="90-B3-D5-1F-60-00-02-01", party=healthy, roles=["IS"])
    solr_uid = UserIDFactory(eui=SOLR_UID, party=cast.srp, roles=[solr_role_code()])
    meters = [
        meter(METER_EUIS[0], failed_is),
        meter(METER_EUIS[1], failed_is),
        meter(METER_EUIS[2], failed_is, payment_mode=PaymentMode.CREDIT),
        meter(METER_EUIS[3], failed_gs, DeviceType.GSME),
    ]
    return World(failed, failed_is, failed_gs, healthy, last_resort, solr_uid, meters)


def revoke_licence(world: World, actor, *, hours_ago: float = 2) -> LicenceRevocation:
    from contingency.events.records import record_licence_revocation

    return record_licence_revocation(actor, supplier=world.failed, effective_at=timezone.now()
                                     - timedelta(hours=hours_ago), solr=world.last_resort, reference="OFG/REV/1")


def instruct(world: World, actor, *, reference: str = "OFG/2026/001", hours_from: float = -1,
             hours_to: float = 48, **kwargs) -> Instruction:
    from contingency.events.records import record_instruction

    now = timezone.now()
    return record_instruction(actor, reference=reference, supplier=world.failed, contingency_user_id=world.solr_uid,
                              valid_from=now + timedelta(hours=hours_from), valid_to=now + timedelta(hours=hours_to),
                              evidence=pdf_upload(), **kwargs)


def event(cast, world: World | None = None) -> tuple[World, Instruction]:
    """A failed Supplier whose licence is revoked, with a current instruction recorded by the Authority."""
    world = world or make_world(cast)
    revoke_licence(world, cast.authority_officer.user)
    return world, instruct(world, cast.authority_officer.user)


def bulk_meters(specs: list[tuple[str, UserID, str, str]]) -> list[Device]:
    """Meters written in bulk, as import_devices and seed_demo write them: no audit record per meter, so the
    chart's history (contingency.events.timeline) has only the changes a test makes with ``switch``."""
    Device.objects.bulk_create([
        Device(eui=eui, device_type=device_type, generation=Generation.SMETS2, payment_mode=mode,
               esme_variant=EsmeVariant.SINGLE if device_type == DeviceType.ESME else "", registered_supplier=uid)
        for eui, uid, device_type, mode in specs])
    return list(Device.objects.filter(eui__in=[s[0] for s in specs]))


def switch(device: Device, at, **changes) -> None:
    """Change a meter as the audit hook sees a save, at a chosen time ``at``: the row is updated and the record
    portal.audit_hooks would write (``device.update`` with before and after snapshots) is appended with
    ``created_at = at``. (A save would stamp the record with the real time.)"""
    from portal import audit
    from portal.models import AuditRecord

    before = audit.snapshot(device)
    Device.objects.filter(pk=device.pk).update(**changes)
    device.refresh_from_db()
    record = AuditRecord(created_at=at, actor="test", action="device.update", subject_type=Device._meta.label,
                         subject_id=str(device.pk), subject_repr=str(device), before=before,
                         after=audit.snapshot(device))
    record.entry_hash = audit.entry_hash(record, audit._key())
    record.save()
