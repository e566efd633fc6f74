"""User IDs in the people's API: ``GET /api/v1/user-ids/``, ``GET /api/v1/user-ids/{eui}/`` and
``PATCH /api/v1/user-ids/{eui}/`` (``endpoint_url``; issue 9 point 8, docs/user-ids.md).

``{eui}`` is any spelling ``portal.eui`` accepts (``90-B3-D5-1F-30-01-00-00``, ``90b3d51f30010000``,
``90:b3:…``); answers always carry the hyphenated DUIS form. The queryset is what the person may see
(``portal.user_ids.visible_user_ids``): another Party's User ID is 404. The change goes through the service.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from portal import user_ids
from portal.api.errors import ErrorSerializer
from portal.eui import parse_eui64
from portal.models import UserID

_EUI = OpenApiParameter("eui", str, OpenApiParameter.PATH,
                        description="The User ID's EUI-64 in any accepted spelling, e.g. 90-B3-D5-1F-30-01-00-00 "
                                    "or 90b3d51f30010000.")
_NOT_VISIBLE = OpenApiResponse(ErrorSerializer, description="No such User ID, or another Party's (`not_found`).")
_BAD_EUI = OpenApiResponse(ErrorSerializer, description="`eui64-invalid`: the path does not name an EUI-64.")


class UserIDSerializer(serializers.ModelSerializer):
    party = serializers.CharField(source="party.short_name", read_only=True)
    party_name = serializers.CharField(source="party.name", read_only=True)
    roles = serializers.ListField(child=serializers.CharField(), source="role_codes", read_only=True)

    class Meta:
        model = UserID
        fields = ["eui", "party", "party_name", "status", "roles", "endpoint_url"]
        read_only_fields = fields


class EndpointSerializer(serializers.Serializer):
    endpoint_url = serializers.CharField(
        allow_blank=True, trim_whitespace=True,
        help_text="https URL where the DCC POSTs this User ID's responses and alerts; empty clears it.")


@extend_schema_view(
    list=extend_schema(summary="User IDs the caller may see",
                       description="A DCC operator sees every User ID; an SRO or ARO their Party's; others none."),
    retrieve=extend_schema(summary="One User ID", parameters=[_EUI],
                           responses={200: UserIDSerializer, 400: _BAD_EUI, 404: _NOT_VISIBLE}),
)
class UserIDViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = UserIDSerializer
    lookup_field = "eui"
    lookup_value_regex = "[^/]+"
    filterset_fields: list[str] = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reads the model only
            return UserID.objects.none()
        return user_ids.visible_user_ids(self.request.user).select_related("party").prefetch_related(
            "roles").order_by("eui")

    def get_object(self):
        obj = get_object_or_404(self.get_queryset(), eui=parse_eui64(self.kwargs["eui"]))
        self.check_object_permissions(self.request, obj)
        return obj

    @extend_schema(
        summary="Set the endpoint URL (the Party's SRO or a DCC operator)", parameters=[_EUI],
        request=EndpointSerializer,
        responses={200: UserIDSerializer, 404: _NOT_VISIBLE,
                   400: OpenApiResponse(ErrorSerializer, description=(
                       "`endpoint-url-insecure`, `endpoint-url-scheme`, `endpoint-url-credentials`, "
                       "`endpoint-url-host-missing`, `endpoint-url-invalid`, `eui64-invalid`")),
                   403: OpenApiResponse(ErrorSerializer, description=(
                       "`user-id-endpoint-not-allowed`: neither an SRO of the User ID's Party nor a DCC operator"))})
    def partial_update(self, request, *args, **kwargs):
        uid = self.get_object()
        body = EndpointSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        uid = user_ids.set_endpoint_url(request.user, uid, body.validated_data["endpoint_url"])
        return Response(UserIDSerializer(uid).data)
