"""What the dashboard's KPIs count: records entering a status, and the amount summed.

The dashboard chooses its figures here, naming the processes by their declarations
(``<app>/processes.py``); the processes themselves know nothing of it.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from emails.models import EmailMessage
from emails.processes import DELIVERY
from invoices.models import Invoice
from invoices.processes import GENERATION
from refunds.models import Refund
from refunds.processes import REFUND


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str | Promise
    process: str
    status: str
    # A field of the record added up when it enters ``status`` (empty: count only).
    amount_field: str = ""
    amount_label: str | Promise = ""
    # The amount is the money received (payments by date), not the records' field: an
    # invoice paid in three instalments was collected over three days.
    amount_from_payments: bool = False


KPIS = (
    Kpi(
        "invoices_generated",
        _("Invoices generated"),
        GENERATION.name,
        Invoice.Status.GENERATED,
        amount_field="total_incl_vat",
        amount_label=_("Amount invoiced"),
    ),
    Kpi(
        "emails_sent", pgettext_lazy("kpi", "E-mails sent"), DELIVERY.name, EmailMessage.Status.SENT
    ),
    Kpi("emails_delivered", _("E-mails delivered"), DELIVERY.name, EmailMessage.Status.DELIVERED),
    Kpi("emails_bounced", _("E-mails bounced"), DELIVERY.name, EmailMessage.Status.BOUNCED),
    Kpi(
        "invoices_paid",
        _("Invoices paid"),
        GENERATION.name,
        Invoice.Status.PAID,
        amount_label=_("Amount collected"),
        amount_from_payments=True,
    ),
    Kpi(
        "refunds",
        _("Refunds made"),
        REFUND.name,
        Refund.Status.REFUNDED,
        amount_field="amount",
        amount_label=_("Amount refunded"),
    ),
)

_AMOUNT_FIELDS = {(k.process, k.status): k.amount_field for k in KPIS if k.amount_field}


def amount_field(process: str, status: str) -> str:
    return _AMOUNT_FIELDS.get((process, status), "")
