"""Service Responses by polling, in the people's API (issue 11 point 3; docs/delivery.md "Polling"):
``GET /api/v1/responses/?user_id=EUI[&since=ISO-8601]``, paginated, oldest outcome first.

Who may read: contingency.delivery.polling (DCC operators; acting SROs and AROs of the Party holding the User ID).
Each item carries the signed DUIS Service Response exactly as pushed (``document``), to be verified like a push.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError

from portal.api.errors import ErrorSerializer

from ..delivery.polling import responses_for
from ..models import ServiceRequest


class ResponseSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="device.eui", read_only=True, default="")
    document = serializers.CharField(source="response_document", read_only=True,
                                     help_text="The signed DUIS Service Response (XML), as pushed.")

    class Meta:
        model = ServiceRequest
        fields = ["request_id", "response_id", "device", "state", "response_code", "responded_at", "document"]
        read_only_fields = fields


class SinceSerializer(serializers.Serializer):
    user_id = serializers.CharField(help_text="The sender's User ID (EUI-64).")
    since = serializers.DateTimeField(required=False, help_text="Only outcomes at or after this time.")


@extend_schema(summary="Service Responses of a User ID (polling)", tags=["responses"], parameters=[
    OpenApiParameter("user_id", str, required=True, description="The sender's User ID (EUI-64)."),
    OpenApiParameter("since", str, required=False, description="ISO 8601; outcomes at or after it (inclusive)."),
], responses={200: ResponseSerializer(many=True),
              400: OpenApiResponse(ErrorSerializer, description="`required`, `eui64-invalid`, bad `since`"),
              403: OpenApiResponse(ErrorSerializer, description="`responses-forbidden`")})
class ResponseViewSet(viewsets.GenericViewSet):
    serializer_class = ResponseSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular describing the view: no request to read
            return ServiceRequest.objects.none()
        query = SinceSerializer(data=self.request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        return responses_for(self.request.user, query.validated_data["user_id"], query.validated_data.get("since"))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
