from django.utils.translation import gettext_lazy as _

from activity.processes import declare

from . import services
from .models import Invoice

GENERATION = declare(
    "invoice_generation",
    label=_("Invoice generation"),
    model=Invoice,
    execute=lambda invoice: services.generate_invoice(invoice=invoice),
    list_url_name="invoices:list",
    list_title=_("Invoices"),
    support_category="billing",
    retry_label=_("Regenerate"),
)
