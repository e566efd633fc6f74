"""Offices (SEC Section L, the SMKI RAPP): an SRO nominates an ARO of its own Party or removes one; a DCC
operator verifies or rejects the nomination. Only a verified ARO acts for its Party.

Each action takes the acting person and validated values, runs in one transaction, writes its audit record
with that person as the actor, and refuses with an ``OfficeRefused`` whose ``code`` is listed in
docs/refusal-codes.md ("Offices"); a refusal changes nothing.

- ``nominate_aro(person, party, nominee, screening_reference, screening_date)`` — an SRO of ``party``.
  ``nominee`` is a ``NewPerson`` (an account is created, with no usable password: the DCC service desk
  issues the credentials, docs/offices.md) or an ``ExistingPerson`` (named by username *and* email, so an SRO
  cannot attach anyone by guessing a username).
- ``verify_office(person, office)`` / ``reject_office(person, office, reason)`` — a DCC operator who is neither
  the nominator nor the nominee (four eyes). Compare-and-set on ``status``: of two operators at once, one
  wins, the other is refused with ``office-not-nominated``.
- ``remove_office(person, office)`` — an SRO of the office's Party; compare-and-set as well.

For the other rooms: ``acting_aro(person, party)`` is the one answer to "does this person act for this Party
as an ARO now?"; ``Office.objects.acting()`` / ``.verified().of_person(p)`` are the queryset words.
``visible_offices(person)`` is what a person may see (pages and API).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from portal import audit
from portal.errors import Refusal
from portal.models import LIVE_OFFICE_STATUSES, Office, OfficeKind, OfficeStatus, Party


class OfficeRefused(Refusal):
    """An office action was refused; nothing changed. ``http_status``: 403 when the rules forbid the person the
    action (not their office, four eyes), 409 when the office is no longer in the state the action needs, 400
    for bad input."""

    code = "office-refused"


def _forbidden(message: str, code: str) -> OfficeRefused:
    return OfficeRefused(message, code=code, http_status=403)


# --- who -----------------------------------------------------------------------------------------

def acting_offices(person):
    """The offices through which ``person`` may act now (nothing for an anonymous or inactive person)."""
    if not getattr(person, "is_authenticated", False) or not getattr(person, "is_active", False):
        return Office.objects.none()
    return Office.objects.acting().of_person(person)


def acting_aro(person, party: Party | int) -> Office | None:
    """``person``'s verified ARO office of ``party``, or None: the one test of "acts for this Party as an ARO"
    (issue 8 point 5: only a verified ARO acts for its Party)."""
    return acting_offices(person).aros().of_party(party).first()


def acting_sro(person, party: Party | int) -> Office | None:
    return acting_offices(person).sros().of_party(party).first()


def is_dcc_operator(person) -> bool:
    """The one test of "is a DCC operator now" (portal, pki and contingency all ask it here): a verified DCC
    operator office of an active, signed-in person."""
    return acting_offices(person).dcc_operators().verified().exists()


def sro_parties(person):
    """The Parties for which ``person`` may nominate and remove AROs."""
    return Party.objects.filter(pk__in=acting_offices(person).sros().values("party_id"))


def visible_offices(person):
    """Every office for a DCC operator; otherwise the offices of the Parties the person acts for as SRO or
    ARO, and the person's own offices (whatever their state). Anything else does not exist for them (404)."""
    if is_dcc_operator(person):
        return Office.objects.all()
    if not getattr(person, "is_authenticated", False):
        return Office.objects.none()
    parties = acting_offices(person).filter(kind__in=(OfficeKind.SRO, OfficeKind.ARO)).values("party_id")
    return Office.objects.filter(Q(party_id__in=parties) | Q(person_id=person.pk))


def nominations_to_decide(person):
    """The ARO nominations waiting for ``person`` to verify or reject: for a DCC operator, the nominated AROs
    they neither nominated nor are named in (four eyes); nothing for anyone else. For home pages."""
    if not is_dcc_operator(person):
        return Office.objects.none()
    return Office.objects.nominated().aros().exclude(nominated_by_id=person.pk).exclude(person_id=person.pk)


def may_remove(person, office: Office) -> bool:
    return office.kind == OfficeKind.ARO and acting_sro(person, office.party_id) is not None


# --- nominees --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewPerson:
    username: str
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class ExistingPerson:
    username: str
    email: str


def _nominee_account(nominee: NewPerson | ExistingPerson):
    User = get_user_model()
    if isinstance(nominee, ExistingPerson):
        found = User.objects.filter(username=nominee.username, is_active=True,
                                    email__iexact=nominee.email.strip()).first()
        if found is None or not nominee.email.strip():
            # Unknown, inactive, or the email does not match: said the same way, so nobody learns who exists.
            raise OfficeRefused("no active person has that username and email", code="office-nominee-unknown")
        return found, False
    if User.objects.filter(username__iexact=nominee.username).exists():
        raise OfficeRefused(f"the username {nominee.username!r} is taken", code="office-username-taken")
    person = User(username=nominee.username, first_name=nominee.first_name, last_name=nominee.last_name,
                  email=nominee.email)
    person.set_unusable_password()  # the DCC service desk issues credentials once the ARO is verified
    person.full_clean(exclude=["password"])
    person.save()
    return person, True


def _state(office: Office) -> dict:
    return {"status": office.status, "kind": office.kind, "party": office.party_id,
            "person": office.person.get_username()}


# --- the actions -----------------------------------------------------------------------------------

