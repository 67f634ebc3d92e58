"""A newcomer on the demo (`make run`: seed_demo, the worker, the local platform as
Procfile.dev starts it) issues an invoice to the demo business customer and sees it
Déposée on the platform timeline within 5 s, in a real browser; the Factures tab then
shows it Déposée on a phone."""

import os
import re
import shlex
import socket
import subprocess
import sys
import time

import pytest
from django.core.management import call_command

from accounts.management.commands.seed_demo import DEMO_PASSWORD
from einvoicing import demo, services
from einvoicing.models import EInvoice
from invoices.models import Invoice
from tests.browser.test_invoice_failure_flow import CHROMIUM, browser  # noqa: F401
from tests.conftest import ROOT, wait_for
from tests.emails.conftest import free_port

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no Chromium at /usr/bin/chromium"),
]


def _procfile_command(name: str, env: dict[str, str]) -> list[str]:
    """A Procfile.dev process's command, its ${VAR:-default} filled in as the shell would."""
    for line in (ROOT / "Procfile.dev").read_text().splitlines():
        if line.startswith(f"{name}:"):
            command = re.sub(
                r"\$\{(\w+):-([^}]*)\}",
                lambda m: env.get(m.group(1), m.group(2)),
                line.split(":", 1)[1].strip(),
            )
            args = shlex.split(command)
            return [sys.executable, *args[1:]] if args[0] == "python" else args
    raise AssertionError(f"no {name} in Procfile.dev")


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def demo_platform(live_server, monkeypatch):
    """The local platform as `make run` starts it (the demo's API key, webhook and ceased
    SIREN), on a free port that the demo organisation is seeded to transmit to."""
    port = free_port()
    command = _procfile_command(
        "platform", {"PORT": str(live_server.thread.port), "PLATFORM_PORT": str(port)}
    )
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True)
    monkeypatch.setattr(demo, "PLATFORM_URL", f"http://127.0.0.1:{port}")
    try:
        wait_for(lambda: _answers(port), timeout=15)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_newcomer_issues_an_invoice_to_the_demo_business_customer_and_sees_it_deposited(
    live_server,
    celery_worker,
    demo_platform,
    browser,  # noqa: F811
):
    call_command("seed_demo")
    # `make run` is up: the seed's backlog (its e-mails, its two transmissions, queued
    # last) has gone through the worker before the newcomer opens the browser.
    seeded = EInvoice.objects.filter(invoice__organisation__slug=demo.DEMO_ORGANISATION)

    def settled() -> bool:
        return not seeded.filter(status__in=EInvoice.LIVE_STATUSES).exists()

    wait_for(settled, timeout=60, interval=0.2)
    wait_for(celery_worker.idle, timeout=30, interval=0.2)
    assert sorted(seeded.values_list("lifecycle", flat=True)) == ["200", "213"]
    invoice = Invoice.objects.get(
        customer__legal_name=demo.BUSINESS_CUSTOMER["legal_name"], status=Invoice.Status.DRAFT
    )
    # A French newcomer on a phone.
    page = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}).new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "comptable")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    assert page.locator("#einvoicing .ok").is_visible()  # nothing blocks the transmission

    clicked = time.monotonic()
    page.locator("form[action$='/issue/'] button").click()
    deposited = page.locator("#einvoicing .timeline .lifecycle-200")
    deposited.wait_for(state="visible", timeout=5_000)
    elapsed = time.monotonic() - clicked

    print(f"issued → Déposée on the timeline in {elapsed:.2f} s")
    assert elapsed < 5
    assert "Déposée" in deposited.inner_text()
    invoice.refresh_from_db()
    flow = services.platform_client(invoice.organisation).find(
        tracking_id=invoice.einvoice.tracking_id
    )
    assert flow is not None  # at the demo's platform, accepted
    assert flow.accepted
    assert invoice.einvoice.flow_id == flow.flow_id

    # The Factures tab shows it Déposée too, and still fits the phone's width.
    page.goto(f"{live_server.url}/invoices/?q={invoice.number}")
    badge = page.locator("#results .badge.einvoice", has_text="Déposée")
    assert badge.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
