"""The automation core through a real Celery worker, with invoice generation plugged in."""

import pytest

from activity.models import ActivityLog, Alert, Cause, Event
from invoices import services
from invoices.models import Invoice
from tests.conftest import wait_for
from tests.factories import InvoiceFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _settled(invoice: Invoice):
    invoice.refresh_from_db()
    return invoice.status in (Invoice.Status.GENERATED, Invoice.Status.FAILED) and invoice


def test_a_worker_generates_an_invoice_queued_by_the_web_process(celery_worker, accountant):
    invoice = InvoiceFactory(organisation=accountant.organisation)

    assert services.issue_invoice(invoice=invoice, actor=accountant)

    invoice = wait_for(lambda: _settled(invoice))
    assert invoice.status == Invoice.Status.GENERATED, invoice.last_error
    assert invoice.number == f"F-{invoice.issue_date.year}-000001"
    assert invoice.pdf.read().startswith(b"%PDF")
    # The service commits the invoice; the runner logs its success just after.
    wait_for(lambda: ActivityLog.objects.for_record(invoice).filter(event=Event.SUCCEEDED).exists())
    events = list(
        ActivityLog.objects.for_record(invoice).order_by("id").values_list("event", flat=True)
    )
    assert events == [Event.QUEUED, Event.STARTED, Event.SUCCEEDED]


def test_missing_customer_address_fails_at_once_with_an_alert(celery_worker, accountant):
    invoice = InvoiceFactory(
        organisation=accountant.organisation, customer__street="", customer__city=""
    )

    services.issue_invoice(invoice=invoice, actor=accountant)

    invoice = wait_for(lambda: _settled(invoice))
    assert invoice.status == Invoice.Status.FAILED
    assert invoice.last_cause == Cause.MISSING_DATA
    assert {p["field"] for p in invoice.last_error_details["fields"]} == {"street", "city"}
    assert invoice.number is None  # a blocked draft burns no number
    assert invoice.attempts == 1  # missing data is not retried
    alert = Alert.objects.open().get(object_id=invoice.pk)
    assert alert.cause == Cause.MISSING_DATA
