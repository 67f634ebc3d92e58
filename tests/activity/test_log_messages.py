"""Entries are stored as a code and parameters and read in each reader's language, not as
the English sentence of whoever wrote them."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from activity import services
from activity.models import ActivityLog, Event
from invoices.models import Invoice
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def _latest(invoice: Invoice) -> ActivityLog:
    return ActivityLog.objects.for_record(invoice).latest("id")


def _shown(entry: ActivityLog, language: str) -> str:
    with translation.override(language):
        return entry.display_message


def test_a_retry_request_is_stored_as_a_code_with_the_actor(accountant):
    invoice = InvoiceFactory(organisation=accountant.organisation)
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.FAILED)
    invoice.refresh_from_db()

    assert services.retry_record(record=invoice, actor=accountant)

    entry = _latest(invoice)
    assert (entry.event, entry.message_code) == (Event.RETRIED, "activity.retry_requested_by")
    assert entry.message_params == {"actor": accountant.get_username()}
    assert entry.message == f"Retry requested by {accountant.get_username()}"  # for search
    assert _shown(entry, "fr") == f"Nouvelle tentative demandée par {accountant.get_username()}"
    assert _shown(entry, "en") == f"Retry requested by {accountant.get_username()}"


def test_the_sweeper_names_the_status_the_record_was_left_in(organisation, settings):
    settings.TIME_ZONE = "Europe/Paris"
    invoice = InvoiceFactory(organisation=organisation)
    long_ago = timezone.now() - timedelta(hours=2)
    Invoice.objects.filter(pk=invoice.pk).update(
        status=Invoice.Status.GENERATING, started_at=long_ago, task_id="lost"
    )

    services.sweep_stuck_records()

    entry = _latest(invoice)
    assert entry.message_code == "activity.swept"
    assert entry.message_params["status"] == Invoice.Status.GENERATING
    french, english = _shown(entry, "fr"), _shown(entry, "en")
    with translation.override("fr"):
        french_status = str(Invoice.Status.GENERATING.label).lower()
    assert french_status != "generating"
    assert french.startswith("Relancé par la surveillance automatique")
    assert french_status in french
    assert english.startswith("Sent again by the sweeper: it was generating since ")


def test_a_customer_fix_names_the_fields_by_their_verbose_names(
    accountant, accountant_client, organisation
):
    from django.urls import reverse

    from invoices.services import customer_problems

    invoice = InvoiceFactory(organisation=organisation, customer__street="")
    services.record_failure(
        record=invoice,
        from_statuses=(invoice.status,),
        process=invoice.process.name,
        cause="missing_data",
        message="missing street",
        details={"fields": [p.as_dict() for p in customer_problems(invoice.customer)]},
        attempt=1,
    )

    response = accountant_client.post(
        reverse("invoices:fix_customer", args=[invoice.pk]), {"street": "3 quai Voltaire"}
    )

    assert response.status_code in (200, 302)
    entry = _latest(invoice)
    assert (entry.event, entry.message_code) == (Event.FIXED, "invoices.customer_completed")
    assert entry.message_params["fields"] == ["street"]
    assert _shown(entry, "fr").endswith("\u00a0: rue")
    assert _shown(entry, "en").endswith(": street")
