"""The SoLR events endpoints of the people's API (issue 9 point 10): licence revocations, instructions, events and
activations, under /api/v1/.

Only a mapping to HTTP: the rules are contingency.events (records, activation, queries), which decide who may do
what, check, write and audit with the acting person. Each viewset's queryset is what the person may see
(``can_view_events``: DCC operators and Authority officers; ``events_for`` for events), so for anyone else a list
is empty and an object is 404, to read or to act on, as in the other rooms' APIs. A refusal answers
``{"code", "detail"}`` with the status its code carries (portal/api/errors.py): 403 ``not-permitted`` and
``same-person`` (four eyes), 409 ``activation-exists``, ``invalid-transition`` and ``conflict``, 400 otherwise.
"""

from __future__ import annotations

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from portal.api.errors import ErrorSerializer

from ...events import activation as activations
from ...events import downloads, records
from ...events.queries import events_for
from ...events.refusals import EventRefused
from ...models import Activation, Instruction, LicenceRevocation
from . import serializers as s

TAGS = ["events"]


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


_BAD = _error("Bad input: field errors (`errors`), or the rules' code.")
_NOT_PERMITTED = _error("`not-permitted`: not this person's action.")
_NOT_FOUND = _error("`not_found`: no such object among those this person may see.")


def _require(allowed: bool, what: str) -> None:
    """Refuse as the services do when their own predicate says no. Asked before the input is read, so someone who
    may not record learns nothing from field errors about which Parties or User IDs exist."""
    if not allowed:
        raise EventRefused(f"only {what}", code="not-permitted")  # 403, as the services answer it


def _require_recorder(person) -> None:
    _require(records.may_record(person),
             "an Authority officer, or a DCC operator on the Authority's behalf, records this")


def _visible(queryset, person):
    """``queryset`` for those who may see the SoLR events, nothing for anyone else."""
    return queryset if records.can_view_events(person) else queryset.none()


# --- licence revocations -------------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="Licence revocations (DCC operators and Authority officers)", tags=TAGS),
    retrieve=extend_schema(summary="One licence revocation", tags=TAGS,
                           responses={200: s.LicenceRevocationSerializer, 404: _NOT_FOUND}),
)
class LicenceRevocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.LicenceRevocationSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        revocations = LicenceRevocation.objects.select_related(
            "supplier", "solr", "recorded_by", "deferral_recorded_by")
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reads the model only
            return revocations.none()
        return _visible(revocations, self.request.user)

    def get_serializer_class(self):
        return {"create": s.LicenceRevocationInputSerializer,
                "deferral": s.DeferralInputSerializer}.get(self.action, s.LicenceRevocationSerializer)

    def _answer(self, revocation, status_code=status.HTTP_200_OK):
        return Response(s.LicenceRevocationSerializer(self.get_queryset().get(pk=revocation.pk)).data,
                        status=status_code)

    @extend_schema(
        summary="Record a Supplier's licence revocation (the Authority, or a DCC operator on its behalf)", tags=TAGS,
        request=s.LicenceRevocationInputSerializer,
        responses={201: s.LicenceRevocationSerializer, 403: _NOT_PERMITTED,
                   400: _error("Field errors, or `not-a-supplier` (also a SoLR that is the Supplier itself), "
                               "`licence-already-revoked`, `bad-window` (a time without its zone).")})
    def create(self, request, *args, **kwargs):
        _require_recorder(request.user)
        body = s.LicenceRevocationInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        revocation = records.record_licence_revocation(request.user, supplier=v["supplier"],
                                                       effective_at=v["effective_at"], solr=v["solr"],
                                                       reference=v["reference"])
        return self._answer(revocation, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record the SMKI PMA's deferral of the certificates' revocation", tags=TAGS,
        request=s.DeferralInputSerializer,
        responses={200: s.LicenceRevocationSerializer, 403: _NOT_PERMITTED, 404: _NOT_FOUND,
                   400: _error("Field errors, or `deferral-too-late` (the certificates are already revoked), "
                               "`bad-window` (not after the effective time), `deferral-decider-missing`.")})
    @action(detail=True, methods=["post"])
    def deferral(self, request, pk=None):
        revocation = self.get_object()
        body = s.DeferralInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        revocation = records.record_deferral(request.user, revocation, until=body.validated_data["until"],
                                             decided_by=body.validated_data["decided_by"])
        return self._answer(revocation)


