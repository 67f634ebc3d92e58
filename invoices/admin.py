from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from simple_history.admin import SimpleHistoryAdmin

from activity.admin import RetryFailedMixin
from commbilling.admin import LocalizedNumbersAdmin

from .models import Customer, Invoice, InvoiceLine, NumberSequence


class FrozenWhenIssuedMixin(admin.ModelAdmin):
    """Issued documents are read-only in the admin and cannot be deleted (CGI art. 242
    nonies A): corrections go through a credit note. Bulk deletion is not offered."""

    def is_frozen(self, obj) -> bool:
        return obj is not None and bool(getattr(obj, "number", None))

    def has_change_permission(self, request, obj=None) -> bool:
        return not self.is_frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self.is_frozen(obj) and super().has_delete_permission(request, obj)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = ["legal_name", "organisation", "customer_type", "email", "city", "siren"]
    list_filter = ["organisation", "customer_type", "country"]
    search_fields = ["legal_name", "email", "siren", "vat_number"]
    list_select_related = ["organisation"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0

    def _issued(self, obj) -> bool:
        return obj is not None and bool(obj.number)

    def has_add_permission(self, request, obj=None) -> bool:
        return not self._issued(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._issued(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._issued(obj) and super().has_delete_permission(request, obj)


@admin.register(Invoice)
class InvoiceAdmin(FrozenWhenIssuedMixin, RetryFailedMixin, LocalizedNumbersAdmin):
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
        "amount_paid",
        "amount_credited",
        "amount_refunded",
        "paid_at",
        "seller",
        "buyer",
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
