"""A small world for the counting and quarantine tests: an SRP's SoLR Contingency User ID (the sender), a failed
Supplier with an IS User ID, and active ADT thresholds made directly (the file rules are tested elsewhere)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from contingency.models import AdtFile, AdtFileState, AdtThreshold, RequestState, ServiceRequest
from portal.models import Party, PartyKind, UserID
from tests.portal.factories import PartyFactory, PersonFactory, UserIDFactory

SENDER_EUI = "90-B3-D5-1F-30-20-00-01"
SUPPLIER_EUI = "90-B3-D5-1F-30-10-01-01"
OTHER_SUPPLIER_EUI = "90-B3-D5-1F-30-10-03-01"
# A minute boundary (Unix seconds divisible by 3600), so buckets of 1 s and 60 s both start here.
T0 = dt.datetime(2026, 11, 29, 4, 0, tzinfo=dt.UTC)


@dataclass
class World:
    srp: Party
    sender: UserID
    supplier: Party
    supplier_uid: UserID
    other_supplier: Party
    other_supplier_uid: UserID


def make_world(sender_eui: str = SENDER_EUI) -> World:
    srp = PartyFactory(kind=PartyKind.SRP, short_name="count-srp")
    supplier = PartyFactory(kind=PartyKind.SUPPLIER, short_name="count-failing")
    other = PartyFactory(kind=PartyKind.SUPPLIER, short_name="count-steady")
    return World(srp=srp, sender=UserIDFactory(eui=sender_eui, party=srp, roles=["SC"]), supplier=supplier,
                 supplier_uid=UserIDFactory(eui=SUPPLIER_EUI, party=supplier, roles=["IS"]), other_supplier=other,
                 other_supplier_uid=UserIDFactory(eui=OTHER_SUPPLIER_EUI, party=other, roles=["IS"]))


def threshold(world: World, warning: int, quarantine: int, window_minutes: int = 60, srv: str = "1.6",
              target: UserID | None = None) -> AdtThreshold:
    adt_file = AdtFile.objects.create(party=world.srp, uploaded_by=PersonFactory(), file_name="t.csv", sha256="0" * 64,
                                      size=1, state=AdtFileState.ACTIVE)
    return AdtThreshold.objects.create(file=adt_file, line=2, user_id=world.sender, srv=srv,
                                       target_supplier=target or world.supplier_uid, warning_level=warning,
                                       quarantine_level=quarantine, window_minutes=window_minutes, active=True)


def service_request(world: World, request_id: str, state: str = RequestState.QUARANTINED, **kwargs) -> ServiceRequest:
    return ServiceRequest.objects.create(request_id=request_id, sender=world.sender, target_supplier=world.supplier,
                                         counter=1, srv="1.6", command_variant=4, state=state, request_xml=b"<x/>",
                                         **kwargs)


def rid(n: int) -> str:
    """A RequestID of the sender (originator:target:counter)."""
    return f"{SENDER_EUI}:{SUPPLIER_EUI}:{n}"
