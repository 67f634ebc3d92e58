"""Refund services against the local Stripe server, run through the real runner in-process."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import CompanySettings
from activity import services as activity
from activity.models import ActivityLog, Alert, Cause, Event
from invoices.models import Invoice
from refunds import services
from refunds.models import CreditNote, Refund
from tests.factories import InvoiceFactory

from .conftest import paid_invoice
from .helpers import run_now

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def short_provider_timeout(settings):
    settings.REFUNDS_PROVIDER_TIMEOUT_SECONDS = 0.5


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _request(invoice, amount, user=None, reason="Geste commercial"):
    return services.request_refund(
        invoice=invoice, amount=Decimal(amount), reason=reason, requested_by=user
    )


def test_a_full_refund_is_made_once_at_the_provider_with_a_credit_note(
    stripe_org, stripe_server, accountant
):
    invoice = paid_invoice(stripe_org, server=stripe_server)

    refund = run_now(_request(invoice, "240.00", accountant))

    assert refund.status == Refund.Status.REFUNDED, refund.last_error
    [made] = stripe_server.refunds
    assert made["amount"] == 24000
    assert made["payment_intent"] == invoice.payment_reference
    assert made["metadata"] == {"refund_id": str(refund.pk), "organisation": str(stripe_org.pk)}
    assert refund.provider_refund_id == made["id"]
    assert ("POST", "/v1/refunds", str(refund.idempotency_key)) in stripe_server.requests
    credit_note = refund.credit_note
    assert credit_note.number == f"AV-{credit_note.issued_at.year}-000001"
    assert credit_note.pdf.read().startswith(b"%PDF")
    assert (credit_note.total_excl_vat, credit_note.total_vat) == (
        Decimal("200.00"),
        Decimal("40.00"),
    )
    invoice.refresh_from_db()
    assert invoice.amount_refunded == Decimal("240.00")
    assert services.refundable_amount(invoice) == Decimal("0.00")
    events = list(
        ActivityLog.objects.for_record(refund).order_by("id").values_list("event", flat=True)
    )
    assert events == [Event.QUEUED, Event.STARTED, Event.SUCCEEDED]


def test_a_partial_then_a_full_refund_give_consecutive_credit_notes_and_a_third_is_refused(
    stripe_org, stripe_server, accountant
):
    invoice = paid_invoice(stripe_org, server=stripe_server)

    first = run_now(_request(invoice, "40.00", accountant))
    second = run_now(_request(invoice, "200.00", accountant))

    assert [first.status, second.status] == [Refund.Status.REFUNDED] * 2
    numbers = [first.credit_note.number, second.credit_note.number]
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == [1, 2]
    invoice.refresh_from_db()
    assert invoice.amount_refunded == Decimal("240.00")
    with pytest.raises(ValidationError) as refused:
        _request(invoice, "0.01", accountant)
    assert "Only €0.00 can still be refunded" in refused.value.messages[0]
    assert len(stripe_server.refunds) == 2


def test_a_refund_in_progress_holds_its_amount(stripe_org, stripe_server, accountant):
    invoice = paid_invoice(stripe_org, server=stripe_server)
    _request(invoice, "200.00", accountant)  # queued, not executed yet

    with pytest.raises(ValidationError) as refused:
        _request(invoice, "50.00", accountant)

    assert "Only €40.00" in refused.value.messages[0]
    assert _request(invoice, "40.00", accountant).status == Refund.Status.REQUESTED


def test_an_unpaid_invoice_cannot_be_refunded(organisation, accountant):
    invoice = InvoiceFactory(organisation=organisation)

    with pytest.raises(ValidationError):
        _request(invoice, "10.00", accountant)


def test_a_refund_above_the_threshold_waits_for_an_admin(
    stripe_org, stripe_server, accountant, admin_user
):
    CompanySettings.objects.filter(organisation=stripe_org).update(
        refund_approval_threshold=Decimal("100.00")
    )
    invoice = paid_invoice(stripe_org, server=stripe_server)

    refund = _request(invoice, "150.00", accountant)
    assert refund.status == Refund.Status.PENDING_APPROVAL
    assert _request(invoice, "90.00", accountant).status == Refund.Status.REQUESTED

    assert services.approve_refund(refund=refund, approved_by=admin_user)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REQUESTED
    assert refund.approved_by == admin_user
    assert not services.approve_refund(refund=refund, approved_by=admin_user)
    assert run_now(refund).status == Refund.Status.REFUNDED


def test_the_credit_note_splits_vat_per_rate_and_adds_up(organisation):
    invoice = InvoiceFactory(
        organisation=organisation,
        lines=[("Conseil", "1", "100.00", "20"), ("Livres", "3", "33.33", "5.5")],
    )
    # 120.00 + 105.49 = 225.49 incl. VAT
    parts = services.credit_note_breakdown(invoice, Decimal("100.00"))

    assert sum(p["total"] for p in parts) == Decimal("100.00")
    for part in parts:
        assert part["base"] + part["vat"] == part["total"]
        assert part["total"] == part["total"].quantize(Decimal("0.01"))
    assert [p["rate"] for p in parts] == [Decimal("5.5"), Decimal("20")]
    assert parts[0]["total"] == Decimal("46.78")  # 100 x 105.49 / 225.49, half-up


def test_a_wrong_api_key_is_a_settings_problem_tried_once(stripe_org, stripe_server, accountant):
    CompanySettings.objects.filter(organisation=stripe_org).update(provider_api_key="sk_wrong")
    invoice = paid_invoice(stripe_org, server=stripe_server)

    refund = run_now(_request(invoice, "10.00", accountant))

    assert refund.status == Refund.Status.FAILED
    assert refund.last_cause == Cause.WRONG_SETTINGS
    assert refund.attempts == 1
    assert [p["field"] for p in refund.last_error_details["settings"]] == ["provider_api_key"]
    alert = Alert.objects.open().get(object_id=refund.pk)
    assert "provider API key" in alert.message
    assert stripe_server.posts() == 1


def test_a_missing_payment_reference_is_missing_data(stripe_org, stripe_server, accountant):
    invoice = paid_invoice(stripe_org, server=stripe_server)
    Invoice.objects.filter(pk=invoice.pk).update(payment_reference="")

    refund = run_now(_request(invoice, "10.00", accountant))

    assert refund.last_cause == Cause.MISSING_DATA
    [problem] = refund.last_error_details["fields"]
    assert (problem["model"], problem["field"]) == ("invoice", "payment_reference")
    assert problem["fix_url"]
    assert stripe_server.requests == []


def test_a_provider_refusal_fails_with_its_message_and_can_be_cancelled(
    stripe_org, stripe_server, accountant
):
    invoice = paid_invoice(stripe_org, server=stripe_server)
    stripe_server.fail_posts = [(400, "charge_already_refunded")]

    refund = run_now(_request(invoice, "10.00", accountant))

    assert refund.status == Refund.Status.FAILED
    assert refund.last_cause == Cause.REFUSED
    assert "already been refunded" in refund.last_error
    assert refund.attempts == 1
    assert refund.provider_responses[-1]["status"] == 400
    assert services.cancel_refund(refund=refund, actor=accountant)
    invoice.refresh_from_db()
    assert services.refundable_amount(invoice) == Decimal("240.00")


def test_503_twice_then_ok_is_refunded_once_after_automatic_retries(
    stripe_org, stripe_server, accountant
):
    invoice = paid_invoice(stripe_org, server=stripe_server)
    stripe_server.fail_posts = [(503, "service_unavailable"), (503, "service_unavailable")]

    refund = run_now(_request(invoice, "10.00", accountant))

    assert refund.status == Refund.Status.REFUNDED, refund.last_error
    assert refund.attempts == 3
    assert len(stripe_server.refunds) == 1
    # each retry looked the refund up before sending it again
    assert [m for m, _, _ in stripe_server.requests] == ["POST", "GET", "POST", "GET", "POST"]
    keys = {k for m, _, k in stripe_server.requests if m == "POST"}
    assert keys == {str(refund.idempotency_key)}


def test_a_lost_answer_is_found_at_the_provider_on_the_next_attempt(
    stripe_org, stripe_server, accountant
):
    invoice = paid_invoice(stripe_org, server=stripe_server)
    stripe_server.delay_after_create = 1.0  # longer than the client's 0.5 s

    refund = run_now(_request(invoice, "10.00", accountant))

    assert refund.status == Refund.Status.REFUNDED, refund.last_error
    assert refund.attempts == 2
    assert len(stripe_server.refunds) == 1
    assert refund.provider_refund_id == stripe_server.refunds[0]["id"]
    assert stripe_server.posts() == 1  # found by the lookup, never sent again


def test_a_lost_answer_that_cannot_be_checked_leaves_the_refund_to_be_checked(
    stripe_org, stripe_server, accountant
):
    invoice = paid_invoice(stripe_org, server=stripe_server)
    stripe_server.delay_after_create = 1.0
    stripe_server.fail_gets = [(503, "service_unavailable")] * 5

    refund = run_now(_request(invoice, "10.00", accountant))

    assert refund.status == Refund.Status.UNKNOWN
    assert refund.last_cause == Cause.CONNECTIVITY
    assert Alert.objects.open().filter(object_id=refund.pk).exists()
    # the generic Retry refuses it: it must be reconciled first
    assert not activity.retry_record(record=refund, actor=accountant)

    stripe_server.fail_gets = []
    assert services.reconcile_unknown_refunds() == 1

    refund.refresh_from_db()
    assert refund.status == Refund.Status.REFUNDED
    assert refund.credit_note.number
    assert len(stripe_server.refunds) == 1
    assert not Alert.objects.open().filter(object_id=refund.pk).exists()


def test_reconciling_a_refund_the_provider_never_made_allows_a_safe_retry(
    stripe_org, stripe_server, accountant
):
    invoice = paid_invoice(stripe_org, server=stripe_server)
    stripe_server.fail_posts = [(503, "service_unavailable")] * 3
    stripe_server.fail_gets = [(503, "service_unavailable")] * 2

    refund = run_now(_request(invoice, "10.00", accountant))
    assert refund.status == Refund.Status.UNKNOWN

    assert services.reconcile_refund(refund=refund, actor=accountant) == Refund.Status.FAILED
    refund.refresh_from_db()
    assert services.refund_is_known_absent(refund)
    assert activity.retry_record(record=refund, actor=accountant)
    refund = run_now(refund)

    assert refund.status == Refund.Status.REFUNDED
    assert len(stripe_server.refunds) == 1


def test_a_manual_refund_waits_for_the_transfer_then_issues_the_credit_note(
    organisation, accountant
):
    invoice = paid_invoice(organisation, customer__iban="FR7630006000011234567890189")

    refund = run_now(_request(invoice, "60.00", accountant))

    assert refund.status == Refund.Status.AWAITING_TRANSFER
    assert refund.transfer_details["account"] == "FR7630006000011234567890189"
    assert refund.transfer_details["amount"] == "60.00"
    assert not CreditNote.objects.filter(refund=refund).exists()

    assert services.confirm_transfer(refund=refund, actor=accountant)
    assert not services.confirm_transfer(refund=refund, actor=accountant)

    refund.refresh_from_db()
    assert refund.status == Refund.Status.REFUNDED
    assert refund.credit_note.amount == Decimal("60.00")
    invoice.refresh_from_db()
    assert invoice.amount_refunded == Decimal("60.00")


def test_a_manual_refund_to_a_customer_without_iban_fails_naming_the_field(
    organisation, accountant
):
    invoice = paid_invoice(organisation, customer__iban="")

    refund = run_now(_request(invoice, "60.00", accountant))

    assert refund.status == Refund.Status.FAILED
    assert refund.last_cause == Cause.MISSING_DATA
    assert [p["field"] for p in refund.missing_fields] == ["iban"]
    assert refund.missing_fields[0]["fix_url"] == invoice.customer.get_absolute_url()


def test_the_reconciliation_task_is_scheduled(settings):
    from commbilling.celery import app

    app.loader.import_default_modules()
    task = settings.CELERY_BEAT_SCHEDULE["reconcile-refunds"]["task"]
    assert task in app.tasks
    assert task == "refunds.reconcile_unknown_refunds"


def test_a_refund_being_processed_elsewhere_is_retried_not_refused(
    stripe_org, stripe_server, accountant
):
    invoice = paid_invoice(stripe_org, server=stripe_server)
    stripe_server.fail_posts = [(409, "idempotency_key_in_use")]

    refund = run_now(_request(invoice, "10.00", accountant))

    assert refund.status == Refund.Status.REFUNDED
    assert refund.attempts == 2
    assert len(stripe_server.refunds) == 1
