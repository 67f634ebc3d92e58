"""Credit notes are e-invoices too: a credit note to a French business (type 381,
referring to the invoice it corrects) is transmitted like an invoice, never twice, and
its statuses and timeline are shown with it."""

import pytest
from django.db import models
from django.urls import reverse

from activity import services as activity
from activity.models import ActivityLog, Cause
from einvoicing import services
from einvoicing.facturx import extract_xml
from einvoicing.models import EInvoice
from invoices.models import Customer
from refunds.credit_notes import credit_invoice
from refunds.models import CreditNote
from tests.conftest import HTMX
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now

from .flows import generated_einvoice, transmit_now
from .helpers import xpath

pytestmark = pytest.mark.django_db


def _credit_note(invoice, accountant=None):
    invoice.refresh_from_db()
    return credit_invoice(invoice=invoice, reason="Prestation annulée", actor=accountant)


def _credited_einvoice(organisation, accountant=None) -> EInvoice:
    """A deposited invoice, then cancelled by a credit note: its transmission queued."""
    invoice = transmit_now(generated_einvoice(organisation)).invoice
    return EInvoice.objects.get(credit_note=_credit_note(invoice, accountant))


def test_issuing_a_credit_note_to_a_french_business_queues_its_transmission(platform_org):
    einvoice = _credited_einvoice(platform_org)

    note = einvoice.credit_note
    assert einvoice.invoice is None
    assert einvoice.status == EInvoice.Status.QUEUED
    assert einvoice.tracking_id == f"732829320-{note.number}"
    assert einvoice.document == note
    assert str(einvoice) == note.number


@pytest.mark.parametrize(
    ("customer", "why"),
    [
        ({"customer_type": Customer.Type.INDIVIDUAL, "siren": ""}, "private individual"),
        ({"country": "DE", "siren": "", "vat_number": "DE136695976"}, "not established in France"),
    ],
)
def test_a_credit_note_to_other_buyers_is_not_transmitted_and_says_why(platform_org, customer, why):
    invoice = generate_now(
        InvoiceFactory(
            organisation=platform_org, **{f"customer__{k}": v for k, v in customer.items()}
        )
    )

    note = _credit_note(invoice)

    assert not EInvoice.objects.filter(credit_note=note).exists()
    assert why in str(services.credit_note_exclusion(note))


def test_the_credit_note_is_deposited_once_as_a_381_referring_to_its_invoice(
    platform_org, platform_server
):
    einvoice = transmit_now(_credited_einvoice(platform_org))

    assert (einvoice.status, einvoice.lifecycle) == (EInvoice.Status.DEPOSITED, "200")
    assert [s.code for s in einvoice.statuses.all()] == ["200"]
    (flow,) = platform_server.accepted_flows(einvoice.tracking_id)
    assert einvoice.flow_id == flow["flowId"]
    xml = extract_xml(flow["content"])
    note = einvoice.credit_note
    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert xpath(xml, "//rsm:ExchangedDocument/ram:ID") == [note.number]
    reference = "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID"
    assert xpath(xml, reference) == [note.invoice.number]
    with note.pdf.open("rb") as stored:
        assert stored.read() == flow["content"]  # the credit note's own Factur-X


def test_a_lost_answer_is_looked_up_so_the_credit_note_is_never_sent_twice(
    platform_org, platform_server
):
    einvoice = _credited_einvoice(platform_org)
    platform_server.drop_after_accept = 1

    einvoice = transmit_now(einvoice)

    assert einvoice.status == EInvoice.Status.DEPOSITED
    assert len(platform_server.accepted_flows(einvoice.tracking_id)) == 1
    lookups = [p for m, p in platform_server.requests if m == "GET" and p == "/v1/flows"]
    assert lookups  # asked before anything was sent again


