"""The quarantine console in the people's API (issue 10 point 9; docs/quarantine.md), under /api/v1/:

* ``GET  quarantined-requests/`` (filters ``?sender=`` EUI, ``?supplier=`` short name, ``?srv=``), ``GET …/{id}/``
* ``POST quarantined-requests/{id}/release/`` and ``…/{id}/delete/``: ask for a release or a delete (201, the
  decision)
* ``GET  quarantine-decisions/`` (the open ones), ``POST quarantine-decisions/{id}/approve/`` (optional
  ``version``: the request's version the approver saw) and ``…/{id}/withdraw/``
* ``GET  adt-notices/``: the warning and quarantine notes of anomaly detection

DCC operators only: anyone else gets 403 ``quarantine-not-allowed`` for every request, as on the pages. The rules
are contingency.adt.quarantine's; refusals answer ``{"code", "detail"}`` with their status (portal/api/errors.py).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api.errors import ErrorSerializer
from portal.offices.services import is_dcc_operator

from ..adt import quarantine
from ..models import AdtNotice, QuarantineDecision, QuarantineDecisionState

TAGS = ["quarantine"]
_REFUSED = OpenApiResponse(ErrorSerializer, description="quarantine-not-allowed, same-person (four eyes).")
_CONFLICT = OpenApiResponse(ErrorSerializer, description="request-not-quarantined, quarantine-decision-open, "
                                                         "quarantine-decision-closed or quarantine-request-changed.")


class QuarantineDecisionSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, default=None)
    request_id = serializers.CharField(source="request.request_id", read_only=True)

    class Meta:
        model = QuarantineDecision
        fields = ["id", "request", "request_id", "action", "state", "requested_by", "requested_at", "approved_by",
                  "approved_at"]


class QuarantinedRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    request_id = serializers.CharField()
    sender = serializers.CharField(source="sender.eui")
    target_supplier = serializers.CharField(source="target_supplier.short_name", default=None)
    device = serializers.CharField(source="device.eui", default=None)
    srv = serializers.CharField()
    command_variant = serializers.IntegerField()
    state = serializers.CharField()
    version = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    quarantined_at = serializers.DateTimeField()
    open_decision = serializers.SerializerMethodField()

    def get_open_decision(self, obj) -> dict | None:
        decision = quarantine.open_decision(obj)
        return QuarantineDecisionSerializer(decision).data if decision else None


class QuarantineApproveSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=0,
                                       help_text="The request's version you saw; a changed request is refused.")


class AdtNoticeSerializer(serializers.ModelSerializer):
    sender = serializers.CharField(source="sender.eui")
    target_supplier = serializers.CharField(source="target_supplier.eui", default=None)

    class Meta:
        model = AdtNotice
        fields = ["id", "kind", "sender", "srv", "target_supplier", "count", "request_id", "raised_at", "alert",
                  "threshold"]


class _OperatorsOnly:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not is_dcc_operator(request.user):
            raise quarantine.QuarantineRefused("only a DCC operator sees and decides on quarantined requests",
                                               code="quarantine-not-allowed", http_status=403)


@extend_schema_view(
    list=extend_schema(summary="Quarantined requests", tags=TAGS, responses={200: QuarantinedRequestSerializer,
                                                                               403: _REFUSED}),
    retrieve=extend_schema(summary="One quarantined request", tags=TAGS, responses={200: QuarantinedRequestSerializer,
                                                                                      403: _REFUSED}),
)
class QuarantinedRequestViewSet(_OperatorsOnly, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                                viewsets.GenericViewSet):
    serializer_class = QuarantinedRequestSerializer
    filterset_class = quarantine.QuarantinedRequestFilter

    def get_queryset(self):
        return quarantine.quarantined_requests()

    def _ask(self, action_name: str):
        decision = quarantine.request_decision(self.request.user, self.get_object(), action_name)
        return Response(QuarantineDecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Ask for a release (a second DCC operator approves)", tags=TAGS, request=None,
                   responses={201: QuarantineDecisionSerializer, 403: _REFUSED, 409: _CONFLICT})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        return self._ask(QuarantineDecision.Action.RELEASE)

    @extend_schema(summary="Ask for a delete (a second DCC operator approves)", tags=TAGS, request=None,
                   responses={201: QuarantineDecisionSerializer, 403: _REFUSED, 409: _CONFLICT})
    # Not named ``delete``: a viewset method of an HTTP verb's name would also answer DELETE on every route.
    @action(detail=True, methods=["post"], url_path="delete", url_name="delete")
    def delete_request(self, request, pk=None):
        return self._ask(QuarantineDecision.Action.DELETE)


@extend_schema_view(
    list=extend_schema(summary="Open release and delete requests", tags=TAGS),
    retrieve=extend_schema(summary="One decision", tags=TAGS),
)
class QuarantineDecisionViewSet(_OperatorsOnly, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                                viewsets.GenericViewSet):
    serializer_class = QuarantineDecisionSerializer

    def get_queryset(self):
        decisions = QuarantineDecision.objects.select_related("request", "requested_by", "approved_by")
        if self.action == "list":
            decisions = decisions.filter(state=QuarantineDecisionState.REQUESTED)
        return decisions

    @extend_schema(summary="Approve (another DCC operator than the requester)", tags=TAGS,
                   request=QuarantineApproveSerializer,
                   responses={200: QuarantinedRequestSerializer, 403: _REFUSED, 409: _CONFLICT})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        body = QuarantineApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        moved = quarantine.approve_decision(request.user, self.get_object(), version=body.validated_data.get("version"))
        return Response(QuarantinedRequestSerializer(moved).data)

    @extend_schema(summary="Withdraw an open request", tags=TAGS, request=None,
                   responses={200: QuarantineDecisionSerializer, 403: _REFUSED, 409: _CONFLICT})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        decision = quarantine.withdraw_decision(request.user, self.get_object())
        return Response(QuarantineDecisionSerializer(decision).data)


@extend_schema_view(list=extend_schema(summary="Anomaly detection notes (warning and quarantine levels passed)",
                                       tags=TAGS))
class AdtNoticeViewSet(_OperatorsOnly, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AdtNoticeSerializer

    def get_queryset(self):
        return AdtNotice.objects.select_related("sender", "target_supplier")
