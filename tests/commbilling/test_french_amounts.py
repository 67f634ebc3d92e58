"""Amounts read "2 269,20 €" in French wherever they are shown: pages, PDFs and e-mails."""

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from emails.rendering import render
from emails.services import invoice_email_context
from invoices.pdf import render_invoice_pdf
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

NNBSP = "\u202f"
NBSP = "\u00a0"
TOTAL_FR = f"2{NNBSP}269,20{NBSP}€"  # 1 891,00 € + 20 % VAT (378,20 €)


def _spaces(text: str) -> str:
    """PDF text extraction may turn no-break spaces into plain ones, and lines wrap anywhere."""
    return " ".join(text.split())


@pytest.fixture
def invoice(organisation):
    today = timezone.localdate()
    # Issued with its dates: an issued invoice never changes afterwards.
    return InvoiceFactory(
        organisation=organisation,
        number="F-2026-000042",
        customer__language="fr",
        lines=[("Conseil", "1", "1891.00", "20"), ("Livres", "1.5", "0.00", "5.5")],
        issue_date=today,
        due_date=today,
    )


def test_the_invoice_page_shows_french_amounts_rates_and_quantities(
    settings, accountant_client, invoice
):
    settings.LANGUAGE_CODE = "fr"

    html = accountant_client.get(invoice.get_absolute_url()).content.decode()

    assert TOTAL_FR in html
    assert f"1{NNBSP}891,00{NBSP}€" in html
    assert f"5,5{NBSP}%" in html
    assert ">1,5<" in html  # the quantity
    assert "2269.20" not in html


def test_the_invoice_page_shows_english_amounts_in_english(accountant_client, invoice):
    html = accountant_client.get(invoice.get_absolute_url()).content.decode()

    assert "€2,269.20" in html
    assert "5.5%" in html


def test_the_invoice_list_shows_french_amounts(settings, accountant_client, invoice):
    settings.LANGUAGE_CODE = "fr"

    html = accountant_client.get("/invoices/").content.decode()

    assert TOTAL_FR in html


def test_the_invoice_pdf_shows_french_amounts(invoice):
    reader = PdfReader(io.BytesIO(render_invoice_pdf(invoice)))
    text = _spaces(" ".join(page.extract_text() for page in reader.pages))

    assert "Total TTC 2 269,20 €" in text
    assert "TVA 20 % sur 1 891,00 € 378,20 €" in text
    assert "1,5" in text
    assert "2269.20" not in text


def test_the_invoice_pdf_of_an_english_customer_shows_english_amounts(organisation):
    # The PDF's language is the customer's when the invoice was issued (its snapshot).
    invoice = InvoiceFactory(
        organisation=organisation,
        number="F-2026-000043",
        customer__language="en",
        lines=[("Conseil", "1", "1891.00", "20"), ("Livres", "1.5", "0.00", "5.5")],
        issue_date=timezone.localdate(),
        due_date=timezone.localdate(),
    )

    reader = PdfReader(io.BytesIO(render_invoice_pdf(invoice)))
    text = _spaces(" ".join(page.extract_text() for page in reader.pages))

    assert "€2,269.20" in text


def test_the_invoice_email_shows_french_amounts_and_dates(invoice):
    rendered = render("invoice", invoice_email_context(invoice), language="fr")

    assert TOTAL_FR in rendered.text
    assert TOTAL_FR in rendered.html
    assert invoice.due_date.strftime("%d/%m/%Y") in rendered.text


def test_the_invoice_email_in_english_shows_english_amounts(invoice):
    rendered = render("invoice", invoice_email_context(invoice), language="en")

    assert "€2,269.20" in rendered.text
