"""The offices' pages, tried with every member of the cast: who sees what (another Party's office is 404),
who may act (a forbidden action on a visible office is 403 with its code), and that each action is audited."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditRecord, Office, OfficeKind, OfficeStatus
from portal.offices import services
from tests.portal.factories import PartyFactory, PersonFactory

NOMINATION = {"nominee": "new", "username": "page.aro", "first_name": "Page", "last_name": "Aro",
              "email": "page.aro@srp.example", "screening_reference": "HR-7", "screening_date": "2026-02-01"}


def nomination_of(cast) -> Office:
    nominee = services.NewPerson("nominee", "No", "Minee", "n@x.example")
    return services.nominate_aro(cast.srp_sro.user, cast.srp, nominee, "HR-1", timezone.localdate())


def code_of(response) -> str | None:
    refusal = response.context.get("refusal") if response.context else None
    return getattr(refusal, "code", None)


def test_pages_need_a_sign_in(client, cast):
    detail = reverse("office-detail", args=[cast.srp_aro.office.pk])
    for url in (reverse("offices"), reverse("office-nominate"), detail):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- the list -------------------------------------------------------------------------------------

def listed(member, **params) -> set[int]:
    response = member.client.get(reverse("offices"), params)
    assert response.status_code == 200
    return {o.pk for o in response.context["page"].object_list}


def test_each_person_lists_what_they_may_see(cast):
    srp_offices = {cast.srp_sro.office.pk, cast.srp_aro.office.pk}
    assert listed(cast.srp_sro) == srp_offices
    assert listed(cast.srp_aro) == srp_offices
    assert listed(cast.outsider) == {cast.outsider.office.pk}
    assert listed(cast.authority_officer) == {cast.authority_officer.office.pk}
    assert listed(cast.dcc_operator1) == set(Office.objects.values_list("pk", flat=True))


def test_a_dcc_operator_filters_by_party_and_status(cast):
    nominated = nomination_of(cast)
    assert listed(cast.dcc_operator1, party=cast.srp.pk) == {cast.srp_sro.office.pk, cast.srp_aro.office.pk,
                                                            nominated.pk}
    assert listed(cast.dcc_operator1, status="nominated") == {nominated.pk}
    assert listed(cast.dcc_operator1, party=cast.other_party.pk, status="verified") == {cast.outsider.office.pk}
    # The outsider cannot filter its way into the SRP's offices (the SRP is not among its choices).
    assert listed(cast.outsider, party=cast.srp.pk) == {cast.outsider.office.pk}


def test_the_list_is_paginated(cast):
    party = PartyFactory(name="Many AROs Ltd")
    for n in range(30):
        Office.objects.create(person=PersonFactory(username=f"many{n:02}"), kind=OfficeKind.ARO, party=party)
    first = cast.dcc_operator1.client.get(reverse("offices"), {"party": party.pk})
    second = cast.dcc_operator1.client.get(reverse("offices"), {"party": party.pk, "page": 2})
    assert len(first.context["page"].object_list) == 25 and len(second.context["page"].object_list) == 5
    assert f"party={party.pk}&amp;page=2" in first.content.decode()  # the filter survives paging


# --- nominate --------------------------------------------------------------------------------------

def test_an_sro_nominates_on_the_page(cast):
    response = cast.srp_sro.client.post(reverse("office-nominate"), {**NOMINATION, "party": cast.srp.pk})
    office = Office.objects.get(person__username="page.aro")
    assert response.status_code == 302 and response["Location"] == reverse("office-detail", args=[office.pk])
    assert (office.status, office.nominated_by, office.party) == (OfficeStatus.NOMINATED, cast.srp_sro.user, cast.srp)
    assert AuditRecord.objects.filter(action="office.nominate", actor=cast.srp_sro.username).count() == 1


@pytest.mark.parametrize("name", ["srp_aro", "dcc_operator1", "authority_officer"])
def test_who_is_no_sro_is_refused_the_nomination_page(cast, name):
    member = cast[name]
    assert code_of(member.client.get(reverse("office-nominate"))) == "office-nominate-not-allowed"
    response = member.client.post(reverse("office-nominate"), {**NOMINATION, "party": cast.srp.pk})
    assert response.status_code == 403 and code_of(response) == "office-nominate-not-allowed"
    assert not Office.objects.filter(person__username="page.aro").exists()


def test_the_outsider_cannot_nominate_for_the_srp(cast):
    response = cast.outsider.client.post(reverse("office-nominate"), {**NOMINATION, "party": cast.srp.pk})
    assert response.status_code == 400 and "party" in response.context["form"].errors
    assert not Office.objects.filter(person__username="page.aro").exists()


def test_a_bad_nomination_shows_every_error_in_a_summary_and_keeps_the_input(cast):
    response = cast.srp_sro.client.post(reverse("office-nominate"), {
        **NOMINATION, "party": cast.srp.pk, "first_name": "", "email": "not-an-email", "screening_date": ""})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"first_name", "email", "screening_date"}
    html = response.content.decode()
    assert 'role="alert"' in html and 'href="#id_email"' in html and 'href="#id_first_name"' in html
    assert 'value="page.aro"' in html and 'aria-invalid="true"' in html


def test_a_service_refusal_shows_its_code(cast):
    PersonFactory(username="page.aro")
    response = cast.srp_sro.client.post(reverse("office-nominate"), {**NOMINATION, "party": cast.srp.pk})
    assert response.status_code == 400 and code_of(response) == "office-username-taken"
    assert "office-username-taken" in response.content.decode()


# --- one office -------------------------------------------------------------------------------------

def test_another_partys_office_is_404(cast):
    nominated = nomination_of(cast)
    for office in (cast.srp_aro.office, nominated):
        url = reverse("office-detail", args=[office.pk])
        assert cast.outsider.client.get(url).status_code == 404
        assert cast.outsider.client.post(url, {"action": "remove"}).status_code == 404
        assert cast.authority_officer.client.post(url, {"action": "verify"}).status_code == 404
    assert cast.srp_sro.client.get(reverse("office-detail", args=[cast.outsider.office.pk])).status_code == 404
    assert Office.objects.get(pk=nominated.pk).status == OfficeStatus.NOMINATED


def test_a_dcc_operator_verifies_on_the_page(cast):
    office = nomination_of(cast)
    url = reverse("office-detail", args=[office.pk])
    page = cast.dcc_operator1.client.get(url)
    assert page.context["may_decide"] and 'id="verify"' in page.content.decode()
    response = cast.dcc_operator1.client.post(url, {"action": "verify"})
    assert response.status_code == 302
    office.refresh_from_db()
    assert (office.status, office.decided_by) == (OfficeStatus.VERIFIED, cast.dcc_operator1.user)
    assert AuditRecord.objects.filter(action="office.verify", actor=cast.dcc_operator1.username).exists()
    again = cast.dcc_operator2.client.post(url, {"action": "verify"})
    assert again.status_code == 409 and code_of(again) == "office-not-nominated"


def test_a_dcc_operator_rejects_with_a_reason(cast):
    office = nomination_of(cast)
    url = reverse("office-detail", args=[office.pk])
    response = cast.dcc_operator2.client.post(url, {"action": "reject", "reason": ""})
    assert response.status_code == 400 and code_of(response) == "office-rejection-reason-missing"
    assert cast.dcc_operator2.client.post(url, {"action": "reject", "reason": "no evidence"}).status_code == 302
    office.refresh_from_db()
    assert (office.status, office.rejection_reason) == (OfficeStatus.REJECTED, "no evidence")


@pytest.mark.parametrize("name", ["srp_sro", "srp_aro"])
def test_the_partys_officers_see_a_nomination_but_may_not_decide_it(cast, name):
    office = nomination_of(cast)
    url = reverse("office-detail", args=[office.pk])
    member = cast[name]
    page = member.client.get(url)
    assert page.status_code == 200 and not page.context["may_decide"] and 'id="verify"' not in page.content.decode()
    for action, code in (("verify", "office-verify-not-allowed"), ("reject", "office-reject-not-allowed")):
        response = member.client.post(url, {"action": action, "reason": "x"})
        assert response.status_code == 403 and code_of(response) == code
    assert Office.objects.get(pk=office.pk).status == OfficeStatus.NOMINATED


def test_four_eyes_on_the_page(cast):
    Office.objects.create(person=cast.dcc_operator1.user, kind=OfficeKind.SRO, party=cast.srp,
                          status=OfficeStatus.VERIFIED)
    nominee = services.NewPerson("n2", "N", "Two", "n2@x.example")
    office = services.nominate_aro(cast.dcc_operator1.user, cast.srp, nominee, "HR-2", timezone.localdate())
    response = cast.dcc_operator1.client.post(reverse("office-detail", args=[office.pk]), {"action": "verify"})
    assert response.status_code == 403 and code_of(response) == "office-four-eyes-nominator"


def test_the_sro_removes_an_aro_on_the_page(cast):
    url = reverse("office-detail", args=[cast.srp_aro.office.pk])
    assert cast.srp_sro.client.get(url).context["may_remove"]
    for name in ("srp_aro", "dcc_operator1"):  # they see the office, and may not remove it
        response = cast[name].client.post(url, {"action": "remove"})
        assert response.status_code == 403 and code_of(response) == "office-remove-not-allowed"
    assert cast.srp_sro.client.post(url, {"action": "remove"}).status_code == 302
    assert Office.objects.get(pk=cast.srp_aro.office.pk).status == OfficeStatus.REMOVED
    assert AuditRecord.objects.filter(action="office.remove", actor=cast.srp_sro.username).exists()


# --- the admin cannot go round the four eyes ---------------------------------------------------------

def test_an_aro_added_in_the_admin_is_a_nomination_its_adder_cannot_verify(cast):
    aro = PersonFactory(username="admin.aro")
    response = cast.dcc_operator1.client.post(reverse("admin:portal_office_add"), {
        "person": aro.pk, "kind": OfficeKind.ARO, "party": cast.srp.pk, "status": OfficeStatus.VERIFIED})
    assert response.status_code == 302, response.content.decode()[:2000]
    office = Office.objects.get(person=aro)
    assert (office.status, office.nominated_by) == (OfficeStatus.NOMINATED, cast.dcc_operator1.user)
    with pytest.raises(services.OfficeRefused) as excinfo:
        services.verify_office(cast.dcc_operator1.user, office)
    assert excinfo.value.code == "office-four-eyes-nominator"
    # Nor can an ARO's status be edited there: the change form ignores it.
    change = reverse("admin:portal_office_change", args=[office.pk])
    cast.dcc_operator1.client.post(change, {"status": OfficeStatus.VERIFIED})
    assert Office.objects.get(pk=office.pk).status == OfficeStatus.NOMINATED
