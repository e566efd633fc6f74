"""The people's API error shape: {"code", "detail"} (+ "errors"), codes kept from refusals."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from rest_framework import exceptions, serializers

from portal.api.errors import exception_handler
from portal.errors import Refusal


class FourEyes(Refusal):
    code = "four-eyes"
    http_status = 403


def test_a_refusal_keeps_its_code_and_status():
    response = exception_handler(FourEyes("you cannot approve your own file"), {})
    assert response.status_code == 403
    assert response.data == {"code": "four-eyes", "detail": "you cannot approve your own file"}


def test_a_refusal_without_a_status_is_400_and_may_list_errors():
    exc = Refusal("two problems", code="file-invalid")
    exc.errors = [{"line": 2, "field": "srv", "message": "unknown"}]
    response = exception_handler(exc, {})
    assert response.status_code == 400
    assert response.data["code"] == "file-invalid"
    assert response.data["errors"] == [{"line": 2, "field": "srv", "message": "unknown"}]


def test_django_validation_errors_become_field_errors_with_codes():
    exc = ValidationError({"party": ValidationError("not an SRP", code="role-needs-srp")})
    response = exception_handler(exc, {})
    assert response.status_code == 400
    assert response.data["code"] == "role-needs-srp"
    assert response.data["errors"] == [{"field": "party", "code": "role-needs-srp", "message": "not an SRP"}]


def test_serializer_errors_are_flattened():
    class S(serializers.Serializer):
        kind = serializers.ChoiceField(choices=["xml-signing"])
        user_id = serializers.CharField()

    s = S(data={"kind": "digital"})
    assert not s.is_valid()
    response = exception_handler(exceptions.ValidationError(s.errors), {})
    assert response.status_code == 400
    fields = {e["field"]: e["code"] for e in response.data["errors"]}
    assert fields == {"kind": "invalid_choice", "user_id": "required"}
    assert response.data["code"] == "invalid"


def test_not_found_and_unauthenticated_have_codes():
    assert exception_handler(Http404(), {}).data["code"] == "not_found"
    response = exception_handler(exceptions.NotAuthenticated(), {})
    assert response.status_code in (401, 403)
    assert response.data["code"] == "not_authenticated"
