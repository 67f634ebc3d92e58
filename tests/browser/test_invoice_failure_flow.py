"""The whole failure flow in a real browser, with a real worker:

log in → an invoice fails for a missing customer address → its incident appears in the
alert bar without a reload → fix the customer inline → Regenerate → Generated → download the PDF.
"""

import os
import re
import subprocess

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from invoices import services
from invoices.models import Invoice
from tests.conftest import ROOT, wait_for
from tests.factories import PASSWORD, InvoiceFactory

CHROMIUM = "/usr/bin/chromium"
# The README's screenshots are refreshed on demand, so that a test run leaves the
# working tree clean: COMMBILLING_SCREENSHOTS=1 pytest tests/browser
SCREENSHOTS = ROOT / "docs" / "screenshots"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test
    # makes between browser steps are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


def _status(invoice: Invoice) -> str:
    invoice.refresh_from_db()
    return invoice.status


def test_an_accountant_fixes_a_failed_invoice_and_downloads_its_pdf(
    live_server, celery_worker, accountant, browser, tmp_path
):
    shots = SCREENSHOTS if os.environ.get("COMMBILLING_SCREENSHOTS") == "1" else tmp_path
    # Names that read well on the screenshots.
    accountant.organisation.name = "Atelier Dupont SARL"
    accountant.organisation.save()
    accountant.first_name, accountant.last_name = "Claire", "Comptable"
    accountant.save()
    invoice = InvoiceFactory(
        organisation=accountant.organisation,
        customer__legal_name="Client sans adresse SAS",
        customer__street="",
        customer__postal_code="",
        customer__city="",
    )
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", accountant.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")

    # Issued elsewhere (another tab, a schedule): the open dashboard learns it by polling.
    services.issue_invoice(invoice=invoice, actor=accountant)
    wait_for(lambda: _status(invoice) == Invoice.Status.FAILED)
    bar = page.locator("#alert-bar[data-count='1']")
    bar.wait_for(state="attached", timeout=15_000)  # the bar polls every 5 s
    page.wait_for_function("document.title.startsWith('(1) ')")  # the tab shows the count
    shots.mkdir(parents=True, exist_ok=True)
    page.reload()  # for the screenshot: counters and the open-alerts table, up to date
    page.locator("#alert-bar summary").click()
    link = page.locator("#alert-bar .incident a", has_text=str(invoice))
    link.wait_for(state="visible")
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)

    detail_url = re.compile(rf"/invoices/{invoice.pk}/$")
    link.click()
    try:
        page.wait_for_url(detail_url, timeout=5_000)
    except PlaywrightTimeoutError:
        # A poll can swap the bar at the moment of the click.
        page.locator("#alert-bar .incident a", has_text=str(invoice)).click()
        page.wait_for_url(detail_url)
    assert page.locator("#automation-status .badge.status-failed").is_visible()
    fix = page.locator("#customer-fix")
    assert sorted(fix.locator("input").evaluate_all("els => els.map(e => e.name)")) == [
        "city",
        "csrfmiddlewaretoken",
        "postal_code",
        "street",
    ]
    page.screenshot(path=str(shots / "invoice-failed.png"), full_page=True)

    fix.locator("input[name=street]").fill("3 quai Saint-Cosme")
    fix.locator("input[name=postal_code]").fill("71100")
    fix.locator("input[name=city]").fill("Chalon-sur-Saône")
    fix.locator("button[type=submit]").click()
    page.locator("#unblocked").wait_for(state="visible")
    invoice.customer.refresh_from_db()
    assert invoice.customer.city == "Chalon-sur-Saône"

    page.locator("#automation-status button.retry").click()
    page.locator("#automation-status .badge.status-generated").wait_for(
        state="visible", timeout=45_000
    )
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.GENERATED

    page.reload()  # the download link and the preview belong to the page, not the fragment
    assert page.locator("iframe.pdf-preview").get_attribute("src").endswith("?inline=1")
    with page.expect_download() as info:
        page.click("a[download]")
    download = info.value
    pdf = tmp_path / download.suggested_filename
    download.save_as(pdf)
    assert download.suggested_filename == f"{invoice.number}.pdf"

    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert invoice.number in text
    total = f"{invoice.total_incl_vat:.2f}".replace(".", ",")  # French: 240,00 €
    assert f"{total} €" in text
    context.close()
