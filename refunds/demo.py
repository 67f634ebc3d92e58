"""Demo refunds in every state (called by `manage.py seed_demo`), through the real services.

The demo organisations refund by manual bank transfer; one refund is recorded for a card
payment without its payment reference, so that a failed refund shows its cause and Retry.
"""

import random
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from accounts.models import CompanySettings, Organisation, User
from activity import services as activity
from activity.models import Cause
from invoices.models import Invoice

from . import services
from .models import Refund
from .processes import REFUND


def _run_now(refund: Refund) -> Refund:
    refund.refresh_from_db()
    REFUND.task.apply(args=[refund.pk], task_id=refund.task_id)
    refund.refresh_from_db()
    return refund


def seed(*, organisation: Organisation, rng: random.Random) -> None:
    generated = list(
        Invoice.objects.for_organisation(organisation)
        .filter(status=Invoice.Status.GENERATED)
        .order_by("id")[:8]
    )
    if len(generated) < 7:
        return
    for invoice in generated:
        Invoice.objects.transition(
            invoice,
            to=Invoice.Status.PAID,
            from_statuses=[Invoice.Status.GENERATED],
            amount_paid=F("total_incl_vat"),
            paid_at=timezone.now(),
        )
        invoice.refresh_from_db()
    accountant = User.objects.filter(organisation=organisation).order_by("id").first()
    admin = User.objects.filter(organisation=organisation, is_superuser=True).first()

    def request(invoice: Invoice, share: str, reason: str) -> Refund:
        amount = (invoice.amount_paid * Decimal(share)).quantize(Decimal("0.01"))
        return services.request_refund(
            invoice=invoice, amount=amount, reason=reason, requested_by=accountant
        )

    # Refunded: a partial and then the rest of the same invoice (two credit notes).
    for share, reason in [("0.25", "Geste commercial"), ("1", "Résiliation")]:
        invoice = generated[0]
        invoice.refresh_from_db()
        amount = min(
            (invoice.amount_paid * Decimal(share)).quantize(Decimal("0.01")),
            services.refundable_amount(invoice),
        )
        refund = _run_now(
            services.request_refund(
                invoice=invoice, amount=amount, reason=reason, requested_by=accountant
            )
        )
        if accountant is not None:
            services.confirm_transfer(refund=refund, actor=accountant)
    # Awaiting the bank transfer.
    _run_now(request(generated[1], "0.5", "Prestation annulée"))
    # Requested (queued for the worker).
    request(generated[2], "0.1", "Erreur de quantité")
    # Pending approval: above the threshold set for the organisation.
    big = generated[3]
    CompanySettings.objects.filter(organisation=organisation).update(
        refund_approval_threshold=(big.amount_paid / 2).quantize(Decimal("1"))
    )
    services.request_refund(
        invoice=big, amount=big.amount_paid, reason="Litige client", requested_by=accountant
    )
    # Failed: a card refund whose invoice has no payment reference (missing data).
    failed = request(generated[4], "0.2", "Remboursement carte")
    Refund.objects.filter(pk=failed.pk).update(provider=CompanySettings.PaymentProvider.STRIPE)
    _run_now(failed)
    # Cancelled: a failed one given up.
    cancelled = request(generated[5], "0.3", "Doublon")
    Refund.objects.filter(pk=cancelled.pk).update(provider=CompanySettings.PaymentProvider.STRIPE)
    cancelled = _run_now(cancelled)
    if admin is not None:
        services.cancel_refund(refund=cancelled, actor=admin)
    # Unknown: the provider's answer was lost and could not be checked yet.
    unknown = request(generated[6], "0.15", "Remboursement carte")
    Refund.objects.mark_failed(
        unknown,
        status=Refund.Status.UNKNOWN,
        from_statuses=[Refund.Status.REQUESTED],
        cause=Cause.CONNECTIVITY,
        message="provider unreachable — Request timed out",
        details={"service": "provider", "error": "Request timed out"},
        provider=CompanySettings.PaymentProvider.STRIPE,
        attempts=5,
        sent_at=timezone.now(),
    )
    activity.resolve_alerts(record=unknown)
