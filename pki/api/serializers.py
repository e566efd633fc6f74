"""Explicit fields for pki's people's API (what a Party's officer may read and send)."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Certificate, CertificateKind, RevocationRequest


class CertificateOrderSerializer(serializers.Serializer):
    user_id = serializers.CharField(max_length=64, help_text="The User ID's EUI-64, e.g. 90-B3-D5-1F-30-20-00-01.")
    kind = serializers.ChoiceField(choices=CertificateKind.choices)
    csr = serializers.CharField(max_length=16 * 1024, trim_whitespace=True,
                                help_text="The Certificate Signing Request in PEM (EC P-256).")


class CertificateSerializer(serializers.ModelSerializer):
    user_id = serializers.CharField(source="subject_eui", read_only=True, help_text="The holder's EUI-64.")
    party = serializers.CharField(source="user_id.party.short_name", read_only=True, default=None)
    status = serializers.SerializerMethodField()
    pem_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = ["id", "serial", "user_id", "party", "kind", "status", "subject_name", "issuer_name",
                  "not_before", "not_after", "revoked_at", "fingerprint", "pem_url"]
        read_only_fields = fields

    def get_status(self, obj) -> str:
        return obj.status()

    def get_pem_url(self, obj) -> str:
        return f"/smki/certificates/{obj.serial}.pem"


class CertificateOrderResultSerializer(serializers.Serializer):
    order = serializers.IntegerField(help_text="The recorded order.")
    serial = serializers.CharField(help_text="Decimal serial, as /smki/certificates/<serial>.pem uses it.")
    certificate = CertificateSerializer()


class RevocationRequestSerializer(serializers.ModelSerializer):
    certificate = serializers.IntegerField(source="certificate_id",
                                           help_text="The certificate's id (GET /api/v1/certificates/).")
    serial = serializers.CharField(source="certificate.serial", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)

    class Meta:
        model = RevocationRequest
        fields = ["id", "certificate", "serial", "reason", "status", "requested_by", "requested_at", "decided_by",
                  "decided_at", "decision_note"]
        read_only_fields = ["status", "requested_at", "decided_at", "decision_note"]


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
