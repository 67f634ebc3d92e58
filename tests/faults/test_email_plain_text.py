"""Issue 14, item 6: e-mail subjects and text bodies are plain text, never HTML-escaped."""

import pytest

from accounts.models import CompanySettings
from emails import rendering
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

NAME = "L'Atelier Dupont & Fils <Paris>"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_invoice_e_mail_subject_and_text_keep_the_company_name_as_typed(organisation, language):
    CompanySettings.objects.filter(organisation=organisation).update(legal_name=NAME)
    company = CompanySettings.objects.get(organisation=organisation)
    customer = CustomerFactory(organisation=organisation, contact_name='Client "Ô" & Cie')
    invoice = InvoiceFactory(organisation=organisation, customer=customer)
    rendered = rendering.render(
        "invoice",
        {"invoice": invoice, "customer": customer, "company": company},
        language=language,
    )
    assert NAME in rendered.subject
    assert "&amp;" not in rendered.subject
    assert "&#x27;" not in rendered.subject
    assert NAME in rendered.text
    assert 'Client "Ô" & Cie' in rendered.text
    # The HTML part stays escaped: it is HTML.
    assert "L&#x27;Atelier Dupont &amp; Fils &lt;Paris&gt;" in rendered.html
