from django.contrib import admin

from activity.admin import RetryFailedMixin
from commbilling.admin import LocalizedNumbersAdmin

from .models import CreditNote, CreditNoteLine, Refund


@admin.register(Refund)
class RefundAdmin(RetryFailedMixin, LocalizedNumbersAdmin):
    list_display = [
        "__str__",
        "organisation",
        "invoice",
        "amount",
        "status",
        "provider",
        "provider_refund_id",
        "last_cause",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "provider", "last_cause", "organisation"]
    search_fields = ["invoice__number", "invoice__customer__legal_name", "provider_refund_id"]
    list_select_related = ["organisation", "invoice"]
    readonly_fields = [
        f.name
        for f in Refund._meta.get_fields()
        if getattr(f, "concrete", False) and not f.many_to_many and f.name not in ("id", "reason")
    ]
    actions = ["retry_failed"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # refunds are requested on an invoice, where the balance is checked


class CreditNoteLineInline(admin.TabularInline):
    model = CreditNoteLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ("description", "quantity", "unit_price", "vat_rate", "vat_category")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CreditNote)
class CreditNoteAdmin(LocalizedNumbersAdmin):
    """Read-only: an issued credit note never changes and is never deleted."""

    list_display = ["number", "organisation", "invoice", "kind", "amount", "issued_at"]
    list_filter = ["kind", "organisation"]
    search_fields = ["number", "invoice__number"]
    list_select_related = ["organisation", "invoice"]
    inlines = [CreditNoteLineInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
