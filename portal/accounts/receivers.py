"""Audit records for sign-in events (issue 8 point 1): Django's and django-axes's signals.

Only recording happens here; the rules (lockout, second factor) are axes's and portal.accounts.services'.
"""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from portal import audit


def _user_ref(username: str) -> dict:
    return {"subject_type": "auth.User", "subject_id": username, "subject_repr": username}


@receiver(user_logged_in, dispatch_uid="accounts-audit-sign-in")
def _signed_in(sender, request, user, **kwargs):
    audit.write("account.sign_in", user, actor=user.get_username())


@receiver(user_logged_out, dispatch_uid="accounts-audit-sign-out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit.write("account.sign_out", user, actor=user.get_username())


@receiver(user_login_failed, dispatch_uid="accounts-audit-failed")
def _failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password with stars; only the username and the stage are kept.
    username = str(credentials.get("username", ""))[:150]
    stage = "second-factor" if credentials.get("second_factor") else "password"
    audit.write("account.sign_in_failed", **_user_ref(username), after={"stage": stage})


@receiver(user_locked_out, dispatch_uid="accounts-audit-locked")
def _locked_out(sender, request, username, ip_address, **kwargs):
    # axes sends this when a failure reaches the limit (it then has the count) and for each try during a lockout.
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None:
        audit.write("account.lockout", **_user_ref(str(username or "")), after={"failures": failures})
    else:
        audit.write("account.sign_in_refused_locked", **_user_ref(str(username or "")))
