"""Sign-in and accounts (issue 8 points 1-5): lockout, the second factor, password change, API tokens, the
account page. Every page is tried with the people who may use it and with an outsider; refusals are asserted
by their code (docs/accounts.md, docs/refusal-codes.md)."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.crypto import hash_token
from knox.models import AuthToken

from portal import conf
from portal.accounts import services
from portal.models import AuditRecord, Office, OfficeKind, OfficeStatus, PartyKind
from tests.helpers.cast import PASSWORD
from tests.helpers.signin import (
    code_for,
    code_from_base32,
    give_device,
    pass_second_factor,
)
from tests.helpers.signin import sign_in_client as sign_in
from tests.portal.factories import PartyFactory, PersonFactory

pytestmark = pytest.mark.django_db


# --- helpers --------------------------------------------------------------------------------------------------

def verified_client(user) -> Client:
    return pass_second_factor(Client(), user)


def audit_actions(**filters) -> list[str]:
    return list(AuditRecord.objects.filter(**filters).order_by("id").values_list("action", flat=True))


def office(username: str, kind: str, party_kind: str, **party):
    person = PersonFactory(username=username)
    Office.objects.create(person=person, kind=kind, party=PartyFactory(kind=party_kind, **party),
                          status=OfficeStatus.VERIFIED)
    return person


@pytest.fixture
def people():
    class People:
        operator = office("op1", OfficeKind.DCC_OPERATOR, PartyKind.DCC)
        authority = office("ofgem1", OfficeKind.AUTHORITY_OFFICER, PartyKind.AUTHORITY)
        sro = office("srp-sro", OfficeKind.SRO, PartyKind.SRP)
        aro = office("srp-aro", OfficeKind.ARO, PartyKind.SRP)
        outsider = office("other-sro", OfficeKind.SRO, PartyKind.SUPPLIER)

    return People


# --- 1. lockout ----------------------------------------------------------------------------------------------

def test_the_fifth_failure_locks_the_username_and_the_right_password_then_fails(people, client):
    for _ in range(4):
        response = sign_in(client, "srp-sro", "wrong-password")
        assert response.status_code == 200 and b'data-code="invalid_login"' in response.content
    response = sign_in(client, "srp-sro", "wrong-password")
    assert response.status_code == 429 and b'data-code="account-locked"' in response.content
    assert [lock.username for lock in services.current_lockouts()] == ["srp-sro"]

    response = sign_in(client, "srp-sro", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # (axes's receiver runs before the audit's: the lockout record comes just before its failure's)
    assert audit_actions(subject_id="srp-sro") == ["account.sign_in_failed"] * 4 + [
        "account.lockout", "account.sign_in_failed", "account.sign_in_refused_locked", "account.sign_in_failed"]


def test_the_lockout_is_per_username_whatever_the_address(people):
    # Failures from five different addresses still lock the one username...
    for n in range(5):
        sign_in(Client(), "srp-sro", "wrong-password", REMOTE_ADDR=f"192.0.2.{n + 1}")
    assert sign_in(Client(), "srp-sro", PASSWORD, REMOTE_ADDR="198.51.100.9").status_code == 429
    # ...and a colleague behind the same address is not locked out.
    colleague = Client()
    response = sign_in(colleague, "srp-aro", PASSWORD, REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_failures_count_only_within_the_window_and_the_lock_ends_after_it(people, client, settings):
    for _ in range(4):
        sign_in(client, "srp-sro", "wrong-password")
    # Fifteen minutes and more without a failure: the four are forgotten.
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert sign_in(client, "srp-sro", "wrong-password").status_code == 200
    assert services.current_lockouts() == []
    for _ in range(4):
        sign_in(client, "srp-sro", "wrong-password")
    assert sign_in(client, "srp-sro", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=settings.SOLR_LOCKOUT_MINUTES,
                                                                               seconds=1))
    assert sign_in(client, "srp-sro", PASSWORD).status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(people, client):
    for _ in range(4):
        sign_in(client, "srp-sro", "wrong-password")
    assert sign_in(client, "srp-sro", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        sign_in(client, "srp-sro", "wrong-password")
    assert services.current_lockouts() == []


def _lock(username: str) -> None:
    for _ in range(5):
        sign_in(Client(), username, "wrong-password")
    assert username in [lock.username for lock in services.current_lockouts()]


def test_a_dcc_operator_sees_the_lockout_and_unlocks_it(people):
    _lock("srp-sro")
    operator = verified_client(people.operator)
    page = operator.get(reverse("lockouts"))
    assert page.status_code == 200 and b"srp-sro" in page.content
    response = operator.post(reverse("lockouts"), {"username": "srp-sro"})
    assert response.status_code == 302
    assert services.current_lockouts() == []
    assert sign_in(Client(), "srp-sro", PASSWORD).status_code == 302
    record = AuditRecord.objects.get(action="account.unlock")
    assert (record.actor, record.subject_id) == ("op1", "srp-sro")


@pytest.mark.parametrize("who", ["authority", "sro", "aro", "outsider"])
def test_no_one_but_a_dcc_operator_may_see_or_lift_lockouts(people, who):
    PersonFactory(username="locked-person")
    _lock("locked-person")
    client = verified_client(getattr(people, who))
    assert client.get(reverse("lockouts")).status_code == 403
    assert client.post(reverse("lockouts"), {"username": "locked-person"}).status_code == 403
    assert [lock.username for lock in services.current_lockouts()] == ["locked-person"]
    with pytest.raises(services.AccountRefusal) as refused:
        services.unlock(getattr(people, who), "locked-person")
    assert (refused.value.code, refused.value.http_status) == ("not-dcc-operator", 403)
    assert not AuditRecord.objects.filter(action="account.unlock").exists()


def test_unlocking_a_username_that_is_not_locked_is_refused_with_its_code(people):
    response = verified_client(people.operator).post(reverse("lockouts"), {"username": "srp-sro"})
    assert response.status_code == 404 and b'data-code="not-locked"' in response.content


def test_the_lockouts_page_needs_a_sign_in(client):
    response = client.get(reverse("lockouts"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("setting", "value"), [(conf.LOCKOUT_FAILURES, "0"), (conf.LOCKOUT_MINUTES, "many"),
                                                (conf.API_TOKEN_HOURS, "0")])
def test_a_bad_account_setting_stops_start_up_naming_it(setting, value):
    with pytest.raises(ImproperlyConfigured, match=setting.name):
        setting.from_environment({setting.name: value})
    assert setting.from_environment({}) == setting.default


def test_the_lockout_settings_are_the_issues_and_reach_axes(settings):
    assert (conf.LOCKOUT_FAILURES.default, conf.LOCKOUT_MINUTES.default) == (5, 15)
    assert settings.AXES_FAILURE_LIMIT == settings.SOLR_LOCKOUT_FAILURES
    assert settings.AXES_COOLOFF_TIME == dt.timedelta(minutes=settings.SOLR_LOCKOUT_MINUTES)
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]


def test_sign_in_and_sign_out_are_audited_with_the_person(people, client):
    assert sign_in(client, "srp-aro").status_code == 302
    client.post(reverse("logout"))
    records = AuditRecord.objects.filter(action__in=["account.sign_in", "account.sign_out"]).order_by("id")
    assert [(r.action, r.actor, r.subject_id) for r in records] == [
        ("account.sign_in", "srp-aro", str(people.aro.pk)), ("account.sign_out", "srp-aro", str(people.aro.pk))]


def test_the_username_survives_a_failed_sign_in(people, client):
    response = sign_in(client, "srp-aro", "wrong-password")
    assert re.search(rb'<input[^>]*name="username"[^>]*value="srp-aro"', response.content)


# --- 2. second factor ----------------------------------------------------------------------------------------

def test_a_person_without_a_device_is_not_asked_for_a_code(people, client):
    page = client.get(reverse("login"))
    assert b'name="otp_token"' not in page.content
    response = sign_in(client, "srp-sro")
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("who", ["operator", "authority"])
def test_an_officer_who_needs_a_second_factor_is_sent_to_enrol_first(people, client, who):
    user = getattr(people, who)
    sign_in(client, user.username)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("otp-enrol"))
    assert client.get(reverse("api-account")).json()["code"] == "second-factor-required"
    # Enrolment: the QR code is drawn here (an SVG data: image) and the secret is given for manual entry.
    page = client.get(reverse("otp-enrol"))
    assert page.status_code == 200
    assert re.search(rb'<img[^>]*src="data:image/svg\+xml;base64,', page.content)
    secret = re.search(rb'id="totp-secret">([A-Z2-7=]+)<', page.content).group(1).decode()
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed and base64.b32decode(secret) == device.bin_key
    # A wrong code: the device does not count.
    wrong = client.post(reverse("otp-enrol"), {"device": device.pk, "otp_token": code_from_base32(secret,
                                                                                                   steps_from_now=5)})
    assert wrong.status_code == 400 and b'data-code="otp-invalid"' in wrong.content
    device.refresh_from_db()
    assert not device.confirmed
    device.throttle_reset()  # django-otp waits a second after a failure before it checks again
    done = client.post(reverse("otp-enrol"), {"device": device.pk, "otp_token": code_from_base32(secret)})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("home")).status_code == 200  # this session is verified
    assert "account.otp_enrolled" in audit_actions(actor=user.username)


def test_an_officer_with_a_device_gives_the_code_at_sign_in(people, client):
    device = give_device(people.operator)
    response = sign_in(client, "op1")
    assert client.get(response["Location"])["Location"].startswith(reverse("otp-verify"))
    page = client.get(reverse("otp-verify"))
    assert re.search(rb'<input[^>]*name="otp_token"', page.content)
    assert client.get(reverse("api-account")).status_code == 403

    wrong = client.post(reverse("otp-verify"), {"otp_token": "000000" if code_for(device.bin_key) != "000000"
                                                else "111111"})
    assert wrong.status_code == 400 and b'data-code="otp-invalid"' in wrong.content
    assert client.get(reverse("home")).status_code == 302
    device.refresh_from_db()
    device.throttle_reset()
    right = client.post(reverse("otp-verify"), {"otp_token": code_for(device.bin_key), "next": reverse("account")})
    assert right.status_code == 302 and right["Location"] == reverse("account")
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("api-account")).json()["username"] == "op1"
    failed = AuditRecord.objects.get(action="account.sign_in_failed", subject_id="op1")
    assert failed.after == {"stage": "second-factor"}


def test_a_used_code_and_an_old_code_are_refused(people):
    device = give_device(people.operator)
    first = Client()
    sign_in(first, "op1")
    code = code_for(device.bin_key)
    assert first.post(reverse("otp-verify"), {"otp_token": code}).status_code == 302
    # The same code again (a replay, in another session): refused.
    second = Client()
    sign_in(second, "op1")
    assert second.post(reverse("otp-verify"), {"otp_token": code}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()
    # A code from two minutes ago: refused (only one step either side is accepted).
    assert second.post(reverse("otp-verify"), {"otp_token": code_for(device.bin_key,
                                                                      steps_from_now=-4)}).status_code == 400
    assert second.get(reverse("home")).status_code == 302


def test_wrong_codes_count_towards_the_lockout(people, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = give_device(people.sro)  # enrolled by choice: asked for a code too
    client = Client()
    sign_in(client, "srp-sro")
    bad = "000000" if code_for(device.bin_key) != "000000" else "111111"
    for _ in range(4):
        assert client.post(reverse("otp-verify"), {"otp_token": bad}).status_code == 400
    response = client.post(reverse("otp-verify"), {"otp_token": bad})
    assert response.status_code == 429 and b'data-code="account-locked"' in response.content
    assert "_auth_user_id" not in client.session  # signed out
    assert sign_in(Client(), "srp-sro").status_code == 429


def _sample_paths():
    """Every URL pattern of the service as a concrete path (converters filled with a sample value)."""
    samples = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000000"}

    def walk(patterns, prefix):
        for entry in patterns:
            route = str(entry.pattern)
            if route.startswith("^"):  # a regular expression (the admin's catch-alls): its literal text only
                route = re.sub(r"\(\?P<\w+>[^)]*\)", "x", route.lstrip("^").rstrip("$"))
                if re.search(r"[\\()\[\]?*+|]", route):
                    continue
            route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: samples.get(m.group(1) or "str", "x"), route)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern):
                yield entry.name, "/" + prefix + route

    return sorted(set(walk(get_resolver().url_patterns, "")), key=lambda item: item[1])


def test_no_page_or_api_slips_past_the_second_factor(people):
    give_device(people.operator)
    client = Client()
    sign_in(client, "op1")
    open_names = {"login", "logout", "otp-verify", "otp-enrol"}
    checked = 0
    for name, path in _sample_paths():
        if name in open_names:
            continue
        response = client.get(path)
        checked += 1
        if path.startswith("/api/"):
            assert response.status_code == 403 and response.json()["code"] == "second-factor-required", path
        else:
            assert response.status_code == 302, (path, response.status_code)
            assert response["Location"].startswith(reverse("otp-verify")), path
    assert checked > 40  # the admin, the account pages, the API, the SMKI repository…


def test_enrolment_is_no_way_around_the_code_step(people, client):
    give_device(people.operator)
    sign_in(client, "op1")
    response = client.get(reverse("otp-enrol"))
    assert response.status_code == 302 and response["Location"] == reverse("otp-verify")
    assert client.post(reverse("otp-enrol"), {"device": 1, "otp_token": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=people.operator).count() == 1


# --- 3. password -------------------------------------------------------------------------------------------

def test_everyone_can_change_their_password_with_djangos_validators(people):
    client = verified_client(people.aro)
    url = reverse("password_change")
    assert client.get(url).status_code == 200
    wrong_old = client.post(url, {"old_password": "nope", "new_password1": "plum-garnet-sextant-55",
                                  "new_password2": "plum-garnet-sextant-55"})
    assert wrong_old.status_code == 400 and wrong_old.context["form"].has_error("old_password", "password_incorrect")
    weak = client.post(url, {"old_password": PASSWORD, "new_password1": "12345", "new_password2": "12345"})
    assert weak.status_code == 400
    assert weak.context["form"].has_error("new_password2", "password_too_common")
    assert weak.context["form"].has_error("new_password2", "password_too_short")
    done = client.post(url, {"old_password": PASSWORD, "new_password1": "plum-garnet-sextant-55",
                             "new_password2": "plum-garnet-sextant-55"})
    assert done.status_code == 302
    assert client.get(reverse("account")).status_code == 200  # still signed in here
    assert sign_in(Client(), "srp-aro", "plum-garnet-sextant-55").status_code == 302
    assert audit_actions(action="account.password_change") == ["account.password_change"]


def test_the_password_service_applies_the_validators_itself(people):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.change_password(people.aro, "123")
    people.aro.refresh_from_db()
    assert people.aro.check_password(PASSWORD)


# --- 4. API tokens -----------------------------------------------------------------------------------------

def test_a_person_creates_a_token_shown_once_stored_hashed_and_revokes_it(people):
    client = verified_client(people.sro)
    response = client.post(reverse("tokens"))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    token = re.search(rb'id="new-token">([0-9a-f]+)<', response.content).group(1).decode()
    record = AuthToken.objects.get(user=people.sro)
    assert record.digest == hash_token(token) and token not in record.digest
    assert token.encode() not in client.get(reverse("tokens")).content  # shown once

    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    body = api.get(reverse("api-account")).json()
    assert (body["username"], body["authenticated_by"]) == ("srp-sro", "token")

    assert client.post(reverse("token-revoke"), {"token_key": record.token_key}).status_code == 302
    assert api.get(reverse("api-account")).json()["code"] == "authentication_failed"
    assert audit_actions(actor="srp-sro", action__startswith="account.token") == [
        "account.token_create", "account.token_revoke"]


def test_a_token_expires_after_the_setting(people, settings):
    made = services.create_token(people.aro, verified=False)
    hours = settings.SOLR_API_TOKEN_HOURS
    assert abs(made.record.expiry - (timezone.now() + dt.timedelta(hours=hours))) < dt.timedelta(minutes=1)
    api = Client(HTTP_AUTHORIZATION=f"Token {made.token}")
    assert api.get(reverse("api-account")).status_code == 200
    AuthToken.objects.filter(pk=made.record.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    response = api.get(reverse("api-account"))
    assert response.status_code == 403 and response.json()["code"] == "authentication_failed"


def test_an_officer_who_needs_a_second_factor_gets_a_token_only_after_it(people):
    with pytest.raises(services.AccountRefusal) as refused:
        services.create_token(people.operator, verified=False)
    assert (refused.value.code, refused.value.http_status) == ("second-factor-required", 403)
    unverified = Client()
    give_device(people.operator)
    sign_in(unverified, "op1")
    assert unverified.post(reverse("tokens")).status_code == 302
    assert not AuthToken.objects.filter(user=people.operator).exists()
    assert verified_client(people.operator).post(reverse("tokens")).status_code == 200
    assert AuthToken.objects.filter(user=people.operator).count() == 1


def test_a_person_sees_and_revokes_only_their_own_tokens(people):
    theirs = services.create_token(people.sro, verified=False)
    outsider = verified_client(people.outsider)
    assert theirs.record.token_key.encode() not in outsider.get(reverse("tokens")).content
    response = outsider.post(reverse("token-revoke"), {"token_key": theirs.record.token_key})
    assert response.status_code == 404 and b'data-code="token-not-found"' in response.content
    assert Client(HTTP_AUTHORIZATION=f"Token {theirs.token}").get(reverse("api-account")).status_code == 200


def test_the_token_and_account_pages_need_a_sign_in(client):
    for name in ("account", "tokens", "password_change", "otp-enrol", "otp-verify"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name
    response = client.get(reverse("api-account"))
    assert response.status_code == 403 and response.json()["code"] == "not_authenticated"


# --- 5. the account page -----------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["operator", "authority", "sro", "aro", "outsider"])
def test_the_account_page_links_to_password_second_factor_and_tokens(people, who):
    user = getattr(people, who)
    page = verified_client(user).get(reverse("account"))
    assert page.status_code == 200
    for name in ("password_change", "otp-enrol", "tokens"):
        assert f'href="{reverse(name)}"'.encode() in page.content
    assert user.username.encode() in page.content


# --- the cast: every account page with each office and the outsider ---------------------------------------

def test_with_the_cast_only_dcc_operators_see_lockouts_and_everyone_has_their_account_pages(cast):
    for member in cast:
        lockouts = member.client.get(reverse("lockouts"))
        expected = 200 if member in cast.dcc_operators else 403
        assert lockouts.status_code == expected, member.name
        for name in ("account", "password_change", "tokens", "otp-enrol"):
            assert member.client.get(reverse(name)).status_code == 200, (member.name, name)
        body = member.client.get(reverse("api-account")).json()
        assert body["username"] == member.username
        assert body["second_factor_required"] == (member.device is not None)
