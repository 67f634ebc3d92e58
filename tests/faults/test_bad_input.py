"""Issue 14 item 3: bad input gets a message in the form (or is ignored), never a 500,
and nothing out of the business bounds is stored."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import CompanySettings
from commbilling.forms import MAX_INVOICE_LINES
from emails.models import EmailMessage
from invoices.models import Invoice, InvoiceLine
from tests.accounts.test_company_settings import _form_data
from tests.factories import CustomerFactory, InvoiceFactory
from tests.invoices.test_views_invoice_form import _line, _post_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["activity:log", "emails:list", "refunds:list", "invoices:list"])
@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "²"},
        {"cursor": "٣"},
        {"cursor": "9" * 40},
        {"cursor": "-1"},
        {"page": "²"},
    ],
)
def test_malformed_query_parameters_never_fail(admin_client_org, url, params):
    response = admin_client_org.get(reverse(url), params)
    assert response.status_code == 200


@pytest.mark.parametrize("ids", [["²"], ["٣", "1"], ["9" * 40], ["-3"]])
def test_bulk_send_ignores_ids_that_are_not_ids(accountant_client, organisation, ids):
    response = accountant_client.post(reverse("batches:send_invoices"), {"ids": ids})
    assert response.status_code == 302
    assert not EmailMessage.objects.exists()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (_line(quantity="999999999", unit_price="1000000"), "less than or equal to"),
        (_line(quantity="999999", unit_price="9999999.99"), "A line cannot exceed"),
        (_line(unit_price="-10"), "greater than or equal to 0"),
        (_line(vat_rate="99"), "Select a valid choice"),
        (_line(quantity="0"), "greater than or equal to 0.001"),
        (_line(unit_price="1e400"), ""),
        (_line(unit_price="NaN"), ""),
    ],
)
def test_invoice_lines_out_of_bounds_are_refused_with_a_message(
    accountant_client, organisation, line, message
):
    customer = CustomerFactory(organisation=organisation)
    response = accountant_client.post(reverse("invoices:create"), _post_data(customer, [line]))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["formset"].errors or response.context["formset"].non_form_errors()
    assert not Invoice.objects.exists()


def test_an_invoice_above_a_billion_is_refused(accountant_client, organisation):
    customer = CustomerFactory(organisation=organisation)
    big = _line(quantity="10", unit_price="9999999.99", vat_rate="20")
    data = _post_data(customer, [big] * 9)
    data["lines-MAX_NUM_FORMS"] = "1000"

    response = accountant_client.post(reverse("invoices:create"), data)

    assert response.status_code == 200
    assert "An invoice cannot exceed" in response.content.decode()
    assert not InvoiceLine.objects.exists()


def test_an_invoice_of_more_lines_than_the_bound_is_refused_and_never_built(
    accountant_client, organisation
):
    customer = CustomerFactory(organisation=organisation)
    data = _post_data(customer, [_line()] * (MAX_INVOICE_LINES + 1))
    data["lines-TOTAL_FORMS"] = "9" * 40  # a forged count: at most the bound is built

    response = accountant_client.post(reverse("invoices:create"), data)

    assert response.status_code == 200
    assert len(response.context["formset"].forms) == MAX_INVOICE_LINES
    assert response.context["formset"].non_form_errors()
    assert not Invoice.objects.exists()


def test_the_largest_accepted_line_is_stored_exactly(accountant_client, organisation):
    customer = CustomerFactory(organisation=organisation)
    line = _line(quantity="10", unit_price="9999999.99", vat_rate="20")
    response = accountant_client.post(reverse("invoices:create"), _post_data(customer, [line]))

    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.total_incl_vat == Decimal("119999999.88")


def test_editing_a_draft_with_a_negative_price_is_refused(accountant_client, organisation):
    invoice = InvoiceFactory.create(organisation=organisation)
    existing = list(invoice.lines.values_list("pk", flat=True))
    lines = [_line(unit_price="-60")] * len(existing)
    data = _post_data(invoice.customer, lines, initial=len(existing), existing=existing)
    response = accountant_client.post(reverse("invoices:edit", args=[invoice.pk]), data)

    assert response.status_code == 200
    assert not InvoiceLine.objects.filter(unit_price__lt=0).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("smtp_port", "99999999"),
        ("smtp_port", "0"),
        ("smtp_port", "99999999999999999999999"),
        ("default_vat_rate", "99"),
        ("default_vat_rate", "7"),
        ("late_penalty_rate", "-1"),
        ("late_penalty_rate", "1000"),
        ("refund_approval_threshold", "-1"),
        ("refund_approval_threshold", "1e20"),
    ],
)
def test_company_settings_out_of_bounds_are_refused(admin_client_org, organisation, field, value):
    before = CompanySettings.objects.filter(organisation=organisation).values().get()
    response = admin_client_org.post(
        reverse("accounts:company_settings"), _form_data(**{field: value})
    )

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert CompanySettings.objects.filter(organisation=organisation).values().get() == before


def test_an_oversized_username_gets_a_message_not_a_500(client, accountant):
    # The log-in throttling's record of a failure holds 255 characters of username.
    response = client.post(
        reverse("accounts:login"), {"username": "x" * 5000, "password": "wrong-password"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["username"]


@pytest.mark.parametrize("next_url", ["dashboard", "9" * 40, "//evil.example.com/", "http://x.y/"])
def test_acknowledging_goes_back_only_to_a_path_of_this_site(
    accountant_client, organisation, next_url
):
    from incidents.models import Incident
    from tests.incidents.helpers import fail_invoice

    fail_invoice(organisation)
    incident = Incident.objects.get(organisation=organisation)

    response = accountant_client.post(
        reverse("incidents:acknowledge", args=[incident.pk]), {"next": next_url}
    )

    assert response.status_code == 302
    assert response.url == reverse("incidents:list")
