"""The demo people's second factor and API token (seed_demo; docs/manifest.md, people[].totp_secret and
people[].api_token).

Both secrets are derived from the service's SECRET_KEY and the username (an HMAC), so that seed_demo stays
idempotent: a second run finds the same device and the same token digest, creates nothing and writes a
byte-identical manifest. They are published in the manifest, like the demo passwords: a demo, never production.
"""

from __future__ import annotations

import base64
import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS

from portal import audit

DEVICE_NAME = "demo authenticator"


def _derived(purpose: str, username: str) -> bytes:
    return salted_hmac(f"solr.demo.{purpose}", username, algorithm="sha256").digest()


def totp_key(username: str) -> bytes:
    return _derived("totp", username)[:20]  # 160 bits, RFC 4226's recommended key size


def totp_secret(username: str) -> str:
    """The base32 secret an authenticator app (or django-otp, pyotp) takes."""
    return base64.b32encode(totp_key(username)).decode("ascii")


def api_token(username: str) -> str:
    return _derived("api-token", username).hex()  # 64 hex characters, like a token knox makes


def ensure_totp_device(user) -> None:
    key = totp_key(user.get_username()).hex()
    if not TOTPDevice.objects.filter(user=user, key=key, confirmed=True).exists():
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=key, confirmed=True)
        audit.write("account.otp_enrolled", user, after={"device": device.pk, "demo": True})


def ensure_api_token(user) -> None:
    """Keeps the demo token while it is valid; makes it again (same secret) once it expired or was revoked."""
    token = api_token(user.get_username())
    digest = hash_token(token)
    existing = AuthToken.objects.filter(digest=digest).first()
    if existing is not None and (existing.expiry is None or existing.expiry > timezone.now()):
        return
    if existing is not None:
        existing.delete()
    # Stored as knox stores its own (digest and key prefix only); knox's create() would draw a random token.
    AuthToken(digest=digest, token_key=token[:CONSTANTS.TOKEN_KEY_LENGTH], user=user,
              expiry=timezone.now() + dt.timedelta(hours=settings.SOLR_API_TOKEN_HOURS)).save(force_insert=True)
    audit.write("account.token_create", user, after={"token_key": token[:CONSTANTS.TOKEN_KEY_LENGTH], "demo": True})
