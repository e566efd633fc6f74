"""One error shape for the people's API: ``{"code": ..., "detail": ..., "errors": [...]}``.

Clients map ``code``, never ``detail`` (DESIGN §3). A ``portal.errors.Refusal`` keeps its own code; its HTTP
status is its ``http_status`` attribute (400 unless the refusal says otherwise: a forbidden action such as
a four-eyes violation is 403). Django validation errors (the registry rules raise them with codes) are 400
with one entry per field.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import Refusal


def _field_errors(detail, prefix: str = "") -> list[dict]:
    """DRF's nested error detail → a flat list of {field, code, message}."""
    out: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            field = f"{prefix}.{key}" if prefix else str(key)
            out.extend(_field_errors(value, field))
    elif isinstance(detail, list):
        for item in detail:
            out.extend(_field_errors(item, prefix))
    else:
        out.append({"field": prefix or None, "code": getattr(detail, "code", "invalid"), "message": str(detail)})
    return out


def _django_validation_errors(exc: DjangoValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [{"field": field, "code": e.code or "invalid", "message": " ".join(e.messages)}
                for field, errors in exc.error_dict.items() for e in errors]
    return [{"field": None, "code": e.code or "invalid", "message": " ".join(e.messages)} for e in exc.error_list]


def exception_handler(exc, context):
    if isinstance(exc, Refusal):
        body = {"code": exc.code, "detail": exc.message}
        extra = getattr(exc, "errors", None)
        if extra:
            body["errors"] = list(extra)
        return Response(body, status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        errors = _django_validation_errors(exc)
        code = errors[0]["code"] if len(errors) == 1 else "invalid"
        return Response({"code": code, "detail": "; ".join(e["message"] for e in errors), "errors": errors},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500 handling and logging
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        code = errors[0]["code"] if len(errors) == 1 else "invalid"
        response.data = {"code": code, "detail": "; ".join(e["message"] for e in errors) or "invalid input",
                         "errors": errors}
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        response.data = {"code": code, "detail": str(detail)}
    return response


class ErrorSerializer(serializers.Serializer):
    """The error shape, for the OpenAPI schema: every endpoint documents its refusals with this one component."""

    code = serializers.CharField(help_text="Stable code (docs/refusal-codes.md); clients map this.")
    detail = serializers.CharField(help_text="For people; the wording may change.")
