from activity import services as activity
from activity.models import Cause
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
    invoice = (
        Invoice.objects.get(pk=invoice.pk) if invoice else InvoiceFactory(organisation=organisation)
    )
    if not invoice.number:
        Invoice.objects.filter(pk=invoice.pk).update(number=f"F-2026-{invoice.pk:06d}")
        invoice.refresh_from_db()
    activity.record_failure(
        record=invoice,
        from_statuses=(invoice.status,),
        process=invoice.process.name,
        cause=cause,
        message="failed",
        details=missing_siren() if details is None else details,
        attempt=1,
    )
    return invoice
