from django.contrib import admin

from .forms import PlatformSettingsForm
from .models import EInvoice, FlowStatus, PlatformSettings


@admin.register(PlatformSettings)
class PlatformSettingsAdmin(admin.ModelAdmin):
    form = PlatformSettingsForm  # secrets write-only there too
    list_display = ["organisation", "enabled", "base_url", "updated_at"]
    list_filter = ["enabled"]
    search_fields = ["organisation__name", "base_url"]


class FlowStatusInline(admin.TabularInline):
    model = FlowStatus
    extra = 0
    can_delete = False
    fields = ("occurred_at", "code", "reason_code", "message", "source", "flow_id", "event_id")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EInvoice)
class EInvoiceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organisation", "status", "lifecycle", "flow_id", "updated_at"]
    list_filter = ["status", "lifecycle", "last_cause", "organisation"]
    search_fields = ["tracking_id", "flow_id", "invoice__number", "credit_note__number"]
    list_select_related = ["invoice", "credit_note", "organisation"]
    readonly_fields = [f.name for f in EInvoice._meta.fields]
    inlines = [FlowStatusInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(FlowStatus)
class FlowStatusAdmin(admin.ModelAdmin):
    list_display = ["einvoice", "code", "reason_code", "occurred_at", "source"]
    list_filter = ["code", "source"]
    search_fields = ["einvoice__tracking_id", "flow_id", "reason_code"]
    readonly_fields = [f.name for f in FlowStatus._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
