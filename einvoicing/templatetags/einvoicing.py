from django import template

from invoices.models import Invoice

from .. import services
from ..models import EInvoice

register = template.Library()


@register.inclusion_tag("einvoicing/_panel.html", takes_context=True)
def einvoicing_panel(context, invoice: Invoice) -> dict:
    """The invoice's e-invoicing: why it is not transmitted, what would block its
    transmission (drafts), or its transmission with the platform's timeline."""
    return {
        **panel_context(invoice),
        "perms": context.get("perms"),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


def panel_context(invoice: Invoice) -> dict:
    exclusion = services.transmission_exclusion(invoice)
    einvoice = EInvoice.objects.filter(invoice=invoice).first()
    violations = []
    if exclusion is None and (einvoice is None or einvoice.is_failed):
        violations = services.check_transmission(invoice)
    return {
        "invoice": invoice,
        "exclusion": exclusion,
        "einvoice": einvoice,
        "record": einvoice,
        "statuses": list(einvoice.statuses.all()) if einvoice else [],
        "violations": violations,
        # Refreshed while generation or transmission is under way.
        "live": invoice.status in (Invoice.Status.QUEUED, Invoice.Status.GENERATING)
        or (einvoice is not None and einvoice.status in EInvoice.LIVE_STATUSES),
    }
