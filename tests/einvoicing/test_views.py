"""E-invoicing on the invoice page, the XML download and the platform settings."""

import pytest

from einvoicing import services
from einvoicing.models import EInvoice, PlatformSettings
from invoices.models import Customer
from tests.conftest import HTMX
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now

from .flows import generated_einvoice, lost_einvoice, transmit_now
from .helpers import xpath

pytestmark = pytest.mark.django_db


def test_the_xml_alone_is_downloadable(accountant_client, organisation):
    invoice = generate_now(InvoiceFactory(organisation=organisation))

    response = accountant_client.get(f"/einvoicing/invoices/{invoice.pk}/factur-x.xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert f'filename="{invoice.number}-factur-x.xml"' in response["Content-Disposition"]
    assert xpath(response.content, "//rsm:ExchangedDocument/ram:ID") == [invoice.number]


def test_a_draft_has_no_xml_yet(accountant_client, organisation):
    invoice = InvoiceFactory(organisation=organisation)

    response = accountant_client.get(f"/einvoicing/invoices/{invoice.pk}/factur-x.xml")

    assert response.status_code == 404


def test_the_xml_download_refuses_post(accountant_client, organisation):
    invoice = generate_now(InvoiceFactory(organisation=organisation))

    response = accountant_client.post(f"/einvoicing/invoices/{invoice.pk}/factur-x.xml")

    assert response.status_code == 405


def test_the_invoice_page_shows_the_deposit_on_the_platform_timeline(
    accountant_client, platform_org, platform_server
):
    einvoice = transmit_now(generated_einvoice(platform_org))

    page = accountant_client.get(f"/invoices/{einvoice.invoice_id}/").content.decode()

    assert "Platform timeline" in page
    assert "200 Deposited" in page
    assert einvoice.flow_id in page
    assert "factur-x.xml" in page


def test_a_rejected_e_invoice_shows_its_cause_the_field_to_fix_and_retransmit(
    accountant_client, platform_org, platform_server
):
    platform_server.invalid_sirens.add("542051180")
    einvoice = transmit_now(generated_einvoice(platform_org))

    page = accountant_client.get(f"/invoices/{einvoice.invoice_id}/").content.decode()

    assert "BUYER_SIREN_INVALID" in page
    assert "SIREN (invalid)" in page
    assert f"/activity/retry/{einvoice.process.name}/{einvoice.pk}/" in page
    assert "Retransmit" in page
    assert "Help" in page


def test_a_refused_e_invoice_offers_a_credit_note(accountant_client, platform_org, platform_server):
    einvoice = transmit_now(generated_einvoice(platform_org))
    platform_server.refuse(platform_server.accepted_flows()[0])  # read by polling
    services.poll_einvoices()
    einvoice.refresh_from_db()
    assert einvoice.status == EInvoice.Status.REFUSED

    page = accountant_client.get(f"/invoices/{einvoice.invoice_id}/").content.decode()

    assert "The buyer refused this invoice" in page
    assert "Issue a credit note" in page
    assert f"/refunds/invoice/{einvoice.invoice_id}/credit-note/" in page
    assert "Retransmit" not in page


def test_an_invoice_to_a_private_individual_says_why_it_is_not_transmitted(
    accountant_client, platform_org
):
    invoice = generate_now(
        InvoiceFactory(
            organisation=platform_org,
            customer__customer_type=Customer.Type.INDIVIDUAL,
            customer__siren="",
        )
    )

    page = accountant_client.get(f"/invoices/{invoice.pk}/").content.decode()

    assert "the buyer is a private individual" in page


def test_a_draft_shows_what_would_block_its_transmission(accountant_client, platform_org):
    company = platform_org.company_settings
    company.iban = ""
    company.save()
    invoice = InvoiceFactory(organisation=platform_org, customer__siren="")

    page = accountant_client.get(f"/invoices/{invoice.pk}/").content.decode()

    assert "Transmission to the platform would be blocked" in page
    assert "[BR-FR-11]" in page
    assert "[BR-61]" in page
    # The draft's own readiness check lists them too: generation would refuse to issue it.
    readiness = page[page.index("Generation would be blocked") :]
    assert "IBAN" in readiness


def test_the_settings_never_show_the_api_key_and_keep_it_when_left_empty(
    admin_client_org, organisation
):
    platform = PlatformSettings.for_organisation(organisation)
    platform.api_key = "pa_secret_value"
    platform.base_url = "https://pa.example/api/"
    platform.save()

    page = admin_client_org.get("/einvoicing/settings/").content.decode()
    assert "pa_secret_value" in platform.api_key
    assert "pa_secret_value" not in page
    assert platform.webhook_secret not in page

    response = admin_client_org.post(
        "/einvoicing/settings/",
        {"enabled": "on", "base_url": "https://pa.example/api/", "api_key": ""},
    )

    assert response.status_code == 302
    platform.refresh_from_db()
    assert (platform.enabled, platform.base_url) == (True, "https://pa.example/api/")
    assert platform.api_key == "pa_secret_value"


def test_the_api_key_is_not_kept_for_another_platform_url(admin_client_org, organisation):
    """Pointing the URL at another server without typing the key again clears it: the
    stored key never goes to a server it was not typed for. The webhook secret, which
    checks what the platform sends, stays."""
    platform = PlatformSettings.for_organisation(organisation)
    platform.api_key = "pa_secret_value"
    platform.base_url = "https://pa.example/api/"
    platform.save()
    webhook_secret = platform.webhook_secret

    response = admin_client_org.post(
        "/einvoicing/settings/",
        {"enabled": "on", "base_url": "https://attacker.example/api/", "api_key": ""},
    )

    assert response.status_code == 302
    platform.refresh_from_db()
    assert (platform.base_url, platform.api_key) == ("https://attacker.example/api/", "")
    assert platform.webhook_secret == webhook_secret


def test_an_accountant_reads_the_settings_but_cannot_change_them(accountant_client):
    assert accountant_client.get("/einvoicing/settings/").status_code == 200
    assert accountant_client.post("/einvoicing/settings/", {"enabled": "on"}).status_code == 403


def test_the_unknown_check_asks_the_platform(accountant_client, platform_org, platform_server):
    einvoice = lost_einvoice(platform_org, platform_server)

    response = accountant_client.post(f"/einvoicing/{einvoice.pk}/check/", headers=HTMX)

    assert response.status_code == 302
    einvoice.refresh_from_db()
    assert einvoice.status == EInvoice.Status.FAILED  # nothing there: safe to retransmit


def test_the_invoices_tab_filters_by_e_invoicing_status(
    accountant_client, platform_org, platform_server
):
    platform_server.invalid_sirens.add("732829320")
    rejected = transmit_now(generated_einvoice(platform_org, customer__siren="732829320"))
    deposited = transmit_now(generated_einvoice(platform_org))
    private = generate_now(
        InvoiceFactory(
            organisation=platform_org,
            customer__customer_type=Customer.Type.INDIVIDUAL,
            customer__siren="",
        )
    )

    def listed(key):
        page = accountant_client.get("/invoices/", {"einvoice": key}).content.decode()
        page = page[page.index('id="results"') :]  # not the alert bar above
        return {i for i in (rejected.invoice, deposited.invoice, private) if f'">{i}</a>' in page}

    assert listed("rejected") == {rejected.invoice}
    assert listed("failed") == {rejected.invoice}
    assert listed("deposited") == {deposited.invoice}
    assert listed("not_transmitted") == {private}
    assert listed("anything") == {rejected.invoice, deposited.invoice, private}


def test_the_dashboard_counts_lead_to_the_filtered_invoices(accountant_client):
    response = accountant_client.get("/einvoicing/", {"status": "failed"})

    assert response.status_code == 302
    assert response["Location"] == "/invoices/?einvoice=failed"
