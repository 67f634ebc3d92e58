"""The credit note pages: "Annuler par avoir" and "Avoir partiel" from the invoice."""

import pytest
from django.urls import reverse

from invoices.models import Invoice
from refunds.models import CreditNote
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(organisation) -> Invoice:
    return generate_now(InvoiceFactory.create(organisation=organisation))  # 2 x 100 € + 20 %


def test_cancel_by_credit_note_from_the_invoice_page(accountant_client, issued):
    url = reverse("refunds:credit_invoice", args=[issued.pk])
    assert url in accountant_client.get(issued.get_absolute_url()).content.decode()
    assert accountant_client.post(url, {"reason": ""}).status_code == 422
    response = accountant_client.post(url, {"reason": "Commande annulée"})
    assert response.status_code == 302
    note = CreditNote.objects.get()
    assert (note.kind, note.amount, note.reason) == ("cancellation", 240, "Commande annulée")
    page = accountant_client.get(issued.get_absolute_url()).content.decode()
    assert note.number in page
    assert "Cancelled by credit note" in page
    pdf = accountant_client.get(reverse("refunds:credit_note_file", args=[note.pk]))
    assert pdf["Content-Type"] == "application/pdf"


def test_a_partial_credit_note_typed_the_french_way(accountant_client, issued):
    line = issued.lines.get()
    url = reverse("refunds:credit_invoice", args=[issued.pk]) + "?partial=1"
    response = accountant_client.post(
        url,
        {"reason": "Remise", f"quantity_{line.pk}": "1", f"price_{line.pk}": "50,00"},
    )
    assert response.status_code == 302
    assert CreditNote.objects.get().amount == 60
    too_much = accountant_client.post(
        url, {"reason": "x", f"quantity_{line.pk}": "2", f"price_{line.pk}": "100"}
    )
    assert too_much.status_code == 422
    assert "left to credit on this line" in too_much.content.decode()


def test_support_staff_cannot_issue_credit_notes(support_client, issued):
    url = reverse("refunds:credit_invoice", args=[issued.pk])
    assert support_client.post(url, {"reason": "x"}).status_code == 403
    assert not CreditNote.objects.exists()
