"""The credit note goes to the customer by e-mail, through the e-mail automation."""

from decimal import Decimal

import pytest
from django.utils import translation

from activity.errors import MissingData
from emails import sending
from emails.models import EmailMessage
from refunds import services
from refunds.models import Refund
from tests.emails.helpers import settled

from .conftest import paid_invoice
from .helpers import run_now

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _transferred(organisation, accountant, capture, **customer) -> Refund:
    """A manual refund of 60 € whose transfer the accountant confirms."""
    invoice = paid_invoice(
        organisation,
        customer__iban="FR7630006000011234567890189",
        **{f"customer__{name}": value for name, value in customer.items()},
    )
    refund = run_now(
        services.request_refund(
            invoice=invoice, amount=Decimal("60.00"), reason="Geste", requested_by=accountant
        )
    )
    assert refund.status == Refund.Status.AWAITING_TRANSFER
    with capture(execute=True):
        assert services.confirm_transfer(refund=refund, actor=accountant)
    refund.refresh_from_db()
    return refund


def test_a_confirmed_transfer_queues_the_credit_note_email_once(
    organisation, accountant, django_capture_on_commit_callbacks
):
    refund = _transferred(
        organisation,
        accountant,
        django_capture_on_commit_callbacks,
        email="compta@client.fr",
        language="en",
    )
    credit_note = refund.credit_note

    services.notify_credit_note(credit_note)

    message = EmailMessage.objects.get()
    assert message.status == EmailMessage.Status.QUEUED
    assert message.kind == EmailMessage.Kind.CREDIT_NOTE
    assert message.related == credit_note
    assert message.customer == credit_note.invoice.customer
    assert message.recipient == "compta@client.fr"
    assert message.attachment_names == [f"{credit_note.number}.pdf"]
    assert message.subject.startswith(f"Credit note {credit_note.number} from ")
    assert credit_note.invoice.number in message.body_text
    assert credit_note.number in message.body_html


def test_the_credit_note_email_is_written_in_the_customers_language(
    organisation, accountant, django_capture_on_commit_callbacks
):
    refund = _transferred(
        organisation, accountant, django_capture_on_commit_callbacks, language="fr"
    )
    message = EmailMessage.objects.get(kind=EmailMessage.Kind.CREDIT_NOTE)
    assert message.language == "fr"
    assert refund.credit_note.number in message.subject


def test_a_customer_without_email_fails_the_email_not_the_refund(
    organisation, accountant, django_capture_on_commit_callbacks
):
    refund = _transferred(organisation, accountant, django_capture_on_commit_callbacks, email="")
    assert refund.status == Refund.Status.REFUNDED
    message = EmailMessage.objects.get(kind=EmailMessage.Kind.CREDIT_NOTE)

    with pytest.raises(MissingData) as raised:
        sending.send_email(message=message)

    [problem] = raised.value.problems
    assert (problem.model, problem.field) == ("customer", "email")


def test_the_pdf_of_the_credit_note_is_attached_not_the_invoices(
    organisation, accountant, django_capture_on_commit_callbacks, mailoutbox
):
    _transferred(
        organisation, accountant, django_capture_on_commit_callbacks, email="compta@client.fr"
    )
    message = EmailMessage.objects.get(kind=EmailMessage.Kind.CREDIT_NOTE)
    EmailMessage.objects.filter(pk=message.pk).update(status="sending", attempts=1)

    sending.send_email(message=message)

    [sent] = mailoutbox
    [(name, content, mimetype)] = sent.attachments
    assert name == f"{message.related.number}.pdf"
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    assert settled(message).status == EmailMessage.Status.SENT
