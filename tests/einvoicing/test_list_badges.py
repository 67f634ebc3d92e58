"""The Factures tab shows each invoice's e-invoicing status as a compact badge, read for
the whole page at once (never one query per row)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from einvoicing import services
from invoices.models import Customer
from tests.conftest import HTMX
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now

from .flows import generated_einvoice, transmit_now

pytestmark = pytest.mark.django_db
URL = reverse("invoices:list")


def _badges(response) -> dict[str, str]:
    """Invoice number → the text of its e-invoicing badge (none when absent)."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", response.content.decode(), re.S):
        number = re.search(r'<a href="/invoices/\d+/">([^<]+)</a>', row)
        badge = re.search(r'<span class="badge einvoice [^"]*"[^>]*>([^<]+)', row)
        if number:
            found[number.group(1)] = badge.group(1) if badge else "none"
    return found


def _b2c(organisation):
    return generate_now(
        InvoiceFactory(
            organisation=organisation,
            customer__customer_type=Customer.Type.INDIVIDUAL,
            customer__siren="",
        )
    )


def _foreign(organisation):
    return generate_now(
        InvoiceFactory(
            organisation=organisation,
            customer__country="DE",
            customer__siren="",
            customer__vat_number="DE136695976",
        )
    )


def test_each_row_shows_its_e_invoicing_status(accountant_client, platform_org, platform_server):
    deposited = transmit_now(generated_einvoice(platform_org))
    queued = generated_einvoice(platform_org)
    platform_server.invalid_sirens.add("542051180")
    rejected = transmit_now(generated_einvoice(platform_org))
    platform_server.invalid_sirens.clear()
    refused = transmit_now(generated_einvoice(platform_org))
    platform_server.refuse(platform_server.flows[refused.flow_id])
    services.poll_einvoices()
    b2c, foreign = _b2c(platform_org), _foreign(platform_org)
    draft = InvoiceFactory(organisation=platform_org)

    badges = _badges(accountant_client.get(URL))

    assert badges == {
        deposited.invoice.number: "Deposited",
        queued.invoice.number: "Queued",
        rejected.invoice.number: "Rejected",
        refused.invoice.number: "Refused",
        b2c.number: "Not transmitted (B2C)",
        foreign.number: "Not transmitted (international)",
        str(draft): "none",
    }


def test_the_badges_are_french_first(settings, accountant_client, platform_org, platform_server):
    settings.LANGUAGE_CODE = "fr"
    deposited = transmit_now(generated_einvoice(platform_org))
    b2c = _b2c(platform_org)

    response = accountant_client.get(URL, headers={"Accept-Language": "fr"})

    assert _badges(response) == {
        deposited.invoice.number: "Déposée",
        b2c.number: "Non transmise (B2C)",
    }
    # The reason, for a hover and a screen reader.
    assert "l'acheteur est un particulier" in response.content.decode().replace("&#x27;", "'")


def test_a_transmission_the_platform_never_took_reads_failed(
    accountant_client, platform_org, platform_server
):
    platform = platform_org.platform_settings
    platform.api_key = "revoked-key"
    platform.save()
    einvoice = transmit_now(generated_einvoice(platform_org))

    response = accountant_client.get(URL)

    assert _badges(response) == {einvoice.invoice.number: "Failed"}
    assert "einvoice einvoice-error" in response.content.decode()


def test_no_badge_while_e_invoicing_is_off(accountant_client, organisation):
    invoice = generate_now(InvoiceFactory(organisation=organisation))

    assert _badges(accountant_client.get(URL)) == {invoice.number: "none"}


def test_the_htmx_fragment_carries_the_badges_too(accountant_client, platform_org, platform_server):
    deposited = transmit_now(generated_einvoice(platform_org))

    response = accountant_client.get(URL, headers=HTMX)

    assert "<html" not in response.content.decode()
    assert _badges(response) == {deposited.invoice.number: "Deposited"}


def test_the_badges_cost_the_same_queries_for_a_page_of_2_or_of_20_rows(
    accountant_client, platform_org, platform_server, django_assert_num_queries
):
    for _ in range(2):
        transmit_now(generated_einvoice(platform_org))
    _b2c(platform_org)
    accountant_client.get(URL)  # the session's first request reads more (its user, caches)
    with CaptureQueriesContext(connection) as few:
        accountant_client.get(URL)
    for _ in range(9):
        transmit_now(generated_einvoice(platform_org))
        _b2c(platform_org)
    _foreign(platform_org)

    with django_assert_num_queries(len(few.captured_queries)):
        response = accountant_client.get(URL)
    assert len(_badges(response)) == 22
    # Pinned: the page's own queries, plus the platform settings and the page's
    # transmissions (one read each).
    badges = [q["sql"] for q in few.captured_queries if "einvoicing_" in q["sql"]]
    assert len(badges) == 2, badges
    assert len(few.captured_queries) == 10, [q["sql"][:80] for q in few.captured_queries]
