"""In Chromium: an accountant asks for help from a failed invoice, an agent answers in the
queue with a public reply and an internal note, the accountant sees only the reply."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from tests.factories import UserFactory
from tests.support.helpers import failed_invoice, make_ticket

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "support-queue.png"

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        browser = p.chromium.launch(
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
        yield browser
        browser.close()


def _logged_in_context(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    context.set_default_timeout(10_000)
    return context


def test_help_from_a_failed_invoice_to_a_reply_without_the_internal_note(
    browser, live_server, organisation, accountant, other_accountant, support_user
):
    accountant.first_name, accountant.last_name = "Claire", "Comptable"
    accountant.save()
    invoice, _ = failed_invoice(organisation, message="The customer's postal address is missing.")
    # A few other tickets so that the queue looks like a queue.
    now = timezone.now()
    make_ticket(
        requester=other_accountant,
        subject="E-mail bounced for client 12",
        category="emails",
        now=now - timedelta(days=1),
    )
    make_ticket(
        requester=other_accountant,
        subject="Refund above threshold",
        category="refunds",
        priority="urgent",
        now=now - timedelta(days=9),
    )
    colleague = UserFactory(organisation=organisation, role=Role.ACCOUNTANT)
    make_ticket(requester=colleague, subject="Change my invoice prefix", category="account")

    accountant_page = _logged_in_context(browser, live_server, accountant).new_page()
    accountant_page.goto(f"{live_server.url}{invoice.get_absolute_url()}")
    accountant_page.locator("#automation-status a.help").click()
    accountant_page.wait_for_url("**/support/new/?*")
    assert "postal address is missing" in accountant_page.locator("#help-context").inner_text()
    subject = accountant_page.locator("input[name=subject]").input_value()
    assert str(invoice) in subject
    accountant_page.fill("textarea[name=description]", "I cannot find which address is wrong.")
    accountant_page.get_by_role("button", name="Open the ticket").click()
    accountant_page.wait_for_url("**/support/*/")
    ticket_url = accountant_page.url

    agent = _logged_in_context(browser, live_server, support_user).new_page()
    agent.goto(f"{live_server.url}/support/queue/")
    agent.get_by_role("link", name=subject).click()
    assert "postal address is missing" in agent.locator("#linked").inner_text()
    agent.get_by_role("button", name="Assign to me").click()
    agent.locator("#workspace").get_by_text("In progress").first.wait_for()
    agent.fill(
        "#reply-form textarea[name=body]", "Add the customer's postal code, then Regenerate."
    )
    agent.locator("#reply-form button").click()
    agent.locator("#thread").get_by_text("then Regenerate").wait_for()
    agent.fill("#note-form textarea[name=body]", "Customer record 7 has an empty postal code.")
    agent.locator("#note-form button").click()
    agent.locator("#thread").get_by_text("empty postal code").wait_for()
    assert "Waiting for the customer" in agent.locator("#panel").inner_text()

    agent.goto(f"{live_server.url}/support/queue/?status=all")
    agent.locator("#results").wait_for()
    # The documentation's screenshot: refreshed on demand, so test runs leave the tree clean.
    if os.environ.get("COMMBILLING_SCREENSHOTS") == "1" or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        agent.screenshot(path=str(SCREENSHOT), full_page=True)

    accountant_page.goto(ticket_url)
    conversation = accountant_page.locator("#conversation").inner_text()
    assert "then Regenerate" in conversation
    assert "empty postal code" not in accountant_page.content()
    assert "Waiting for the customer" in conversation
    # The accountant answers over htmx: the ticket reopens.
    accountant_page.fill("textarea[name=body]", "Done, thank you.")
    accountant_page.get_by_role("button", name="Send").click()
    accountant_page.locator("#conversation").get_by_text("Done, thank you.").wait_for()
    assert "In progress" in accountant_page.locator("#conversation").inner_text()
