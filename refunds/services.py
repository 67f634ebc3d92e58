"""Refund services: request, approval, execution through the provider, settlement,
reconciliation of refunds whose outcome is unknown, and credit notes."""

import logging
from decimal import ROUND_FLOOR, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import CompanySettings, User, company_settings_for
from activity import services as activity
from activity.errors import FieldProblem, MissingData, Refused, WrongSettings
from activity.models import Cause, Event, Level, Trigger
from commbilling.l10n import format_amount
from emails.models import EmailMessage
from emails.services import create_email
from invoices.models import CENT, ZERO, Invoice, round_money

from . import providers, texts
from .credit_notes import create_credit_note
from .models import CreditNote, Refund

logger = logging.getLogger(__name__)

PROVIDER_ANSWERED = Refund.PROVIDER_ANSWERED


# --- Balances ---------------------------------------------------------------------


def held_amount(invoice: Invoice) -> Decimal:
    """Amount of refunds requested and not yet refunded nor cancelled (reserved)."""
    return Refund.objects.filter(invoice=invoice).holding_amount().aggregate(s=Sum("amount"))[
        "s"
    ] or Decimal("0.00")


def refundable_amount(invoice: Invoice) -> Decimal:
    return invoice.amount_paid - invoice.amount_refunded - held_amount(invoice)


# --- Request, approval, cancellation ------------------------------------------------


@transaction.atomic
def request_refund(
    *, invoice: Invoice, amount: Decimal, reason: str, requested_by: User | None
) -> Refund:
    """Record a refund request; queue it at once unless an admin must approve it.

    The invoice row is locked while the refundable balance is checked, so two requests
    racing past it are serialised: the second one sees the first one's reservation.
    """
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    amount = round_money(Decimal(amount))
    if amount <= ZERO:
        raise ValidationError(_("The amount to refund must be positive."), code="amount")
    if locked.amount_paid <= ZERO:
        raise ValidationError(_("Nothing was paid on this invoice: nothing to refund."))
    available = refundable_amount(locked)
    if amount > available:
        raise ValidationError(
            _(
                "Only %(available)s can still be refunded on invoice %(invoice)s "
                "(paid %(paid)s, refunded or being refunded %(taken)s)."
            )
            % {
                "available": format_amount(available),
                "invoice": locked,
                "paid": format_amount(locked.amount_paid),
                "taken": format_amount(locked.amount_paid - available),
            },
            code="too_much",
        )
    company = company_settings_for(locked.organisation)
    threshold = company.refund_approval_threshold
    needs_approval = threshold is not None and amount > threshold
    refund = Refund.objects.create(
        organisation=locked.organisation,
        invoice=locked,
        amount=amount,
        reason=reason,
        requested_by=requested_by,
        provider=company.payment_provider,
        status=Refund.Status.PENDING_APPROVAL if needs_approval else Refund.Status.REQUESTED,
    )
    if needs_approval:
        activity.log_event(
            record=refund,
            process=refund.process.name,
            event=Event.QUEUED,
            actor=requested_by,
            trigger=Trigger.USER,
            message=texts.AWAITING_APPROVAL(amount=amount, threshold=threshold),
        )
    else:
        activity.queue_record(
            record=refund,
            from_statuses=(Refund.Status.REQUESTED,),
            actor=requested_by,
            message=texts.REQUESTED(amount=amount),
        )
    return refund


@transaction.atomic
def approve_refund(*, refund: Refund, approved_by: User) -> bool:
    queued = activity.queue_record(
        record=refund,
        from_statuses=(Refund.Status.PENDING_APPROVAL,),
        actor=approved_by,
        message=texts.APPROVED(actor=approved_by.get_username()),
    )
    if queued:
        Refund.objects.filter(pk=refund.pk).update(
            approved_by=approved_by, approved_at=timezone.now()
        )
    return queued


def refund_is_known_absent(refund: Refund) -> bool:
    return (
        refund.sent_at is None
        # A refusal comes after the lookup-before-resend found nothing: nothing exists.
        or refund.last_cause == Cause.REFUSED
        or refund.last_error_details.get("reconciled") == "absent"
    )


