"""Explicit serializers of the ADT file API (docs/adt-format.md "In the portal and API")."""

from __future__ import annotations

from rest_framework import serializers

from portal.models import Party

from ..models import AdtFile, AdtThreshold


class AdtThresholdSerializer(serializers.ModelSerializer):
    user_id = serializers.CharField(source="user_id.eui", read_only=True)
    target_supplier = serializers.SerializerMethodField(help_text="The Supplier User ID's EUI, or '*'.")

    class Meta:
        model = AdtThreshold
        fields = ["line", "user_id", "srv", "target_supplier", "warning_level", "quarantine_level",
                  "window_minutes", "active"]
        read_only_fields = fields

    def get_target_supplier(self, row: AdtThreshold) -> str:
        return row.target_supplier.eui if row.target_supplier_id else "*"


class AdtFileSerializer(serializers.ModelSerializer):
    party = serializers.SlugRelatedField(slug_field="short_name", read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    rejected_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AdtFile
        fields = ["id", "party", "file_name", "sha256", "size", "state", "uploaded_by", "uploaded_at",
                  "approved_by", "approved_at", "rejected_by", "rejected_at", "reject_reason", "superseded_at"]
        read_only_fields = fields


class AdtFileDetailSerializer(AdtFileSerializer):
    rows = AdtThresholdSerializer(many=True, read_only=True)

    class Meta(AdtFileSerializer.Meta):
        fields = [*AdtFileSerializer.Meta.fields, "rows"]
        read_only_fields = fields


class AdtUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The ADT file: UTF-8 CSV (docs/adt-format.md).")
    party = serializers.SlugRelatedField(
        slug_field="short_name", queryset=Party.objects.none(), required=False,
        help_text="The Party's short name; needed only when the person uploads for more than one Party.")

    def __init__(self, *args, parties=None, **kwargs):
        super().__init__(*args, **kwargs)
        if parties is not None:
            self.fields["party"].queryset = parties

    def validate(self, attrs):
        parties = self.fields["party"].queryset
        if "party" not in attrs:
            if parties.count() != 1:
                raise serializers.ValidationError({"party": "name the Party (its short name)"}, code="required")
            attrs["party"] = parties.get()
        return attrs


class AdtRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The file's line (the header is 1; 0 for the whole file).")
    field = serializers.CharField(help_text="The column, or '' for the file or a whole row.")
    code = serializers.CharField()
    message = serializers.CharField()


class AdtRefusalSerializer(serializers.Serializer):
    """A refused upload: the file's code, and every problem by line and field."""

    code = serializers.CharField()
    detail = serializers.CharField()
    errors = RowErrorSerializer(many=True)

