"""Recording and cancelling payments; the invoice's status follows from the amounts."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from invoices.models import Invoice
from payments.models import Payment
from payments.services import PaymentRefused, cancel_payment, record_payment
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(organisation) -> Invoice:
    invoice = generate_now(InvoiceFactory.create(organisation=organisation))  # 240 € incl. VAT
    assert invoice.status == Invoice.Status.GENERATED
    return invoice


def _pay(invoice, amount, user, **kwargs):
    return record_payment(
        invoice=invoice, amount=Decimal(amount), paid_on=date(2026, 11, 20), actor=user, **kwargs
    )


def test_partial_then_full_payment_sets_partially_paid_then_paid(issued, accountant):
    _pay(issued, "100.00", accountant, method=Payment.Method.CHEQUE, reference="CHQ 1234")
    issued.refresh_from_db()
    assert (issued.status, issued.amount_paid, issued.amount_remaining) == (
        Invoice.Status.PARTIALLY_PAID,
        Decimal("100.00"),
        Decimal("140.00"),
    )
    assert issued.paid_at is None
    _pay(issued, "140.00", accountant)
    issued.refresh_from_db()
    assert (issued.status, issued.amount_remaining) == (Invoice.Status.PAID, 0)
    assert issued.paid_at is not None


def test_an_overpayment_is_refused_with_what_is_still_due(issued, accountant):
    _pay(issued, "200.00", accountant)
    with pytest.raises(PaymentRefused, match=r"is more than the €40\.00 still due"):
        _pay(issued, "1200.50", accountant)
    with translation.override("fr"), pytest.raises(PaymentRefused) as refused:
        _pay(issued, "1200.50", accountant)
    assert "dépasse les 40,00\u00a0€ restant dus" in str(refused.value).replace("\u202f", " ")
    issued.refresh_from_db()
    assert issued.amount_paid == Decimal("200.00")
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_a_zero_or_negative_amount_is_refused(issued, accountant, amount):
    with pytest.raises(PaymentRefused):
        _pay(issued, amount, accountant)


def test_a_draft_takes_no_payment(organisation, accountant):
    with pytest.raises(PaymentRefused, match="issued invoice"):
        _pay(InvoiceFactory.create(organisation=organisation), "10", accountant)


def test_cancelling_a_payment_restores_the_balance_and_is_recorded(issued, accountant):
    payment = _pay(issued, "240.00", accountant)
    with pytest.raises(PaymentRefused, match="why"):
        cancel_payment(payment=payment, actor=accountant, reason=" ")
    assert cancel_payment(payment=payment, actor=accountant, reason="Chèque rejeté")
    assert not cancel_payment(payment=payment, actor=accountant, reason="again")
    issued.refresh_from_db()
    payment.refresh_from_db()
    assert (issued.status, issued.amount_paid, issued.paid_at) == (
        Invoice.Status.GENERATED,
        Decimal("0.00"),
        None,
    )
    assert (payment.cancelled_by, payment.cancel_reason) == (accountant, "Chèque rejeté")
    latest = payment.history.first()
    assert (latest.history_type, latest.history_user) == ("~", accountant)
    assert latest.cancel_reason == "Chèque rejeté"


def test_a_paid_invoice_that_was_emailed_returns_to_sent_when_its_payment_is_cancelled(
    issued, accountant
):
    from django.utils import timezone

    from emails.models import EmailMessage

    EmailMessage.objects.create(
        organisation=issued.organisation, invoice=issued, kind=EmailMessage.Kind.INVOICE,
        subject="Facture", template="invoice", status=EmailMessage.Status.SENT,
        sent_at=timezone.now(),
    )  # fmt: skip
    Invoice.objects.filter(pk=issued.pk).update(status=Invoice.Status.SENT)
    issued.refresh_from_db()
    payment = _pay(issued, "240.00", accountant)
    cancel_payment(payment=payment, actor=accountant, reason="Erreur")
    issued.refresh_from_db()
    assert issued.status == Invoice.Status.SENT


def test_an_invoice_back_to_generated_after_a_cancelled_payment_is_not_emailed_again(
    issued, accountant
):
    from accounts.models import company_settings_for
    from emails.models import EmailMessage

    company = company_settings_for(issued.organisation)
    company.auto_send_invoices = True
    company.save()
    payment = _pay(issued, "240.00", accountant)

    cancel_payment(payment=payment, actor=accountant, reason="Chèque rejeté")

    issued.refresh_from_db()
    assert issued.status == Invoice.Status.GENERATED
    assert not EmailMessage.objects.filter(invoice=issued).exists()
