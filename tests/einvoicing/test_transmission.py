"""Transmission to the platform: queued with generation, deposited once, rejections
mapped to causes, lost answers looked up, never transmitted twice."""

import pytest

from activity import services as activity
from activity.models import ActivityLog, Alert, Cause
from einvoicing import services
from einvoicing.facturx import extract_xml
from einvoicing.models import EInvoice, PlatformSettings
from invoices.models import Customer, Invoice
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now

from .flows import generated_einvoice, lost_einvoice, transmit_now
from .helpers import xpath

pytestmark = pytest.mark.django_db


def test_generation_queues_the_transmission_of_an_invoice_to_a_french_business(platform_org):
    einvoice = generated_einvoice(platform_org)

    assert einvoice.status == EInvoice.Status.QUEUED
    assert einvoice.tracking_id == f"732829320-{einvoice.invoice.number}"


@pytest.mark.parametrize(
    ("customer", "why"),
    [
        ({"customer_type": Customer.Type.INDIVIDUAL, "siren": ""}, "private individual"),
        ({"country": "DE", "siren": "", "vat_number": "DE136695976"}, "not established in France"),
    ],
)
def test_other_buyers_are_not_transmitted_and_the_invoice_says_why(platform_org, customer, why):
    invoice = generate_now(
        InvoiceFactory(
            organisation=platform_org, **{f"customer__{k}": v for k, v in customer.items()}
        )
    )

    assert not EInvoice.objects.filter(invoice=invoice).exists()
    assert why in str(services.transmission_exclusion(invoice))


def test_nothing_is_transmitted_while_e_invoicing_is_off(organisation):
    invoice = generate_now(InvoiceFactory(organisation=organisation))

    assert not EInvoice.objects.filter(invoice=invoice).exists()
    assert "off" in str(services.transmission_exclusion(invoice))


def test_an_accepted_flow_is_deposited_with_its_status_on_the_timeline(
    platform_org, platform_server
):
    einvoice = transmit_now(generated_einvoice(platform_org))

    assert einvoice.status == EInvoice.Status.DEPOSITED
    assert einvoice.lifecycle == "200"
    assert [s.code for s in einvoice.statuses.all()] == ["200"]
    (flow,) = platform_server.accepted_flows()
    assert einvoice.flow_id == flow["flowId"]
    assert flow["trackingId"] == einvoice.tracking_id


def test_rejected_for_an_invalid_buyer_siren_then_fixed_and_retransmitted_once(
    platform_org, platform_server, accountant
):
    platform_server.invalid_sirens.add("542051180")
    einvoice = transmit_now(generated_einvoice(platform_org))

    assert einvoice.status == EInvoice.Status.FAILED
    assert einvoice.last_cause == Cause.MISSING_DATA
    assert einvoice.lifecycle == "213"
    (problem,) = einvoice.missing_fields
    assert (problem["model"], problem["field"], problem["problem"]) == (
        "customer",
        "siren",
        "invalid",
    )
    assert einvoice.last_error_details["platform"]["reason_code"] == "BUYER_SIREN_INVALID"
    assert Alert.objects.open().filter(object_id=einvoice.pk).exists()

    customer = einvoice.invoice.customer
    customer.siren = "552032534"  # fixed on the customer's page
    customer.save()
    number = einvoice.invoice.number
    assert activity.retry_record(record=einvoice, actor=accountant)
    assert not activity.retry_record(record=einvoice, actor=accountant)  # double click
    einvoice = transmit_now(einvoice)

    assert einvoice.status == EInvoice.Status.DEPOSITED
    assert [s.code for s in einvoice.statuses.all()] == ["213", "200"]
    (flow,) = platform_server.accepted_flows()
    buyer = "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID"
    assert xpath(extract_xml(flow["content"]), buyer) == ["552032534"]
    assert not Alert.objects.open().filter(object_id=einvoice.pk).exists()
    # Deemed never issued, it was corrected under its number: the invoice, its PDF and the
    # file the platform holds say the same; the Activity Log says why it changed.
    invoice = Invoice.objects.get(pk=einvoice.invoice_id)
    assert (invoice.number, invoice.buyer["siren"]) == (number, "552032534")
    with invoice.pdf.open("rb") as stored:
        assert stored.read() == flow["content"]
    assert (
        ActivityLog.objects.for_record(einvoice)
        .filter(message_code="einvoicing.parties_retaken")
        .exists()
    )


def test_a_seller_unknown_to_the_platform_is_a_settings_problem(platform_org, platform_server):
    platform_server.registered_sellers = {"552100554"}

    einvoice = transmit_now(generated_einvoice(platform_org))

    assert einvoice.status == EInvoice.Status.FAILED
    assert einvoice.last_cause == Cause.WRONG_SETTINGS
    assert einvoice.last_error_details["settings"][0]["field"] == "siren"


