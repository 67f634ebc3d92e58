"""Credit note PDFs, through the invoices' WeasyPrint setup."""

from django.utils import translation

from accounts.models import company_settings_for
from invoices.mentions import invoice_vat_wordings
from invoices.pdf import parties_context, render_pdf

from .models import CreditNote


def render_credit_note_pdf(credit_note: CreditNote, *, parts: list[dict]) -> bytes:
    """Renders the credit note from its own snapshot of the parties, like an invoice."""
    invoice = credit_note.invoice
    lines = list(credit_note.lines.all())
    language = credit_note.buyer.get("language") or "fr"
    with translation.override(language):
        wordings = invoice_vat_wordings(lines, seller=credit_note.seller, buyer=credit_note.buyer)
    return render_pdf(
        "refunds/credit_note_pdf.html",
        {
            **parties_context(seller=credit_note.seller, buyer=credit_note.buyer),
            "credit_note": credit_note,
            "refund": credit_note.refund,
            "invoice": invoice,
            "lines": lines,
            "parts": parts,
            "vat_wordings": wordings,
        },
        company=company_settings_for(credit_note.organisation),
        language=language,
        record=credit_note,
    )
