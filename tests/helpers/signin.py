"""Signing in through the login page in a browser test (Playwright), one function per kind of person.

``sign_in_operator`` is the one place a DCC operator signs in: when the second factor (TOTP, issue 8 point 2)
lands, its code step goes here and every browser test that signs an operator in follows.
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


def sign_in_operator(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """A DCC operator signs in (with the password only, until TOTP is required of operators)."""
    sign_in(page, base_url, username, password)