def nominate_aro(person, party: Party, nominee: NewPerson | ExistingPerson, screening_reference: str,
                 screening_date: dt.date) -> Office:
    """A new ARO nomination of ``party``, waiting for a DCC operator."""
    if acting_sro(person, party) is None:
        raise _forbidden(f"only an SRO of {party} nominates its AROs", "office-nominate-not-allowed")
    if not screening_reference.strip():
        raise OfficeRefused("the screening evidence reference is required", code="office-screening-missing")
    if screening_date > timezone.localdate():
        raise OfficeRefused("the screening date is in the future", code="office-screening-date-future")
    with transaction.atomic():
        account, created = _nominee_account(nominee)
        if Office.objects.live().of_person(account).filter(
                kind__in=(OfficeKind.DCC_OPERATOR, OfficeKind.AUTHORITY_OFFICER)).exists():
            # The DCC checks the DCC Users' officers: nobody is on both sides (SEC L / RAPP).
            raise OfficeRefused("a DCC operator or Authority officer cannot be a Party's ARO",
                                code="office-nominee-not-eligible")
        if Office.objects.live().of_person(account).aros().of_party(party).exists():
            raise OfficeRefused(f"{account.get_username()} is already an ARO of {party} or nominated as one",
                                code="office-already-held")
        try:
            with transaction.atomic():
                office = Office.objects.create(
                    person=account, kind=OfficeKind.ARO, party=party, status=OfficeStatus.NOMINATED,
                    nominated_by=person, screening_reference=screening_reference.strip(),
                    screening_date=screening_date)
        except IntegrityError:  # a concurrent nomination of the same person won
            raise OfficeRefused(f"{account.get_username()} is already nominated as an ARO of {party}",
                                code="office-already-held") from None
        audit.write("office.nominate", office, actor=person.get_username(),
                    after={**_state(office), "screening_reference": office.screening_reference,
                           "screening_date": office.screening_date, "new_person": created})
    return office


def _claim(office: Office, expected: tuple[str, ...], refusal, **changes) -> Office:
    """Compare-and-set ``status`` from one of ``expected``; whoever comes second gets ``refusal(office)``."""
    won = Office.objects.filter(pk=office.pk, status__in=expected).update(**changes)
    if not won:
        raise refusal(office)
    return Office.objects.select_related("person", "party").get(pk=office.pk)


def _load(office: Office | int) -> Office:
    return Office.objects.select_related("person", "party").get(pk=getattr(office, "pk", office))


def _check_decider(person, office: Office, action: str) -> None:
    if not is_dcc_operator(person):
        raise _forbidden(f"only a DCC operator may {action} a nomination", f"office-{action}-not-allowed")
    # Four eyes (DESIGN §6): the verifier is never the nominator nor the nominee.
    if office.nominated_by_id == person.pk:
        raise _forbidden("the nominator cannot decide their own nomination", "office-four-eyes-nominator")
    if office.person_id == person.pk:
        raise _forbidden("the nominee cannot decide their own nomination", "office-four-eyes-nominee")


def _not_nominated(office: Office) -> OfficeRefused:
    current = Office.objects.filter(pk=office.pk).values_list("status", flat=True).first()
    return OfficeRefused(f"office #{office.pk} is {current}, no longer nominated", code="office-not-nominated",
                         http_status=409)


def _not_live(office: Office) -> OfficeRefused:
    return OfficeRefused(f"office #{office.pk} is no longer live (rejected or removed)", code="office-not-live",
                         http_status=409)


def verify_office(person, office: Office | int) -> Office:
    with transaction.atomic():
        office = _load(office)
        _check_decider(person, office, "verify")
        if office.status != OfficeStatus.NOMINATED:
            raise _not_nominated(office)
        office = _claim(office, (OfficeStatus.NOMINATED,), _not_nominated, status=OfficeStatus.VERIFIED,
                        decided_by=person, decided_at=timezone.now())
        audit.write("office.verify", office, actor=person.get_username(),
                    before={"status": OfficeStatus.NOMINATED}, after=_state(office))
    return office


def reject_office(person, office: Office | int, reason: str) -> Office:
    with transaction.atomic():
        office = _load(office)
        _check_decider(person, office, "reject")
        if not reason.strip():
            raise OfficeRefused("a rejection says why", code="office-rejection-reason-missing")
        if office.status != OfficeStatus.NOMINATED:
            raise _not_nominated(office)
        office = _claim(office, (OfficeStatus.NOMINATED,), _not_nominated, status=OfficeStatus.REJECTED,
                        decided_by=person, decided_at=timezone.now(), rejection_reason=reason.strip())
        audit.write("office.reject", office, actor=person.get_username(),
                    before={"status": OfficeStatus.NOMINATED}, after={**_state(office), "reason": reason.strip()})
    return office


def remove_office(person, office: Office | int) -> Office:
    """The SRO removes an ARO of its Party (nominated or verified); it stops acting at once."""
    with transaction.atomic():
        office = _load(office)
        if not may_remove(person, office):
            raise _forbidden(f"only an SRO of {office.party} removes its AROs", "office-remove-not-allowed")
        before = office.status
        if before not in LIVE_OFFICE_STATUSES:
            raise _not_live(office)
        office = _claim(office, LIVE_OFFICE_STATUSES, _not_live, status=OfficeStatus.REMOVED, removed_by=person,
                        removed_at=timezone.now())
        audit.write("office.remove", office, actor=person.get_username(), before={"status": before},
                    after=_state(office))
    return office
