"""The ADT file endpoints of the people's API (issue 8 point 10): list, upload, read, approve, reject.

The queryset is ``visible_adt_files(person)``, so another Party's file is a 404; every change goes through
``contingency.adt.services`` (which checks the rules, writes and audits with the acting person). A refusal
answers with its code: ``AdtRefused`` is 403 (409 when the file was decided meanwhile), a refused file 400
with ``errors: [{line, field, code, message}]``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from portal.api.errors import ErrorSerializer

from ..adt import services
from ..adt.filters import AdtFileFilter
from ..adt.parse import AdtFileRejected
from . import serializers as s

_REFUSED = OpenApiResponse(ErrorSerializer, description="Refused: the action is not this person's (its code).")
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such file among those this person may see.")
_CONFLICT = OpenApiResponse(ErrorSerializer, description="adt-file-not-submitted: decided meanwhile.")


@extend_schema_view(
    list=extend_schema(summary="The ADT files this person may see", tags=["adt"]),
    retrieve=extend_schema(summary="One ADT file with its rows", tags=["adt"], responses={
        200: s.AdtFileDetailSerializer, 404: _NOT_FOUND}),
)
class AdtFileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_class = AdtFileFilter
    # Uploads are multipart (the field ``file``); reject takes a reason as JSON or a form.
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        files = services.visible_adt_files(self.request.user).select_related(
            "party", "uploaded_by", "approved_by", "rejected_by")
        if self.action == "retrieve":
            files = files.prefetch_related("rows__user_id", "rows__target_supplier")
        return files

    def get_serializer_class(self):
        if self.action == "create":
            return s.AdtUploadSerializer
        if self.action == "reject":
            return s.AdtRejectSerializer
        if self.action in ("retrieve", "approve"):
            return s.AdtFileDetailSerializer
        return s.AdtFileSerializer

    def _detail(self, adt_file, status_code=status.HTTP_200_OK):
        adt_file = self.get_queryset().prefetch_related("rows__user_id", "rows__target_supplier").get(pk=adt_file.pk)
        return Response(s.AdtFileDetailSerializer(adt_file).data, status=status_code)

    @extend_schema(
        summary="Upload an ADT file", tags=["adt"], request={"multipart/form-data": s.AdtUploadSerializer},
        responses={201: s.AdtFileDetailSerializer,
                   400: OpenApiResponse(s.AdtRefusalSerializer, description="The file is refused; nothing stored."),
                   403: _REFUSED})
    def create(self, request, *args, **kwargs):
        parties = services.upload_parties(request.user)
        if not parties.exists():
            raise services.AdtRefused("only an SRO or a verified ARO of a Party uploads its ADT files",
                                      code="adt-upload-not-allowed")
        upload = s.AdtUploadSerializer(data=request.data, parties=parties)
        upload.is_valid(raise_exception=True)
        uploaded = upload.validated_data["file"]
        try:
            adt_file = services.upload_adt_file(request.user, upload.validated_data["party"], uploaded.name,
                                                services.read_upload(uploaded))
        except AdtFileRejected as exc:
            return Response({"code": exc.code, "detail": exc.message, "errors": exc.error_dicts()},
                            status=status.HTTP_400_BAD_REQUEST)
        return self._detail(adt_file, status.HTTP_201_CREATED)

    @extend_schema(summary="Approve an ADT file (four eyes)", tags=["adt"], request=None, responses={
        200: s.AdtFileDetailSerializer, 403: _REFUSED, 404: _NOT_FOUND, 409: _CONFLICT})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._detail(services.approve_adt_file(request.user, self.get_object()))

    @extend_schema(summary="Reject an ADT file", tags=["adt"], request=s.AdtRejectSerializer, responses={
        200: s.AdtFileDetailSerializer, 403: _REFUSED, 404: _NOT_FOUND, 409: _CONFLICT})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        body = s.AdtRejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._detail(services.reject_adt_file(request.user, self.get_object(), body.validated_data["reason"]))
