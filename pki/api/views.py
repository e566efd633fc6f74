"""pki's people's API: certificate orders, the caller's certificates and revocation requests.

The rules are pki.orders.services; here only their mapping to HTTP (DESIGN §3): another Party's object is
not in the caller's queryset (404); a forbidden action on a visible object, or a policy refusal of an
allowed caller, is 403 with the refusal's code; a bad CSR is 400.
"""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.errors import ErrorSerializer
from portal.errors import Refusal
from portal.eui import InvalidEUI64, parse_eui64

from ..models import Certificate, CertificateKind, RevocationRequest
from ..orders import services
from .serializers import (
    CertificateOrderResultSerializer,
    CertificateOrderSerializer,
    CertificateSerializer,
    DecisionSerializer,
    RevocationRequestSerializer,
)

_BAD = OpenApiResponse(ErrorSerializer, description="Bad input: a bad CSR (csr-unreadable, …), EUI or kind.")
_REFUSED = OpenApiResponse(ErrorSerializer, description="Refused: not this person's action, or the policy's code "
                                                        "(e.g. solr-xml-signing-only, four-eyes).")
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Not among the objects this person may see.")


class OrderRefusedByPolicy(Refusal):
    """pki.issuance refused the order: its code, with the HTTP status for that code."""

    def __init__(self, order):
        super().__init__(order.reason, code=order.refusal_code)
        self.http_status = services.http_status_for_refusal(order.refusal_code)


def _require_viewer(request):
    if not services.can_view(request.user):
        raise PermissionDenied("certificates are for the Party's verified AROs and SROs and DCC operators")


class CertificateOrderView(APIView):
    @extend_schema(request=CertificateOrderSerializer,
                   responses={201: CertificateOrderResultSerializer, 400: _BAD, 403: _REFUSED,
                              503: OpenApiResponse(ErrorSerializer, description="The CA cannot issue now.")},
                   summary="Order a certificate from a CSR (a verified ARO, for its Party's User IDs)")
    def post(self, request):
        data = CertificateOrderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        order = services.submit_order(request.user, v["user_id"], v["kind"], v["csr"].encode())
        if not order.issued:
            raise OrderRefusedByPolicy(order)
        body = {"order": order.pk, "serial": order.certificate.serial, "certificate": order.certificate}
        return Response(CertificateOrderResultSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[
    OpenApiParameter("user_id", str, description="EUI-64 of the holder"),
    OpenApiParameter("kind", str, enum=CertificateKind.values),
    OpenApiParameter("status", str, enum=["valid", "revoked", "expired", "not-yet-valid", "revocation-scheduled"]),
])
class CertificateViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CertificateSerializer
    queryset = Certificate.objects.none()  # for the schema; get_queryset scopes per caller
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        _require_viewer(self.request)
        qs = services.visible_certificates(self.request.user).order_by("-created_at", "-pk")
        params = self.request.query_params
        if params.get("user_id"):
            try:
                qs = qs.filter(Q(subject_eui=parse_eui64(params["user_id"])))
            except InvalidEUI64:
                qs = qs.none()
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        if params.get("status"):
            try:
                qs = qs.with_status(params["status"])
            except ValueError:
                qs = qs.none()
        return qs


class RevocationRequestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = RevocationRequestSerializer
    queryset = RevocationRequest.objects.none()  # for the schema; get_queryset scopes per caller
    filterset_fields = ["status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        _require_viewer(self.request)
        return services.visible_revocation_requests(self.request.user)

    def create(self, request, *args, **kwargs):
        _require_viewer(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Looked up among the caller's certificates only: another Party's is 404, as on every other path.
        cert = get_object_or_404(services.visible_certificates(request.user),
                                 pk=serializer.validated_data["certificate_id"])
        req = services.request_revocation(request.user, cert, serializer.validated_data["reason"])
        return Response(self.get_serializer(req).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, decide):
        req = self.get_object()
        note = DecisionSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        decide(request.user, req, note.validated_data["note"])
        req.refresh_from_db()
        return Response(self.get_serializer(req).data)

    @extend_schema(request=DecisionSerializer,
                   responses={200: RevocationRequestSerializer, 403: _REFUSED, 404: _NOT_FOUND},
                   summary="Approve: the certificate is revoked (a DCC operator other than the requester)")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, services.approve_revocation)

    @extend_schema(request=DecisionSerializer,
                   responses={200: RevocationRequestSerializer, 403: _REFUSED, 404: _NOT_FOUND},
                   summary="Reject (a DCC operator other than the requester)")
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, services.reject_revocation)



