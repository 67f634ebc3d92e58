"""Issue 14.1: a follow-up record (the e-mail of a generated invoice, the credit note of a
refund and its e-mail) is created in the transaction of the state change that calls for
it, so it exists if and only if that change does; and a record that succeeded is never
marked failed by a later step.

The database itself refuses the follow-up (a trigger), as a full disk or a dropped
connection would; nothing of ours is replaced."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import CompanySettings
from activity import services as activity
from activity.models import ActivityLog, Cause, Event
from emails.models import EmailMessage
from invoices.models import Invoice
from invoices.processes import GENERATION
from refunds import services as refunds
from refunds.models import CreditNote, Refund
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now
from tests.refunds.conftest import paid_invoice, stripe_org, stripe_server  # noqa: F401
from tests.refunds.helpers import run_now

from .db_faults import inserts_failing

pytestmark = pytest.mark.django_db(transaction=True)

postgres_only = pytest.mark.postgresql(reason="connection-class errors need PostgreSQL")


@pytest.fixture
def auto_send(organisation):
    CompanySettings.objects.filter(organisation=organisation).update(auto_send_invoices=True)
    return organisation


def _auto_emails(invoice: Invoice):
    return EmailMessage.objects.filter(invoice=invoice, kind=EmailMessage.Kind.INVOICE)


def test_an_invoice_whose_email_cannot_be_created_is_not_generated_and_not_a_flipped_success(
    auto_send,
):
    invoice = InvoiceFactory(organisation=auto_send)

    with inserts_failing("emails_emailmessage"):
        invoice = generate_now(invoice)

    # Before: committed as generated with its PDF, then flipped to Failed by the e-mail.
    assert invoice.status == Invoice.Status.FAILED
    assert invoice.last_cause == Cause.INTERNAL
    assert not invoice.pdf, "a failed invoice must not carry a generated PDF"
    assert invoice.generated_at is None
    assert not _auto_emails(invoice).exists()


def test_once_the_database_accepts_it_regenerate_gives_the_invoice_and_its_email_together(
    auto_send,
):
    invoice = InvoiceFactory(organisation=auto_send)
    with inserts_failing("emails_emailmessage"):
        invoice = generate_now(invoice)
    number = invoice.number

    assert activity.retry_record(record=invoice, actor=None)
    invoice.refresh_from_db()
    GENERATION.task.apply(args=[invoice.pk], task_id=invoice.task_id)
    invoice.refresh_from_db()

    assert invoice.status == Invoice.Status.GENERATED
    assert invoice.number == number
    assert _auto_emails(invoice).count() == 1


@postgres_only
def test_a_connection_error_creating_the_email_is_really_retried_then_fails(auto_send):
    invoice = InvoiceFactory(organisation=auto_send)

    with inserts_failing("emails_emailmessage", transient=True):
        invoice = generate_now(invoice)

    # Before: "retried (connectivity)" was logged for an invoice already generated, and
    # nothing retried it: generated, with no e-mail, for good.
    assert invoice.status == Invoice.Status.FAILED
    assert invoice.last_cause == Cause.CONNECTIVITY
    assert invoice.attempts == 3  # every attempt really ran (MAX_ATTEMPTS in tests)
    events = list(ActivityLog.objects.for_record(invoice).values_list("event", flat=True))
    assert events.count(Event.STARTED) == 3
    assert events.count(Event.RETRIED) == 2
    assert not invoice.pdf
    assert not _auto_emails(invoice).exists()


def _manual_refund_awaiting_transfer(organisation, accountant) -> Refund:
    invoice = paid_invoice(organisation, customer__payment_reference="FR7630006000011234567890189")
    refund = run_now(
        refunds.request_refund(
            invoice=invoice, amount=Decimal("60.00"), reason="Geste", requested_by=accountant
        )
    )
    assert refund.status == Refund.Status.AWAITING_TRANSFER
    return refund


def _credit_note_emails(organisation):
    return EmailMessage.objects.filter(
        organisation=organisation, kind=EmailMessage.Kind.CREDIT_NOTE
    )


def test_a_confirmed_transfer_whose_credit_note_email_cannot_be_created_settles_nothing(
    organisation, accountant
):
    refund = _manual_refund_awaiting_transfer(organisation, accountant)

    with inserts_failing("emails_emailmessage"), pytest.raises(Exception):  # noqa: B017,PT011
        refunds.confirm_transfer(refund=refund, actor=accountant)

    # Before: refunded with a credit note, and its e-mail silently never created.
    refund.refresh_from_db()
    assert refund.status == Refund.Status.AWAITING_TRANSFER
    assert not CreditNote.objects.filter(refund=refund).exists()
    assert not _credit_note_emails(organisation).exists()
    refund.invoice.refresh_from_db()
    assert refund.invoice.amount_refunded == Decimal("0.00")

    assert refunds.confirm_transfer(refund=refund, actor=accountant)

    refund.refresh_from_db()
    assert refund.status == Refund.Status.REFUNDED
    credit_note = CreditNote.objects.get(refund=refund)
    assert list(_credit_note_emails(organisation).values_list("related_id", flat=True)) == [
        credit_note.pk
    ]


def test_a_card_refund_executed_whose_credit_note_email_cannot_be_created_ends_to_be_checked(
    stripe_org,  # noqa: F811
    stripe_server,  # noqa: F811
    accountant,
):
    invoice = paid_invoice(stripe_org, server=stripe_server)
    refund = refunds.request_refund(
        invoice=invoice, amount=Decimal("20.00"), reason="Geste", requested_by=accountant
    )

    with inserts_failing("emails_emailmessage"):
        refund = run_now(refund)

    # The provider refunded it; the settlement (credit note + e-mail) was rolled back.
    # Before: refunded with a credit note and no e-mail, for good.
    assert len(stripe_server.refunds) == 1
    assert refund.status == Refund.Status.UNKNOWN
    assert not CreditNote.objects.filter(refund=refund).exists()

    assert refunds.reconcile_refund(refund=refund) == Refund.Status.REFUNDED

    refund.refresh_from_db()
    credit_note = CreditNote.objects.get(refund=refund)
    assert list(_credit_note_emails(stripe_org).values_list("related_id", flat=True)) == [
        credit_note.pk
    ]
    invoice.refresh_from_db()
    assert invoice.amount_refunded == Decimal("20.00")
    assert len(stripe_server.refunds) == 1
    assert refund.executed_at <= timezone.now()