@transaction.atomic
def cancel_refund(*, refund: Refund, actor: User) -> bool:
    """Give up a refund awaiting approval or failed: its amount is refundable again.

    A failed refund that was sent to the provider is cancelled only when the provider is
    known not to have it (it refused it, or reconciliation found nothing)."""
    if refund.status == Refund.Status.FAILED and not refund_is_known_absent(refund):
        return False
    updated = Refund.objects.transition(
        refund,
        to=Refund.Status.CANCELLED,
        from_statuses=[Refund.Status.PENDING_APPROVAL, Refund.Status.FAILED],
        cancelled_by=actor,
        next_retry_at=None,
    )
    if updated:
        activity.log_event(
            record=refund,
            process=refund.process.name,
            event=Event.FIXED,
            actor=actor,
            trigger=Trigger.USER,
            message=texts.CANCELLED(actor=actor.get_username()),
        )
        activity.resolve_alerts(record=refund)
    return bool(updated)


# --- Execution ---------------------------------------------------------------------


def _company_problem(company: CompanySettings, field: str, problem: str) -> FieldProblem:
    return FieldProblem.of(
        company, field, fix_url=reverse("accounts:company_settings"), problem=problem
    )


def execute_refund(*, refund: Refund) -> None:
    """The automation's execute: carry the refund out through the organisation's provider.

    Raises the cause of a failure (see activity.errors); the runner does the rest.
    """
    company = company_settings_for(refund.organisation)
    if refund.provider == CompanySettings.PaymentProvider.STRIPE:
        _execute_stripe(refund=refund, company=company)
    else:
        _prepare_transfer(refund=refund)


def _prepare_transfer(*, refund: Refund) -> None:
    """Manual provider: the transfer details; an accountant confirms once the money left."""
    customer = refund.invoice.customer
    if not customer.iban:
        # The money goes to the customer's own account (validated with schwifty).
        raise MissingData([FieldProblem.of(customer, "iban", fix_url=customer.get_absolute_url())])
    details = {
        "beneficiary": customer.legal_name,
        "account": customer.iban,
        "amount": str(refund.amount),
        "currency": refund.invoice.currency,
        "reference": f"{refund.reference} {refund.invoice.number or ''}".strip(),
    }
    Refund.objects.mark_succeeded(
        refund, status=Refund.Status.AWAITING_TRANSFER, transfer_details=details
    )


def _execute_stripe(*, refund: Refund, company: CompanySettings) -> None:
    invoice = refund.invoice
    if not invoice.payment_reference:
        raise MissingData(
            [
                FieldProblem.of(
                    invoice,
                    "payment_reference",
                    fix_url=reverse("admin:invoices_invoice_change", args=[invoice.pk]),
                )
            ]
        )
    if not company.provider_api_key:
        raise WrongSettings([_company_problem(company, "provider_api_key", "missing")])
    client = providers.StripeRefunds(
        api_key=company.provider_api_key,
        api_base=company.provider_api_base,
        on_auth_error=lambda remote: WrongSettings(
            [_company_problem(company, "provider_api_key", "invalid")],
            remote=remote,
            service="provider",
        ),
    )
    if refund.sent_at is not None:
        # Sent before and the answer never came back (timeout, killed worker, redelivery):
        # ask first. Stripe keeps idempotency keys for 24 hours only, so the key alone
        # would not stop a second refund after that.
        found = client.find(refund=refund)
        if found is not None:
            settle_refunded(
                refund=refund,
                provider_refund_id=found["id"],
                from_statuses=(Refund.STATUS_RUNNING,),
            )
            return
    Refund.objects.filter(pk=refund.pk).update(sent_at=timezone.now())
    refund.sent_at = timezone.now()
    try:
        created = client.create(refund=refund)
        if created.get("status") in ("failed", "canceled"):
            reason = created.get("failure_reason") or ""
            # Its words (refunds.providers.FAILURE_REASONS) are the reader's, when known.
            raise Refused(
                "provider",
                reason or created.get("status", ""),
                details={"refusal": providers.refusal_code(reason)} if reason else None,
            )
    except (WrongSettings, Refused) as exc:
        # The provider answered this request, and no earlier one can have made the refund
        # (none was sent before, or the lookup above found none): the outcome is known.
        exc.details[PROVIDER_ANSWERED] = True
        raise
    settle_refunded(
        refund=refund, provider_refund_id=created["id"], from_statuses=(Refund.STATUS_RUNNING,)
    )


