"""Payments: record, cancel, and the invoice's status that follows from the amounts."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from commbilling.l10n import format_amount
from invoices.models import ZERO, Invoice
from invoices.services import settle_invoice_status

from .models import BankStatementLine, Payment


class PaymentRefused(Exception):
    """A payment that cannot be recorded or cancelled; the message says why and what to do."""


def collected(*, organisation, today: date, since: date) -> tuple[Decimal, Decimal]:
    """Money received (payments not cancelled) on ``today`` and from ``since`` on, by
    payment date, in one query over the organisation's payments of the period (indexed
    by organisation and date)."""
    totals = (
        Payment.objects.for_organisation(organisation)
        .active()
        .filter(date__gte=since, date__lte=today)
        .aggregate(
            period=Sum("amount"),
            today=Sum("amount", filter=Q(date=today)),
        )
    )
    return totals["today"] or ZERO, totals["period"] or ZERO


@transaction.atomic
def record_payment(
    *,
    invoice: Invoice,
    amount: Decimal,
    paid_on: date,
    method: str = Payment.Method.TRANSFER,
    reference: str = "",
    actor: User | None,
    statement_line: BankStatementLine | None = None,
) -> Payment:
    """Record money received for an issued invoice. Refuses an amount above what remains
    due (two people recording at once queue on the invoice row lock)."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status not in Invoice.OPEN_STATUSES:
        raise PaymentRefused(
            _(
                "Invoice %(number)s is %(status)s: a payment can be recorded only on an "
                "issued invoice that is not fully paid or cancelled."
            )
            % {"number": locked, "status": locked.get_status_display().lower()}
        )
    if amount <= ZERO:
        raise PaymentRefused(_("The amount must be more than 0."))
    if amount > locked.amount_remaining:
        raise PaymentRefused(
            _(
                "%(amount)s is more than the %(remaining)s still due on invoice %(number)s: "
                "check the amount, or record only what this invoice is owed."
            )
            % {
                "amount": format_amount(amount),
                "remaining": format_amount(locked.amount_remaining),
                "number": locked,
            }
        )
    payment = Payment(
        organisation=locked.organisation,
        invoice=locked,
        date=paid_on,
        amount=amount,
        method=method,
        reference=reference,
        statement_line=statement_line,
        recorded_by=actor,
    )
    payment._history_user = actor  # type: ignore[attr-defined]  # django-simple-history's way
    payment.save()
    locked.amount_paid += amount
    settle_invoice_status(invoice=locked)
    invoice.status, invoice.amount_paid = locked.status, locked.amount_paid
    return payment


@transaction.atomic
def cancel_payment(*, payment: Payment, actor: User, reason: str) -> bool:
    """Cancel a payment recorded by mistake (kept, marked cancelled, with who and why).
    Returns False when it was cancelled already."""
    from refunds.services import held_amount

    invoice = Invoice.objects.select_for_update().get(pk=payment.invoice_id)
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.is_cancelled:
        return False
    if not reason.strip():
        raise PaymentRefused(_("Say why the payment is cancelled."))
    still_paid = invoice.amount_paid - locked.amount
    committed = invoice.amount_refunded + held_amount(invoice)
    if still_paid < committed:
        raise PaymentRefused(
            _(
                "Refunds already take %(committed)s of what was paid on invoice %(number)s: "
                "cancel those refunds first."
            )
            % {"committed": format_amount(committed), "number": invoice}
        )
    locked.cancelled_at = timezone.now()
    locked.cancelled_by = actor
    locked.cancel_reason = reason.strip()[:300]
    line_id = locked.statement_line_id
    # The bank line is freed: it can be confirmed again, for the right invoice.
    locked.statement_line = None
    # The audit trail names who cancelled (django-simple-history's way).
    locked._history_user = actor  # type: ignore[attr-defined]  # see above
    locked.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason", "statement_line"])
    if line_id:
        BankStatementLine.objects.filter(pk=line_id).update(
            status=BankStatementLine.Status.PROPOSED
        )
    invoice.amount_paid = still_paid
    settle_invoice_status(invoice=invoice)
    payment.cancelled_at = locked.cancelled_at
    return True
