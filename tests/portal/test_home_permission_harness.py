"""The permission harness (tests/helpers/permissions.py) can fail: a wrong expectation, an anonymous visitor
let in, a refusal with another code, or a member left unspecified are all reported."""

import pytest
from django.http import HttpResponse, JsonResponse
from django.urls import path

from tests.helpers.permissions import assert_access


def _public(request):
    return HttpResponse("open to all")


def _refusing(request):
    if not request.user.is_authenticated:
        return JsonResponse({"code": "not_authenticated", "detail": "sign in"}, status=403)
    return JsonResponse({"code": "four_eyes", "detail": "someone else must approve"}, status=403)


urlpatterns = [
    path("", _public, name="home"),
    path("login/", _public, name="login"),
    path("public/", _public),
    path("refusing/", _refusing),
]
pytestmark = pytest.mark.urls(__name__)


def test_a_member_answered_otherwise_than_expected_is_reported(cast):
    with pytest.raises(AssertionError, match=r"outsider .* got 200, expected 404"):
        assert_access(cast, "get", "/public/", {"outsider": 404}, others=200, anonymous=200)


def test_a_page_open_to_the_anonymous_is_reported(cast):
    with pytest.raises(AssertionError, match="anonymous .* expected a redirect"):
        assert_access(cast, "get", "/public/", {}, others=200)


def test_refusal_codes_are_checked(cast):
    results = assert_access(cast, "post", "/refusing/", {}, others=(403, "four_eyes"), api=True)
    assert results["anonymous"].code == "not_authenticated"
    with pytest.raises(AssertionError, match="got 403 four_eyes, expected"):
        assert_access(cast, "post", "/refusing/", {}, others=(403, "policy"), api=True)


def test_every_member_must_be_accounted_for(cast):
    with pytest.raises(ValueError):
        assert_access(cast, "get", "/public/", {"outsider": 404})
    with pytest.raises(ValueError):
        assert_access(cast, "get", "/public/", {"stranger": 404}, others=200)
