"""Home page per office (issue 8 point 11): the panel registry of portal.home and the panels pki and
contingency register, seen by each member of the cast."""

import datetime as dt
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from contingency.models import AdtFile, AdtFileState
from pki.models import Certificate, CertificateKind, KeyUsage
from portal import home
from portal.home import Item, Panel, Viewer, panels_for, register_panel, registered_panels
from portal.models import Office, OfficeKind, OfficeStatus
from tests.helpers.permissions import assert_access
from tests.portal.factories import PersonFactory, UserIDFactory


@pytest.fixture
def isolated_registry(monkeypatch):
    """The registry with only what a test registers (the apps' own panels put back afterwards)."""
    monkeypatch.setattr(home, "_panels", {})
    return home._panels


def shown(user) -> dict[str, list[str]]:
    return {s.panel.key: [item.text for item in s.items] for s in panels_for(user)}


# --- the registry --------------------------------------------------------------------------------------

def test_the_apps_register_their_panels_at_start_up():
    ours = ["portal.nominations", "contingency.adt_approvals", "pki.expiring_certificates"]
    keys = [panel.key for panel in registered_panels()]
    assert [key for key in keys if key in ours] == ours  # in this order (other panels may join)


def test_panels_come_in_order_and_a_panel_answering_none_is_not_shown(db, isolated_registry):
    person = PersonFactory(username="p")
    register_panel(Panel("b.second", "Second", lambda viewer: [Item("two")], order=2))
    register_panel(Panel("a.hidden", "Hidden", lambda viewer: None, order=0))
    register_panel(Panel("c.first", "First", lambda viewer: [], order=1))
    assert shown(person) == {"c.first": [], "b.second": ["two"]}
    assert [s.panel.key for s in panels_for(person)] == ["c.first", "b.second"]


def test_registering_a_key_again_replaces_the_panel_and_a_key_names_its_app(db, isolated_registry):
    register_panel(Panel("x.one", "Old", lambda viewer: [Item("old")]))
    register_panel(Panel("x.one", "New", lambda viewer: [Item("new")]))
    assert shown(PersonFactory(username="p")) == {"x.one": ["new"]}
    with pytest.raises(ValueError):
        register_panel(Panel("nodot", "Bad", lambda viewer: None))


def test_a_viewer_counts_only_verified_offices(cast):
    person = PersonFactory(username="nominee")
    Office.objects.create(person=person, kind=OfficeKind.ARO, party=cast.srp, status=OfficeStatus.NOMINATED)
    Office.objects.create(person=person, kind=OfficeKind.SRO, party=cast.other_party, status=OfficeStatus.VERIFIED)
    viewer = Viewer.of(person)
    assert viewer.parties_as(OfficeKind.ARO) == frozenset()
    assert viewer.parties_as(OfficeKind.SRO, OfficeKind.ARO) == {cast.other_party.pk}
    assert not viewer.is_dcc_operator and Viewer.of(cast.dcc_operator1.user).is_dcc_operator


# --- nominations to verify (DCC operator) ---------------------------------------------------------------

def test_a_dcc_operator_sees_the_nominations_to_verify_and_nobody_else_does(cast):
    nominee = PersonFactory(username="aro-nominee")
    Office.objects.create(person=nominee, kind=OfficeKind.ARO, party=cast.srp, status=OfficeStatus.NOMINATED)
    assert shown(cast.dcc_operator1.user)["portal.nominations"] == [
        "aro-nominee — Authorised Responsible Officer of Cast SRP"]
    for who in ("authority_officer", "srp_sro", "srp_aro", "outsider"):
        assert "portal.nominations" not in shown(cast[who].user), who


def test_an_operator_is_not_asked_to_verify_their_own_nomination(cast):
    Office.objects.create(person=cast.dcc_operator1.user, kind=OfficeKind.ARO, party=cast.srp,
                          status=OfficeStatus.NOMINATED)
    assert shown(cast.dcc_operator1.user)["portal.nominations"] == []
    assert len(shown(cast.dcc_operator2.user)["portal.nominations"]) == 1


def test_an_operator_is_not_asked_to_verify_a_nomination_they_made(cast):
    """Seen by a newcomer: an operator who added an ARO in the admin (a nomination by that operator) was asked
    to verify it on the home page, and the office page offered the buttons the service then refused."""
    nominee = PersonFactory(username="aro-by-op1")
    office = Office.objects.create(person=nominee, kind=OfficeKind.ARO, party=cast.srp, status=OfficeStatus.NOMINATED,
                                   nominated_by=cast.dcc_operator1.user)
    assert shown(cast.dcc_operator1.user)["portal.nominations"] == []
    assert shown(cast.dcc_operator2.user)["portal.nominations"] == [
        "aro-by-op1 — Authorised Responsible Officer of Cast SRP"]
    page = cast.dcc_operator1.client.get(reverse("office-detail", args=[office.pk]))
    assert not page.context["may_decide"] and page.context["own_nomination"]
    assert b'id="verify"' not in page.content and b'id="four-eyes-note"' in page.content
    other = cast.dcc_operator2.client.get(reverse("office-detail", args=[office.pk]))
    assert other.context["may_decide"] and b'id="verify"' in other.content


