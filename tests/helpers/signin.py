"""Signing in through the login page in a browser test (Playwright), one function per kind of person.

``sign_in_operator`` is the one place a DCC operator signs in, with the second factor's code step (TOTP, issue 8
point 2).
"""

from __future__ import annotations

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
