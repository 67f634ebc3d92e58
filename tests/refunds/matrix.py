from decimal import Decimal

from tests.matrix import ACCOUNTANT_PAGE, Row

from .conftest import paid_invoice

RECORD = {"anonymous": "login", "accountant": "ok", "support": 403, "admin": "ok"}
ADMIN_ONLY = {"anonymous": "login", "accountant": 403, "support": 403, "admin": "ok"}


def _refund(ctx, **fields):
    from refunds.models import Refund

    invoice = paid_invoice(ctx.organisation)
    refund = Refund.objects.create(
        organisation=ctx.organisation,
        invoice=invoice,
        amount=Decimal("10.00"),
        reason="Test",
        **fields,
    )
    return refund


def _any_refund(ctx):
    return {"pk": _refund(ctx).pk}


def _pending(ctx):
    return {"pk": _refund(ctx, status="pending_approval").pk}


def _awaiting_transfer(ctx):
    return {"pk": _refund(ctx, status="awaiting_transfer").pk}


def _failed(ctx):
    return {"pk": _refund(ctx, status="failed").pk}


def _unknown(ctx):
    return {"pk": _refund(ctx, status="unknown").pk}


def _with_credit_note(ctx):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from refunds.models import CreditNote

    refund = _refund(ctx, status="refunded")
    note = CreditNote.objects.create(
        organisation=ctx.organisation,
        number=f"AV-2026-{refund.pk:06d}",
        refund=refund,
        invoice=refund.invoice,
        amount=refund.amount,
        issued_at=timezone.now(),
    )
    note.pdf.save(f"{note.number}.pdf", ContentFile(b"%PDF-1.7 test"))
    ctx.credit_note = note
    return {"pk": refund.pk}


def _credit_note(ctx):
    _with_credit_note(ctx)
    return {"pk": ctx.credit_note.pk}


def _invoice(ctx):
    return {"invoice_pk": paid_invoice(ctx.organisation).pk}


MATRIX = [
    Row("refunds:list", ACCOUNTANT_PAGE),
    Row("refunds:detail", RECORD, make=_any_refund),
    Row("refunds:request", RECORD, make=_invoice),
    Row("refunds:approve", ADMIN_ONLY, method="post", make=_pending),
    Row("refunds:cancel", RECORD, method="post", make=_failed),
    Row("refunds:confirm_transfer", RECORD, method="post", make=_awaiting_transfer),
    Row("refunds:reconcile", RECORD, method="post", make=_unknown),
    Row("refunds:credit_note_pdf", RECORD, make=_with_credit_note),
    Row("refunds:credit_invoice", RECORD, make=_invoice),
    Row("refunds:credit_note_file", RECORD, make=_credit_note),
]
