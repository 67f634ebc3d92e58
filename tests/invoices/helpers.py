"""Invoices in real states, reached through the real generation path (no worker needed)."""

from invoices import services
from invoices.models import Invoice
from invoices.processes import GENERATION
from tests.factories import InvoiceFactory


def generate_now(invoice: Invoice, *, actor=None) -> Invoice:
    """Issue and run the generation task in this process, as the worker would."""
    services.issue_invoice(invoice=invoice, actor=actor)
    invoice.refresh_from_db()
    GENERATION.task.apply(args=[invoice.pk], task_id=invoice.task_id)
    invoice.refresh_from_db()
    return invoice


def failed_invoice(organisation, **kwargs) -> Invoice:
    """An invoice whose generation failed because its customer has no address."""
    kwargs.setdefault("customer__street", "")
    kwargs.setdefault("customer__city", "")
    invoice = generate_now(InvoiceFactory.create(organisation=organisation, **kwargs))
    assert invoice.status == Invoice.Status.FAILED, invoice.last_error
    return invoice
