"""Acceptance: a confirmed transfer reaches the customer as an e-mail with the credit note
PDF, through the real runner (in-process) and a real SMTP server on loopback."""

import io
from decimal import Decimal

import pypdf
import pytest

from emails.models import EmailMessage
from refunds import services
from refunds.models import Refund
from tests.conftest import run_queued

from .conftest import paid_invoice

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_customer_receives_the_credit_note_pdf_by_email(organisation, accountant, smtp_server):
    smtp_server.point(organisation)
    invoice = paid_invoice(
        organisation,
        customer__email="compta@client.fr",
        customer__iban="FR7630006000011234567890189",
    )
    refund = services.request_refund(
        invoice=invoice, amount=Decimal("60.00"), reason="Geste", requested_by=accountant
    )
    run_queued()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.AWAITING_TRANSFER

    assert services.confirm_transfer(refund=refund, actor=accountant)

    credit_note = Refund.objects.get(pk=refund.pk).credit_note
    run_queued()
    message = EmailMessage.objects.get(kind="credit")
    assert message.status == EmailMessage.Status.SENT, message.last_error
    [received] = smtp_server.handler.received
    assert received.rcpt_tos == ["compta@client.fr"]
    assert received.message_id == message.message_id
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_filename() == f"{credit_note.number}.pdf"
    content = attachment.get_content()
    assert content.startswith(b"%PDF")
    assert len(pypdf.PdfReader(io.BytesIO(content)).pages) >= 1
    # A second notification (a replayed hook) sends nothing more.
    services.notify_credit_note(credit_note)
    assert EmailMessage.objects.filter(kind="credit").count() == 1
