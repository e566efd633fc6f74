"""The people of the certificate-order tests (no tests here; the test modules build it with ``make_cast``): the
shared cast (tests/helpers/cast.py) with the SRP's SoLR Contingency User ID, a Supplier User ID of the outsider's
Party, and the extra offices the order and revocation rules need."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from pki.csr import make_csr
from portal.models import Office, OfficeKind, OfficeStatus, UserID, solr_role_code
from tests.helpers.cast import make_cast as make_shared_cast
from tests.portal.factories import PersonFactory, UserIDFactory

SOLR_EUI = "90-B3-D5-1F-30-20-00-01"
OTHER_EUI = "90-B3-D5-1F-30-01-00-00"


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
    authority_officer: object
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
    """The shared cast (tests/helpers/cast.py: DCC operators, SRP SRO and ARO, the outsider, the Authority officer)
    plus what certificate orders need: the User IDs, a second ARO, a nominated ARO, the other Party's ARO and a
    person who is both the SRP's ARO and a DCC operator."""
    seed_issuance_policy()
    shared = make_shared_cast()
    srp, other = shared.srp, shared.other_party
    solr_uid = UserIDFactory(eui=SOLR_EUI, party=srp, roles=[solr_role_code()])
    other_uid = UserIDFactory(eui=OTHER_EUI, party=other, roles=["IS"])
    aro_operator = PersonFactory(username="aro-and-operator")
    _office(aro_operator, OfficeKind.ARO, srp)
    _office(aro_operator, OfficeKind.DCC_OPERATOR, shared.dcc)
    return Cast(
        srp=srp, other=other, solr_uid=solr_uid, other_uid=other_uid,
        aro=shared.srp_aro.user,
        aro2=_office(PersonFactory(username="srp-aro2"), OfficeKind.ARO, srp),
        sro=shared.srp_sro.user,
        nominated_aro=_office(PersonFactory(username="srp-nominee"), OfficeKind.ARO, srp, OfficeStatus.NOMINATED),
        outsider=shared.outsider.user,
        other_aro=_office(PersonFactory(username="other-aro"), OfficeKind.ARO, other),
        op1=shared.dcc_operator1.user,
        op2=shared.dcc_operator2.user,
        authority_officer=shared.authority_officer.user,
        aro_operator=aro_operator,
    )


def csr_pem(key=None) -> str:
    """A CSR for a fresh EC P-256 key, in PEM, as an ARO's system would make it."""
    return make_csr(key or ec.generate_private_key(ec.SECP256R1()), "requested-name").public_bytes(
        Encoding.PEM).decode()
