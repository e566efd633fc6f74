"""The test helpers themselves: the cast is who it says, the fast hasher is on, waits tolerate errors."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.hashers import get_hasher

from portal.models import OfficeKind, OfficeStatus, PartyKind
from tests.helpers.waiting import WaitTimeout, wait_until


def test_the_fast_password_hasher_is_set_for_every_test():
    assert get_hasher().algorithm == "md5"


@pytest.mark.django_db
def test_the_cast_is_six_different_people_in_their_offices(cast):
    members = list(cast)
    assert len({m.user.pk for m in members}) == 6
    expected = {
        "dcc_operator1": (OfficeKind.DCC_OPERATOR, PartyKind.DCC, True),
        "dcc_operator2": (OfficeKind.DCC_OPERATOR, PartyKind.DCC, True),
        "authority_officer": (OfficeKind.AUTHORITY_OFFICER, PartyKind.AUTHORITY, False),
        "srp_sro": (OfficeKind.SRO, PartyKind.SRP, False),
        "srp_aro": (OfficeKind.ARO, PartyKind.SRP, False),
        "outsider": (OfficeKind.SRO, PartyKind.SUPPLIER, False),
    }
    for member in members:
        kind, party_kind, staff = expected[member.name]
        assert (member.office.kind, member.office.party.kind, member.user.is_staff) == (kind, party_kind, staff)
        assert member.office.status == OfficeStatus.VERIFIED
        assert not member.user.is_superuser
    assert cast.srp_sro.office.party == cast.srp_aro.office.party == cast.srp
    assert cast.outsider.office.party != cast.srp
    assert [m.user.groups.get().name for m in cast.dcc_operators] == ["DCC service desk"] * 2
    assert not any(m.user.groups.exists() for m in cast.non_staff)


@pytest.mark.django_db
def test_each_cast_client_is_signed_in_as_its_member(cast):
    for member in cast:
        response = member.client.get("/")
        assert response.status_code == 200, member.name
        assert response.context["user"] == member.user


@pytest.mark.django_db
def test_each_cast_member_can_sign_in_with_the_password(cast, client):
    from tests.helpers.cast import PASSWORD

    assert client.login(username=cast.outsider.username, password=PASSWORD)


def test_a_wait_tolerates_errors_until_the_condition_holds():
    calls = itertools.count()

    def flaky():
        n = next(calls)
        if n < 3:
            raise ConnectionResetError("not yet")
        return n

    assert wait_until(flaky, timeout=5, interval=0.01, what="flaky") == 3


def test_a_wait_fails_at_its_deadline_naming_the_last_error():
    def broken():
        raise TimeoutError("read timed out")

    with pytest.raises(WaitTimeout, match="read timed out") as raised:
        wait_until(broken, timeout=0.2, interval=0.05, what="the server")
    assert "the server" in str(raised.value)
    assert isinstance(raised.value.__cause__, TimeoutError)


def test_a_wait_stops_at_once_when_told_waiting_cannot_help():
    with pytest.raises(WaitTimeout, match="exited"):
        wait_until(lambda: False, timeout=30, what="a process", abort=lambda: "it exited with 1")


def test_the_password_hasher_is_set_in_one_place_only():
    from tests.helpers.processes import PROJECT_DIR

    tests_dir = PROJECT_DIR / "tests"
    copies = [str(p.relative_to(tests_dir)) for p in sorted(tests_dir.rglob("*.py"))
              if p.name != "test_helpers.py" and "PASSWORD_HASHERS" in p.read_text()]
    assert copies == ["conftest.py"], "tests/conftest.py sets the fast hasher for every test: no copies"
