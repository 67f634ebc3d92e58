from django import template

from invoices.models import Invoice

from .. import services
from ..models import EInvoice

register = template.Library()


@register.inclusion_tag("einvoicing/_panel.html", takes_context=True)
def einvoicing_panel(context, invoice: Invoice) -> dict:
    """The invoice's e-invoicing: why it is not transmitted, what would block its
    transmission (drafts), or its transmission with the platform's timeline."""
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
        "perms": context.get("perms"),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
