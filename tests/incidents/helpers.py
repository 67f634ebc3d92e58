from activity import services as activity
from activity.models import Cause, Process
from invoices.models import Invoice
from tests.factories import InvoiceFactory


def missing_siren(customer_pk: int | None = None) -> dict:
    return {
        "fields": [
            {
                "model": "customer",
                "object_id": customer_pk,
                "record": "Client SAS",
                "field": "siren",
                "label": "SIREN",
                "problem": "missing",
                "fix_url": "",
            }
        ]
    }


def fail_invoice(organisation, *, cause: str = Cause.MISSING_DATA, details=None, invoice=None):
    """A final failure of an invoice, as the runner records it."""
    invoice = invoice or InvoiceFactory(organisation=organisation)
    if not invoice.number:
        Invoice.objects.filter(pk=invoice.pk).update(number=f"F-2026-{invoice.pk:06d}")
        invoice.refresh_from_db()
    activity.record_failure(
        record=invoice,
        process=Process.INVOICE_GENERATION,
        cause=cause,
        message="failed",
        details=missing_siren() if details is None else details,
        attempt=1,
    )
    return invoice
