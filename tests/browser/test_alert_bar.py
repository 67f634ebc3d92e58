"""The alert bar in Chromium, at 1366 px and 390 px, with 7 open incidents: every page
shows its title on the first screen and nothing shifts after the first paint (cumulative
layout shift < 0.1, measured by the browser), including when a poll brings an 8th
incident; the drawer opens and closes from the keyboard."""

import os

import pytest
from django.test import Client
from django.urls import reverse

from activity.models import Cause
from tests.incidents.helpers import fail_invoice

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
]

VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}
PAGES = [
    "dashboard",
    "invoices:list",
    "invoices:customer_list",
    "emails:list",
    "refunds:list",
    "activity:log",
    "incidents:list",
    "incidents:status",
    "accounts:company_settings",
    "batches:generate_month",
    "batches:retry",
]
# Sums the layout shifts the browser reports (the CLS of the page so far).
CLS_OBSERVER = """
window.__cls = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) { window.__cls += entry.value; }
  }
}).observe({type: "layout-shift", buffered: true});
"""


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield chromium
        chromium.close()


def _seven_incidents(organisation) -> None:
    for field in ("siren", "street", "city", "email", "vat_number"):
        fail_invoice(organisation, details={"fields": [{"model": "customer", "field": field}]})
    fail_invoice(organisation, cause=Cause.CONNECTIVITY, details={"service": "smtp"})
    fail_invoice(organisation, cause=Cause.INTERNAL, details={"error": "KeyError"})


def _logged_in_page(browser, live_server, user, viewport):
    client = Client()
    client.force_login(user)
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    context.add_init_script(CLS_OBSERVER)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def _cls(page) -> float:
    # Layout-shift entries are delivered asynchronously: let one frame pass first.
    page.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => resolve()))")
    return page.evaluate("() => window.__cls")


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_every_page_shows_its_title_first_and_does_not_shift(
    live_server, browser, accountant, viewport
):
    _seven_incidents(accountant.organisation)
    context, page = _logged_in_page(browser, live_server, accountant, viewport)
    width, height = viewport

    for name in PAGES:
        page.goto(f"{live_server.url}{reverse(name)}")
        page.wait_for_load_state("load")
        assert page.title().startswith("(7) "), name
        assert page.locator("#alert-bar[data-count='7']").is_visible(), name
        title = page.locator("main h1").first.bounding_box()
        assert title is not None, name
        assert title["y"] + title["height"] <= height, f"{name}: title below the fold"
        bar = page.locator("#alert-bar").bounding_box()
        assert bar["height"] <= 48, f"{name}: the bar takes {bar['height']} px"
        summary = page.locator("#alert-bar summary").bounding_box()
        assert summary["x"] + summary["width"] <= width, f"{name}: the bar is wider than the screen"
        assert _cls(page) < 0.1, f"{name}: layout shift {_cls(page)}"

    # A poll brings an 8th incident: the bar changes in place, nothing moves.
    page.goto(f"{live_server.url}{reverse('invoices:list')}")
    fail_invoice(accountant.organisation, details={"fields": [{"model": "customer", "field": "x"}]})
    page.locator("#alert-bar[data-count='8']").wait_for(state="attached", timeout=20_000)
    # The title follows once htmx has settled the new bar (alert-bar.js, afterSettle).
    page.wait_for_function("document.title.startsWith('(8) ')", timeout=5_000)
    assert _cls(page) < 0.1
    context.close()


def test_the_drawer_opens_and_closes_from_the_keyboard_on_a_phone(live_server, browser, accountant):
    _seven_incidents(accountant.organisation)
    context, page = _logged_in_page(browser, live_server, accountant, VIEWPORTS["phone"])
    page.goto(f"{live_server.url}{reverse('invoices:list')}")

    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#alert-bar summary') !== null"):
            break
    else:
        raise AssertionError("the bar cannot be reached with Tab")
    page.keyboard.press("Enter")

    drawer = page.locator("#alert-bar .drawer")
    drawer.wait_for(state="visible")
    assert page.locator("#alert-bar .incident").count() == 7
    box = drawer.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390
    assert page.locator("#alert-bar .incident").first.is_visible()
    assert _cls(page) < 0.1  # the drawer opens over the page, not in it

    page.keyboard.press("Escape")
    drawer.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.closest('#alert-bar summary') !== null")
    context.close()