def test_a_routing_error_names_the_buyers_siren(platform_org, platform_server):
    platform_server.unroutable_sirens.add("542051180")

    einvoice = transmit_now(generated_einvoice(platform_org))

    assert (einvoice.status, einvoice.lifecycle) == (EInvoice.Status.FAILED, "221")
    assert einvoice.missing_fields[0]["field"] == "siren"


def test_a_broken_business_rule_blocks_the_issue_so_nothing_is_numbered_nor_sent(
    platform_org, platform_server
):
    company = platform_org.company_settings
    company.iban = ""
    company.save()

    invoice = generate_now(InvoiceFactory(organisation=platform_org))

    assert (invoice.status, invoice.number) == (Invoice.Status.FAILED, None)
    assert invoice.last_cause == Cause.WRONG_SETTINGS
    assert [p["field"] for p in invoice.last_error_details["settings"]] == ["iban"]
    assert not EInvoice.objects.filter(invoice=invoice).exists()
    assert platform_server.requests == []


def test_the_same_rule_does_not_block_an_invoice_that_is_not_transmitted(organisation):
    company = organisation.company_settings
    company.iban = ""
    company.save()

    invoice = generate_now(InvoiceFactory(organisation=organisation))

    assert invoice.status == Invoice.Status.GENERATED


def test_a_wrong_api_key_is_a_settings_problem_tried_once(platform_org, platform_server):
    PlatformSettings.objects.filter(organisation=platform_org).update(api_key="wrong")

    einvoice = transmit_now(generated_einvoice(platform_org))

    assert einvoice.last_cause == Cause.WRONG_SETTINGS
    assert einvoice.last_error_details["settings"][0]["field"] == "api_key"
    assert einvoice.attempts == 1


def test_a_connection_dropped_after_acceptance_is_looked_up_not_sent_again(
    platform_org, platform_server
):
    platform_server.drop_after_accept = 1

    einvoice = transmit_now(generated_einvoice(platform_org))

    assert einvoice.status == EInvoice.Status.DEPOSITED
    assert einvoice.attempts == 2
    assert len(platform_server.accepted_flows()) == 1
    assert [m for m, path in platform_server.requests if path == "/v1/flows"] == [
        "POST",
        "GET",
    ]


def test_an_answer_that_cannot_be_checked_leaves_the_transmission_to_be_checked(
    platform_org, platform_server
):
    # The flow is accepted and its answer lost; then the platform cannot be asked.
    platform_server.drop_after_accept = 1
    platform_server.fail_reads = 10

    einvoice = transmit_now(generated_einvoice(platform_org))

    assert einvoice.status == EInvoice.Status.UNKNOWN
    assert Alert.objects.open().filter(object_id=einvoice.pk).exists()
    assert len(platform_server.accepted_flows()) == 1

    platform_server.fail_reads = 0
    assert services.reconcile_einvoice(einvoice=einvoice) == EInvoice.Status.DEPOSITED
    einvoice.refresh_from_db()
    assert einvoice.status == EInvoice.Status.DEPOSITED
    assert len(platform_server.accepted_flows()) == 1
    assert not Alert.objects.open().filter(object_id=einvoice.pk).exists()


def test_a_check_that_finds_nothing_makes_retransmitting_safe(platform_org, platform_server):
    einvoice = lost_einvoice(platform_org, platform_server)

    assert services.reconcile_einvoice(einvoice=einvoice) == EInvoice.Status.FAILED
    einvoice.refresh_from_db()
    assert einvoice.last_error_details["reconciled"] == "absent"


def test_the_transmission_exists_only_if_the_generation_commits(platform_org):
    """Queued by a receiver of status_changed inside the generation's transaction."""
    from django.db import transaction

    from invoices import services as invoices

    draft = InvoiceFactory(organisation=platform_org)
    invoices.issue_invoice(invoice=draft, actor=None)
    draft.refresh_from_db()
    Invoice.objects.claim(draft, task_id=draft.task_id, stale_before=draft.queued_at)

    class Abort(Exception):
        pass

    def generate_then_roll_back():
        with transaction.atomic():
            invoices.generate_invoice(invoice=Invoice.objects.get(pk=draft.pk))
            assert EInvoice.objects.filter(invoice=draft).exists()
            raise Abort

    with pytest.raises(Abort):
        generate_then_roll_back()
    assert not EInvoice.objects.filter(invoice=draft).exists()
    assert Invoice.objects.get(pk=draft.pk).status == Invoice.Status.GENERATING
