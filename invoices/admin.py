from django.contrib import admin

from activity.admin import RetryFailedMixin
from commbilling.admin import LocalizedNumbersAdmin

from .models import Customer, Invoice, InvoiceLine, NumberSequence


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "organisation", "customer_type", "email", "city", "siren"]
    list_filter = ["organisation", "customer_type", "country"]
    search_fields = ["legal_name", "email", "siren", "vat_number"]
    list_select_related = ["organisation"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0


@admin.register(Invoice)
class InvoiceAdmin(RetryFailedMixin, LocalizedNumbersAdmin):
    list_display = [
        "__str__",
        "organisation",
        "customer",
        "status",
        "total_incl_vat",
        "issue_date",
        "last_cause",
        "attempts",
    ]
    list_filter = ["status", "last_cause", "organisation"]
    search_fields = ["number", "customer__legal_name"]
    list_select_related = ["organisation", "customer"]
    readonly_fields = [
        "number",
        "status",
        "attempts",
        "queued_at",
        "started_at",
        "next_retry_at",
        "task_id",
        "last_cause",
        "last_error",
        "last_error_details",
        "failed_at",
        "generated_at",
        "pdf",
        "total_excl_vat",
        "total_vat",
        "total_incl_vat",
    ]
    raw_id_fields = ["customer"]
    inlines = [InvoiceLineInline]
    actions = ["retry_failed"]
    show_full_result_count = False


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    list_display = ["organisation", "kind", "year", "last_value"]
    list_filter = ["kind", "year", "organisation"]
    readonly_fields = ["organisation", "kind", "year", "last_value"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
