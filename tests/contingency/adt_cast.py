"""The cast of the ADT tests: an SRP with its SoLR Contingency User ID, its SRO(s) and AROs, two Suppliers, a DCC
operator and an outsider Party with its own SRO. Imported by tests/contingency/test_adt_*.py."""

from __future__ import annotations

from dataclasses import dataclass

from portal.models import Office, OfficeKind, OfficeStatus, Party, PartyKind, UserID
from tests.portal.factories import PartyFactory, PersonFactory, UserIDFactory

SOLR_EUI = "90-B3-D5-1F-30-20-00-01"
SUPPLIER_IS = "90-B3-D5-1F-30-10-01-01"
SUPPLIER_GS = "90-B3-D5-1F-30-10-01-02"
OTHER_SUPPLIER_IS = "90-B3-D5-1F-30-10-03-01"
OUTSIDER_EUI = "90-B3-D5-1F-30-50-00-01"
HEADER = "user_id,srv,target_supplier,warning_level,quarantine_level,window_minutes"


@dataclass
class Cast:
    srp: Party
    solr: UserID
    supplier: Party
    supplier_is: UserID
    supplier_gs: UserID
    other_supplier_is: UserID
    outsider: Party
    outsider_uid: UserID
    sro: object
    sro2: object
    aro: object
    nominated_aro: object
    removed_sro: object
    operator: object
    outsider_sro: object
    supplier_sro: object


def office(party: Party, kind: str, status: str = OfficeStatus.VERIFIED, username: str | None = None):
    person = PersonFactory(**({"username": username} if username else {}))
    Office.objects.create(person=person, kind=kind, party=party, status=status)
    return person


def make_cast() -> Cast:
    srp = PartyFactory(kind=PartyKind.SRP, name="Shared Ops", short_name="shared-ops")
    supplier = PartyFactory(kind=PartyKind.SUPPLIER, name="Failing Co", short_name="failing-co")
    other_supplier = PartyFactory(kind=PartyKind.SUPPLIER, name="Steady Co", short_name="steady-co")
    outsider = PartyFactory(kind=PartyKind.SRP, name="Other SRP", short_name="other-srp")
    dcc = PartyFactory(kind=PartyKind.DCC, name="DCC", short_name="dcc-test")
    return Cast(
        srp=srp,
        solr=UserIDFactory(eui=SOLR_EUI, party=srp, roles=["SC"]),
        supplier=supplier,
        supplier_is=UserIDFactory(eui=SUPPLIER_IS, party=supplier, roles=["IS"]),
        supplier_gs=UserIDFactory(eui=SUPPLIER_GS, party=supplier, roles=["GS"]),
        other_supplier_is=UserIDFactory(eui=OTHER_SUPPLIER_IS, party=other_supplier, roles=["IS"]),
        outsider=outsider,
        outsider_uid=UserIDFactory(eui=OUTSIDER_EUI, party=outsider, roles=["SC"]),
        sro=office(srp, OfficeKind.SRO, username="srp-sro"),
        sro2=office(srp, OfficeKind.SRO, username="srp-sro2"),
        aro=office(srp, OfficeKind.ARO, username="srp-aro"),
        nominated_aro=office(srp, OfficeKind.ARO, OfficeStatus.NOMINATED, username="srp-aro-nominated"),
        removed_sro=office(srp, OfficeKind.SRO, OfficeStatus.REMOVED, username="srp-sro-removed"),
        operator=office(dcc, OfficeKind.DCC_OPERATOR, username="dcc-op"),
        outsider_sro=office(outsider, OfficeKind.SRO, username="other-sro"),
        supplier_sro=office(supplier, OfficeKind.SRO, username="supplier-sro"),
    )


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def solr_row(target: str = SUPPLIER_IS, warning: int = 100, quarantine: int = 200, window: int = 60,
             srv: str = "1.6", user_id: str = SOLR_EUI) -> str:
    return f"{user_id},{srv},{target},{warning},{quarantine},{window}"
