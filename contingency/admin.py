from django.contrib import admin

from .models import Device


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("eui", "device_type", "esme_variant", "generation", "smi_status", "payment_mode",
                    "registered_supplier", "mpxn")
    list_filter = ("device_type", "generation", "smi_status", "payment_mode", "esme_variant")
    search_fields = ("eui", "mpxn")
    list_select_related = ("registered_supplier",)
    raw_id_fields = ("registered_supplier",)