# --- instructions --------------------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="Contingency instructions (DCC operators and Authority officers)", tags=TAGS),
    retrieve=extend_schema(summary="One instruction, with its listed devices", tags=TAGS,
                           responses={200: s.InstructionDetailSerializer, 404: _NOT_FOUND}),
)
class InstructionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # The evidence is a file: an instruction is posted as multipart/form-data.
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        instructions = Instruction.objects.select_related("supplier", "contingency_user_id", "recorded_by")
        if getattr(self, "swagger_fake_view", False):
            return instructions.none()
        if self.action == "retrieve":
            instructions = instructions.prefetch_related("devices")
        return _visible(instructions, self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return s.InstructionInputSerializer
        if self.action == "retrieve":
            return s.InstructionDetailSerializer
        return s.InstructionSerializer

    @extend_schema(
        summary="Record a contingency instruction with its evidence (the Authority, or a DCC operator on its "
                "behalf)", tags=TAGS,
        request={"multipart/form-data": s.InstructionInputSerializer},
        responses={201: s.InstructionDetailSerializer, 403: _NOT_PERMITTED,
                   400: _error("Field errors (`eui64-invalid`, `not-solr-contingency-user-id` for an unknown User "
                               "ID), or the rules' code: `licence-not-revoked`, `not-a-supplier`, "
                               "`not-solr-contingency-user-id`, `evidence-not-pdf`, `evidence-too-large`, "
                               "`bad-window`, `bad-reference`, `instruction-reference-exists`, `unknown-srv`, "
                               "`unknown-devices` (with `errors`: one per device, field `device_ids`).")})
    def create(self, request, *args, **kwargs):
        _require_recorder(request.user)
        body = s.InstructionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        try:
            instruction = records.record_instruction(
                request.user, reference=v["reference"], supplier=v["supplier"],
                contingency_user_id=v["contingency_user_id"], valid_from=v["valid_from"], valid_to=v["valid_to"],
                evidence=v["evidence"], srvs=v.get("srvs"), device_euis=v.get("device_ids"))
        except EventRefused as exc:
            if exc.devices:  # unknown-devices: each one named, as a field error of device_ids
                exc.errors = [{"field": "device_ids", "code": exc.code, "message": eui} for eui in exc.devices]
            raise
        detail = self.get_queryset().prefetch_related("devices").get(pk=instruction.pk)
        return Response(s.InstructionDetailSerializer(detail).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download the instruction's evidence (a PDF; DCC operators and the Authority)", tags=TAGS,
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
                   403: _NOT_PERMITTED, 404: _NOT_FOUND})
    @action(detail=True, methods=["get"], url_path="evidence", url_name="evidence")
    def evidence(self, request, pk=None):
        instruction = self.get_object()
        try:
            handle = downloads.open_evidence(request.user, instruction, channel="api")  # audited; refuses as records
        except FileNotFoundError as exc:
            raise NotFound("the evidence file is missing from the store") from exc
        return FileResponse(handle, as_attachment=True, filename=instruction.evidence_name,
                            content_type="application/pdf")


# --- events --------------------------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="SoLR events: each instruction with its newest activation", tags=TAGS),
    retrieve=extend_schema(summary="One SoLR event", tags=TAGS, responses={200: s.EventSerializer, 404: _NOT_FOUND}),
)
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.EventSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Instruction.objects.none()
        # The meters by payment mode counted in the list's own query: no query per event (docs/events.md "Lists").
        return events_for(self.request.user).with_meters()


# --- activations ---------------------------------------------------------------------------------------------

_CHANGED = _error("`invalid-transition`: not in a state this action applies to; `conflict`: someone else "
                  "changed it first (or `version` is not the current one).")
