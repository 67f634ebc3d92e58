"""Credit note PDFs, through the invoices' WeasyPrint setup."""

from accounts.models import CompanySettings
from invoices.pdf import render_pdf

from .models import CreditNote


def render_credit_note_pdf(
    credit_note: CreditNote, *, parts: list[dict], company: CompanySettings
) -> bytes:
    invoice = credit_note.invoice
    return render_pdf(
        "refunds/credit_note_pdf.html",
        {
            "credit_note": credit_note,
            "refund": credit_note.refund,
            "invoice": invoice,
            "parts": parts,
            "company": company,
            "customer": invoice.customer,
        },
        company=company,
        language=invoice.customer.language or "fr",
    )
