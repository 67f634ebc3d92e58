"""The e-mails' own words in each language: punctuation as each language writes it."""

import pytest

from accounts.models import CompanySettings
from emails import rendering

from .helpers import generated_invoice

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("template", ["invoice", "reminder"])
@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("fr", "Paiement par virement bancaire\u00a0: IBAN FR14"),  # a no-break space before ":"
        ("en", "Payment by bank transfer: IBAN FR14"),
    ],
)
def test_the_payment_line_puts_the_colon_where_the_language_does(
    organisation, template, language, said
):
    company = CompanySettings.objects.get(organisation=organisation)
    company.iban = "FR14 2004 1010 0505 0001 3M02 606"
    invoice = generated_invoice(organisation)
    context = {
        "invoice": invoice,
        "customer": invoice.customer,
        "company": company,
        "organisation": organisation,
    }

    rendered = rendering.render(template, context, language=language)

    assert said in rendered.text
    assert said in rendered.html
