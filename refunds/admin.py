from django.contrib import admin

from activity.admin import RetryFailedMixin
from commbilling.admin import LocalizedNumbersAdmin

from .models import CreditNote, Refund


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


@admin.register(CreditNote)
class CreditNoteAdmin(LocalizedNumbersAdmin):
    list_display = ["number", "organisation", "invoice", "amount", "issued_at"]
    list_filter = ["organisation"]
    search_fields = ["number", "invoice__number"]
    list_select_related = ["organisation", "invoice"]
    readonly_fields = [
        "organisation",
        "number",
        "refund",
        "invoice",
        "amount",
        "total_excl_vat",
        "total_vat",
        "vat_breakdown",
        "pdf",
        "issued_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
