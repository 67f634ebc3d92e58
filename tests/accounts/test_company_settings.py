import pytest
from django.urls import reverse

from accounts.models import CompanySettings

pytestmark = pytest.mark.django_db

URL = reverse("accounts:company_settings")


def _form_data(**overrides):
    data = {
        "legal_name": "Atelier Test SARL",
        "legal_form": "SARL",
        "share_capital": "10 000,00",
        "registry": "RCS",
        "registry_city": "Paris",
        "vat_regime": "standard",
        "street": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "country": "FR",
        "siren": "732 829 320",
        "siret": "",
        "vat_number": "fr44732829320",
        "iban": "FR14 2004 1010 0505 0001 3M02 606",
        "bic": "",
        "invoice_prefix": "F",
        "credit_note_prefix": "AV",
        "payment_terms_days": "30",
        "default_vat_rate": "20",
        "late_penalty_rate": "12",
        "sender_email": "facturation@example.com",
        "payment_provider": "manual",
    }
    data.update(overrides)
    return data


def test_an_admin_saves_valid_settings_normalised(admin_client_org, organisation):
    response = admin_client_org.post(URL, _form_data())
    assert response.status_code == 302
    company = CompanySettings.objects.get(organisation=organisation)
    assert company.siren == "732829320"
    assert company.vat_number == "FR44732829320"
    assert (company.legal_form, str(company.share_capital)) == ("SARL", "10000.00")
    assert company.iban == "FR1420041010050500013M02606"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("siren", "123456789"),
        ("vat_number", "FR00123456789"),
        ("iban", "FR7630006000011234567890188"),
        ("invoice_prefix", "f-1"),
        ("payment_terms_days", "90"),
    ],
)
def test_invalid_identifiers_are_refused_with_a_field_error(admin_client_org, field, value):
    response = admin_client_org.post(URL, _form_data(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors


def test_an_accountant_reads_the_settings_but_cannot_change_them(accountant_client, organisation):
    assert accountant_client.get(URL).status_code == 200
    assert accountant_client.post(URL, _form_data(legal_name="Hacked")).status_code == 403
    assert CompanySettings.objects.get(organisation=organisation).legal_name != "Hacked"


def test_the_settings_page_refuses_other_methods(admin_client_org):
    assert admin_client_org.put(URL).status_code == 405
