"""The Activity Log names a record by its content type and id: whatever the record was
called when an entry was written (a draft's "Draft #12", its number later), its history
is found by any of its names and shown under its current one, in the reader's language."""

import pytest
from django.urls import reverse
from django.utils import translation

from activity.models import ActivityLog
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now

pytestmark = pytest.mark.django_db

URL = reverse("activity:log")


@pytest.fixture
def invoice(organisation):
    invoice = generate_now(InvoiceFactory(organisation=organisation))
    # written while it was a draft, then once it had its number
    assert {e.record_label for e in ActivityLog.objects.for_record(invoice)} == {
        f"Draft #{invoice.pk}",
        invoice.number,
    }
    return invoice


def _rows(client, **query) -> int:
    html = client.get(URL, query).content.decode()
    return html.count('<tr class="level-')


@pytest.mark.parametrize(
    "name",
    ["{number}", "{pk}", "#{pk}", "Draft #{pk}", "Brouillon n° {pk}", "{number_lower}"],
)
def test_any_name_of_the_record_finds_its_whole_history(accountant_client, invoice, name):
    text = name.format(pk=invoice.pk, number=invoice.number, number_lower=invoice.number.lower())

    assert _rows(accountant_client, record=text) == ActivityLog.objects.for_record(invoice).count()


def test_entries_show_the_records_current_name(accountant_client, invoice):
    html = accountant_client.get(URL, {"record": invoice.number}).content.decode()

    assert f"Draft #{invoice.pk}" not in html
    assert (
        html.count(f"<td>{invoice.number}</td>") == ActivityLog.objects.for_record(invoice).count()
    )


def test_a_draft_reads_in_the_readers_language(accountant_client, organisation):
    draft = InvoiceFactory(organisation=organisation)
    from activity import services

    services.log_event(record=draft, process="invoice_generation", event="queued")

    with translation.override("fr"):
        accountant_client.cookies["django_language"] = "fr"
        html = accountant_client.get(URL, headers={"Accept-Language": "fr"}).content.decode()

    assert f"Brouillon n° {draft.pk}" in html


def test_another_organisations_record_of_the_same_number_is_not_listed(
    accountant_client, invoice, other_organisation
):
    theirs = generate_now(InvoiceFactory(organisation=other_organisation))
    assert theirs.number == invoice.number  # each organisation has its own series

    assert (
        _rows(accountant_client, record=invoice.number)
        == ActivityLog.objects.for_record(invoice).count()
    )
