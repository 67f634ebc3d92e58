"""Issue 14, item 2: secrets are written, never sent back to a browser."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import CompanySettings

pytestmark = pytest.mark.django_db

SMTP_PASSWORD = "smtp-Pa55word-never-shown"
API_KEY = "sk_test_51Hq8ZkLongSecretKey4f2a"


@pytest.fixture
def secrets_set(organisation):
    CompanySettings.objects.filter(organisation=organisation).update(
        smtp_password=SMTP_PASSWORD, provider_api_key=API_KEY
    )


def _assert_no_secret(html: str) -> None:
    assert SMTP_PASSWORD not in html
    assert API_KEY not in html
    # Not even most of it: only the last four characters may be shown.
    assert API_KEY[:-4] not in html


@pytest.mark.parametrize("client_fixture", ["accountant_client", "admin_client_org"])
def test_the_settings_page_never_carries_a_secret(request, client_fixture, secrets_set):
    client = request.getfixturevalue(client_fixture)
    response = client.get(reverse("accounts:company_settings"))
    assert response.status_code == 200
    html = response.content.decode()
    _assert_no_secret(html)
    assert "…4f2a" in html, "the page says which key is set by its last four characters"


def test_the_django_admin_never_carries_a_secret(admin_user, organisation, secrets_set):
    admin_user.is_superuser = admin_user.is_staff = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    company = CompanySettings.objects.get(organisation=organisation)
    html = client.get(reverse("admin:accounts_companysettings_change", args=[company.pk])).content
    _assert_no_secret(html.decode())


def test_saving_the_form_with_empty_secret_fields_keeps_the_stored_secrets(
    admin_client_org, organisation, secrets_set
):
    from tests.accounts.test_company_settings import _form_data

    response = admin_client_org.post(reverse("accounts:company_settings"), _form_data())
    assert response.status_code == 302
    company = CompanySettings.objects.get(organisation=organisation)
    assert (company.smtp_password, company.provider_api_key) == (SMTP_PASSWORD, API_KEY)


def test_a_typed_secret_replaces_the_stored_one(admin_client_org, organisation, secrets_set):
    from tests.accounts.test_company_settings import _form_data

    data = _form_data(provider_api_key="sk_test_new_key_0000000000")
    assert admin_client_org.post(reverse("accounts:company_settings"), data).status_code == 302
    company = CompanySettings.objects.get(organisation=organisation)
    assert company.provider_api_key == "sk_test_new_key_0000000000"
    assert company.smtp_password == SMTP_PASSWORD
