from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from commbilling import l10n
from commbilling.admin import LocalizedNumbersAdmin

from .models import BankStatement, BankStatementLine, Payment


@admin.register(Payment)
class PaymentAdmin(SimpleHistoryAdmin, LocalizedNumbersAdmin):
    """Payments are recorded and cancelled on the invoice page, where the balance is
    checked; here they are read (with their history)."""

    list_display = [
        "__str__",
        "organisation",
        "invoice",
        "date",
        "amount",
        "method",
        "reference",
        "cancelled_at",
    ]
    list_filter = ["method", "organisation"]
    search_fields = ["invoice__number", "reference"]
    list_select_related = ["organisation", "invoice"]
    date_hierarchy = "date"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class BankStatementLineInline(admin.TabularInline):
    model = BankStatementLine
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "booking_date",
        "shown_amount",
        "remittance",
        "status",
        "proposed_invoice",
        "matched_by",
    )

    @admin.display(description=_("amount"), ordering="amount")
    def shown_amount(self, line: BankStatementLine) -> str:
        return l10n.format_amount(line.amount)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BankStatement)
class BankStatementAdmin(admin.ModelAdmin):
    list_display = ["filename", "organisation", "source_format", "imported_by", "imported_at"]
    list_filter = ["source_format", "organisation"]
    search_fields = ["filename"]
    list_select_related = ["organisation", "imported_by"]
    inlines = [BankStatementLineInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
