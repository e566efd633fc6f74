"""The demo registry: Parties, User IDs, the SRP arrangement and the people who use the portal.

``seed_registry()`` is idempotent: it creates what is missing and changes nothing that exists,
except that it makes sure each demo person's password is the one in the manifest and that their
offices are verified. Every save goes through the models, so the audit signals record each
creation. The meters and the manifest are contingency.demo's job (imports run portal ← contingency).

The manifest keys built here (``parties``, ``srp_arrangements``, ``people``) are documented in
docs/manifest.md; scripts outside the project read them, so keep the names stable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .accounts import demo as accounts_demo
from .accounts.services import SECOND_FACTOR_OFFICES
from .errors import Refusal
from .eui import parse_eui64
from .models import (
    LicenceStatus,
    Office,
    OfficeKind,
    OfficeStatus,
    Party,
    PartyKind,
    SRPArrangement,
    UserID,
    UserRole,
    solr_role_code,
)
from .permissions import service_desk_group

SRP_SOLR_USER_ID = "90-B3-D5-1F-30-20-00-01"
SRP_ENDPOINT_URL = "https://srp.demo.invalid/duis/responses"
ARRANGEMENT_START = dt.date(2024, 4, 1)
# A failed Supplier's licence was revoked this long before the first seeding.
REVOKED_AGO = dt.timedelta(days=2)


@dataclass(frozen=True)
class DemoSupplier:
    index: int  # 1, 2, 3…: part of its User IDs and its meters' EUIs (contingency.demo)
    name: str
    short_name: str
    failed: bool

    @property
    def import_supplier_eui(self) -> str:
        return f"90-B3-D5-1F-30-10-{self.index:02X}-01"

    @property
    def gas_supplier_eui(self) -> str:
        return f"90-B3-D5-1F-30-10-{self.index:02X}-02"


DCC = ("Smart DCC Ltd", "dcc")
AUTHORITY = ("Gas and Electricity Markets Authority", "ofgem")
SRP = ("Shared Resource Services Ltd", "shared-resource-services")
SUPPLIERS = (
    DemoSupplier(1, "Failing Energy Ltd", "failing-energy", failed=True),
    DemoSupplier(2, "Collapsed Power plc", "collapsed-power", failed=True),
    DemoSupplier(3, "Steady Supply Co", "steady-supply", failed=False),
)


@dataclass(frozen=True)
class DemoPerson:
    username: str
    password: str
    office: str  # an OfficeKind value
    party: str  # the Party's short name
    first_name: str
    last_name: str
    is_staff: bool = False


# Known demo passwords: long enough, not common, not like the username (Django's validators
# check them at seeding). They are published in the manifest: a demo, never production.
PEOPLE = (
    DemoPerson("dcc.operator1", "amber-walrus-lantern-62", OfficeKind.DCC_OPERATOR, "dcc", "Dana", "Okafor", True),
    DemoPerson("dcc.operator2", "cobalt-heron-orchard-17", OfficeKind.DCC_OPERATOR, "dcc", "Idris", "Byrne", True),
    DemoPerson("authority.officer", "saffron-badger-quarry-38", OfficeKind.AUTHORITY_OFFICER, "ofgem",
               "Priya", "Hollis"),
    DemoPerson("srp.sro", "velvet-osprey-granite-54", OfficeKind.SRO, "shared-resource-services", "Morgan", "Reid"),
    DemoPerson("srp.aro", "maple-comet-tundra-29", OfficeKind.ARO, "shared-resource-services", "Alex", "Nakamura"),
    DemoPerson("failing.sro", "russet-finch-harbour-71", OfficeKind.SRO, "failing-energy", "Sam", "Whitlock"),
    DemoPerson("failing.aro", "indigo-marten-willow-46", OfficeKind.ARO, "failing-energy", "Jo", "Castell"),
    DemoPerson("collapsed.sro", "opal-bison-meadow-83", OfficeKind.SRO, "collapsed-power", "Lee", "Arkwright"),
    DemoPerson("collapsed.aro", "cedar-lynx-beacon-25", OfficeKind.ARO, "collapsed-power", "Kit", "Ramsay"),
    DemoPerson("steady.sro", "ochre-pelican-summit-94", OfficeKind.SRO, "steady-supply", "Ash", "Delaney"),
    DemoPerson("steady.aro", "pewter-otter-canyon-12", OfficeKind.ARO, "steady-supply", "Rowan", "Ellery"),
)


class DemoConflict(Refusal):
    """The database already holds something that contradicts the demo world (e.g. a demo EUI owned elsewhere).

    Codes: ``demo-party-conflict``, ``demo-user-id-conflict``, ``demo-password-invalid``."""

    code = "demo-conflict"


def _party(name: str, short_name: str, kind: str, *, revoked: bool = False) -> Party:
    party = Party.objects.filter(short_name=short_name).first()
    if party is None:
        party = Party(name=name, short_name=short_name, kind=kind)
        if revoked:
            party.licence_status = LicenceStatus.REVOKED
            party.licence_revoked_at = (timezone.now() - REVOKED_AGO).replace(microsecond=0)
        party.save()
    elif party.kind != kind:
        raise DemoConflict(f"Party {short_name!r} exists but is a {party.get_kind_display()}, not {kind}",
                           code="demo-party-conflict")
    return party


def _user_id(eui: str, party: Party, roles: tuple[str, ...], endpoint_url: str = "") -> UserID:
    uid = UserID.objects.filter(eui=eui).select_related("party").first()
    if uid is None:
        uid = UserID.objects.create(eui=eui, party=party, endpoint_url=endpoint_url)
    elif uid.party_id != party.pk:
        raise DemoConflict(f"User ID {eui} belongs to {uid.party}, not to the demo's {party}",
                           code="demo-user-id-conflict")
    for role in roles:
        UserRole.objects.get_or_create(holder=uid, role=role)
    return uid


def _person(spec: DemoPerson, party: Party) -> None:
    User = get_user_model()
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        user = User(username=spec.username, first_name=spec.first_name, last_name=spec.last_name,
                    email=f"{spec.username}@demo.invalid", is_staff=spec.is_staff)
    try:
        password_validation.validate_password(spec.password, user)
    except ValidationError as exc:  # a broken demo table: say so rather than publish a bad password
        raise DemoConflict(f"demo password of {spec.username} fails validation: {exc.messages}",
                           code="demo-password-invalid") from exc
    if user.pk is None or not user.check_password(spec.password):
        user.set_password(spec.password)
        user.save()
    if spec.is_staff:
        user.groups.add(service_desk_group())
    office, _ = Office.objects.get_or_create(person=user, kind=spec.office, party=party,
                                             defaults={"status": OfficeStatus.VERIFIED})
    if office.status != OfficeStatus.VERIFIED:
        office.status = OfficeStatus.VERIFIED
        office.save()
    # Issue 8: the offices that need a second factor get a TOTP device; everyone gets one API token.
    if spec.office in SECOND_FACTOR_OFFICES:
        accounts_demo.ensure_totp_device(user)
    accounts_demo.ensure_api_token(user)


@transaction.atomic
def seed_registry() -> None:
    """Create the demo Parties, User IDs, the SRP arrangement and the people (what is missing)."""
    dcc = _party(*DCC, PartyKind.DCC)
    _user_id(parse_eui64(settings.DCC_USER_ID), dcc, ())  # default 90-B3-D5-1F-30-00-00-02
    _party(*AUTHORITY, PartyKind.AUTHORITY)
    srp = _party(*SRP, PartyKind.SRP)
    _user_id(SRP_SOLR_USER_ID, srp, (solr_role_code(),), endpoint_url=SRP_ENDPOINT_URL)
    for spec in SUPPLIERS:
        supplier = _party(spec.name, spec.short_name, PartyKind.SUPPLIER, revoked=spec.failed)
        _user_id(spec.import_supplier_eui, supplier, ("IS",))
        _user_id(spec.gas_supplier_eui, supplier, ("GS",))
        if spec.failed and not SRPArrangement.objects.filter(srp=srp, supplier=supplier).exists():
            SRPArrangement.objects.create(srp=srp, supplier=supplier, valid_from=ARRANGEMENT_START)
    parties = {p.short_name: p for p in Party.objects.filter(short_name__in={s.party for s in PEOPLE})}
    for spec in PEOPLE:
        _person(spec, parties[spec.party])


def _demo_short_names() -> list[str]:
    return [DCC[1], AUTHORITY[1], SRP[1], *(s.short_name for s in SUPPLIERS)]


def registry_manifest() -> dict:
    """The ``parties``, ``srp_arrangements`` and ``people`` sections of the manifest, read from the database."""
    order = _demo_short_names()
    parties = sorted(Party.objects.filter(short_name__in=order).prefetch_related("user_ids__roles"),
                     key=lambda p: order.index(p.short_name))
    party_entries = []
    for party in parties:
        entry: dict = {"name": party.name, "short_name": party.short_name, "kind": party.kind}
        if party.kind == PartyKind.SUPPLIER:
            entry["licence"] = {
                "status": party.licence_status,
                "revoked_at": party.licence_revoked_at.isoformat() if party.licence_revoked_at else None,
            }
        entry["user_ids"] = [
            {"eui": uid.eui, "roles": uid.role_codes, "status": uid.status, "endpoint_url": uid.endpoint_url}
            for uid in sorted(party.user_ids.all(), key=lambda u: u.eui)
        ]
        party_entries.append(entry)

    arrangements = [
        {"srp": a.srp.name, "supplier": a.supplier.name, "valid_from": a.valid_from.isoformat(),
         "valid_to": a.valid_to.isoformat() if a.valid_to else None}
        for a in SRPArrangement.objects.filter(srp__short_name=SRP[1]).select_related("srp", "supplier")
        .order_by("supplier__short_name", "valid_from")
    ]

    names = dict(Party.objects.filter(short_name__in=order).values_list("short_name", "name"))
    people = [
        {"username": p.username, "password": p.password, "office": str(p.office), "party": names[p.party],
         "party_short_name": p.party, "is_staff": p.is_staff,
         "totp_secret": accounts_demo.totp_secret(p.username) if p.office in SECOND_FACTOR_OFFICES else None,
         "api_token": accounts_demo.api_token(p.username)}
        for p in PEOPLE
    ]
    return {"parties": party_entries, "srp_arrangements": arrangements, "people": people}
