"""Credit notes (avoirs): the only way to correct or cancel an issued invoice.

A credit note is numbered in its own gapless series (AV-…), refers to the invoice it
corrects (number and date, CGI art. 242 nonies A), carries the parties as they are when it
is issued, and is frozen from then on. It is independent of refunds: cancelling an invoice
by credit note reduces what the customer owes; money goes back only through a refund.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, company_settings_for
from commbilling.l10n import format_amount
from invoices.mentions import buyer_snapshot, seller_snapshot
from invoices.models import ZERO, Invoice, InvoiceLine, compute_totals
from invoices.numbering import take_next_number
from invoices.services import settle_invoice_status
from invoices.storage import store_pdf

from .models import CreditNote, CreditNoteLine
from .signals import credit_note_issued


class CreditNoteRefused(Exception):
    """A credit note that cannot be issued; the message says why and what to do."""


@dataclass(frozen=True)
class CreditedLine:
    """What to credit of one invoice line: a quantity, at the line's price or a lower one
    (a price reduction)."""

    invoice_line: InvoiceLine
    quantity: Decimal
    unit_price: Decimal


def credit_note_path(credit_note: CreditNote) -> str:
    return f"credit_notes/{credit_note.organisation_id}/{credit_note.number}.pdf"


def already_credited(invoice: Invoice) -> dict[int, Decimal]:
    """Amount excl. VAT already credited per invoice line, by correction credit notes."""
    credited: dict[int, Decimal] = {}
    for line in CreditNoteLine.objects.filter(
        credit_note__invoice=invoice, invoice_line__isnull=False
    ):
        assert line.invoice_line_id is not None
        credited[line.invoice_line_id] = (
            credited.get(line.invoice_line_id, ZERO) + line.total_excl_vat
        )
    return credited


def create_credit_note(
    *,
    invoice: Invoice,
    kind: str,
    reason: str,
    amount: Decimal,
    total_excl_vat: Decimal,
    total_vat: Decimal,
    parts: list[dict],
    actor: User | None,
    refund=None,
    lines: list[CreditNoteLine] | None = None,
) -> CreditNote:
    """Number, store and render a credit note (inside the caller's transaction, which
    holds the invoice row lock)."""
    from .pdf import render_credit_note_pdf

    assert transaction.get_connection().in_atomic_block
    company = company_settings_for(invoice.organisation)
    now = timezone.now()
    credit_note = CreditNote.objects.create(
        organisation=invoice.organisation,
        number=take_next_number(
            organisation=invoice.organisation,
            kind="credit_note",
            prefix=company.credit_note_prefix,
            year=timezone.localdate(now).year,
        ),
        kind=kind,
        refund=refund,
        invoice=invoice,
        reason=reason,
        amount=amount,
        total_excl_vat=total_excl_vat,
        total_vat=total_vat,
        vat_breakdown=[{k: str(v) for k, v in part.items()} for part in parts],
        seller=seller_snapshot(company),
        buyer=buyer_snapshot(invoice.customer),
        issued_at=now,
        created_by=actor,
    )
    for position, line in enumerate(lines or []):
        line.credit_note = credit_note
        line.position = position
        line.save()
    content = render_credit_note_pdf(credit_note, parts=parts)
    credit_note.pdf = store_pdf(path=credit_note_path(credit_note), content=content)
    credit_note.save(update_fields=["pdf"])
    # In this transaction: whatever follows from the issue (its e-invoicing) is queued
    # with it or not at all.
    credit_note_issued.send(sender=CreditNote, credit_note=credit_note, actor=actor)
    return credit_note


def retake_parties(*, credit_note: CreditNote) -> bool:
    """Copy the seller and the buyer onto an issued credit note again, from the company
    settings and the customer as they are now, and render its PDF again. Returns whether
    they changed.

    Only for a credit note that nobody received, which the caller vouches for: one the
    e-invoicing platform rejected (213 Rejetée, 221 Erreur de routage) is deemed never
    issued, and is corrected and sent again under its number, as an invoice is
    (invoices.services.retake_parties). Lines, amounts and the number never change."""
    from .pdf import render_credit_note_pdf

    invoice = credit_note.invoice
    seller = seller_snapshot(company_settings_for(invoice.organisation))
    buyer = buyer_snapshot(invoice.customer)
    if (seller, buyer) == (credit_note.seller, credit_note.buyer):
        return False
    with transaction.atomic():
        changed = CreditNote.objects.retake_parties(credit_note, seller=seller, buyer=buyer)
        retaken = CreditNote.objects.get(pk=credit_note.pk)
        parts = [
            {k: (v if k == "category" else Decimal(v)) for k, v in part.items()}
            for part in retaken.vat_breakdown
        ]
        content = render_credit_note_pdf(retaken, parts=parts)
        path = store_pdf(path=credit_note_path(retaken), content=content)
        CreditNote.objects.filter(pk=retaken.pk).update(pdf=path)
    return changed


@transaction.atomic
def credit_invoice(
    *,
    invoice: Invoice,
    reason: str,
    actor: User | None,
    lines: list[CreditedLine] | None = None,
) -> CreditNote:
    """Issue a correction credit note: the whole invoice ("Annuler par avoir") when
    ``lines`` is None, else the chosen quantities/prices of chosen lines ("Avoir partiel")."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not locked.is_issued or locked.status not in Invoice.SETTLEMENT_STATUSES:
        raise CreditNoteRefused(
            _("Only an issued invoice can be credited; a draft is simply edited.")
        )
    if not reason.strip():
        raise CreditNoteRefused(_("Give the reason for the credit note."))
    credited = already_credited(locked)
    if lines is None:
        if locked.amount_credited > ZERO:
            raise CreditNoteRefused(
                _(
                    "Invoice %(number)s was already partly credited: issue a partial credit "
                    "note for what is left."
                )
                % {"number": locked}
            )
        kind = CreditNote.Kind.CANCELLATION
        lines = [
            CreditedLine(invoice_line=line, quantity=line.quantity, unit_price=line.unit_price)
            for line in locked.lines.all()
        ]
    else:
        kind = CreditNote.Kind.PARTIAL
    note_lines = []
    for chosen in lines:
        source = chosen.invoice_line
        if source.invoice_id != locked.pk:
            raise CreditNoteRefused(_("A line does not belong to this invoice."))
        if chosen.quantity <= ZERO or chosen.unit_price <= ZERO:
            continue
        note_line = CreditNoteLine(
            invoice_line=source,
            description=source.description,
            quantity=chosen.quantity,
            unit_price=chosen.unit_price,
            vat_rate=source.vat_rate,
            vat_category=source.vat_category,
            vat_exemption_reason=source.vat_exemption_reason,
        )
        left = source.total_excl_vat - credited.get(source.pk, ZERO)
        if note_line.total_excl_vat > left:
            raise CreditNoteRefused(
                _(
                    "“%(line)s”: %(asked)s excl. VAT is more than the %(left)s left to "
                    "credit on this line."
                )
                % {
                    "line": source.description,
                    "asked": format_amount(note_line.total_excl_vat),
                    "left": format_amount(left),
                }
            )
        note_lines.append(note_line)
    if not note_lines:
        raise CreditNoteRefused(_("Choose at least one line and a quantity to credit."))
    totals = compute_totals(note_lines)
    if totals.incl_vat > locked.amount_due:
        raise CreditNoteRefused(
            _("The credit note (%(total)s) is more than the %(due)s left on the invoice.")
            % {"total": format_amount(totals.incl_vat), "due": format_amount(locked.amount_due)}
        )
    parts = [{**b, "total": b["base"] + b["vat"]} for b in totals.breakdown]
    credit_note = create_credit_note(
        invoice=locked,
        kind=kind,
        reason=reason.strip(),
        amount=totals.incl_vat,
        total_excl_vat=totals.excl_vat,
        total_vat=totals.vat,
        parts=parts,
        actor=actor,
        lines=note_lines,
    )
    locked.amount_credited += totals.incl_vat
    settle_invoice_status(invoice=locked)
    return credit_note