# --- ADT files to approve (contingency) ----------------------------------------------------------------

def adt_file(party, uploader, name, state=AdtFileState.SUBMITTED):
    return AdtFile.objects.create(party=party, uploaded_by=uploader, file_name=name, state=state,
                                  sha256=hashlib.sha256(name.encode()).hexdigest(), size=10)


def test_adt_files_wait_for_another_sro_of_the_party_or_a_dcc_operator(cast):
    adt_file(cast.srp, cast.srp_aro.user, "by-aro.csv")
    adt_file(cast.srp, cast.srp_sro.user, "by-sro.csv")
    adt_file(cast.srp, cast.srp_aro.user, "done.csv", state=AdtFileState.ACTIVE)
    adt_file(cast.other_party, cast.outsider.user, "other.csv")

    assert shown(cast.dcc_operator1.user)["contingency.adt_approvals"] == [
        "by-aro.csv — Cast SRP", "by-sro.csv — Cast SRP", "other.csv — Cast Other Supplier"]
    # The SRO never sees its own upload (four eyes) nor another Party's file.
    assert shown(cast.srp_sro.user)["contingency.adt_approvals"] == ["by-aro.csv — Cast SRP"]
    assert shown(cast.outsider.user)["contingency.adt_approvals"] == []
    # An ARO uploads but does not approve; an Authority officer has nothing to do with ADT files.
    assert "contingency.adt_approvals" not in shown(cast.srp_aro.user)
    assert "contingency.adt_approvals" not in shown(cast.authority_officer.user)


# --- certificates about to expire (pki) ----------------------------------------------------------------

def certificate(party, serial, expires_in_days, revoked=False):
    now = timezone.now()
    user_id = UserIDFactory(party=party)
    return Certificate.objects.create(
        serial=str(serial), issuer_name="CN=Test CA", kind=CertificateKind.XML_SIGNING,
        key_usage=KeyUsage.DIGITAL_SIGNATURE, der=f"cert {serial}".encode(),
        not_before=now - dt.timedelta(days=300), not_after=now + dt.timedelta(days=expires_in_days),
        user_id=user_id, revoked_at=now - dt.timedelta(days=1) if revoked else None)


def serials(user) -> list[str]:
    return [text.rsplit("serial ", 1)[1] for text in shown(user).get("pki.expiring_certificates", ["serial -"])]


def test_an_sro_and_an_aro_see_their_partys_certificates_expiring_within_60_days(cast):
    certificate(cast.srp, 1, 10)
    certificate(cast.srp, 2, 59)
    certificate(cast.srp, 3, 61)  # later than the horizon
    certificate(cast.srp, 4, 10, revoked=True)  # no longer valid
    certificate(cast.srp, 5, -1)  # already expired
    certificate(cast.other_party, 6, 10)  # another Party's
    assert serials(cast.srp_sro.user) == ["1", "2"]
    assert serials(cast.srp_aro.user) == ["1", "2"]
    assert serials(cast.outsider.user) == ["6"]
    assert "pki.expiring_certificates" not in shown(cast.authority_officer.user)


def test_the_horizon_is_a_setting(cast, settings):
    certificate(cast.srp, 1, 10)
    certificate(cast.srp, 2, 40)
    settings.SOLR_HOME_EXPIRING_DAYS = 30
    assert serials(cast.srp_aro.user) == ["1"]


# --- the page --------------------------------------------------------------------------------------------

def test_every_office_gets_its_home_page_and_the_anonymous_are_sent_to_sign_in(cast):
    assert_access(cast, "get", "/", {}, others=200)


def test_the_home_page_shows_each_person_what_waits_for_them_and_nothing_of_other_parties(cast):
    adt_file(cast.srp, cast.srp_aro.user, "thresholds-srp.csv")
    adt_file(cast.other_party, cast.outsider.user, "thresholds-other.csv")
    operator = cast.dcc_operator1.client.get("/").content.decode()
    assert "ADT files to approve" in operator and "Nominations to verify" in operator
    assert "thresholds-srp.csv" in operator and "thresholds-other.csv" in operator
    sro = cast.srp_sro.client.get("/").content.decode()
    assert "thresholds-srp.csv" in sro and "thresholds-other.csv" not in sro
    assert "Nominations to verify" not in sro
    outsider = cast.outsider.client.get("/").content.decode()
    assert "thresholds-srp.csv" not in outsider and "thresholds-other.csv" not in outsider
