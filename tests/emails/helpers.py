from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from emails.models import EmailMessage
from invoices.models import Invoice
from tests.factories import InvoiceFactory

FAKE_PDF = b"%PDF-1.7\n% test invoice\n%%EOF\n"


def generated_invoice(organisation, *, number: str = "F-2026-000042", **kwargs) -> Invoice:
    today = timezone.localdate()
    invoice = InvoiceFactory.create(
        organisation=organisation,
        number=number,
        status=Invoice.Status.GENERATED,
        issue_date=kwargs.pop("issue_date", today),
        due_date=kwargs.pop("due_date", today + timedelta(days=30)),
        **kwargs,
    )
    invoice.pdf.save(f"{number}.pdf", ContentFile(FAKE_PDF))
    return invoice


def settled(message: EmailMessage):
    message.refresh_from_db()
    final = (*EmailMessage.ACCEPTED_STATUSES, *EmailMessage.FAILURE_STATUSES)
    return message.status in final and message
