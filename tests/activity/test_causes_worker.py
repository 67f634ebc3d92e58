"""Each cause of failure, end to end through a real worker: what is logged, alerted,
retried, and how the record recovers once the cause is fixed."""

import pytest
from django.urls import reverse

from activity.models import ActivityLog, Alert, Cause, Event, Level
from invoices import services
from invoices.models import Invoice
from tests.conftest import HTMX, wait_for
from tests.factories import InvoiceFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _settled(invoice: Invoice):
    """Failed, or generated with the runner's success logged (the service commits the
    invoice; the runner logs the success and resolves the alert just after)."""
    invoice.refresh_from_db()
    if invoice.status == Invoice.Status.GENERATED:
        succeeded = ActivityLog.objects.for_record(invoice).filter(event=Event.SUCCEEDED)
        return succeeded.exists() and invoice
    return invoice.status == Invoice.Status.FAILED and invoice


def _events(invoice: Invoice) -> list[str]:
    return list(
        ActivityLog.objects.for_record(invoice).order_by("id").values_list("event", flat=True)
    )


def test_unavailable_storage_is_retried_then_fails_then_recovers_on_retry(
    start_worker, accountant, accountant_client, tmp_path
):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a regular file where the media folder should be")
    broken = start_worker(
        name="no-storage",
        # Slower backoff than the suite's, so that the retrying state can be observed.
        extra_env={
            "MEDIA_ROOT": str(blocker / "media"),
            "AUTOMATION_BACKOFF_BASE_SECONDS": "2.0",
            "AUTOMATION_BACKOFF_MAX_SECONDS": "3.0",
        },
    )
    invoice = InvoiceFactory(organisation=accountant.organisation)
    status_url = reverse("activity:record_status", args=[invoice.process.name, invoice.pk])

    services.issue_invoice(invoice=invoice, actor=accountant)

    def retrying():
        invoice.refresh_from_db()
        return invoice.status == Invoice.Status.QUEUED and invoice.next_retry_at is not None

    wait_for(retrying, timeout=30, interval=0.02)
    assert invoice.last_cause == Cause.CONNECTIVITY
    fragment = accountant_client.get(status_url, headers=HTMX).content.decode()
    assert 'class="badge retrying"' in fragment
    assert "every 2s" in fragment  # the badge keeps polling while retries go on

    invoice = wait_for(lambda: _settled(invoice), timeout=30)
    assert invoice.status == Invoice.Status.FAILED
    assert invoice.last_cause == Cause.CONNECTIVITY
    assert invoice.last_error_details["service"] == "storage"
    assert invoice.attempts == 3
    assert invoice.next_retry_at is None
    retried = ActivityLog.objects.for_record(invoice).filter(event=Event.RETRIED)
    assert [(e.attempt, e.cause, e.level) for e in retried.order_by("id")] == [
        (1, Cause.CONNECTIVITY, Level.WARNING),
        (2, Cause.CONNECTIVITY, Level.WARNING),
    ]
    assert ActivityLog.objects.for_record(invoice).filter(event=Event.STARTED).count() == 3
    assert Alert.objects.open().get(object_id=invoice.pk).cause == Cause.CONNECTIVITY
    number = invoice.number
    assert number  # numbered before the storage failed, and kept

    broken.kill()  # idle; a graceful stop of the filesystem broker costs seconds
    start_worker(name="storage-back")
    response = accountant_client.post(
        reverse("activity:retry", args=[invoice.process.name, invoice.pk]), headers=HTMX
    )
    assert response.status_code == 200
    invoice = wait_for(lambda: _settled(invoice))

    assert invoice.status == Invoice.Status.GENERATED, invoice.last_error
    assert invoice.number == number
    assert invoice.pdf.read().startswith(b"%PDF")
    wait_for(lambda: not Alert.objects.open().exists())  # resolved just after the commit
