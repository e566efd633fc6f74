"""Account actions as plain functions: each takes validated values, runs in one transaction and writes its
audit record with the acting person (DESIGN §3). Refusals carry a stable code (docs/refusal-codes.md).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import password_validation
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django_otp import devices_for_user, user_has_device, verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from portal import audit
from portal.errors import Refusal
from portal.models import Office, OfficeKind, OfficeStatus
from portal.offices.services import is_dcc_operator


class AccountRefusal(Refusal):
    """An account action refused. Codes: ``second-factor-required``, ``not-dcc-operator``, ``not-locked``,
    ``otp-invalid``, ``token-not-found``."""

    code = "account-refused"


# Offices whose holders must pass a second factor (issue 8 point 2): they activate a contingency and record the
# Authority's instructions. Any other person may enrol, and once enrolled is always asked.
SECOND_FACTOR_OFFICES = (OfficeKind.DCC_OPERATOR, OfficeKind.AUTHORITY_OFFICER)


def office_requires_second_factor(person) -> bool:
    return Office.objects.filter(person=person, kind__in=SECOND_FACTOR_OFFICES).exclude(
        status=OfficeStatus.REMOVED).exists()


def second_factor_required(person) -> bool:
    """The person must pass a second factor: their office needs it, or they enrolled a device."""
    return office_requires_second_factor(person) or user_has_device(person, confirmed=True)


def _person_ref(person) -> dict:
    return {"subject_type": person._meta.label, "subject_id": str(person.pk), "subject_repr": person.get_username()}


# --- second factor ---------------------------------------------------------------------------------------

def pending_device(person) -> TOTPDevice:
    """The person's unconfirmed TOTP device, made once and reused until confirmed (so a reload shows the same
    QR code). It counts for nothing until ``confirm_device``."""
    device = TOTPDevice.objects.filter(user=person, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=person, name="authenticator", confirmed=False)
    return device


def base32_secret(device: TOTPDevice) -> str:
    """The device's key as RFC 4648 base32 (what authenticator apps take for manual entry)."""
    return base64.b32encode(device.bin_key).decode("ascii")


def qr_svg_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as a QR code, drawn here (SVG) and returned as a data: URI (CSP: img-src data:)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@transaction.atomic
def confirm_device(person, device_id: int, token: str) -> TOTPDevice:
    """A code from the authenticator confirms the pending device; it then replaces any earlier device."""
    device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=person, confirmed=False).first()
    if device is None or not device.verify_token(token):
        audit.write("account.otp_enrol_failed", **_person_ref(person))
        raise AccountRefusal("that code is not right: check the time on your device and try again", code="otp-invalid")
    replaced = list(TOTPDevice.objects.filter(user=person).exclude(pk=device.pk).values_list("pk", flat=True))
    TOTPDevice.objects.filter(pk__in=replaced).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.write("account.otp_enrolled", **_person_ref(person), after={"device": device.pk, "replaced": replaced})
    return device


def verify_code(person, token: str):
    """The confirmed device that accepts ``token`` (django-otp: throttled after failures, a code used once is
    never accepted again, ±1 time step), or None."""
    for device in devices_for_user(person, confirmed=True):
        verified = verify_token(person, device.persistent_id, token)
        if verified is not None:
            return verified
    return None


# --- password ----------------------------------------------------------------------------------------------

@transaction.atomic
def change_password(person, new_password: str) -> None:
    """Django's password validators run here too, whatever form called (issue 8 point 3)."""
    password_validation.validate_password(new_password, person)
    person.set_password(new_password)
    person.save(update_fields=["password"])
    audit.write("account.password_change", **_person_ref(person))


# --- API tokens --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewToken:
    token: str  # shown once, never stored
    record: AuthToken


@transaction.atomic
def create_token(person, *, verified: bool) -> NewToken:
    """A new API token (knox: only its SHA-512 digest is stored; it expires after SOLR_API_TOKEN_HOURS).
    ``verified``: the session passed the second factor; a person who needs one gets no token without it."""
    if second_factor_required(person) and not verified:
        raise AccountRefusal("pass the second factor before you create an API token",
                             code="second-factor-required", http_status=403)
    record, token = AuthToken.objects.create(user=person)
    audit.write("account.token_create", **_person_ref(person),
                after={"token_key": record.token_key, "expiry": record.expiry})
    return NewToken(token, record)


def live_tokens(person):
    return AuthToken.objects.filter(user=person, expiry__gt=timezone.now()).order_by("-created")


@transaction.atomic
def revoke_token(person, token_key: str) -> None:
    """Revoke one of the person's own tokens (another person's is not found, never revoked)."""
    tokens = AuthToken.objects.filter(user=person, token_key=token_key)
    if not tokens.exists():
        raise AccountRefusal("no such token", code="token-not-found", http_status=404)
    expiry = tokens.aggregate(e=Max("expiry"))["e"]
    tokens.delete()
    audit.write("account.token_revoke", **_person_ref(person), before={"token_key": token_key, "expiry": expiry})


# --- lockouts ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lockout:
    username: str
    failures: int
    last_failure: dt.datetime

    @property
    def until(self) -> dt.datetime:
        return self.last_failure + settings.AXES_COOLOFF_TIME


def current_lockouts() -> list[Lockout]:
    """Usernames locked now: at least SOLR_LOCKOUT_FAILURES counted failures, the last within the cool-off."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (AccessAttempt.objects.filter(attempt_time__gte=since).values("username")
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT).order_by("username"))
    return [Lockout(r["username"], r["failures"], r["last"]) for r in rows]


@transaction.atomic
def unlock(actor, username: str) -> Lockout:
    """A DCC operator lifts a username's lockout (its failures are forgotten)."""
    if not is_dcc_operator(actor):
        raise AccountRefusal("only a DCC operator can unlock a sign-in", code="not-dcc-operator", http_status=403)
    lockout = next((lock for lock in current_lockouts() if lock.username == username), None)
    if lockout is None:
        raise AccountRefusal(f"{username} is not locked", code="not-locked", http_status=404)
    axes_reset(username=username)
    audit.write("account.unlock", subject_type="auth.User", subject_id=username, subject_repr=username,
                actor=actor.get_username(), before={"failures": lockout.failures, "until": lockout.until})
    return lockout
