"""Role-aware navigation (issue 8 point 11): entries by verified office, hidden until their URL name exists,
the current page marked with aria-current."""

import re

import pytest
from django.shortcuts import render
from django.urls import include, path

from portal.models import Office, OfficeKind, OfficeStatus
from portal.navigation import ENTRIES, links_for
from tests.helpers.permissions import assert_access
from tests.portal.factories import PersonFactory


def _page(request, **kwargs):
    return render(request, "base.html")


# A URL configuration in which every name the navigation knows exists (the parts of issue 8 land at
# different times; this one does not depend on which of them are on the branch yet).
urlpatterns = [
    path("", _page, name="home"),
    path("login/", _page, name="login"),
    path("logout/", _page, name="logout"),
    path("account/", _page, name="account"),
    path("offices/", _page, name="offices"),
    path("offices/<int:pk>/", _page, name="office-detail"),
    path("certificates/", _page, name="certificates"),
    path("certificates/revocations/", _page, name="revocation-requests"),
    path("adt-files/", _page, name="adt-files"),
    path("events/", include(([path("", _page, name="list")], "events"))),
    path("lockouts/", _page, name="lockouts"),
    path("api/docs/", _page, name="api-docs"),
    path("admin/", include(([path("", _page, name="index")], "admin"))),
]
ALL = pytest.mark.urls(__name__)

EVERYONE = ["Home", "API documentation", "Your account"]
EXPECTED = {
    "dcc_operator1": ["Home", "Offices", "Certificates", "Revocation requests", "ADT files", "SoLR events",
                      "Lockouts", "API documentation", "Your account", "Admin"],
    "authority_officer": ["Home", "SoLR events", "API documentation", "Your account"],
    "srp_sro": ["Home", "Offices", "Certificates", "ADT files", "API documentation", "Your account"],
    "srp_aro": ["Home", "Certificates", "ADT files", "API documentation", "Your account"],
    # The outsider is an SRO of another Party: the same entries (what they list is scoped by the pages).
    "outsider": ["Home", "Offices", "Certificates", "ADT files", "API documentation", "Your account"],
}


def nav_labels(html: str) -> list[str]:
    nav = re.search(r'<nav class="site-nav"[^>]*>(.*?)</nav>', html, re.S)
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(1)) if nav else []


@ALL
@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_office_sees_its_entries(cast, who):
    response = cast[who].client.get("/")
    assert response.status_code == 200
    assert nav_labels(response.content.decode()) == EXPECTED[who]


@ALL
def test_a_nominated_aro_acts_for_nobody_yet_and_sees_only_what_everyone_sees(cast):
    person = PersonFactory(username="nominee")
    Office.objects.create(person=person, kind=OfficeKind.ARO, party=cast.srp, status=OfficeStatus.NOMINATED)
    assert [link.label for link in links_for(person, "/")] == EVERYONE


@ALL
def test_staff_without_an_office_still_reach_the_admin(cast):
    person = PersonFactory(username="staff-only", is_staff=True)
    assert [link.label for link in links_for(person, "/")] == [*EVERYONE, "Admin"]


@ALL
@pytest.mark.parametrize(("path", "current"), [
    ("/", "Home"), ("/offices/", "Offices"), ("/offices/7/", "Offices"), ("/certificates/", "Certificates"),
    # The most specific entry wins: the revocation requests live below the certificates.
    ("/certificates/revocations/", "Revocation requests"), ("/account/", "Your account"),
])
def test_the_current_page_is_marked_with_aria_current(cast, path, current):
    html = cast.dcc_operator1.client.get(path).content.decode()
    marked = re.findall(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>', html)
    assert marked == [(path if current != "Offices" else "/offices/", current)]


def test_entries_whose_url_name_does_not_resolve_are_hidden_and_pages_still_render(cast, settings):
    # The project's real URLs: whatever is not there yet is hidden, and no page breaks.
    settings.ROOT_URLCONF = "tests.portal.test_navigation_partial"
    response = cast.dcc_operator1.client.get("/")
    assert response.status_code == 200
    assert nav_labels(response.content.decode()) == ["Home", "Offices"]


def test_nobody_signed_in_gets_no_navigation(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert nav_labels(response.content.decode()) == []
    assert links_for(type("Anonymous", (), {"is_authenticated": False})(), "/") == []


def test_every_entry_names_a_url_and_the_issue_8_names_are_used():
    names = {entry.url_name for entry in ENTRIES}
    assert {"home", "offices", "certificates", "revocation-requests", "adt-files", "events:list", "lockouts",
            "api-docs", "account", "admin:index", "user-ids", "service-matrix", "quarantine:list"} == names


def test_the_home_page_answers_every_office_and_sends_the_anonymous_to_sign_in(cast):
    assert_access(cast, "get", "/", {}, others=200)