def test_a_rejected_credit_note_fails_naming_the_field_then_is_retransmitted(
    platform_org, platform_server, accountant
):
    einvoice = _credited_einvoice(platform_org)
    platform_server.reject_next.append("BUYER_SIREN_INVALID")

    einvoice = transmit_now(einvoice)

    assert (einvoice.status, einvoice.lifecycle) == (EInvoice.Status.FAILED, "213")
    assert einvoice.last_cause == Cause.MISSING_DATA
    (problem,) = einvoice.missing_fields
    assert (problem["model"], problem["field"]) == ("customer", "siren")
    assert activity.retry_record(record=einvoice, actor=accountant)
    assert not activity.retry_record(record=einvoice, actor=accountant)  # double click
    einvoice = transmit_now(einvoice)

    assert einvoice.status == EInvoice.Status.DEPOSITED
    assert [s.code for s in einvoice.statuses.all()] == ["213", "200"]
    assert len(platform_server.accepted_flows(einvoice.tracking_id)) == 1


def test_one_invoice_and_one_credit_note_per_transmission(platform_org, platform_server):
    from django.db import IntegrityError, transaction

    einvoice = transmit_now(_credited_einvoice(platform_org))

    with pytest.raises(IntegrityError), transaction.atomic():
        EInvoice.objects.filter(pk=einvoice.pk).update(invoice=einvoice.credit_note.invoice)
    with pytest.raises(IntegrityError), transaction.atomic():
        EInvoice.objects.filter(pk=einvoice.pk).update(credit_note=None)


# --- Shown with the credit notes of the invoice page ------------------------------------


def _invoice_page(client, einvoice) -> str:
    return client.get(f"/invoices/{einvoice.credit_note.invoice_id}/").content.decode()


def test_the_invoice_page_shows_the_credit_notes_deposit_and_timeline(
    accountant_client, platform_org, platform_server
):
    einvoice = transmit_now(_credited_einvoice(platform_org))

    page = _invoice_page(accountant_client, einvoice)

    section = page[page.index(f'id="einvoice-credit-note-{einvoice.credit_note_id}"') :]
    assert "200 Deposited" in section
    assert einvoice.flow_id in section


def test_a_failed_credit_note_shows_failed_retransmit_and_help(
    accountant_client, platform_org, platform_server
):
    einvoice = _credited_einvoice(platform_org)
    platform_server.reject_next.append("BUYER_SIREN_INVALID")
    einvoice = transmit_now(einvoice)

    page = _invoice_page(accountant_client, einvoice)

    section = page[page.index(f'id="einvoice-credit-note-{einvoice.credit_note_id}"') :]
    assert "status-failed" in section
    assert reverse("activity:retry", args=[einvoice.process.name, einvoice.pk]) in section
    assert "Retransmit" in section
    assert 'class="button small help"' in section


