"""The automation status fragment of any tracked record, and its Retry button."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activity import services
from activity.models import Cause
from invoices.models import Invoice
from tests.conftest import HTMX
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def _url(invoice: Invoice) -> str:
    return reverse("activity:record_status", args=[invoice.process.name, invoice.pk])


def _fail(invoice: Invoice, cause: str, details: dict) -> Invoice:
    services.record_failure(
        record=invoice,
        from_statuses=(invoice.status,),
        process=invoice.process.name,
        cause=cause,
        message="failed",
        details=details,
        attempt=4,
    )
    invoice.refresh_from_db()
    return invoice


def test_a_worker_lost_failure_explains_itself_and_offers_retry(accountant_client, organisation):
    invoice = _fail(
        InvoiceFactory(organisation=organisation),
        Cause.INTERNAL,
        {"error": "WorkerLost", "reason": "worker_lost", "attempts": 3},
    )

    content = accountant_client.get(_url(invoice), headers=HTMX).content.decode()

    assert "cause-internal" in content
    assert "stopped during each of the last 3 attempts" in content
    assert reverse("activity:retry", args=[invoice.process.name, invoice.pk]) in content
    assert "every 2s" not in content  # a failed record is not polled


def test_missing_fields_link_to_where_they_are_fixed(accountant_client, organisation):
    invoice = InvoiceFactory(organisation=organisation)
    customer_url = invoice.customer.get_absolute_url()
    invoice = _fail(
        invoice,
        Cause.MISSING_DATA,
        {
            "fields": [
                {"record": "Client", "field": "city", "label": "city", "fix_url": customer_url}
            ]
        },
    )

    content = accountant_client.get(_url(invoice), headers=HTMX).content.decode()

    assert f'href="{customer_url}"' in content
    assert "city" in content


def test_a_record_waiting_for_an_automatic_retry_shows_it_and_keeps_polling(
    accountant_client, organisation
):
    invoice = InvoiceFactory(organisation=organisation)
    Invoice.objects.filter(pk=invoice.pk).update(
        status=Invoice.Status.QUEUED,
        next_retry_at=timezone.now() + timedelta(seconds=30),
        last_cause=Cause.CONNECTIVITY,
        last_error_details={"service": "storage", "error": "disk full"},
        attempts=1,
    )

    content = accountant_client.get(_url(invoice), headers=HTMX).content.decode()

    assert 'class="badge retrying"' in content
    assert "every 2s" in content
    assert "disk full" in content


def test_another_organisations_record_is_a_404(other_accountant_client, organisation):
    invoice = InvoiceFactory(organisation=organisation)

    assert other_accountant_client.get(_url(invoice)).status_code == 404


def test_an_unknown_process_is_a_404(accountant_client, organisation):
    invoice = InvoiceFactory(organisation=organisation)

    url = reverse("activity:record_status", args=["nothing", invoice.pk])
    assert accountant_client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("shown", "now", "redraw"),
    [
        ("queued", "failed", True),  # the outcome: the whole record section is redrawn
        ("generating", "generated", True),
        ("queued", "generating", False),  # still in progress: the fragment is enough
        ("failed", "failed", False),
    ],
)
def test_the_poll_asks_the_page_to_redraw_when_the_record_came_out_of_progress(
    shown, now, redraw, accountant_client, organisation
):
    invoice = InvoiceFactory(organisation=organisation, status=now)

    response = accountant_client.get(_url(invoice), {"shown": shown}, headers=HTMX)

    assert response.status_code == 200
    assert ("record-changed" in response.get("HX-Trigger", "")) is redraw


def test_a_record_page_redraws_its_whole_section_on_record_changed(accountant_client, organisation):
    invoice = InvoiceFactory(organisation=organisation, status="queued")

    html = accountant_client.get(invoice.get_absolute_url()).content.decode()

    main = html.split('<main id="main"', 1)[1].split(">", 1)[0]
    assert f'hx-get="{invoice.get_absolute_url()}"' in main
    assert 'hx-trigger="record-changed from:body"' in main
    assert 'hx-select="#main"' in main
    assert '?shown=queued" hx-trigger="every 2s"' in html