# --- Settlement and credit note --------------------------------------------------------


def notify_credit_note(credit_note: CreditNote) -> None:
    """Queue the credit note's e-mail to the customer, with its PDF (once per credit note).

    Called in the transaction that issues the credit note, so that the e-mail exists if
    and only if the credit note does; a customer without an e-mail address makes the
    e-mail fail (MissingData) when it is sent, never the refund.
    """
    customer = credit_note.invoice.customer
    create_email(
        organisation=credit_note.organisation,
        template="credit-note",
        context={
            "credit_note": credit_note,
            "refund": credit_note.refund,
            "invoice": credit_note.invoice,
            "customer": customer,
        },
        language=customer.language or "fr",
        kind=EmailMessage.Kind.CREDIT_NOTE,
        customer=customer,
        related=credit_note,
        attach_pdf=True,
        idempotency_key=f"credit-note-{credit_note.pk}",
        trigger=Trigger.SYSTEM,
    )


def credit_note_breakdown(invoice: Invoice, amount: Decimal) -> list[dict[str, Decimal]]:
    """Split a refunded amount (incl. VAT) over the invoice's VAT rates in proportion to
    their totals, to the cent: each rate gets its exact share rounded down, and the cents
    left go to the rates with the largest remainders (the largest remainder method). The
    parts add up to the amount exactly, none is negative, each is within a cent of its
    exact share, and a full refund gives back each rate's total
    (tests/faults/test_properties.py). Rounding each share half-up and giving the last
    rate the rest could leave that rate -0,01 €."""
    buckets = [b for b in invoice.vat_breakdown() if b["base"] + b["vat"] != ZERO]
    total = sum((b["base"] + b["vat"] for b in buckets), ZERO)
    if not buckets or total == ZERO:
        return [{"rate": Decimal("0"), "base": amount, "vat": ZERO, "total": amount}]
    exact = [amount * (b["base"] + b["vat"]) / total for b in buckets]
    shares = [e.quantize(CENT, rounding=ROUND_FLOOR) for e in exact]
    cents_left = int((amount - sum(shares, ZERO)) / CENT)
    by_remainder = sorted(range(len(buckets)), key=lambda i: exact[i] - shares[i], reverse=True)
    for index in by_remainder[:cents_left]:
        shares[index] += CENT
    parts = []
    for bucket, share in zip(buckets, shares, strict=True):
        base = round_money(share * 100 / (100 + bucket["rate"]))
        parts.append({"rate": bucket["rate"], "base": base, "vat": share - base, "total": share})
    return parts


def _issue_credit_note(*, refund: Refund, invoice: Invoice) -> CreditNote | None:
    """The refund's credit note, for the part of it that no correction credit note
    (credit_notes.credit_invoice) covers already: a refund of an invoice cancelled by
    credit note pays money back without crediting the invoice a second time."""
    credited_not_refunded = invoice.amount_credited - invoice.amount_refunded
    amount = refund.amount - max(credited_not_refunded, ZERO)
    if amount <= ZERO:
        return None
    parts = credit_note_breakdown(invoice, amount)
    credit_note = create_credit_note(
        invoice=invoice,
        kind=CreditNote.Kind.REFUND,
        reason=refund.reason,
        amount=amount,
        total_excl_vat=sum((p["base"] for p in parts), ZERO),
        total_vat=sum((p["vat"] for p in parts), ZERO),
        parts=parts,
        actor=refund.requested_by,
        refund=refund,
    )
    invoice.amount_credited += amount
    return credit_note


