"""The cast for permission tests (issue 6 point 9): the people every page and action is tried with.

Two DCC operators (staff, in the "DCC service desk" group the product creates, so four-eyes rules
have two different people), an Authority officer, an SRO and an ARO of the SRP, and an SRO of another
Party: the outsider, who must be refused everything that belongs to the SRP or to the DCC. Each
member comes with a test client already signed in as them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import permissions
from portal.accounts.services import SECOND_FACTOR_OFFICES
from portal.models import Office, OfficeKind, OfficeStatus, Party, PartyKind
from tests.portal.factories import PartyFactory, PersonFactory

PASSWORD = "correct-horse-battery"  # PersonFactory's; every member can also sign in through the login form


def service_desk_group() -> Group:
    """The product's own "DCC service desk" group with the permissions it really gets."""
    return permissions.service_desk_group()


@dataclass
class Member:
    name: str  # the attribute of Cast that holds this member
    user: object
    office: Office
    client: Client = field(repr=False)
    device: TOTPDevice | None = None  # DCC operators and the Authority officer: their TOTP authenticator

    @property
    def username(self) -> str:
        return self.user.get_username()

    def otp_code(self) -> str:
        """A code the member's authenticator accepts now (never one already used: django-otp refuses a replay)."""
        self.device.refresh_from_db()
        totp = TOTP(self.device.bin_key, self.device.step, self.device.t0, self.device.digits)
        step = max(totp.t(), self.device.last_t + 1)  # one step ahead is within django-otp's tolerance
        totp.time = step * self.device.step + self.device.t0 + 1
        return f"{totp.token():0{self.device.digits}d}"


@dataclass
class Cast:
    dcc: Party
    authority: Party
    srp: Party
    other_party: Party  # a Supplier: the outsider's Party
    dcc_operator1: Member
    dcc_operator2: Member
    authority_officer: Member
    srp_sro: Member
    srp_aro: Member
    outsider: Member

    NAMES = ("dcc_operator1", "dcc_operator2", "authority_officer", "srp_sro", "srp_aro", "outsider")

    def __iter__(self):
        return (getattr(self, name) for name in self.NAMES)

    def __getitem__(self, name: str) -> Member:
        if name not in self.NAMES:
            raise KeyError(name)
        return getattr(self, name)

    @property
    def dcc_operators(self) -> tuple[Member, Member]:
        return (self.dcc_operator1, self.dcc_operator2)

    @property
    def non_staff(self) -> tuple[Member, ...]:
        return tuple(m for m in self if not m.user.is_staff)


def _member(name: str, username: str, kind: str, party: Party, *, staff: bool = False) -> Member:
    user = PersonFactory(username=username, is_staff=staff)
    if staff:
        user.groups.add(service_desk_group())
    office = Office.objects.create(person=user, kind=kind, party=party, status=OfficeStatus.VERIFIED)
    client = Client()
    client.force_login(user)
    device = None
    if kind in SECOND_FACTOR_OFFICES:
        # Issue 8: these offices pass a second factor before any page; the member's client already has.
        device = TOTPDevice.objects.create(user=user, name="cast authenticator", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return Member(name=name, user=user, office=office, client=client, device=device)


def make_cast() -> Cast:
    dcc = PartyFactory(kind=PartyKind.DCC, name="Cast DCC", short_name="cast-dcc")
    authority = PartyFactory(kind=PartyKind.AUTHORITY, name="Cast Authority", short_name="cast-authority")
    srp = PartyFactory(kind=PartyKind.SRP, name="Cast SRP", short_name="cast-srp")
    other = PartyFactory(kind=PartyKind.SUPPLIER, name="Cast Other Supplier", short_name="cast-other")
    return Cast(
        dcc=dcc, authority=authority, srp=srp, other_party=other,
        dcc_operator1=_member("dcc_operator1", "cast.dcc1", OfficeKind.DCC_OPERATOR, dcc, staff=True),
        dcc_operator2=_member("dcc_operator2", "cast.dcc2", OfficeKind.DCC_OPERATOR, dcc, staff=True),
        authority_officer=_member("authority_officer", "cast.authority", OfficeKind.AUTHORITY_OFFICER, authority),
        srp_sro=_member("srp_sro", "cast.srp-sro", OfficeKind.SRO, srp),
        srp_aro=_member("srp_aro", "cast.srp-aro", OfficeKind.ARO, srp),
        outsider=_member("outsider", "cast.outsider", OfficeKind.SRO, other),
    )
