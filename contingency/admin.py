from django.contrib import admin

from portal.admin import ReadOnlyAdmin

from .models import AdtFile, AdtThreshold, Device


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("eui", "device_type", "esme_variant", "generation", "smi_status", "payment_mode",
                    "registered_supplier", "mpxn")
    list_filter = ("device_type", "generation", "smi_status", "payment_mode", "esme_variant")
    search_fields = ("eui", "mpxn")
    list_select_related = ("registered_supplier",)
    raw_id_fields = ("registered_supplier",)
    # A meter's payment mode changes only through the device gateway, when the meter applies a command (issue 11;
    # docs/device-gateway.md): the inventory shows it, never edits it.
    readonly_fields = ("payment_mode",)


# ADT files change only through contingency.adt.services (upload, approve, reject: four eyes, audited), so the
# admin shows them read-only to the DCC service desk.
class AdtThresholdInline(admin.TabularInline):
    model = AdtThreshold
    fields = ("line", "user_id", "srv", "target_supplier", "warning_level", "quarantine_level", "window_minutes",
              "active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user_id", "target_supplier")


@admin.register(AdtFile)
class AdtFileAdmin(ReadOnlyAdmin):
    list_display = ("id", "party", "file_name", "state", "uploaded_by", "uploaded_at", "approved_by", "approved_at")
    list_filter = ("state", "party")
    search_fields = ("file_name", "sha256", "party__name")
    list_select_related = ("party", "uploaded_by", "approved_by")
    inlines = [AdtThresholdInline]


@admin.register(AdtThreshold)
class AdtThresholdAdmin(ReadOnlyAdmin):
    list_display = ("id", "user_id", "srv", "target_supplier", "warning_level", "quarantine_level", "window_minutes",
                    "active", "file")
    list_filter = ("active", "srv")
    search_fields = ("user_id__eui", "target_supplier__eui")
    list_select_related = ("user_id", "target_supplier", "file")


# Alerts and pushes (MP134B requirement 7): their admin lives with them.
from .alerts import admin as alerts_admin  # noqa: E402, F401
