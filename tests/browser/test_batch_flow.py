"""Acceptance of batch runs, in a real browser with a real worker:

1,000 draft invoices, 5 % of them for customers without an address → "Generate and send
the month's invoices" → the batch page reaches 100 % with 50 failures listed with their
cause, grouped into one incident → the customers are fixed → bulk retry from the summary
→ every invoice generated, the incident resolved by itself.

Screenshots of the dashboard and of the batch page are saved as test artifacts in
``var/test-artifacts/`` (or ``$COMMBILLING_ARTIFACTS``).
"""

import os
from decimal import Decimal
from pathlib import Path

import pytest

from dashboard import counters
from incidents.models import Incident
from invoices.models import Customer, Invoice, InvoiceLine
from tests.browser.test_invoice_failure_flow import CHROMIUM, browser  # noqa: F401 (fixture)
from tests.conftest import ROOT
from tests.factories import PASSWORD, CustomerFactory

ARTIFACTS = Path(os.environ.get("COMMBILLING_ARTIFACTS", ROOT / "var" / "test-artifacts"))
# The acceptance size; COMMBILLING_BATCH_INVOICES=100 for a quick run on a busy machine.
INVOICES = int(os.environ.get("COMMBILLING_BATCH_INVOICES", "1000"))
BROKEN = INVOICES * 5 // 100  # 5 % for customers without an address, 5 invoices each

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no Chromium at /usr/bin/chromium"),
]


def _drafts(organisation) -> None:
    """1,000 drafts written directly (the batch, not their creation, is under test)."""
    good = CustomerFactory.create(organisation=organisation, legal_name="Client en règle SAS")
    broken = [
        CustomerFactory.create(
            organisation=organisation, legal_name=f"Client sans adresse {i}", street=""
        )
        for i in range(BROKEN // 5)
    ]
    invoices = Invoice.objects.bulk_create(
        [
            Invoice(
                organisation=organisation,
                customer=broken[i % len(broken)] if i < BROKEN else good,
                total_excl_vat=Decimal("200.00"),
                total_vat=Decimal("40.00"),
                total_incl_vat=Decimal("240.00"),
            )
            for i in range(INVOICES)
        ]
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                description="Conseil",
                quantity=Decimal(2),
                unit_price=Decimal("100.00"),
                vat_rate=Decimal(20),
            )
            for invoice in invoices
        ]
    )
    counters.recount([organisation.pk])  # bulk_create bypasses the counters' hooks


def _wait_until_finished(page) -> None:
    page.locator('#batch-progress[data-finished="true"]').wait_for(
        state="attached", timeout=600_000
    )


def test_a_month_of_1000_invoices_runs_as_a_batch_and_its_failures_are_retried(
    live_server,
    celery_worker,
    accountant,
    browser,  # noqa: F811
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    organisation = accountant.organisation
    _drafts(organisation)
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", accountant.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")

    page.click("#batches a.button.primary")
    text = page.inner_text("main")
    assert f"{INVOICES} draft invoices will be issued" in text
    page.click("button[type=submit].primary")
    page.wait_for_url("**/batches/*/")
    page.locator("#batch-progress progress").wait_for()
    _wait_until_finished(page)

    progress = page.locator("#batch-progress")
    assert progress.locator("progress").get_attribute("value") == "100"
    assert progress.locator('[data-count="failed"]').inner_text() == str(BROKEN)
    done = progress.locator('[data-count="done"]').inner_text().replace(",", "")
    assert done == str(INVOICES - BROKEN)
    rows = progress.locator(".batch-failures tbody tr")
    assert rows.count() == BROKEN
    assert rows.locator(".badge.cause-missing_data").count() == BROKEN
    page.screenshot(path=str(ARTIFACTS / "batch-page.png"), full_page=True)
    # The failures make one incident (one missing field), not 50 alerts.
    incident = Incident.objects.open().get(organisation=organisation)
    assert incident.affected == BROKEN
    page.locator('#alert-bar[data-count="1"]').wait_for(state="attached", timeout=15_000)

    page.goto(f"{live_server.url}/")
    todo = page.locator("#to-handle")
    assert str(BROKEN) in todo.locator(".counter.status-failed").first.inner_text()
    assert "blocks 5 tasks" in todo.inner_text()
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    Customer.objects.filter(organisation=organisation, street="").update(street="1 rue Neuve")
    page.go_back()
    page.click("#batch-progress .batch-failures a:has-text('Fix, then retry them')")
    preview = page.locator("#retry-preview")
    assert f"{BROKEN} failed invoices for “Missing data” — retry them?" in preview.inner_text()
    preview.locator("button[type=submit].primary").click()
    page.wait_for_url("**/batches/*/")
    _wait_until_finished(page)

    assert page.locator('#batch-progress [data-count="done"]').inner_text() == str(BROKEN)
    assert page.locator('#batch-progress [data-count="failed"]').inner_text() == "0"
    page.screenshot(path=str(ARTIFACTS / "batch-retry-page.png"), full_page=True)
    statuses = set(
        Invoice.objects.filter(organisation=organisation).values_list("status", flat=True)
    )
    assert statuses == {Invoice.Status.GENERATED}
    assert not Incident.objects.open().filter(organisation=organisation).exists()
