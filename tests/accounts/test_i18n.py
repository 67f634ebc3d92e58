"""The interface speaks French first: the vocabulary accountants read every day."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from activity import services
from invoices.pdf import render_invoice_pdf
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def french(settings):
    settings.LANGUAGE_CODE = "fr"


def test_the_tabs_read_in_french(french, accountant_client):
    html = accountant_client.get(reverse("dashboard")).content.decode().replace("&#x27;", "'")

    for tab in ("Tableau de bord", "Factures", "Journal des e-mails", "Remboursements",
                "Journal d'activité", "Support"):  # fmt: skip
        assert tab in html


def test_a_failed_invoice_reads_echouee_with_regenerer_and_its_cause(
    french, accountant_client, organisation
):
    invoice = InvoiceFactory(organisation=organisation)
    services.record_failure(
        record=invoice,
        from_statuses=(invoice.status,),
        process="invoice_generation",
        cause="missing_data",
        message="Missing or invalid data",
        details={
            "fields": [
                {
                    "model": "customer",
                    "record": "ACME",
                    "field": "street",
                    "label": "street",
                    "problem": "missing",
                }
            ]
        },
        attempt=1,
    )

    html = accountant_client.get(invoice.get_absolute_url()).content.decode()

    assert "Échouée" in html
    assert "Régénérer" in html
    assert "Données manquantes" in html
    assert "puis cliquez sur Régénérer" in html


def test_the_invoice_pdf_carries_the_french_legal_mentions(french):
    invoice = InvoiceFactory(number="F-2026-000001", customer__language="fr")
    invoice.issue_date = invoice.created_at.date()
    invoice.due_date = invoice.issue_date

    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(render_invoice_pdf(invoice))).pages
    )
    text = " ".join(text.split())  # lines wrap anywhere

    assert "Facture F-2026-000001" in text
    assert "Total TTC" in text
    assert "240,00 €" in text
    assert "Indemnité forfaitaire pour frais de recouvrement" in text
    assert "Pénalités de retard" in text
