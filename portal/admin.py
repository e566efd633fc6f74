from django.contrib import admin

from .choices import OfficeKind, OfficeStatus
from .models import AuditChainHead, AuditRecord, Office, Party, SRPArrangement, UserID, UserRole

# The admin is the DCC service desk's tool (README "What to try first"): titled for this service.
admin.site.site_header = "SoLR Contingency Service administration"
admin.site.site_title = "SoLR Contingency Service admin"
admin.site.index_title = "DCC service desk"


class UserRoleInline(admin.TabularInline):
    model = UserRole
    extra = 1


class UserIDInline(admin.TabularInline):
    model = UserID
    extra = 0
    fields = ("eui", "status", "endpoint_url")
    readonly_fields = ("endpoint_url",)  # set on the User ID's page, checked and audited (docs/user-ids.md)
    show_change_link = True


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "kind", "licence_status", "licence_revoked_at")
    list_filter = ("kind", "licence_status")
    search_fields = ("name", "short_name")
    inlines = [UserIDInline]


@admin.register(UserID)
class UserIDAdmin(admin.ModelAdmin):
    list_display = ("eui", "party", "roles_display", "status")
    list_filter = ("status", "party__kind", "roles__role")
    search_fields = ("eui", "party__name")
    inlines = [UserRoleInline]
    # The endpoint URL has rules (https only, no credentials) and its own audit record: the portal's User ID page
    # and PATCH /api/v1/user-ids/{eui}/ set it (portal.user_ids, docs/user-ids.md), not a free admin field.
    readonly_fields = ("endpoint_url",)

    @admin.display(description="roles")
    def roles_display(self, obj):
        return ", ".join(obj.role_codes)


@admin.register(SRPArrangement)
class SRPArrangementAdmin(admin.ModelAdmin):
    list_display = ("srp", "supplier", "valid_from", "valid_to")


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ("person", "kind", "party", "status")
    list_filter = ("kind", "status", "party")
    search_fields = ("person__username", "party__name")
    # The nomination's record is written by portal.offices.services only; an ARO's status changes there too
    # (four eyes, audited: docs/offices.md), never by editing it here.
    NOMINATION_FIELDS = ("nominated_by", "screening_reference", "screening_date", "decided_by", "decided_at",
                         "rejection_reason", "removed_by", "removed_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.kind == OfficeKind.ARO:
            return (*self.NOMINATION_FIELDS, "person", "kind", "party", "status")
        return self.NOMINATION_FIELDS

    def save_model(self, request, obj, form, change):
        if not change and obj.kind == OfficeKind.ARO:
            # An ARO added here is a nomination by the operator who adds it: another operator verifies it.
            obj.status, obj.nominated_by = OfficeStatus.NOMINATED, request.user
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only data: the admin may look, never add, change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ("id", "seq", "created_at", "actor", "action", "subject_type", "subject_repr")
    list_filter = ("action", "subject_type")
    search_fields = ("actor", "subject_id", "subject_repr", "context")
    date_hierarchy = "created_at"


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ("last_seq", "last_record_id", "last_hash", "updated_at")