_TRANSITION_REFUSED = _error("`not-permitted`: not a DCC operator.")


@extend_schema_view(
    list=extend_schema(summary="Activations (DCC operators and Authority officers)", tags=TAGS),
    retrieve=extend_schema(summary="One activation with its history", tags=TAGS,
                           responses={200: s.ActivationDetailSerializer, 404: _NOT_FOUND}),
)
class ActivationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        found = Activation.objects.select_related("supplier", "contingency_user_id", "requested_by", "approved_by")
        if getattr(self, "swagger_fake_view", False):
            return found.none()
        if self.action != "list":
            found = found.prefetch_related("transitions__by")
        return _visible(found, self.request.user)

    def get_serializer_class(self):
        if self.action == "list":
            return s.ActivationSerializer
        return {"create": s.ActivationRequestSerializer, "approve": s.ApproveSerializer,
                "suspend": s.TransitionInputSerializer, "resume": s.TransitionInputSerializer,
                "end": s.TransitionInputSerializer}.get(self.action, s.ActivationDetailSerializer)

    def _answer(self, activation, status_code=status.HTTP_200_OK):
        found = self.get_queryset().get(pk=activation.pk)  # with its history (get_queryset)
        return Response(s.ActivationDetailSerializer(found).data, status=status_code)

    @extend_schema(
        summary="Request the activation of an instruction's contingency (a DCC operator)", tags=TAGS,
        request=s.ActivationRequestSerializer,
        responses={201: s.ActivationDetailSerializer, 403: _TRANSITION_REFUSED,
                   404: _error("`not_found`: no such instruction among those this person may see."),
                   400: _error("Field errors, or `instruction-not-current`: the instruction's window does not hold "
                               "now."),
                   409: _error("`activation-exists`: the contingency for this Supplier and User ID is already "
                               "requested, active or suspended.")})
    def create(self, request, *args, **kwargs):
        body = s.ActivationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        instruction = get_object_or_404(_visible(Instruction.objects.all(), request.user),
                                        pk=body.validated_data["instruction"])
        return self._answer(activations.request_activation(request.user, instruction), status.HTTP_201_CREATED)

    def _transition(self, request, change, *, with_note: bool):
        activation = self.get_object()
        body = (s.TransitionInputSerializer if with_note else s.ApproveSerializer)(data=request.data)
        body.is_valid(raise_exception=True)
        options = dict(body.validated_data)
        return self._answer(change(request.user, activation.pk, **options))

    @extend_schema(
        summary="Approve a requested activation (four eyes: a DCC operator other than the requester)", tags=TAGS,
        request=s.ApproveSerializer,
        responses={200: s.ActivationDetailSerializer, 404: _NOT_FOUND, 409: _CHANGED,
                   400: _error("Field errors, or `instruction-not-current`."),
                   403: _error("`same-person`: the requester cannot approve (four eyes); `not-permitted`: not a "
                               "DCC operator.")})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(request, activations.approve_activation, with_note=False)

    @extend_schema(summary="Suspend an active activation (a DCC operator)", tags=TAGS,
                   request=s.TransitionInputSerializer,
                   responses={200: s.ActivationDetailSerializer, 400: _BAD, 403: _TRANSITION_REFUSED,
                              404: _NOT_FOUND, 409: _CHANGED})
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        return self._transition(request, activations.suspend_activation, with_note=True)

    @extend_schema(summary="Resume a suspended activation (a DCC operator)", tags=TAGS,
                   request=s.TransitionInputSerializer,
                   responses={200: s.ActivationDetailSerializer, 400: _BAD, 403: _TRANSITION_REFUSED,
                              404: _NOT_FOUND, 409: _CHANGED})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._transition(request, activations.resume_activation, with_note=True)

    @extend_schema(summary="End an activation (a DCC operator)", tags=TAGS, request=s.TransitionInputSerializer,
                   responses={200: s.ActivationDetailSerializer, 400: _BAD, 403: _TRANSITION_REFUSED,
                              404: _NOT_FOUND, 409: _CHANGED})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        return self._transition(request, activations.end_activation, with_note=True)
