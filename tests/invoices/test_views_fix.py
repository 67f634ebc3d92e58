"""The inline fix of a failed invoice's customer, and the re-run of what it unblocks."""

import pytest
from django.urls import reverse

from activity.models import ActivityLog, Event
from invoices.models import Invoice
from tests.conftest import HTMX
from tests.factories import CustomerFactory, InvoiceFactory

from .helpers import failed_invoice, generate_now

pytestmark = pytest.mark.django_db


def _fix_url(invoice):
    return reverse("invoices:fix_customer", args=[invoice.pk])


def _events(invoice, event):
    return ActivityLog.objects.for_record(invoice).filter(event=event)


def test_the_failed_invoice_page_shows_a_form_with_exactly_the_missing_fields(
    accountant_client, organisation
):
    invoice = failed_invoice(organisation)

    response = accountant_client.get(invoice.get_absolute_url())

    form = response.context["fix_form"]
    assert list(form.fields) == ["street", "city"]
    html = response.content.decode()
    assert 'id="customer-fix"' in html
    assert f'hx-post="{_fix_url(invoice)}"' in html
    assert 'name="street"' in html
    assert 'name="city"' in html
    assert 'name="postal_code"' not in html  # present already, not asked again


def test_an_invalid_field_is_offered_too(accountant_client, organisation):
    invoice = failed_invoice(organisation, customer__street="1 rue X", customer__siren="123")

    response = accountant_client.get(invoice.get_absolute_url())

    assert list(response.context["fix_form"].fields) == ["city", "siren"]


def test_a_generated_invoice_has_no_fix_form(accountant_client, organisation):
    invoice = generate_now(InvoiceFactory(organisation=organisation))

    response = accountant_client.get(invoice.get_absolute_url())

    assert response.context["fix_form"] is None
    assert 'id="customer-fix"' not in response.content.decode()


def test_submitting_blank_fields_shows_field_errors_and_saves_nothing(
    accountant_client, organisation
):
    invoice = failed_invoice(organisation)

    response = accountant_client.post(_fix_url(invoice), {"street": "", "city": ""}, headers=HTMX)

    assert response.status_code == 422
    assert response.templates[0].name == "fix"  # the partial only
    html = response.content.decode()
    assert html.count('class="error"') == 2
    assert "<html" not in html
    invoice.customer.refresh_from_db()
    assert invoice.customer.street == ""
    assert not _events(invoice, Event.FIXED).exists()


def test_submitting_the_fields_saves_the_customer_logs_fixed_and_lists_what_it_unblocks(
    accountant_client, accountant, organisation
):
    invoice = failed_invoice(organisation)
    sibling = failed_invoice(organisation, customer=invoice.customer)
    unrelated = failed_invoice(organisation)

    response = accountant_client.post(
        _fix_url(invoice), {"street": "3 quai Saint-Cosme", "city": "Lyon"}, headers=HTMX
    )

    assert response.status_code == 200
    invoice.customer.refresh_from_db()
    assert (invoice.customer.street, invoice.customer.city) == ("3 quai Saint-Cosme", "Lyon")
    fixed = _events(invoice, Event.FIXED).get()
    assert fixed.actor == accountant
    assert fixed.details["fields"] == ["street", "city"]
    assert set(response.context["unblocked"]) == {invoice, sibling}
    assert unrelated not in response.context["unblocked"]
    html = response.content.decode()
    assert 'id="unblocked"' in html
    assert reverse("invoices:customer_rerun", args=[invoice.customer_id]) in html


def test_a_fix_posted_without_htmx_redirects_to_the_invoice(accountant_client, organisation):
    invoice = failed_invoice(organisation)

    response = accountant_client.post(_fix_url(invoice), {"street": "3 quai", "city": "Lyon"})

    assert response.status_code == 302
    assert response["Location"] == invoice.get_absolute_url()


def test_an_invalid_siren_is_refused_by_the_fix_form(accountant_client, organisation):
    invoice = failed_invoice(organisation, customer__street="1 rue X", customer__siren="123")

    response = accountant_client.post(
        _fix_url(invoice), {"city": "Lyon", "siren": "123456789"}, headers=HTMX
    )

    assert "siren" in response.context["fix_form"].errors
    invoice.customer.refresh_from_db()
    assert invoice.customer.siren == "123"


def test_rerun_queues_each_unblocked_failure_exactly_once_even_when_posted_twice(
    accountant_client, organisation, django_capture_on_commit_callbacks
):
    invoice = failed_invoice(organisation)
    sibling = failed_invoice(organisation, customer=invoice.customer)
    invoice.customer.street, invoice.customer.city = "3 quai", "Lyon"
    invoice.customer.save()
    url = reverse("invoices:customer_rerun", args=[invoice.customer_id])

    with django_capture_on_commit_callbacks() as first:
        response = accountant_client.post(url, headers=HTMX)
    with django_capture_on_commit_callbacks() as second:
        again = accountant_client.post(url, headers=HTMX)

    assert len(first) == 2  # one task message per record
    assert len(second) == 0
    assert "records-requeued" in response["HX-Trigger"]
    assert set(response.context["requeued"]) == {invoice, sibling}
    assert again.context["requeued"] == []
    for record in (invoice, sibling):
        record.refresh_from_db()
        assert record.status == Invoice.Status.QUEUED
        assert _events(record, Event.RETRIED).count() == 1


def test_rerun_without_htmx_redirects_to_the_customer(accountant_client, organisation):
    invoice = failed_invoice(organisation)

    response = accountant_client.post(
        reverse("invoices:customer_rerun", args=[invoice.customer_id])
    )

    assert response.status_code == 302
    assert response["Location"] == invoice.customer.get_absolute_url()


def test_editing_the_customer_page_offers_the_same_rerun(accountant_client, organisation):
    invoice = failed_invoice(organisation)

    response = accountant_client.get(invoice.customer.get_absolute_url())

    assert response.context["unblocked"] == [invoice]
    assert reverse("invoices:customer_rerun", args=[invoice.customer_id]) in (
        response.content.decode()
    )


def test_a_settings_failure_links_to_the_company_settings(accountant_client, organisation):
    organisation.company_settings.siren = ""
    organisation.company_settings.save()
    invoice = generate_now(InvoiceFactory(organisation=organisation))
    assert invoice.status == Invoice.Status.FAILED

    response = accountant_client.get(invoice.get_absolute_url())

    assert reverse("accounts:company_settings") in response.content.decode()
    assert response.context["fix_form"] is None


def test_fix_rejects_wrong_method(accountant_client, organisation):
    invoice = failed_invoice(organisation)
    assert accountant_client.delete(_fix_url(invoice)).status_code == 405
    url = reverse("invoices:customer_rerun", args=[invoice.customer_id])
    assert accountant_client.get(url).status_code == 405


def test_fix_of_another_organisation_is_404(other_accountant_client, organisation):
    invoice = failed_invoice(organisation)
    response = other_accountant_client.post(_fix_url(invoice), {"street": "x", "city": "y"})
    assert response.status_code == 404
    url = reverse("invoices:customer_rerun", args=[invoice.customer_id])
    assert other_accountant_client.post(url).status_code == 404
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.FAILED


def test_rerun_of_a_customer_without_failures_queues_nothing(accountant_client, organisation):
    customer = CustomerFactory(organisation=organisation)
    response = accountant_client.post(
        reverse("invoices:customer_rerun", args=[customer.pk]), headers=HTMX
    )
    assert response.context["requeued"] == []
