"""Customers: list with search and pages, create, edit with field-level errors."""

import pytest
from django.urls import reverse

from invoices.models import Customer
from tests.conftest import HTMX
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
LIST = reverse("invoices:customer_list")
CREATE = reverse("invoices:customer_create")

VALID = {
    "customer_type": "business",
    "legal_name": "Boulangerie Martin SARL",
    "contact_name": "",
    "email": "compta@martin.example",
    "street": "1 place Bellecour",
    "postal_code": "69002",
    "city": "Lyon",
    "country": "fr",
    "siren": "542 051 180",
    "siret": "",
    "vat_number": "",
    "payment_reference": "",
    "language": "fr",
}


def test_the_list_shows_only_the_organisations_customers(accountant_client, organisation):
    mine = CustomerFactory(organisation=organisation)
    CustomerFactory()

    response = accountant_client.get(LIST)

    assert list(response.context["page"]) == [mine]


def test_the_list_searches_by_name_or_email(accountant_client, organisation):
    martin = CustomerFactory(organisation=organisation, legal_name="Boulangerie Martin")
    durand = CustomerFactory(organisation=organisation, email="jean@durand.example")
    CustomerFactory(organisation=organisation, legal_name="Autre")

    assert list(accountant_client.get(LIST, {"q": "martin"}).context["page"]) == [martin]
    assert list(accountant_client.get(LIST, {"q": "DURAND"}).context["page"]) == [durand]


def test_the_list_has_pages(accountant_client, organisation):
    for i in range(52):
        CustomerFactory(organisation=organisation, legal_name=f"Client {i:02d}")

    second = accountant_client.get(LIST, {"page": "2"})

    assert [c.legal_name for c in second.context["page"]] == ["Client 50", "Client 51"]


def test_an_htmx_search_gets_only_the_results(accountant_client, organisation):
    CustomerFactory(organisation=organisation)

    html = accountant_client.get(LIST, {"q": "x"}, headers=HTMX).content.decode()

    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html


def test_a_customer_name_is_escaped_in_the_list(accountant_client, organisation):
    CustomerFactory(organisation=organisation, legal_name="<script>alert(1)</script>")

    html = accountant_client.get(LIST).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_creating_a_customer_normalises_and_scopes_it(accountant_client, organisation):
    response = accountant_client.post(CREATE, VALID)

    customer = Customer.objects.get()
    assert response.status_code == 302
    assert customer.organisation == organisation
    assert customer.siren == "542051180"
    assert customer.country == "FR"


def test_an_invalid_siren_is_an_error_on_its_field(accountant_client):
    response = accountant_client.post(CREATE, {**VALID, "siren": "123456789", "email": "x"})

    form = response.context["form"]
    assert set(form.errors) == {"siren", "email"}
    html = response.content.decode()
    assert 'id="field-siren"' in html
    assert "has-error" in html
    assert not Customer.objects.exists()


def test_editing_a_customer_saves_it(accountant_client, organisation):
    customer = CustomerFactory(organisation=organisation)

    response = accountant_client.post(
        customer.get_absolute_url(), {**VALID, "legal_name": "Nouveau nom"}
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.legal_name == "Nouveau nom"


def test_the_customer_pages_reject_wrong_method(accountant_client, organisation):
    customer = CustomerFactory(organisation=organisation)
    assert accountant_client.post(LIST).status_code == 405
    assert accountant_client.delete(CREATE).status_code == 405
    assert accountant_client.delete(customer.get_absolute_url()).status_code == 405


def test_another_organisations_customer_is_404(other_accountant_client, organisation):
    customer = CustomerFactory(organisation=organisation)
    response = other_accountant_client.post(customer.get_absolute_url(), VALID)
    assert response.status_code == 404
    customer.refresh_from_db()
    assert customer.legal_name != VALID["legal_name"]
