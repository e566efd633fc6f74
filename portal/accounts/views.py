"""Account pages: the code step of sign-in, enrolment, password change, API tokens, lockouts, the account page.

Thin: each reads a form and calls a service (portal.accounts.services); refusals are shown with their code.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device

from portal.models import Office

from . import services
from .forms import CodeForm, EnrolForm, PasswordChangeForm


def _next_url(request, default: str = "home") -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return wanted
    from django.urls import reverse

    return reverse(default)


@login_required
def otp_verify(request):
    """Sign-in's second step: the person who passed the password gives the code of their authenticator."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not user_has_device(user, confirmed=True):
        return redirect("otp-enrol")
    form = CodeForm(request.POST or None)
    refusal_code = None
    if request.method == "POST" and form.is_valid():
        device = services.verify_code(user, form.cleaned_data["otp_token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        refusal_code = "otp-invalid"
        form.add_error("otp_token", ValidationError("that code is not right", code="otp-invalid"))
        # A wrong code counts as a failed sign-in for the username (django-axes): guessing codes locks it too.
        user_login_failed.send(sender=__name__, credentials={"username": user.get_username(), "second_factor": True},
                               request=request)
        if getattr(request, "axes_locked_out", False):
            logout(request)  # AxesMiddleware answers with the lockout page
            return render(request, "accounts/otp_verify.html", {"form": form}, status=429)
    if request.method == "POST":
        # A refused code is spent (TOTP): the field comes back empty for the next one; the errors stay.
        form.data = form.data.copy()
        form.data["otp_token"] = ""
    return render(request, "accounts/otp_verify.html",
                  {"form": form, "next": _next_url(request), "refusal_code": refusal_code},
                  status=400 if refusal_code else 200)


@login_required
def otp_enrol(request):
    """Enrol an authenticator: a QR code (drawn here) and the base32 secret; a code confirms it."""
    user = request.user
    if user_has_device(user, confirmed=True) and not user.is_verified():
        # Never a way around the code step: a person with a device proves it before replacing it.
        return redirect("otp-verify")
    device = services.pending_device(user)
    form = EnrolForm(request.POST or None, initial={"device": device.pk})
    refusal_code = None
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = services.confirm_device(user, form.cleaned_data["device"], form.cleaned_data["otp_token"])
        except services.AccountRefusal as refusal:
            refusal_code = refusal.code
            form.add_error("otp_token", ValidationError(refusal.message, code=refusal.code))
        else:
            otp_login(request, confirmed)
            messages.success(request, "Your authenticator is enrolled: sign-in will ask for its code.")
            return redirect(_next_url(request, "account"))
    context = {
        "form": form, "device": device, "secret": services.base32_secret(device),
        "qr": services.qr_svg_data_uri(device), "required": services.office_requires_second_factor(user),
        "enrolled": user_has_device(user, confirmed=True),
        "next": request.GET.get("next", ""), "refusal_code": refusal_code,
    }
    return render(request, "accounts/otp_enrol.html", context, status=400 if refusal_code else 200)


@login_required
def account(request):
    user = request.user
    context = {
        "offices": Office.objects.filter(person=user).select_related("party"),
        "second_factor_required": services.office_requires_second_factor(user),
        "enrolled": user_has_device(user, confirmed=True),
        "token_count": services.live_tokens(user).count(),
    }
    return render(request, "accounts/account.html", context)


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(request.user, form.cleaned_data["new_password1"])
        except ValidationError as exc:  # the validators, should the form ever not have run them
            form.add_error("new_password1", exc)
        else:
            update_session_auth_hash(request, request.user)  # stay signed in on this browser only
            messages.success(request, "Your password has been changed.")
            return redirect("account")
    return render(request, "accounts/password_change.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def tokens(request):
    user = request.user
    new_token = None
    refusal_code = None
    status = 200
    if request.method == "POST":
        try:
            new_token = services.create_token(user, verified=user.is_verified())
        except services.AccountRefusal as refusal:
            refusal_code, status = refusal.code, refusal.http_status
    context = {"tokens": services.live_tokens(user), "new_token": new_token, "refusal_code": refusal_code,
               "token_hours": settings.SOLR_API_TOKEN_HOURS}
    response = render(request, "accounts/tokens.html", context, status=status)
    if new_token is not None:
        response["Cache-Control"] = "no-store"  # the token is shown once: never from a cache
    return response


@require_POST
@login_required
def token_revoke(request):
    try:
        services.revoke_token(request.user, request.POST.get("token_key", ""))
    except services.AccountRefusal as refusal:
        return render(request, "accounts/tokens.html",
                      {"tokens": services.live_tokens(request.user), "refusal_code": refusal.code,
                       "token_hours": settings.SOLR_API_TOKEN_HOURS}, status=refusal.http_status)
    messages.success(request, "The token is revoked.")
    return redirect("tokens")


@login_required
def lockouts(request):
    """The DCC service desk's list of locked usernames, each with an unlock button."""
    if not services.is_dcc_operator(request.user):
        raise PermissionDenied("not-dcc-operator")
    if request.method == "POST":
        username = request.POST.get("username", "")
        try:
            services.unlock(request.user, username)
        except services.AccountRefusal as refusal:
            return render(request, "accounts/lockouts.html",
                          {"lockouts": services.current_lockouts(), "refusal_code": refusal.code},
                          status=refusal.http_status)
        messages.success(request, f"{username} can sign in again.")
        return redirect("lockouts")
    return render(request, "accounts/lockouts.html", {"lockouts": services.current_lockouts()})
