"""The world of the SoLR events API tests (a plain module; the fixtures are in conftest.py): the cast
(tests/helpers/cast.py: two DCC operators, an Authority officer, the SRP's SRO and ARO, an outsider), a Supplier
about to fail with two User IDs and meters, the SRP's SoLR Contingency User ID, and a steady Supplier."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from contingency.events.records import record_instruction
from contingency.models import Device
from portal.models import Party, PartyKind, SRPArrangement, UserID
from tests.portal.factories import PartyFactory, UserIDFactory

SOLR_EUI = "90-B3-D5-1F-30-20-00-01"
FAILED_IS = "90-B3-D5-1F-30-10-01-01"
FAILED_GS = "90-B3-D5-1F-30-10-01-02"
STEADY_IS = "90-B3-D5-1F-30-10-03-01"

# A minimal document that starts with the PDF magic (ISO 32000-1 §7.5.2: the header "%PDF-1.n").
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def meter_eui(n: int) -> str:
    return f"00-DB-12-34-56-78-90-{n:02X}"


@dataclass
class World:
    cast: object
    failed: Party  # the Supplier whose licence the tests revoke
    failed_is: UserID
    failed_gs: UserID
    steady: Party  # a Supplier whose licence stays
    steady_is: UserID
    solr: UserID  # the SRP's SoLR Contingency User ID
    meters: list[Device]  # the failed Supplier's: 3 ESME in prepayment, 1 in credit, 1 GSME in prepayment
    steady_meter: Device

    def client(self, name: str) -> APIClient:
        """An API client signed in as the cast member ``name`` (second factor passed where it is needed)."""
        member = self.cast[name]
        client = APIClient()
        client.cookies = member.client.cookies  # the member's session (tests/helpers/cast.py)
        return client


def _meter(n: int, supplier: UserID, device_type="ESME", payment_mode="prepayment") -> Device:
    values = dict(eui=meter_eui(n), device_type=device_type, generation="SMETS2", smi_status="commissioned",
                  payment_mode=payment_mode, registered_supplier=supplier)
    if device_type == "ESME":
        values.update(esme_variant="single", mpxn=f"{1000000000000 + n}")
    else:
        values.update(mpxn=f"{100000 + n}")
    return Device.objects.create(**values)


def make_world(cast) -> World:
    failed = PartyFactory(kind=PartyKind.SUPPLIER, name="Failing Energy", short_name="failing-energy")
    steady = PartyFactory(kind=PartyKind.SUPPLIER, name="Steady Energy", short_name="steady-energy")
    failed_is = UserIDFactory(eui=FAILED_IS, party=failed, roles=["IS"])
    failed_gs = UserIDFactory(eui=FAILED_GS, party=failed, roles=["GS"])
    steady_is = UserIDFactory(eui=STEADY_IS, party=steady, roles=["IS"])
    solr = UserIDFactory(eui=SOLR_EUI, party=cast.srp, roles=["SC"])
    SRPArrangement.objects.create(srp=cast.srp, supplier=failed, valid_from=dt.date(2020, 1, 1))
    meters = [_meter(1, failed_is), _meter(2, failed_is), _meter(3, failed_is),
              _meter(4, failed_is, payment_mode="credit"), _meter(5, failed_gs, device_type="GSME")]
    return World(cast=cast, failed=failed, failed_is=failed_is, failed_gs=failed_gs, steady=steady,
                 steady_is=steady_is, solr=solr, meters=meters, steady_meter=_meter(9, steady_is))


def pdf_upload(name: str = "direction.pdf", data: bytes = PDF, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, data, content_type)


def window(start_hours: float = -1, end_hours: float = 24 * 28):
    now = timezone.now()
    return now + dt.timedelta(hours=start_hours), now + dt.timedelta(hours=end_hours)


def make_instruction(world, reference="OFG-INS-1", *, start_hours=-1, end_hours=24 * 28, device_euis=None):
    valid_from, valid_to = window(start_hours, end_hours)
    return record_instruction(world.cast.authority_officer.user, reference=reference, supplier=world.failed,
                              contingency_user_id=world.solr, valid_from=valid_from, valid_to=valid_to,
                              evidence=pdf_upload(), device_euis=device_euis)