def test_the_credit_notes_panel_is_a_fragment_refreshed_while_it_is_queued(
    accountant_client, platform_org
):
    einvoice = _credited_einvoice(platform_org)
    url = f"/einvoicing/credit-notes/{einvoice.credit_note_id}/panel/"

    response = accountant_client.get(url, headers=HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert f'hx-get="{url}"' in body  # polled while queued


def test_the_credit_notes_panel_refuses_post(accountant_client, platform_org):
    einvoice = _credited_einvoice(platform_org)

    response = accountant_client.post(f"/einvoicing/credit-notes/{einvoice.credit_note_id}/panel/")

    assert response.status_code == 405


def test_the_credit_notes_panel_is_not_shown_to_another_organisation(
    other_accountant_client, platform_org
):
    einvoice = _credited_einvoice(platform_org)

    response = other_accountant_client.get(
        f"/einvoicing/credit-notes/{einvoice.credit_note_id}/panel/"
    )

    assert response.status_code == 404


def test_the_credit_notes_panel_needs_a_login(client, platform_org):
    einvoice = _credited_einvoice(platform_org)

    response = client.get(f"/einvoicing/credit-notes/{einvoice.credit_note_id}/panel/")

    assert response.status_code in (302, 403)


def test_a_refunds_credit_note_is_transmitted_and_shown_on_the_refund(
    accountant_client, accountant, platform_org, platform_server
):
    from datetime import date
    from decimal import Decimal

    from payments.services import record_payment
    from refunds.services import confirm_transfer, request_refund
    from tests.refunds.helpers import run_now

    invoice = transmit_now(generated_einvoice(platform_org)).invoice
    record_payment(invoice=invoice, amount=Decimal("50.00"), paid_on=date(2026, 11, 28), actor=None)
    refund = run_now(
        request_refund(
            invoice=invoice, amount=Decimal("50.00"), reason="Geste", requested_by=accountant
        )
    )  # the manual provider: awaiting the bank transfer
    assert confirm_transfer(refund=refund, actor=accountant)

    einvoice = transmit_now(EInvoice.objects.get(credit_note__refund=refund))

    assert einvoice.status == EInvoice.Status.DEPOSITED
    assert len(platform_server.accepted_flows(einvoice.tracking_id)) == 1
    page = accountant_client.get(refund.get_absolute_url()).content.decode()
    section = page[page.index(f'id="einvoice-credit-note-{einvoice.credit_note_id}"') :]
    assert "200 Deposited" in section


def test_no_credit_note_is_transmitted_while_e_invoicing_is_off(accountant_client, organisation):
    invoice = generate_now(InvoiceFactory(organisation=organisation))

    note = _credit_note(invoice)

    assert not EInvoice.objects.filter(credit_note=note).exists()
    assert "off" in str(services.credit_note_exclusion(note))
    page = accountant_client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert f'id="einvoice-credit-note-{note.pk}"' in page
    start = page.index('id="credit-notes"')
    assert "Not transmitted" not in page[start : page.index("</section>", start)]


def test_a_credit_note_rejected_for_the_buyers_siren_is_fixed_and_deposited_once(
    platform_org, platform_server, accountant
):
    platform_server.invalid_sirens.add("542051180")
    einvoice = transmit_now(_credited_einvoice(platform_org))
    assert (einvoice.status, einvoice.lifecycle) == (EInvoice.Status.FAILED, "213")
    note = einvoice.credit_note
    customer = note.invoice.customer
    customer.siren = "552032534"  # fixed on the customer's page
    customer.save()

    assert activity.retry_record(record=einvoice, actor=accountant)
    einvoice = transmit_now(einvoice)

    # Deemed never issued, it was corrected under its number: the credit note, its PDF
    # and the file the platform holds name the fixed SIREN.
    assert einvoice.status == EInvoice.Status.DEPOSITED
    (flow,) = platform_server.accepted_flows(einvoice.tracking_id)
    buyer = "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID"
    assert xpath(extract_xml(flow["content"]), buyer) == ["552032534"]
    note = CreditNote.objects.get(pk=note.pk)
    assert (note.number, note.buyer["siren"]) == (einvoice.credit_note.number, "552032534")
    with note.pdf.open("rb") as stored:
        assert stored.read() == flow["content"]
    assert (
        ActivityLog.objects.for_record(einvoice)
        .filter(message_code="einvoicing.parties_retaken")
        .exists()
    )


@pytest.mark.postgresql(reason="the trigger is PostgreSQL's")
def test_only_the_retake_may_change_an_issued_credit_notes_parties(platform_org):
    from django.db import DatabaseError, transaction

    note = EInvoice.objects.get(pk=_credited_einvoice(platform_org).pk).credit_note

    with pytest.raises(DatabaseError), transaction.atomic():  # the trigger, not the ORM
        models.QuerySet.update(CreditNote.objects.filter(pk=note.pk), buyer={})
    assert CreditNote.objects.retake_parties(note, seller=note.seller, buyer={"siren": "1"})
    with pytest.raises(DatabaseError), transaction.atomic():  # and only while it runs
        models.QuerySet.update(CreditNote.objects.filter(pk=note.pk), seller={})
