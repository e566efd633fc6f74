"""The offices in the people's API: ``GET/POST /api/v1/offices/``, ``GET /api/v1/offices/{id}/`` and
``POST /api/v1/offices/{id}/verify/``, ``/reject/``, ``/remove/``.

The queryset is what the person may see (``services.visible_offices``): another Party's office is 404. The
actions call the services; a refusal answers ``{"code", "detail"}`` with its HTTP status (403: the rules
forbid this person the action; 409: the office is no longer in the state the action needs).
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api.errors import ErrorSerializer
from portal.models import Office, OfficeKind, OfficeStatus, Party

from . import services

_ERROR = ErrorSerializer


def _refused(description: str) -> OpenApiResponse:
    return OpenApiResponse(_ERROR, description=description)


class OfficeSerializer(serializers.ModelSerializer):
    person = serializers.CharField(source="person.username", read_only=True)
    person_name = serializers.CharField(source="person.get_full_name", read_only=True)
    party_name = serializers.CharField(source="party.name", read_only=True)
    nominated_by = serializers.CharField(source="nominated_by.username", read_only=True, allow_null=True,
                                         default=None)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True, default=None)
    removed_by = serializers.CharField(source="removed_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Office
        fields = ["id", "person", "person_name", "kind", "party", "party_name", "status", "created_at",
                  "nominated_by", "screening_reference", "screening_date", "decided_by", "decided_at",
                  "rejection_reason", "removed_by", "removed_at"]
        read_only_fields = fields


class NominationSerializer(serializers.Serializer):
    """An ARO nomination: a new person (``first_name`` and ``last_name`` required) or, with ``existing``, a
    person who has an account, named by username and email as registered."""

    party = serializers.PrimaryKeyRelatedField(queryset=Party.objects.all())
    existing = serializers.BooleanField(default=False)
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    email = serializers.EmailField()
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    screening_reference = serializers.CharField(max_length=100)
    screening_date = serializers.DateField()

    def validate(self, data):
        if not data["existing"]:
            missing = {name: serializers.ErrorDetail("A new person needs this.", code="required")
                       for name in ("first_name", "last_name") if not data.get(name, "").strip()}
            if missing:
                raise serializers.ValidationError(missing)
        return data


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class OfficeFilter(django_filters.FilterSet):
    party = django_filters.NumberFilter(field_name="party_id")
    status = django_filters.ChoiceFilter(choices=OfficeStatus.choices)
    kind = django_filters.ChoiceFilter(choices=OfficeKind.choices)

    class Meta:
        model = Office
        fields = ["party", "status", "kind"]


_NOT_VISIBLE = OpenApiResponse(_ERROR, description="Not found, or another Party's office (code `not_found`).")


@extend_schema_view(
    list=extend_schema(summary="Offices the caller may see",
                       description="A DCC operator sees every office; an SRO or ARO its Party's; anyone their own."),
    retrieve=extend_schema(summary="One office", responses={200: OfficeSerializer, 404: _NOT_VISIBLE}),
)
class OfficeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    serializer_class = OfficeSerializer
    filterset_class = OfficeFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reads the model only
            return Office.objects.none()
        return services.visible_offices(self.request.user).select_related(
            "person", "party", "nominated_by", "decided_by", "removed_by").order_by("party__name", "kind", "pk")

    def get_serializer_class(self):
        return {"create": NominationSerializer, "reject": RejectSerializer}.get(self.action, OfficeSerializer)

    @extend_schema(
        summary="Nominate an ARO (an SRO of the Party)", request=NominationSerializer,
        responses={201: OfficeSerializer, 400: _refused("Invalid input, or a refusal such as `office-username-taken`"),
                   403: _refused("`office-nominate-not-allowed`: the caller is not an SRO of that Party")})
    def create(self, request, *args, **kwargs):
        nomination = NominationSerializer(data=request.data)
        nomination.is_valid(raise_exception=True)
        data = nomination.validated_data
        if data["existing"]:
            nominee = services.ExistingPerson(username=data["username"], email=data["email"])
        else:
            nominee = services.NewPerson(username=data["username"], email=data["email"],
                                         first_name=data["first_name"].strip(), last_name=data["last_name"].strip())
        office = services.nominate_aro(request.user, data["party"], nominee, data["screening_reference"],
                                       data["screening_date"])
        return Response(OfficeSerializer(office).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Verify a nomination (a DCC operator, neither nominator nor nominee)", request=None,
        responses={200: OfficeSerializer, 404: _NOT_VISIBLE,
                   403: _refused("`office-verify-not-allowed`, `office-four-eyes-nominator`, "
                                 "`office-four-eyes-nominee`"),
                   409: _refused("`office-not-nominated`: already verified, rejected or removed")})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        office = services.verify_office(request.user, self.get_object())
        return Response(OfficeSerializer(office).data)

    @extend_schema(
        summary="Reject a nomination (a DCC operator, neither nominator nor nominee)", request=RejectSerializer,
        responses={200: OfficeSerializer, 404: _NOT_VISIBLE, 400: _refused("`reason` missing"),
                   403: _refused("`office-reject-not-allowed`, `office-four-eyes-nominator`, "
                                 "`office-four-eyes-nominee`"),
                   409: _refused("`office-not-nominated`: already verified, rejected or removed")})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        office = self.get_object()
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        office = services.reject_office(request.user, office, body.validated_data["reason"])
        return Response(OfficeSerializer(office).data)

    @extend_schema(
        summary="Remove an ARO (an SRO of its Party)", request=None,
        responses={200: OfficeSerializer, 404: _NOT_VISIBLE,
                   403: _refused("`office-remove-not-allowed`: not an SRO of the office's Party, or not an ARO"),
                   409: _refused("`office-not-live`: already rejected or removed")})
    @action(detail=True, methods=["post"])
    def remove(self, request, pk=None):
        office = services.remove_office(request.user, self.get_object())
        return Response(OfficeSerializer(office).data)
