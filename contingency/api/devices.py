"""Meters in the people's API, for the DCC service desk (issue 11 point 4; docs/devices-api.md):
``GET /api/v1/devices/`` (filters ``supplier`` — the registered Supplier's short name —, ``payment_mode``,
``type``, ``generation``; paginated) and ``GET /api/v1/devices/{eui}/`` (any EUI-64 spelling ``portal.eui``
accepts; answers carry the hyphenated form).

DCC operators only (``portal.offices.services.is_dcc_operator``): for anyone else the list is 403 and an item is
404, whether or not it exists, so nothing about the inventory leaks (as the pki API's lists and the events API's
items). Read-only: a meter's payment mode changes only through the device gateway.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import get_object_or_404

from portal.api.errors import ErrorSerializer
from portal.eui import parse_eui64
from portal.offices.services import is_dcc_operator

from ..devices.choices import DeviceType, EsmeVariant, Generation, PaymentMode
from ..models import Device

TAGS = ["devices"]
_EUI = OpenApiParameter("eui", str, OpenApiParameter.PATH,
                        description="The device's EUI-64 in any accepted spelling, e.g. 00-DB-12-34-56-78-90-A0, "
                                    "00db1234567890a0 or 00:db:12:34:56:78:90:a0.")
_FORBIDDEN = OpenApiResponse(ErrorSerializer, description="`permission_denied`: only DCC operators see the meters.")
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="`not_found`: no such device (or not a DCC operator).")
_BAD_EUI = OpenApiResponse(ErrorSerializer, description="`eui64-invalid`: the path does not name an EUI-64.")


class DeviceFilter(django_filters.FilterSet):
    supplier = django_filters.CharFilter(field_name="registered_supplier__party__short_name",
                                         label="The registered Supplier's short name")
    payment_mode = django_filters.ChoiceFilter(choices=PaymentMode.choices)
    type = django_filters.ChoiceFilter(field_name="device_type", choices=DeviceType.choices)
    generation = django_filters.ChoiceFilter(choices=Generation.choices)

    class Meta:
        model = Device
        fields = ["supplier", "payment_mode", "type", "generation"]


class DeviceSerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(source="device_type", choices=DeviceType.choices, read_only=True)
    esme_variant = serializers.ChoiceField(choices=EsmeVariant.choices, read_only=True, allow_blank=True,
                                           help_text="ESME only: the meter build; empty for other devices.")
    supplier = serializers.CharField(source="registered_supplier.party.short_name", read_only=True,
                                     help_text="The registered Supplier's short name.")
    supplier_user_id = serializers.CharField(source="registered_supplier.eui", read_only=True,
                                             help_text="The registered Supplier's User ID (EUI-64).")
    payment_mode = serializers.ChoiceField(choices=PaymentMode.choices, read_only=True, allow_blank=True,
                                           help_text="credit or prepayment (meters); empty for other devices.")

    class Meta:
        model = Device
        fields = ["eui", "type", "esme_variant", "generation", "smi_status", "payment_mode", "supplier",
                  "supplier_user_id", "updated_at"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Meters in the inventory (DCC operators)", tags=TAGS,
                       responses={200: DeviceSerializer(many=True), 403: _FORBIDDEN}),
    retrieve=extend_schema(summary="One meter (DCC operators)", tags=TAGS, parameters=[_EUI],
                           responses={200: DeviceSerializer, 400: _BAD_EUI, 403: _FORBIDDEN, 404: _NOT_FOUND}),
)
class DeviceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DeviceSerializer
    filterset_class = DeviceFilter
    lookup_field = "eui"
    lookup_value_regex = "[^/]+"

    def _operator(self) -> bool:
        if not hasattr(self, "_is_operator"):
            self._is_operator = is_dcc_operator(self.request.user)
        return self._is_operator

    def get_queryset(self):
        devices = Device.objects.select_related("registered_supplier__party").order_by("eui")
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reads the model only
            return devices.none()
        return devices if self._operator() else devices.none()

    def list(self, request, *args, **kwargs):
        if not self._operator():
            raise PermissionDenied("only DCC operators see the meters")
        return super().list(request, *args, **kwargs)

    def get_object(self):
        if not self._operator():
            raise NotFound()  # whatever the path says: nothing about the inventory leaks
        obj = get_object_or_404(self.get_queryset(), eui=parse_eui64(self.kwargs["eui"]))  # eui64-invalid: 400
        self.check_object_permissions(self.request, obj)
        return obj
