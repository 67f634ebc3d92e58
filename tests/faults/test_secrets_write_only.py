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


@pytest.fixture
def own_smtp_server(organisation, secrets_set):
    CompanySettings.objects.filter(organisation=organisation).update(
        smtp_host="smtp.example.com", smtp_port=587, smtp_username="billing"
    )
    return {"smtp_host": "smtp.example.com", "smtp_port": "587", "smtp_username": "billing"}


def _post_settings(client, **fields):
    from tests.accounts.test_company_settings import _form_data

    response = client.post(reverse("accounts:company_settings"), _form_data(**fields))
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.parametrize(
    ("changed", "cleared", "kept"),
    [
        ({"smtp_host": "smtp.attacker.example"}, "smtp_password", "provider_api_key"),
        ({"smtp_port": "2525"}, "smtp_password", "provider_api_key"),
        ({"smtp_username": "someone-else"}, "smtp_password", "provider_api_key"),
        (
            {"provider_api_base": "https://api.attacker.example/"},
            "provider_api_key",
            "smtp_password",
        ),
        ({"payment_provider": "stripe"}, "provider_api_key", "smtp_password"),
    ],
)
def test_a_stored_secret_is_never_kept_for_another_server(
    admin_client_org, organisation, own_smtp_server, changed, cleared, kept
):
    """Whoever may edit the settings could otherwise point the SMTP host (or the payment
    provider's URL) at their own server and receive the stored secret with the next
    message: left empty, the secret is cleared when where it goes changes."""
    _post_settings(admin_client_org, **{**own_smtp_server, **changed})

    company = CompanySettings.objects.get(organisation=organisation)
    assert getattr(company, cleared) == ""
    assert getattr(company, kept) == {"smtp_password": SMTP_PASSWORD}.get(kept, API_KEY)
    for field, value in changed.items():
        assert str(getattr(company, field)) == value


def test_a_secret_typed_with_its_new_server_is_stored(
    admin_client_org, organisation, own_smtp_server
):
    _post_settings(
        admin_client_org,
        **{**own_smtp_server, "smtp_host": "smtp.new.example", "smtp_password": "new-Pa55"},
    )

    company = CompanySettings.objects.get(organisation=organisation)
    assert (company.smtp_host, company.smtp_password) == ("smtp.new.example", "new-Pa55")


def test_the_same_server_keeps_its_secret(admin_client_org, organisation, own_smtp_server):
    _post_settings(admin_client_org, **own_smtp_server, legal_name="Atelier Renommé SARL")

    company = CompanySettings.objects.get(organisation=organisation)
    assert (company.smtp_password, company.provider_api_key) == (SMTP_PASSWORD, API_KEY)


def test_only_an_api_key_shows_its_last_characters(accountant_client, organisation, secrets_set):
    """An API key's ending tells which key is set; a password's ending is part of it."""
    long_password = "a-long-Smtp-password-Zq9!"
    CompanySettings.objects.filter(organisation=organisation).update(smtp_password=long_password)

    html = accountant_client.get(reverse("accounts:company_settings")).content.decode()

    assert "…4f2a" in html  # the API key's
    assert long_password[-4:] not in html.replace("…4f2a", "")
    assert "Changing SMTP host, SMTP port, SMTP user clears it unless you type it again." in html
