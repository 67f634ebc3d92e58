"""The automation core with invoice generation plugged in, run in-process as a worker
would run it (tests/activity/test_robustness_worker.py keeps what only a worker proves)."""

from pathlib import Path

import pytest

from activity import services as activity
from activity.models import ActivityLog, Alert, Cause, Event, Level
from invoices import services
from invoices.models import Invoice
from tests.conftest import run_queued
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _events(invoice: Invoice) -> list[str]:
    return list(
        ActivityLog.objects.for_record(invoice).order_by("id").values_list("event", flat=True)
    )


def test_an_invoice_queued_by_the_web_process_is_generated(accountant):
    invoice = InvoiceFactory(organisation=accountant.organisation)

    assert services.issue_invoice(invoice=invoice, actor=accountant)

    run_queued()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.GENERATED, invoice.last_error
    assert invoice.number == f"F-{invoice.issue_date.year}-000001"
    assert invoice.pdf.read().startswith(b"%PDF")
    events = list(
        ActivityLog.objects.for_record(invoice).order_by("id").values_list("event", flat=True)
    )
    assert events == [Event.QUEUED, Event.STARTED, Event.SUCCEEDED]


def test_missing_customer_address_fails_at_once_with_an_alert(accountant):
    invoice = InvoiceFactory(
        organisation=accountant.organisation, customer__street="", customer__city=""
    )

    services.issue_invoice(invoice=invoice, actor=accountant)

    run_queued()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.FAILED
    assert invoice.last_cause == Cause.MISSING_DATA
    assert {p["field"] for p in invoice.last_error_details["fields"]} == {"street", "city"}
    assert invoice.number is None  # a blocked draft burns no number
    assert invoice.attempts == 1  # missing data is not retried
    alert = Alert.objects.open().get(object_id=invoice.pk)
    assert alert.cause == Cause.MISSING_DATA


def test_missing_address_fails_with_the_fields_and_recovers_after_the_fix(accountant):
    invoice = InvoiceFactory(
        organisation=accountant.organisation,
        customer__street="",
        customer__postal_code="",
        customer__city="",
    )

    services.issue_invoice(invoice=invoice, actor=accountant)
    run_queued()
    invoice.refresh_from_db()

    assert invoice.status == Invoice.Status.FAILED
    assert invoice.last_cause == Cause.MISSING_DATA
    assert [p["field"] for p in invoice.last_error_details["fields"]] == [
        "street",
        "postal_code",
        "city",
    ]
    failed = ActivityLog.objects.for_record(invoice).get(event=Event.FAILED)
    assert (failed.cause, failed.level) == (Cause.MISSING_DATA, Level.ERROR)
    alert = Alert.objects.open().get(object_id=invoice.pk)
    assert alert.cause == Cause.MISSING_DATA
    assert alert.activity == failed

    customer = invoice.customer
    customer.street, customer.postal_code, customer.city = "3 quai Voltaire", "75007", "Paris"
    customer.save()
    assert activity.retry_record(record=invoice, actor=accountant)
    run_queued()
    invoice.refresh_from_db()

    assert invoice.status == Invoice.Status.GENERATED, invoice.last_error
    assert Path(invoice.pdf.path).read_bytes().startswith(b"%PDF")
    assert (invoice.last_cause, invoice.last_error) == ("", "")
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert not Alert.objects.open().exists()
    assert _events(invoice) == [
        Event.QUEUED,
        Event.STARTED,
        Event.FAILED,
        Event.RETRIED,
        Event.STARTED,
        Event.SUCCEEDED,
    ]


def test_a_missing_seller_siren_fails_at_once_without_retries(accountant):
    company = accountant.organisation.company_settings
    company.siren = ""
    company.save()
    invoice = InvoiceFactory(organisation=accountant.organisation)

    services.issue_invoice(invoice=invoice, actor=accountant)
    run_queued()
    invoice.refresh_from_db()

    assert invoice.status == Invoice.Status.FAILED
    assert invoice.last_cause == Cause.WRONG_SETTINGS
    assert [p["field"] for p in invoice.last_error_details["settings"]] == ["siren"]
    assert invoice.attempts == 1
    assert invoice.number is None
    assert _events(invoice) == [Event.QUEUED, Event.STARTED, Event.FAILED]
    assert Alert.objects.open().get(object_id=invoice.pk).cause == Cause.WRONG_SETTINGS
