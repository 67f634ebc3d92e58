"""What the dashboard's KPIs count: records entering a status, and the amount summed.

The dashboard chooses its figures here; the processes themselves know nothing of it.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str | Promise
    process: str
    status: str
    # A field of the record added up when it enters ``status`` (empty: count only).
    amount_field: str = ""
    amount_label: str | Promise = ""


KPIS = (
    Kpi(
        "invoices_generated",
        _("Invoices generated"),
        "invoice_generation",
        "generated",
        amount_field="total_incl_vat",
        amount_label=_("Amount invoiced"),
    ),
    Kpi("emails_sent", pgettext_lazy("kpi", "E-mails sent"), "email_delivery", "sent"),
    Kpi("emails_delivered", _("E-mails delivered"), "email_delivery", "delivered"),
    Kpi("emails_bounced", _("E-mails bounced"), "email_delivery", "bounced"),
    Kpi(
        "invoices_paid",
        _("Invoices paid"),
        "invoice_generation",
        "paid",
        amount_field="total_incl_vat",
        amount_label=_("Amount collected"),
    ),
    Kpi(
        "refunds",
        _("Refunds made"),
        "refund",
        "refunded",
        amount_field="amount",
        amount_label=_("Amount refunded"),
    ),
)

_AMOUNT_FIELDS = {(k.process, k.status): k.amount_field for k in KPIS if k.amount_field}


def amount_field(process: str, status: str) -> str:
    return _AMOUNT_FIELDS.get((process, status), "")
