"""Signing in, for every kind of test (issue 8 point 2: TOTP is required for DCC operators and Authority
officers).

- In a browser (Playwright): ``sign_in`` and ``sign_in_operator``, the one place a DCC operator signs in with the
  second factor's code step.
- With Django's test client: ``pass_second_factor`` / ``force_login_verified`` (a session that passed the second
  factor), ``sign_in_client`` (a POST to the login page).
- Codes: ``code_for`` / ``code_from_base32`` (RFC 6238, as an authenticator app computes them) and ``give_device``.

Django's models are imported inside the functions: this module is imported by browser tests too, before any
database is at hand.
"""

from __future__ import annotations

import base64
import time

from tests.helpers.cast import PASSWORD


def sign_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in on the login page and wait for the home page."""
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def otp_code_for(username: str) -> str:
    """A code the person's TOTP authenticator (from the database) accepts now, never one already used."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is None:  # a person made outside the cast: give them an authenticator now
        from django.contrib.auth import get_user_model

        device = TOTPDevice.objects.create(user=get_user_model().objects.get(username=username),
                                           name="test authenticator", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    step = max(totp.t(), device.last_t + 1)  # one step ahead is within django-otp's tolerance
    totp.time = step * device.step + device.t0 + 1
    return f"{totp.token():0{device.digits}d}"


def sign_in_operator(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """A DCC operator (or Authority officer) signs in: the password, then the code of their authenticator
    (issue 8 point 2: the cast gives them one) on the code step, and waits for the home page."""
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/login/code/**")
    page.fill("input[name=otp_token]", otp_code_for(username))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/")


# --- codes and authenticators ---------------------------------------------------------------------------------

def code_for(key: bytes, *, steps_from_now: int = 0) -> str:
    """The TOTP code of ``key`` for the time step ``steps_from_now`` away (RFC 6238: 30 s, 6 digits)."""
    from django_otp.oath import TOTP

    totp = TOTP(key, step=30, t0=0, digits=6)
    totp.time = time.time() + 30 * steps_from_now
    return f"{totp.token():06d}"


def code_from_base32(secret: str, *, steps_from_now: int = 0) -> str:
    """The code of a base32 secret, as the manifest lists ``people[].totp_secret``."""
    return code_for(base64.b32decode(secret), steps_from_now=steps_from_now)


def give_device(user):
    """A confirmed TOTP authenticator for ``user``."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


# --- Django's test client -------------------------------------------------------------------------------------

def pass_second_factor(client, user):
    """Sign ``client`` in as ``user`` with a session that passed the second factor (a device is made if needed)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or give_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def force_login_verified(client, user):
    """``client.force_login(user)``, and for a person who needs the second factor a session that passed it."""
    from portal.accounts import services

    if services.second_factor_required(user):
        return pass_second_factor(client, user)
    client.force_login(user)
    return client


def sign_in_client(client, username: str, password: str = PASSWORD, **extra):
    """POST the login form with Django's test client; the response of the login page."""
    from django.urls import reverse

    return client.post(reverse("login"), {"username": username, "password": password}, **extra)