@transaction.atomic
def settle_refunded(
    *,
    refund: Refund,
    provider_refund_id: str = "",
    from_statuses: tuple[str, ...],
    actor: User | None = None,
) -> bool:
    """The refund is done: status, invoice balance and credit note in one transaction.

    Returns False when the refund was not in ``from_statuses`` (settled already)."""
    invoice = Invoice.objects.select_for_update().get(pk=refund.invoice_id)
    locked = Refund.objects.select_for_update().get(pk=refund.pk)
    if not Refund.objects.mark_succeeded(
        locked,
        status=Refund.Status.REFUNDED,
        from_statuses=from_statuses,
        provider_refund_id=provider_refund_id or locked.provider_refund_id,
        executed_at=timezone.now(),
        updated_at=timezone.now(),
    ):
        return False
    locked.refresh_from_db()
    credit_note = _issue_credit_note(refund=locked, invoice=invoice)
    invoice.amount_refunded += locked.amount
    invoice.save(update_fields=["amount_refunded", "amount_credited", "updated_at"])
    if actor is not None:
        activity.log_event(
            record=locked,
            process=locked.process.name,
            event=Event.SUCCEEDED,
            actor=actor,
            trigger=Trigger.USER,
            message=texts.TRANSFER_CONFIRMED(
                actor=actor.get_username(), credit_note=credit_note.number
            )
            if credit_note is not None
            else texts.TRANSFER_CONFIRMED_CREDITED_BEFORE(actor=actor.get_username()),
        )
    if credit_note is not None:
        # In this transaction: the credit note and its e-mail exist together or not at all.
        notify_credit_note(credit_note)
    refund.status = locked.status
    return True


def confirm_transfer(*, refund: Refund, actor: User) -> bool:
    """Manual provider: the accountant made the bank transfer."""
    done = settle_refunded(
        refund=refund, from_statuses=(Refund.Status.AWAITING_TRANSFER,), actor=actor
    )
    if done:
        activity.resolve_alerts(record=refund)
    return done


# --- Reconciliation of unknown outcomes -------------------------------------------------


def reconcile_refund(*, refund: Refund, actor: User | None = None) -> str:
    """Ask the provider whether an unknown refund exists and settle it.

    Found → refunded. Not found → failed with a message saying a retry is safe (the same
    idempotency key is sent again). Provider unreachable → stays unknown.
    Returns the resulting status.
    """
    if refund.status != Refund.Status.UNKNOWN:
        return refund.status
    company = company_settings_for(refund.organisation)
    client = providers.StripeRefunds(
        api_key=company.provider_api_key,
        api_base=company.provider_api_base,
        on_auth_error=lambda remote: WrongSettings(
            [_company_problem(company, "provider_api_key", "invalid")], remote=remote
        ),
    )
    trigger = Trigger.USER if actor else Trigger.SCHEDULE
    try:
        found = client.find(refund=refund)
    except Exception as exc:
        activity.log_event(
            record=refund,
            process=refund.process.name,
            event=Event.RETRIED,
            level=Level.WARNING,
            actor=actor,
            trigger=trigger,
            message=texts.NOT_ASKED(error=str(exc)[:300]),
        )
        return Refund.Status.UNKNOWN
    if found is not None:
        if settle_refunded(
            refund=refund, provider_refund_id=found["id"], from_statuses=(Refund.Status.UNKNOWN,)
        ):
            activity.log_event(
                record=refund,
                process=refund.process.name,
                event=Event.SUCCEEDED,
                actor=actor,
                trigger=trigger,
                message=texts.FOUND(refund_id=found["id"]),
            )
            activity.resolve_alerts(record=refund)
        return Refund.Status.REFUNDED
    with transaction.atomic():
        updated = Refund.objects.transition(
            refund,
            to=Refund.Status.FAILED,
            from_statuses=[Refund.Status.UNKNOWN],
            last_error_details={**refund.last_error_details, "reconciled": "absent"},
        )
        if updated:
            activity.log_event(
                record=refund,
                process=refund.process.name,
                event=Event.FIXED,
                actor=actor,
                trigger=trigger,
                message=texts.NOT_FOUND(),
            )
    return Refund.Status.FAILED


def reconcile_unknown_refunds(*, limit: int = 200) -> int:
    settled = 0
    for refund in Refund.objects.unknown().order_by("id")[:limit]:
        if reconcile_refund(refund=refund) != Refund.Status.UNKNOWN:
            settled += 1
    return settled
