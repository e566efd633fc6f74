"""Offices (issue 8 point 5; SEC Section L, the SMKI RAPP): nominate, verify, reject, remove — the rules,
four eyes, compare-and-set, the audit records, and who acts for a Party."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from portal.models import AuditRecord, Office, OfficeKind, OfficeStatus
from portal.offices import acting_aro, services
from portal.offices.services import ExistingPerson, NewPerson, OfficeRefused
from tests.portal.factories import PersonFactory

SCREENED = dt.date(2026, 1, 15)


def new_person(username="new.aro", **kwargs) -> NewPerson:
    values = {"username": username, "first_name": "Nia", "last_name": "Aro", "email": f"{username}@srp.example"}
    return NewPerson(**{**values, **kwargs})


def nominate(cast, nominee=None, by=None, party=None) -> Office:
    return services.nominate_aro((by or cast.srp_sro).user, party or cast.srp, nominee or new_person(),
                                 "HR-2026-0042", SCREENED)


def refused(call, *args) -> OfficeRefused:
    with pytest.raises(OfficeRefused) as excinfo:
        call(*args)
    return excinfo.value


# --- nominate -----------------------------------------------------------------------------------

def test_an_sro_nominates_a_new_person_who_does_not_act_until_verified(cast):
    office = nominate(cast)
    person = office.person
    assert (office.kind, office.party, office.status) == (OfficeKind.ARO, cast.srp, OfficeStatus.NOMINATED)
    assert (office.nominated_by, office.screening_reference, office.screening_date) == (
        cast.srp_sro.user, "HR-2026-0042", SCREENED)
    assert (person.first_name, person.last_name, person.email) == ("Nia", "Aro", "new.aro@srp.example")
    assert not person.has_usable_password()  # the service desk issues credentials
    assert acting_aro(person, cast.srp) is None
    record = AuditRecord.objects.get(action="office.nominate")
    assert (record.actor, record.subject_id) == (cast.srp_sro.username, str(office.pk))
    assert record.after["new_person"] is True and record.after["screening_reference"] == "HR-2026-0042"


def test_an_existing_person_is_named_by_username_and_email(cast):
    person = PersonFactory(username="known.person", email="known@srp.example")
    office = nominate(cast, ExistingPerson("known.person", "KNOWN@srp.example"))
    assert office.person == person
    for wrong in (ExistingPerson("known.person", "other@srp.example"), ExistingPerson("nobody", "known@srp.example"),
                  ExistingPerson("known.person", "")):
        assert refused(nominate, cast, wrong).code == "office-nominee-unknown"


def test_only_an_sro_of_the_party_nominates(cast):
    for member in (cast.srp_aro, cast.dcc_operator1, cast.authority_officer, cast.outsider):
        exc = refused(nominate, cast, new_person(f"n-{member.name}"), member)
        assert (exc.code, exc.http_status) == ("office-nominate-not-allowed", 403)
    # The outsider is an SRO, of its own Party only.
    assert nominate(cast, new_person("other.aro"), cast.outsider, cast.other_party).party == cast.other_party
    assert not Office.objects.filter(person__username__startswith="n-").exists()
    assert not get_user_model().objects.filter(username__startswith="n-").exists()


def test_a_removed_sro_nominates_nobody(cast):
    Office.objects.filter(pk=cast.srp_sro.office.pk).update(status=OfficeStatus.REMOVED)
    assert refused(nominate, cast).code == "office-nominate-not-allowed"


def test_nomination_input_refusals_change_nothing(cast):
    PersonFactory(username="taken")
    assert refused(nominate, cast, new_person("TAKEN")).code == "office-username-taken"
    exc = refused(services.nominate_aro, cast.srp_sro.user, cast.srp, new_person(), "HR-1",
                  timezone.localdate() + dt.timedelta(days=1))
    assert exc.code == "office-screening-date-future"
    assert refused(services.nominate_aro, cast.srp_sro.user, cast.srp, new_person(), "  ", SCREENED).code == \
        "office-screening-missing"
    # A DCC operator or an Authority officer is never a Party's ARO.
    for member in (cast.dcc_operator1, cast.authority_officer):
        exc = refused(nominate, cast, ExistingPerson(member.username, member.user.email or "x@example"))
        assert exc.code in {"office-nominee-not-eligible", "office-nominee-unknown"}
    assert not get_user_model().objects.filter(username="new.aro").exists()
    assert Office.objects.filter(status=OfficeStatus.NOMINATED).count() == 0


def test_a_dcc_operator_with_an_email_is_not_eligible(cast):
    get_user_model().objects.filter(pk=cast.dcc_operator2.user.pk).update(email="op2@dcc.example")
    assert refused(nominate, cast, ExistingPerson(cast.dcc_operator2.username, "op2@dcc.example")).code == \
        "office-nominee-not-eligible"


def test_one_live_aro_office_per_person_and_party_but_a_removed_one_can_come_back(cast):
    aro = cast.srp_aro
    email = "aro@srp.example"
    get_user_model().objects.filter(pk=aro.user.pk).update(email=email)
    assert refused(nominate, cast, ExistingPerson(aro.username, email)).code == "office-already-held"
    services.remove_office(cast.srp_sro.user, aro.office)
    again = nominate(cast, ExistingPerson(aro.username, email))
    assert again.status == OfficeStatus.NOMINATED and again.pk != aro.office.pk
    assert Office.objects.filter(person=aro.user, party=cast.srp, kind=OfficeKind.ARO).count() == 2


# --- verify / reject ------------------------------------------------------------------------------

def test_a_dcc_operator_verifies_and_the_aro_acts_for_its_party_only(cast):
    office = nominate(cast)
    verified = services.verify_office(cast.dcc_operator1.user, office)
    assert (verified.status, verified.decided_by) == (OfficeStatus.VERIFIED, cast.dcc_operator1.user)
    assert verified.decided_at is not None
    assert acting_aro(office.person, cast.srp) == verified
    assert acting_aro(office.person, cast.other_party) is None
    assert Office.objects.verified().of_person(office.person).get() == verified
    record = AuditRecord.objects.get(action="office.verify")
    assert (record.actor, record.before, record.after["status"]) == (
        cast.dcc_operator1.username, {"status": "nominated"}, "verified")


def test_an_inactive_person_does_not_act(cast):
    get_user_model().objects.filter(pk=cast.srp_aro.user.pk).update(is_active=False)
    cast.srp_aro.user.refresh_from_db()
    assert acting_aro(cast.srp_aro.user, cast.srp) is None


def test_only_a_dcc_operator_verifies_or_rejects(cast):
    office = nominate(cast)
    for member in (cast.srp_sro, cast.srp_aro, cast.authority_officer, cast.outsider):
        exc = refused(services.verify_office, member.user, office)
        assert (exc.code, exc.http_status) == ("office-verify-not-allowed", 403)
        assert refused(services.reject_office, member.user, office, "no").code == "office-reject-not-allowed"
    assert Office.objects.get(pk=office.pk).status == OfficeStatus.NOMINATED


def test_four_eyes_the_verifier_is_never_the_nominator_nor_the_nominee(cast):
    # A DCC operator who is also an SRO of a Party nominates; the same operator may not decide.
    Office.objects.create(person=cast.dcc_operator1.user, kind=OfficeKind.SRO, party=cast.srp,
                          status=OfficeStatus.VERIFIED)
    office = nominate(cast, by=cast.dcc_operator1)
    for call, args in ((services.verify_office, ()), (services.reject_office, ("no",))):
        exc = refused(call, cast.dcc_operator1.user, office, *args)
        assert (exc.code, exc.http_status) == ("office-four-eyes-nominator", 403)
    # The nominee, a DCC operator of another office (nominated before becoming one), may not decide either.
    nominee = nominate(cast, new_person("later.operator"))
    Office.objects.create(person=nominee.person, kind=OfficeKind.DCC_OPERATOR, party=cast.dcc,
                          status=OfficeStatus.VERIFIED)
    exc = refused(services.verify_office, nominee.person, nominee)
    assert (exc.code, exc.http_status) == ("office-four-eyes-nominee", 403)
    assert set(Office.objects.filter(pk__in=(office.pk, nominee.pk)).values_list("status", flat=True)) == {
        OfficeStatus.NOMINATED}
    assert services.verify_office(cast.dcc_operator2.user, office).status == OfficeStatus.VERIFIED


def test_a_rejection_says_why_and_ends_the_nomination(cast):
    office = nominate(cast)
    assert refused(services.reject_office, cast.dcc_operator1.user, office, " ").code == \
        "office-rejection-reason-missing"
    rejected = services.reject_office(cast.dcc_operator1.user, office, "screening evidence expired")
    assert (rejected.status, rejected.rejection_reason) == (OfficeStatus.REJECTED, "screening evidence expired")
    assert acting_aro(office.person, cast.srp) is None
    exc = refused(services.verify_office, cast.dcc_operator2.user, office)
    assert (exc.code, exc.http_status) == ("office-not-nominated", 409)
    assert AuditRecord.objects.get(action="office.reject").after["reason"] == "screening evidence expired"


def test_a_decided_nomination_is_not_decided_again(cast):
    office = nominate(cast)
    services.verify_office(cast.dcc_operator1.user, office)
    assert refused(services.verify_office, cast.dcc_operator2.user, office).code == "office-not-nominated"
    assert refused(services.reject_office, cast.dcc_operator2.user, office, "late").code == "office-not-nominated"
    assert Office.objects.get(pk=office.pk).decided_by == cast.dcc_operator1.user


def test_the_compare_and_set_refuses_a_stale_decision(cast, monkeypatch):
    """The second of two operators read the office as nominated, but the first changed it in between: the
    conditional update finds nothing and the second is refused. (The refusal rolls back its transaction, in
    which this test made the "other" change, so the office is back to nominated: never rejected.)"""
    office = nominate(cast)
    real_load = services._load

    def load_then_lose_the_race(pk):
        loaded = real_load(pk)
        Office.objects.filter(pk=loaded.pk).update(status=OfficeStatus.VERIFIED, decided_by=cast.dcc_operator1.user)
        return loaded

    monkeypatch.setattr(services, "_load", load_then_lose_the_race)
    exc = refused(services.reject_office, cast.dcc_operator2.user, office, "too late")
    assert exc.code == "office-not-nominated"
    current = Office.objects.get(pk=office.pk)
    assert (current.status, current.rejection_reason) == (OfficeStatus.NOMINATED, "")
    assert not AuditRecord.objects.filter(action="office.reject").exists()


@pytest.mark.django_db(transaction=True)
def test_two_operators_at_once_one_wins_one_is_refused():
    from tests.helpers.cast import make_cast

    cast = make_cast()
    office = nominate(cast)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def decide(member, call, *args):
        try:
            barrier.wait(timeout=10)
            outcomes[member.name] = call(member.user, office.pk, *args).status
        except OfficeRefused as exc:
            outcomes[member.name] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(cast.dcc_operator1, services.verify_office)),
               threading.Thread(target=decide, args=(cast.dcc_operator2, services.reject_office, "no"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(map(str, outcomes.values())) in (["office-not-nominated", "verified"],
                                                   ["office-not-nominated", "rejected"])
    assert AuditRecord.objects.filter(action__in=("office.verify", "office.reject")).count() == 1


# --- remove -------------------------------------------------------------------------------------------

def test_the_sro_removes_an_aro_who_stops_acting_at_once(cast):
    assert acting_aro(cast.srp_aro.user, cast.srp) is not None
    removed = services.remove_office(cast.srp_sro.user, cast.srp_aro.office)
    assert (removed.status, removed.removed_by) == (OfficeStatus.REMOVED, cast.srp_sro.user)
    assert acting_aro(cast.srp_aro.user, cast.srp) is None
    exc = refused(services.remove_office, cast.srp_sro.user, cast.srp_aro.office)
    assert (exc.code, exc.http_status) == ("office-not-live", 409)
    record = AuditRecord.objects.get(action="office.remove")
    assert (record.actor, record.before) == (cast.srp_sro.username, {"status": "verified"})


def test_a_nomination_can_be_withdrawn_by_removing_it(cast):
    office = nominate(cast)
    services.remove_office(cast.srp_sro.user, office)
    assert refused(services.verify_office, cast.dcc_operator1.user, office).code == "office-not-nominated"


def test_only_an_sro_of_the_party_removes_and_only_aros(cast):
    for member in (cast.srp_aro, cast.dcc_operator1, cast.authority_officer, cast.outsider):
        exc = refused(services.remove_office, member.user, cast.srp_aro.office)
        assert (exc.code, exc.http_status) == ("office-remove-not-allowed", 403)
    # An SRO removes AROs, not SROs (its own office included).
    assert refused(services.remove_office, cast.srp_sro.user, cast.srp_sro.office).code == "office-remove-not-allowed"
    assert Office.objects.get(pk=cast.srp_aro.office.pk).status == OfficeStatus.VERIFIED


# --- who sees what ------------------------------------------------------------------------------------

def test_visible_offices(cast):
    office = nominate(cast)
    assert set(services.visible_offices(cast.dcc_operator1.user)) == set(Office.objects.all())
    srp_offices = set(Office.objects.filter(party=cast.srp))
    assert set(services.visible_offices(cast.srp_sro.user)) == srp_offices
    assert set(services.visible_offices(cast.srp_aro.user)) == srp_offices
    assert set(services.visible_offices(cast.outsider.user)) == {cast.outsider.office}
    assert set(services.visible_offices(cast.authority_officer.user)) == {cast.authority_officer.office}
    # A nominee who does not act yet sees its own office only.
    assert set(services.visible_offices(office.person)) == {office}


def test_nominations_to_decide_leave_out_the_operators_own(cast):
    Office.objects.create(person=cast.dcc_operator1.user, kind=OfficeKind.SRO, party=cast.srp,
                          status=OfficeStatus.VERIFIED)
    by_operator1 = nominate(cast, new_person("by.op1"), by=cast.dcc_operator1)
    by_sro = nominate(cast)
    assert set(services.nominations_to_decide(cast.dcc_operator1.user)) == {by_sro}
    assert set(services.nominations_to_decide(cast.dcc_operator2.user)) == {by_operator1, by_sro}
    for member in (cast.srp_sro, cast.srp_aro, cast.outsider, cast.authority_officer):
        assert not services.nominations_to_decide(member.user).exists()
    services.verify_office(cast.dcc_operator2.user, by_sro)
    assert set(services.nominations_to_decide(cast.dcc_operator2.user)) == {by_operator1}
