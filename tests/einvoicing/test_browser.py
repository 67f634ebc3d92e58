"""A newcomer issues an invoice to a French business and sees it Déposée on the
platform timeline, in a real browser, with a real worker and the local platform."""

import os
import time

import pytest

from tests.browser.test_invoice_failure_flow import CHROMIUM, browser  # noqa: F401
from tests.factories import PASSWORD, InvoiceFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no Chromium at /usr/bin/chromium"),
]


def test_an_issued_invoice_shows_deposited_on_its_timeline_within_5_seconds(
    live_server,
    celery_worker,
    accountant,
    platform_org,
    platform_server,
    browser,  # noqa: F811
):
    invoice = InvoiceFactory(organisation=platform_org, customer__legal_name="Maison Leroy SAS")
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", accountant.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    assert page.locator("#einvoicing .ok").is_visible()  # nothing blocks the transmission

    clicked = time.monotonic()
    page.locator("form[action$='/issue/'] button").click()
    page.locator("#einvoicing .timeline .lifecycle-200").wait_for(state="visible", timeout=5_000)
    elapsed = time.monotonic() - clicked

    print(f"issued → Déposée on the timeline in {elapsed:.2f} s")
    assert elapsed < 5
    assert page.locator("#einvoicing .badge.status-deposited").is_visible()
    assert len(platform_server.accepted_flows()) == 1
