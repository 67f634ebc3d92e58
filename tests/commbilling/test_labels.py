"""Pages name things in words, not in codes: the payment provider, the amounts of a refund."""

from decimal import Decimal

import pytest

from refunds.models import Refund
from tests.refunds.conftest import paid_invoice

pytestmark = pytest.mark.django_db


def test_a_refund_page_names_its_provider_and_amount_in_french(
    settings, accountant_client, organisation
):
    settings.LANGUAGE_CODE = "fr"
    refund = Refund.objects.create(
        organisation=organisation,
        invoice=paid_invoice(organisation),
        amount=Decimal("1200.50"),
        reason="Geste commercial",
        provider="manual",
    )

    html = accountant_client.get(refund.get_absolute_url()).content.decode()

    assert "Virement bancaire manuel" in html
    assert "\u00a0: manual" not in html
    assert "1\u202f200,50\u00a0€" in html
