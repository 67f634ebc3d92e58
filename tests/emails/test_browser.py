"""The e-mail page in Chromium: the HTML body in its sandboxed frame, no CSP violation,
and Resend through htmx."""

from pathlib import Path

import pytest
from django.urls import reverse

from activity.models import ActivityLog, Event
from emails.models import EmailMessage
from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
HTML_BODY = "<p id='hello'>Bonjour en HTML</p><script>parent.document.title = 'pwned'</script>"
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed"),
]


def test_the_email_page_frames_the_html_body_and_resends(live_server, accountant):
    from playwright.sync_api import sync_playwright

    message = EmailMessage.objects.create(
        organisation=accountant.organisation,
        subject="Facture F-2026-000042",
        template="invoice",
        status="bounced",
        recipient="x@example.com",
        recipients=["x@example.com"],
        message_id="<browser@example.com>",
        body_text="Bonjour (texte)",
        body_html=HTML_BODY,
        last_cause="refused",
        last_error_details={"service": "smtp", "remote": "550 unknown user"},
    )
    violations: list[str] = []
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
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda m: (
                    violations.append(m.text) if "Content Security Policy" in m.text else None
                ),
            )
            page.goto(live_server.url + reverse("accounts:login"))
            page.fill("#id_username", accountant.username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit].primary")
            page.goto(live_server.url + message.get_absolute_url())

            assert page.get_by_text("550 unknown user").first.is_visible()
            page.click("details summary")
            frame = page.frame_locator("iframe.email-html")
            assert frame.locator("#hello").inner_text() == "Bonjour en HTML"
            page.get_by_role("button", name="Resend").click()
            page.wait_for_selector("#automation-status:not(.status-bounced)")
            page_title = page.title()
        finally:
            browser.close()

    # (A session worker, if running, may add automatic retries: only the user's count.)
    retries = ActivityLog.objects.for_record(message).filter(
        event=Event.RETRIED, actor__isnull=False
    )
    assert [e.actor_id for e in retries] == [accountant.pk]
    assert page_title != "pwned"
    # Only the e-mail's own script may be refused (by the frame's policy); the page is clean.
    assert all("inline script" in v for v in violations), violations
