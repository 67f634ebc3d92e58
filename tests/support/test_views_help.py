"""The Help button beside every failure opens a pre-filled ticket linked to it."""

import pytest
from django.urls import reverse

from activity.models import ActivityLog
from support.models import Ticket
from tests.support.helpers import failed_invoice

pytestmark = pytest.mark.django_db


def _help_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('support:new')}?{query}"


def test_the_help_button_is_beside_retry_on_a_failed_invoice(accountant_client, organisation):
    invoice, _alert = failed_invoice(organisation)
    response = accountant_client.get(invoice.get_absolute_url())
    expected = f"process=invoice_generation&amp;record={invoice.pk}"
    assert expected in response.text
    assert 'class="button small help"' in response.text


def test_the_help_button_is_on_alerts_and_failed_log_rows(accountant_client, organisation):
    invoice, alert = failed_invoice(organisation)
    alerts = accountant_client.get(reverse("activity:alerts"))
    link = f"process=invoice_generation&amp;record={invoice.pk}&amp;log={alert.activity_id}"
    assert link in alerts.text
    log = accountant_client.get(reverse("activity:log"))
    assert link in log.text


def test_the_form_is_prefilled_from_a_failed_invoice(accountant_client, organisation):
    invoice, alert = failed_invoice(organisation)
    response = accountant_client.get(
        _help_url(process="invoice_generation", record=invoice.pk, log=alert.activity_id)
    )
    assert response.status_code == 200
    assert "Customer address is missing." in response.text
    assert str(invoice) in response.text
    assert response.context["form"].initial["category"] == Ticket.Category.BILLING


def test_submitting_creates_a_ticket_linked_to_the_invoice_and_its_log_entry(
    accountant_client, organisation
):
    invoice, alert = failed_invoice(organisation)
    url = _help_url(process="invoice_generation", record=invoice.pk, log=alert.activity_id)
    response = accountant_client.post(
        url,
        {"subject": "Help", "category": "billing", "priority": "high", "description": "Stuck"},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.record == invoice
    assert ticket.activity_id == alert.activity_id
    assert ticket.context["process"] == "invoice_generation"
    assert ticket.context["record_label"] == str(invoice)
    assert ticket.context["cause"] == "missing_data"
    assert ticket.context["message"] == "Customer address is missing."
    assert ticket.context["log_id"] == alert.activity_id
    page = accountant_client.get(ticket.get_absolute_url())
    assert invoice.get_absolute_url() in page.text  # the ticket links back


def test_a_record_without_log_finds_its_last_failure(accountant_client, organisation):
    invoice, alert = failed_invoice(organisation)
    accountant_client.post(
        _help_url(process="invoice_generation", record=invoice.pk),
        {"subject": "Help", "category": "billing", "priority": "high", "description": "Stuck"},
    )
    assert Ticket.objects.get().activity_id == alert.activity_id


def test_another_organisations_record_or_log_entry_is_a_404(other_accountant_client, organisation):
    invoice, alert = failed_invoice(organisation)
    for url in [
        _help_url(process="invoice_generation", record=invoice.pk),
        _help_url(log=alert.activity_id),
        _help_url(process="invoice_generation", record=invoice.pk, log=alert.activity_id),
    ]:
        assert other_accountant_client.get(url).status_code == 404
        assert other_accountant_client.post(url, {"subject": "x"}).status_code == 404
    assert Ticket.objects.count() == 0


def test_a_log_entry_of_another_record_is_a_404(accountant_client, organisation):
    invoice, _ = failed_invoice(organisation)
    _other, other_alert = failed_invoice(organisation)
    url = _help_url(process="invoice_generation", record=invoice.pk, log=other_alert.activity_id)
    assert accountant_client.get(url).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"process": "nope", "record": "1"},
        {"process": "invoice_generation", "record": "x"},
        {"log": "999999"},
    ],
)
def test_unknown_targets_are_a_404(accountant_client, params):
    assert accountant_client.get(_help_url(**params)).status_code == 404


def test_a_log_entry_alone_is_enough(accountant_client, organisation):
    invoice, alert = failed_invoice(organisation)
    entry = ActivityLog.objects.get(pk=alert.activity_id)
    response = accountant_client.get(_help_url(log=entry.pk))
    assert response.status_code == 200
    assert response.context["help_context"]["record_label"] == str(invoice)
