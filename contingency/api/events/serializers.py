"""Explicit serializers of the SoLR events API (docs/events-api.md): what a client sends, checked for shape only
(the rules are contingency.events), and what it gets back.

EUIs are taken in every spelling the registry accepts (portal.eui: hyphens, colons, dots, spaces, none, any case)
and always answered in the hyphenated DUIS form (``90-B3-D5-…``), as issue 9 point 10 asks.
"""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from portal.eui import InvalidEUI64, parse_eui64
from portal.models import Party, UserID

from ...events.queries import event_summary
from ...models import Activation, ActivationState, ActivationTransition, Instruction, LicenceRevocation, ScopeKind

EUI_HELP = "An EUI-64 in any spelling the registry accepts (e.g. 90-B3-D5-1F-30-01-00-00, 90b3d51f30010000)."


class EuiField(serializers.CharField):
    """An EUI-64: the canonical hyphenated form, or a field error with the registry's code (``eui64-invalid``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", EUI_HELP)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return parse_eui64(text)
        except InvalidEUI64 as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from exc


class ContingencyUserIdField(EuiField):
    """The SRP's SoLR Contingency User ID, by its EUI. One the registry does not know is refused with the code the
    service gives a known User ID without the role (``not-solr-contingency-user-id``): to the client both are a
    User ID that cannot be instructed."""

    def run_validation(self, data=serializers.empty):
        eui = super().run_validation(data)  # the text's own checks (length) run on the EUI, before the look-up
        user_id = UserID.objects.filter(eui=eui).first()
        if user_id is None:
            raise serializers.ValidationError(f"{eui} is not a registered User ID",
                                              code="not-solr-contingency-user-id")
        return user_id


def _party_field(help_text: str) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="short_name", queryset=Party.objects.all(), help_text=help_text)


# --- licence revocations -------------------------------------------------------------------------------------

class LicenceRevocationSerializer(serializers.ModelSerializer):
    supplier = serializers.SlugRelatedField(slug_field="short_name", read_only=True,
                                            help_text="The failed Supplier's short name.")
    solr = serializers.SlugRelatedField(slug_field="short_name", read_only=True,
                                        help_text="The Supplier of Last Resort's short name.")
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    deferral_recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    certificates_due_at = serializers.DateTimeField(
        read_only=True, help_text="When the Supplier's certificates are revoked: the deferral's time if one was "
                                  "recorded, otherwise the effective time.")

    class Meta:
        model = LicenceRevocation
        fields = ["id", "supplier", "effective_at", "solr", "reference", "recorded_by", "recorded_at",
                  "on_behalf_of_authority", "certificates_deferred_until", "deferral_decided_by",
                  "deferral_recorded_by", "certificates_due_at", "certificates_revoked_at"]
        read_only_fields = fields


class LicenceRevocationInputSerializer(serializers.Serializer):
    supplier = _party_field("The Supplier whose licence is revoked (its short name).")
    effective_at = serializers.DateTimeField(help_text="When the revocation takes effect (ISO 8601).")
    solr = _party_field("The Supplier of Last Resort the Authority appointed (its short name).")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                      help_text="The Authority's reference, if any.")


class DeferralInputSerializer(serializers.Serializer):
    until = serializers.DateTimeField(help_text="The SMKI PMA's deferral: the certificates are revoked at this time.")
    decided_by = serializers.CharField(max_length=200, help_text="Who in the SMKI PMA decided the deferral.")


# --- instructions --------------------------------------------------------------------------------------------

class InstructionSerializer(serializers.ModelSerializer):
    supplier = serializers.SlugRelatedField(slug_field="short_name", read_only=True,
                                            help_text="The failed Supplier's short name.")
    contingency_user_id = serializers.CharField(source="contingency_user_id.eui", read_only=True,
                                                help_text="The SRP's SoLR Contingency User ID (EUI-64).")
    srvs = serializers.ListField(child=serializers.CharField(), read_only=True,
                                 help_text='Service Reference Variants the instruction allows, e.g. ["1.6"].')
    scope = serializers.ChoiceField(choices=ScopeKind.choices, read_only=True,
                                    help_text="`all`: every meter of the Supplier; `listed`: `device_ids` only.")
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    evidence_url = serializers.SerializerMethodField(help_text="Where the evidence PDF is downloaded (DCC operators "
                                                               "and the Authority).")

    class Meta:
        model = Instruction
        fields = ["id", "reference", "supplier", "contingency_user_id", "srvs", "scope", "valid_from", "valid_to",
                  "evidence_name", "evidence_sha256", "evidence_size", "evidence_url", "recorded_by", "recorded_at",
                  "on_behalf_of_authority"]
        read_only_fields = fields

    def get_evidence_url(self, instruction: Instruction) -> str:
        return reverse("api-instruction-evidence", kwargs={"pk": instruction.pk})


class InstructionDetailSerializer(InstructionSerializer):
    device_ids = serializers.SerializerMethodField(
        help_text="Scope `listed`: the devices the instruction covers (EUI-64); empty for scope `all`.")

    class Meta(InstructionSerializer.Meta):
        fields = [*InstructionSerializer.Meta.fields, "device_ids"]
        read_only_fields = fields

    def get_device_ids(self, instruction: Instruction) -> list[str]:
        return sorted(device.eui for device in instruction.devices.all())


class InstructionInputSerializer(serializers.Serializer):
    """An instruction as the Authority gives it (multipart: ``evidence`` is a file)."""

    reference = serializers.CharField(max_length=100, help_text="The Authority's reference; unique.")
    supplier = _party_field("The failed Supplier (its short name); its licence must be revoked.")
    contingency_user_id = ContingencyUserIdField(
        help_text=f"The SRP's User ID holding the SoLR Contingency role. {EUI_HELP}")
    valid_from = serializers.DateTimeField(help_text="Start of the instruction's window (ISO 8601).")
    valid_to = serializers.DateTimeField(help_text="End of the window (ISO 8601), after valid_from.")
    evidence = serializers.FileField(help_text="The Authority's instruction as a PDF document.")
    srvs = serializers.ListField(child=serializers.CharField(max_length=10), required=False, allow_empty=False,
                                 help_text='Service Reference Variants; ["1.6"] (to Credit) if not given.')
    device_ids = serializers.ListField(
        child=EuiField(), required=False, allow_empty=False,
        help_text="The devices the instruction covers (repeat the field for each); all the Supplier's meters if "
                  f"not given. {EUI_HELP}")

    def validate_device_ids(self, euis: list[str]) -> list[str]:
        return list(dict.fromkeys(euis))  # two spellings of one device name it once


# --- activations ---------------------------------------------------------------------------------------------

class TransitionSerializer(serializers.ModelSerializer):
    from_state = serializers.CharField(read_only=True, help_text="The state before; empty for the request.")
    to_state = serializers.ChoiceField(choices=ActivationState.choices, read_only=True)
    by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True,
                                      help_text="The operator; null for the system (expiry).")

    class Meta:
        model = ActivationTransition
        fields = ["from_state", "to_state", "by", "at", "note"]
        read_only_fields = fields


class ActivationSerializer(serializers.ModelSerializer):
    supplier = serializers.SlugRelatedField(slug_field="short_name", read_only=True,
                                            help_text="The failed Supplier's short name.")
    contingency_user_id = serializers.CharField(source="contingency_user_id.eui", read_only=True,
                                                help_text="The SRP's SoLR Contingency User ID (EUI-64).")
    state = serializers.ChoiceField(choices=ActivationState.choices, read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="Grows by one at each transition; send it back "
                                                                 "with an action to act only on what you read.")
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Activation
        fields = ["id", "instruction", "supplier", "contingency_user_id", "state", "version", "requested_by",
                  "requested_at", "approved_by", "approved_at", "closed_at"]
        read_only_fields = fields


class ActivationDetailSerializer(ActivationSerializer):
    history = TransitionSerializer(source="transitions", many=True, read_only=True,
                                   help_text="Every transition, oldest first.")

    class Meta(ActivationSerializer.Meta):
        fields = [*ActivationSerializer.Meta.fields, "history"]
        read_only_fields = fields


class ActivationRequestSerializer(serializers.Serializer):
    instruction = serializers.IntegerField(min_value=1, help_text="The instruction (the event's id).")


class ApproveSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, default=None,
        help_text="The activation's version as you read it: the action is refused (409 `conflict`) if someone "
                  "changed it since. Without it the action applies to the activation as it is now.")


class TransitionInputSerializer(ApproveSerializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                 help_text="Why (kept in the history).")


# --- events --------------------------------------------------------------------------------------------------

class MetersSerializer(serializers.Serializer):
    prepayment = serializers.IntegerField(help_text="The failed Supplier's meters in prepayment mode.")
    credit = serializers.IntegerField(help_text="The failed Supplier's meters in credit mode.")


class EventSerializer(serializers.Serializer):
    """One SoLR event: an instruction with its newest activation. The body is exactly
    ``contingency.events.queries.event_summary`` (the same dict seed_demo's manifest lists); the fields here
    describe it for the schema."""

    id = serializers.IntegerField(help_text="The event's id: its instruction's.")
    supplier = serializers.CharField(help_text="The failed Supplier's short name.")
    supplier_user_ids = serializers.ListField(child=serializers.CharField(),
                                              help_text="The failed Supplier's User IDs (EUI-64).")
    contingency_user_id = serializers.CharField(help_text="The SRP's SoLR Contingency User ID (EUI-64).")
    instruction_reference = serializers.CharField()
    activation_id = serializers.IntegerField(allow_null=True, help_text="The newest activation, if any.")
    activation_state = serializers.ChoiceField(choices=ActivationState.choices, allow_null=True)
    requested_by = serializers.CharField(allow_null=True,
                                         help_text="The username of the operator who requested the activation.")
    valid_from = serializers.DateTimeField()
    valid_to = serializers.DateTimeField()
    meters = MetersSerializer()

    def to_representation(self, instruction: Instruction) -> dict:
        return event_summary(instruction)
