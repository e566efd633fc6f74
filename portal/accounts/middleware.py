"""The one place the second factor is enforced (issue 8 point 2).

A signed-in person who must pass a second factor (a DCC operator or Authority officer, or anyone who enrolled a
device: portal.accounts.services.second_factor_required) and whose session has not passed it reaches only the
pages listed in ``OPEN_BEFORE_SECOND_FACTOR``: the code step, enrolment, sign-in and sign-out. A page redirects
there; the people's API answers 403 ``second-factor-required``. A request with no session is not this
middleware's business: pages ask for a sign-in themselves, and an API token is only ever issued to a session
that passed the second factor (services.create_token).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django_otp import user_has_device

from .services import second_factor_required

OPEN_BEFORE_SECOND_FACTOR = frozenset({"login", "logout", "otp-verify", "otp-enrol"})


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Touch request.user (and so the session) only when a session cookie came: see AuditActorMiddleware.
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _refusal(self, request):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        try:
            if resolve(request.path_info).url_name in OPEN_BEFORE_SECOND_FACTOR:
                return None
        except Resolver404:
            pass
        if not second_factor_required(user):
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse({"code": "second-factor-required",
                                 "detail": "sign in with your authentication code first"}, status=403)
        step = "otp-verify" if user_has_device(user, confirmed=True) else "otp-enrol"
        response = redirect(step)
        response["Location"] += "?" + urlencode({"next": request.get_full_path()})
        return response
