"""Admin: the issuance policy is editable data; certificates, CAs, orders, revocation requests and CRLs are
read-only records (they change only through pki.issuance / pki.revocation / pki.orders.services, which audit every
change)."""

from django import forms
from django.contrib import admin

from portal.admin import ReadOnlyAdmin

from .models import (
    Certificate,
    CertificateAuthority,
    CertificateOrder,
    IssuancePolicy,
    RevocationList,
    RevocationRequest,
)


def policy_role_choices() -> list[tuple[str, str]]:
    """The DUIS User Roles (with the SoLR Contingency one) and the DCC pseudo-role."""
    from portal.models import role_choices

    from .issuance import DCC_POLICY_ROLE

    return [*role_choices(), (DCC_POLICY_ROLE, "DCC (the DCC's own User IDs)")]


class IssuancePolicyForm(forms.ModelForm):
    role = forms.ChoiceField(choices=policy_role_choices)

    class Meta:
        model = IssuancePolicy
        fields = ("role", "kind", "note")


@admin.register(IssuancePolicy)
class IssuancePolicyAdmin(admin.ModelAdmin):
    form = IssuancePolicyForm
    list_display = ("role", "kind", "note")
    list_filter = ("role", "kind")
    ordering = ("role", "kind")


class CertificateStatusFilter(admin.SimpleListFilter):
    """Status now, by the one rule of CertificateQuerySet (valid through notAfter, revoked from revoked_at)."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(s, s) for s in ("valid", "revoked", "expired", "not-yet-valid", "revocation-scheduled")]

    def queryset(self, request, queryset):
        return queryset.with_status(self.value()) if self.value() else queryset


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ("serial", "issuer_name", "subject_eui", "role_hex", "kind", "status", "not_after", "revoked_at",
                    "source")
    list_filter = (CertificateStatusFilter, "kind", "source", "chain_verified", "role_code")
    search_fields = ("serial", "subject_eui", "subject_name", "label")
    exclude = ("der",)
    readonly_fields = ("pem",)

    @admin.display(description="status")
    def status(self, obj):
        return obj.status()

    @admin.display(description="role (OU)")
    def role_hex(self, obj):
        return f"{obj.role_code:02X}" if obj.role_code is not None else ""

    @admin.display(description="certificate (PEM)")
    def pem(self, obj):
        return obj.pem()


@admin.register(CertificateAuthority)
class CertificateAuthorityAdmin(ReadOnlyAdmin):
    list_display = ("name", "level", "subject_name", "serial", "not_after", "active", "crl_number")
    exclude = ("der",)


@admin.register(CertificateOrder)
class CertificateOrderAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "requested_eui", "kind", "status", "requested_by", "refusal_code", "reason")
    list_filter = ("status", "kind")
    search_fields = ("requested_eui", "requested_by", "reason")


@admin.register(RevocationList)
class RevocationListAdmin(ReadOnlyAdmin):
    list_display = ("ca", "number", "this_update", "next_update")
    exclude = ("der",)


@admin.register(RevocationRequest)
class RevocationRequestAdmin(ReadOnlyAdmin):
    """The DCC service desk looks here only: a request is decided on the portal's pages (or the API), where
    pki.orders.services applies the four-eyes rule and audits the decision (SMKI RAPP: revocation requested by an
    ARO, decided by the DCC)."""

    list_display = ("requested_at", "certificate", "status", "requested_by", "decided_by", "decided_at", "reason")
    list_filter = ("status",)
    list_select_related = ("certificate", "requested_by", "decided_by")
    search_fields = ("certificate__serial", "certificate__subject_eui", "requested_by__username", "reason")
    date_hierarchy = "requested_at"
