"""Creating and editing draft invoices with their lines."""

from decimal import Decimal

import pytest
from django.urls import reverse

from invoices.models import Invoice
from tests.factories import CustomerFactory, InvoiceFactory

from .helpers import failed_invoice

pytestmark = pytest.mark.django_db
CREATE = reverse("invoices:create")


def _post_data(customer, lines, *, initial=0, notes="", existing=()):
    data = {
        "customer": customer.pk if customer else "",
        "notes": notes,
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(initial),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    for i, pk in enumerate(existing):
        data[f"lines-{i}-id"] = pk
    return data


def _line(description="Conseil", quantity="1", unit_price="100.00", vat_rate="20"):
    return {
        "description": description,
        "quantity": quantity,
        "unit_price": unit_price,
        "vat_rate": vat_rate,
    }


def test_the_form_offers_only_the_organisations_customers(accountant_client, organisation):
    mine = CustomerFactory(organisation=organisation)
    CustomerFactory()

    response = accountant_client.get(CREATE)

    assert list(response.context["form"].fields["customer"].queryset) == [mine]


def test_new_lines_default_to_the_company_vat_rate(accountant_client, organisation):
    organisation.company_settings.default_vat_rate = Decimal("10.00")
    organisation.company_settings.save()

    response = accountant_client.get(CREATE)

    html = response.content.decode()
    assert '<option value="10" selected>' in html
    assert len(response.context["formset"].forms) == 3


def test_creating_a_draft_saves_its_lines_and_decimal_totals(
    accountant_client, accountant, organisation
):
    customer = CustomerFactory(organisation=organisation)
    data = _post_data(
        customer,
        [
            _line(quantity="3", unit_price="33.33"),
            _line("Livres", "1", "10.00", "5.5"),
            {"vat_rate": "20"},  # an untouched extra line, as the browser posts it
        ],
        notes="Bon de commande 42",
    )

    response = accountant_client.post(CREATE, data)

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == invoice.get_absolute_url()
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.organisation == organisation
    assert invoice.created_by == accountant
    assert invoice.notes == "Bon de commande 42"
    assert [line.description for line in invoice.lines.all()] == ["Conseil", "Livres"]
    assert invoice.total_excl_vat == Decimal("109.99")
    assert invoice.total_vat == Decimal("20.55")  # 19.998 → 20.00, 0.55
    assert invoice.total_incl_vat == Decimal("130.54")


def test_a_customer_of_another_organisation_is_refused(accountant_client):
    response = accountant_client.post(CREATE, _post_data(CustomerFactory(), [_line()]))

    assert response.status_code == 200
    assert "customer" in response.context["form"].errors
    assert not Invoice.objects.exists()


def test_line_errors_are_shown_on_their_field(accountant_client, organisation):
    customer = CustomerFactory(organisation=organisation)
    data = _post_data(customer, [_line(quantity="0", vat_rate="19.6")])

    response = accountant_client.post(CREATE, data)

    errors = response.context["formset"].forms[0].errors
    assert set(errors) == {"quantity", "vat_rate"}
    assert response.content.decode().count('class="error" role="alert"') >= 2
    assert not Invoice.objects.exists()


def test_a_draft_needs_at_least_one_line(accountant_client, organisation):
    customer = CustomerFactory(organisation=organisation)

    response = accountant_client.post(CREATE, _post_data(customer, [{"vat_rate": "20"}]))

    assert response.context["formset"].non_form_errors() == ["Add at least one line."]
    assert not Invoice.objects.exists()


def test_editing_a_draft_changes_deletes_and_adds_lines_then_recomputes(
    accountant_client, organisation
):
    invoice = InvoiceFactory(
        organisation=organisation,
        lines=[("A", "1", "10.00", "20"), ("B", "1", "20.00", "20")],
    )
    first, second = invoice.lines.all()
    data = _post_data(
        invoice.customer,
        [
            _line("A", "2", "10.00", "20"),
            {**_line("B", "1", "20.00", "20"), "DELETE": "on"},
            _line("C", "1", "0.01", "0"),
        ],
        initial=2,
        existing=[first.pk, second.pk],
    )

    response = accountant_client.post(reverse("invoices:edit", args=[invoice.pk]), data)

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert [(x.description, x.quantity) for x in invoice.lines.all()] == [
        ("A", Decimal("2.000")),
        ("C", Decimal("1.000")),
    ]
    assert invoice.total_excl_vat == Decimal("20.01")
    assert invoice.total_vat == Decimal("4.00")
    assert invoice.total_incl_vat == Decimal("24.01")


def test_an_issued_invoice_cannot_be_edited(accountant_client, organisation):
    invoice = failed_invoice(organisation)
    url = reverse("invoices:edit", args=[invoice.pk])

    get = accountant_client.get(url)
    post = accountant_client.post(url, _post_data(invoice.customer, [_line()]))

    assert get.status_code == post.status_code == 302
    assert invoice.lines.count() == 1
    assert invoice.lines.get().description == "Conseil"


def test_the_forms_reject_wrong_method(accountant_client, organisation):
    invoice = InvoiceFactory(organisation=organisation)
    assert accountant_client.delete(CREATE).status_code == 405
    assert accountant_client.put(reverse("invoices:edit", args=[invoice.pk])).status_code == 405


def test_another_organisations_draft_is_404(other_accountant_client, organisation):
    invoice = InvoiceFactory(organisation=organisation)
    url = reverse("invoices:edit", args=[invoice.pk])
    assert other_accountant_client.get(url).status_code == 404


def test_the_description_is_escaped(accountant_client, organisation):
    invoice = InvoiceFactory(
        organisation=organisation, lines=[("<script>alert(1)</script>", "1", "1.00", "20")]
    )
    html = accountant_client.get(reverse("invoices:edit", args=[invoice.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
