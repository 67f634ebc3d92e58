"""Credit note PDFs, through the invoices' WeasyPrint setup."""

from pathlib import Path

from accounts.models import CompanySettings
from invoices.pdf import render_pdf

from .models import CreditNote


def render_credit_note_pdf(
    credit_note: CreditNote, *, parts: list[dict], company: CompanySettings
) -> bytes:
    invoice = credit_note.invoice
    logo_uri = Path(company.logo.path).resolve().as_uri() if company.logo else ""
    from einvoicing.facturx import PDF_VARIANT, credit_note_facturx

    pdf = render_pdf(
        "refunds/credit_note_pdf.html",
        {
            "credit_note": credit_note,
            "refund": credit_note.refund,
            "invoice": invoice,
            "parts": parts,
            "company": company,
            "customer": invoice.customer,
            "logo_uri": logo_uri,
        },
        language=invoice.customer.language or "fr",
        pdf_variant=PDF_VARIANT,
    )
    # A Factur-X too: type 381, referring to the invoice it corrects.
    return credit_note_facturx(credit_note, pdf)
