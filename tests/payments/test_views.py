"""Payment pages: record (typed the French way), cancel, bank statement import."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoices.models import Invoice
from payments.models import Payment
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(organisation) -> Invoice:
    return InvoiceFactory.create(
        organisation=organisation,
        number="F-2026-000050",
        status=Invoice.Status.SENT,
        issue_date=date(2026, 11, 1),
        due_date=date(2026, 12, 1),
        lines=[("Conseil", "2", "1000.00", "20")],
    )  # fmt: skip  (2 400,00 € incl. VAT)


def _record(client, invoice, amount):
    return client.post(
        reverse("payments:record", args=[invoice.pk]),
        {"amount": amount, "paid_on": "2026-11-20", "method": "cheque", "reference": "CHQ 77"},
    )


def test_a_payment_typed_the_french_way_is_recorded(accountant_client, issued):
    response = _record(accountant_client, issued, "1 200,50")
    assert response.status_code == 302
    issued.refresh_from_db()
    assert (issued.status, issued.amount_paid) == ("partially_paid", Decimal("1200.50"))
    page = accountant_client.get(reverse("invoices:detail", args=[issued.pk]))
    assert "Partially paid" in page.content.decode()
    assert "€1,199.50" in page.content.decode()  # the tests read English


def test_an_overpayment_is_refused_on_the_form(accountant_client, issued):
    response = _record(accountant_client, issued, "5000")
    assert response.status_code == 422
    assert "still due on invoice F-2026-000050" in response.content.decode()
    assert not Payment.objects.exists()


def test_the_invoice_page_lists_payments_with_a_cancel_form(accountant_client, issued):
    _record(accountant_client, issued, "100")
    payment = Payment.objects.get()
    url = reverse("payments:cancel", args=[payment.pk])
    page = accountant_client.get(reverse("invoices:detail", args=[issued.pk])).content.decode()
    assert url in page
    assert accountant_client.get(url).status_code == 405
    accountant_client.post(url, {"reason": "Chèque sans provision"})
    payment.refresh_from_db()
    assert payment.cancel_reason == "Chèque sans provision"
    page = accountant_client.get(reverse("invoices:detail", args=[issued.pk])).content.decode()
    assert "Chèque sans provision" in page


def test_another_organisations_invoice_is_404(other_accountant_client, issued):
    assert _record(other_accountant_client, issued, "10").status_code == 404


def test_a_statement_upload_shows_proposed_and_unmatched_lines(accountant_client, issued):
    csv = (
        "date;libellé;montant\n20/11/2026;VIR F-2026-000050;2 400,00\n21/11/2026;INCONNU;12,00\n"
    ).encode()
    response = accountant_client.post(
        reverse("payments:statements"), {"file": SimpleUploadedFile("releve.csv", csv)}
    )
    assert response.status_code == 302
    page = accountant_client.get(response["Location"]).content.decode()
    assert "VIR F-2026-000050" in page
    assert "INCONNU" in page
    statement_url = response["Location"]
    accountant_client.post(statement_url + "confirm/")
    issued.refresh_from_db()
    assert issued.status == Invoice.Status.PAID


def test_an_unreadable_statement_says_why(accountant_client):
    response = accountant_client.post(
        reverse("payments:statements"),
        {"file": SimpleUploadedFile("x.xml", b"<Document><oops>")},
    )
    assert response.status_code == 422
    assert "not valid XML" in response.content.decode()
