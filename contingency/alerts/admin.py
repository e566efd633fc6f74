"""The service desk's view of alerts and pushes (read-only): unroutable alerts and failing pushes are found
with the list filters (route = unroutable; state = pending with attempts). Registered by contingency/admin.py."""

from __future__ import annotations

from django.contrib import admin

from portal.admin import ReadOnlyAdmin

from ..models import Alert, Push, PushAttempt


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("id", "raised_at", "kind", "code", "device", "addressed_to", "route", "recipient", "via_solr")
    list_filter = ("route", "kind", "via_solr")
    search_fields = ("code", "device__eui", "addressed_to__eui", "recipient__eui", "response_id")
    list_select_related = ("device", "addressed_to", "recipient")
    exclude = ("gbcs_payload",)


class PushAttemptInline(admin.TabularInline):
    model = PushAttempt
    fields = ("number", "at", "endpoint_url", "http_status", "error", "delivered", "duration_ms")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Push)
class PushAdmin(ReadOnlyAdmin):
    list_display = ("id", "key", "recipient", "state", "attempts", "last_status", "last_error", "next_attempt_at",
                    "delivered_at")
    list_filter = ("state",)
    search_fields = ("key", "recipient__eui", "endpoint_url")
    list_select_related = ("recipient",)
    inlines = [PushAttemptInline]
