"""An accountant records a partial payment typed the French way, in a real browser."""

import os
from datetime import date

import pytest

from invoices.models import Invoice
from tests.browser.test_invoice_failure_flow import CHROMIUM, browser  # noqa: F401
from tests.factories import PASSWORD, InvoiceFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no Chromium at /usr/bin/chromium"),
]


def test_a_partial_payment_typed_1_200_50_shows_partially_paid_and_the_rest_in_french(
    live_server,
    accountant,
    browser,  # noqa: F811
):
    invoice = InvoiceFactory(
        organisation=accountant.organisation,
        number="F-2026-000321",
        status=Invoice.Status.SENT,
        issue_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
        lines=[("Audit annuel", "2", "1000.00", "20")],
    )  # fmt: skip  (2 400,00 € incl. VAT)
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", accountant.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")

    form = page.locator("#payment-form")
    form.locator("input[name=amount]").fill("1 200,50")
    form.locator("select[name=method]").select_option("transfer")
    form.locator("input[name=reference]").fill("VIR 2026-11-28")
    form.locator("button[type=submit]").click()

    page.wait_for_url(f"**/invoices/{invoice.pk}/")
    balances = page.locator("#balances")
    assert "1\u202f199,50\u00a0€" in balances.inner_text()
    assert "Partiellement payée" in page.content()
    invoice.refresh_from_db()
    assert (invoice.status, str(invoice.amount_paid)) == ("partially_paid", "1200.50")
    context.close()
