from django import template

from invoices.models import Invoice

from .. import services
from ..models import EInvoice, PlatformSettings

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


@register.inclusion_tag("einvoicing/_credit_note_panel.html", takes_context=True)
def einvoicing_credit_note(context, credit_note) -> dict:
    """A credit note's e-invoicing: why it is not transmitted, or its transmission with
    the platform's timeline (shown with the credit notes of the invoice page)."""
    return {
        **credit_note_panel_context(credit_note),
        "perms": context.get("perms"),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


def credit_note_panel_context(credit_note) -> dict:
    einvoice = EInvoice.objects.filter(credit_note=credit_note).first()
    exclusion = None
    enabled = PlatformSettings.objects.filter(
        organisation_id=credit_note.organisation_id, enabled=True
    ).exists()
    if einvoice is None and enabled:
        # Off, nothing is said here: the invoice's card says so, once.
        exclusion = services.credit_note_exclusion(credit_note)
    return {
        "credit_note": credit_note,
        "exclusion": exclusion,
        "einvoice": einvoice,
        "statuses": list(einvoice.statuses.all()) if einvoice else [],
        "live": einvoice is not None and einvoice.status in EInvoice.LIVE_STATUSES,
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
