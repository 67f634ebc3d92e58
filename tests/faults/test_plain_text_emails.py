"""Issue 14 item 6: e-mail subjects and text bodies are plain text, never HTML-escaped."""

import pytest

from emails import services
from tests.emails.helpers import generated_invoice

pytestmark = pytest.mark.django_db

NAME = "L'Atelier Dupont & Fils <Paris>"


def test_subject_and_text_body_keep_quotes_and_ampersands(organisation):
    company = organisation.company_settings
    company.legal_name = NAME
    company.save()
    invoice = generated_invoice(organisation, number="F-2026-000015")
    invoice.customer.contact_name = 'Zoé "Zaza" & Co'
    invoice.customer.save()

    message = services.queue_invoice_email(invoice=invoice)

    assert message.subject == f"Facture F-2026-000015 de {NAME}"
    assert 'Zoé "Zaza" & Co' in message.body_text
    assert "&amp;" not in message.subject + message.body_text
    assert "&#x27;" not in message.subject + message.body_text
    # The HTML alternative is still escaped: it is HTML.
    assert "L&#x27;Atelier Dupont &amp; Fils &lt;Paris&gt;" in message.body_html
