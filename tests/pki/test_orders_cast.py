"""The people of the certificate-order tests (no tests here; the test modules build it with ``make_cast``).

An SRP with a SoLR Contingency User ID and a Supplier User ID of its own (so a policy refusal and an issue are
both possible for one ARO), its verified ARO, a second verified ARO, a verified SRO and a merely nominated ARO;
an outsider (the verified SRO of another Party) and that Party's own verified ARO; two DCC operators; and one
person who is both the SRP's ARO and a DCC operator (for the four-eyes rule).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from pki.csr import make_csr
from portal.models import Office, OfficeKind, OfficeStatus, PartyKind, UserID, solr_role_code
from tests.portal.factories import PartyFactory, PersonFactory, UserIDFactory

SOLR_EUI = "90-B3-D5-1F-30-20-00-01"
OTHER_EUI = "90-B3-D5-1F-30-01-00-00"
PASSWORD = "correct-horse-battery"


@dataclass
class Cast:
    srp: object
    other: object
    solr_uid: UserID
    other_uid: UserID
    aro: object
    aro2: object
    sro: object
    nominated_aro: object
    outsider: object
    other_aro: object
    op1: object
    op2: object
    aro_operator: object


def _office(person, kind, party, status=OfficeStatus.VERIFIED):
    Office.objects.create(person=person, kind=kind, party=party, status=status)
    return person


def seed_issuance_policy() -> None:
    """The policy rows the migration seeds (idempotent): a transactional test's flush removes migration data."""
    import importlib

    from django.apps import apps

    importlib.import_module("pki.migrations.0002_seed_issuance_policy").seed(apps, None)


def make_cast() -> Cast:
    seed_issuance_policy()
    srp = PartyFactory(kind=PartyKind.SRP, short_name="shared-resource", name="Shared Resource Ltd")
    other = PartyFactory(kind=PartyKind.SUPPLIER, short_name="steady-supply", name="Steady Supply plc")
    dcc = PartyFactory(kind=PartyKind.DCC, short_name="dcc", name="DCC")
    solr_uid = UserIDFactory(eui=SOLR_EUI, party=srp, roles=[solr_role_code()])
    other_uid = UserIDFactory(eui=OTHER_EUI, party=other, roles=["IS"])
    aro_operator = PersonFactory(username="aro-and-operator")
    _office(aro_operator, OfficeKind.ARO, srp)
    _office(aro_operator, OfficeKind.DCC_OPERATOR, dcc)
    return Cast(
        srp=srp, other=other, solr_uid=solr_uid, other_uid=other_uid,
        aro=_office(PersonFactory(username="srp-aro"), OfficeKind.ARO, srp),
        aro2=_office(PersonFactory(username="srp-aro2"), OfficeKind.ARO, srp),
        sro=_office(PersonFactory(username="srp-sro"), OfficeKind.SRO, srp),
        nominated_aro=_office(PersonFactory(username="srp-nominee"), OfficeKind.ARO, srp, OfficeStatus.NOMINATED),
        outsider=_office(PersonFactory(username="other-sro"), OfficeKind.SRO, other),
        other_aro=_office(PersonFactory(username="other-aro"), OfficeKind.ARO, other),
        op1=_office(PersonFactory(username="dcc-op1"), OfficeKind.DCC_OPERATOR, dcc),
        op2=_office(PersonFactory(username="dcc-op2"), OfficeKind.DCC_OPERATOR, dcc),
        aro_operator=aro_operator,
    )


def csr_pem(key=None) -> str:
    """A CSR for a fresh EC P-256 key, in PEM, as an ARO's system would make it."""
    return make_csr(key or ec.generate_private_key(ec.SECP256R1()), "requested-name").public_bytes(
        Encoding.PEM).decode()
