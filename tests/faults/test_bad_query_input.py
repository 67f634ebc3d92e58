"""Issue 14, item 3: malformed query parameters answer clearly, never a 500."""

import pytest
from django.urls import reverse

from accounts.models import CompanySettings
from commbilling.pagination import parse_id

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42),
        ("²", None),  # str.isdigit() is True, int() refuses it
        ("٤٢", None),  # Arabic-Indic digits: int() would read 42
        ("", None),
        (None, None),
        ("-1", None),
        ("1e3", None),
        ("9" * 19, None),  # longer than a bigint
        ("9" * 18, int("9" * 18)),
    ],
)
def test_parse_id_reads_ascii_ids_only(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("url_name", ["activity:log", "emails:list", "refunds:list"])
@pytest.mark.parametrize("cursor", ["²", "٤٢", "9" * 40, "abc"])
def test_a_malformed_cursor_shows_the_first_page(accountant_client, url_name, cursor):
    response = accountant_client.get(reverse(url_name), {"cursor": cursor})
    assert response.status_code == 200


def test_bulk_send_ignores_ids_that_are_not_ids(accountant_client):
    response = accountant_client.post(reverse("batches:send_invoices"), {"ids": ["²", "٤٢", "x"]})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "url_name",
    ["invoices:list", "invoices:customer_list", "emails:list", "refunds:list", "activity:log"],
)
def test_a_nul_character_in_a_search_is_refused_with_a_clear_message(accountant_client, url_name):
    response = accountant_client.get(reverse(url_name), {"q": "abc\x00def"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_character_in_a_url_encoded_post_is_refused(admin_client_org):
    response = admin_client_org.post(
        reverse("accounts:company_settings"),
        "legal_name=A%00B",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_a_nul_character_in_a_multipart_form_is_a_field_error(admin_client_org, organisation):
    before = CompanySettings.objects.get(organisation=organisation).legal_name
    response = admin_client_org.post(reverse("accounts:company_settings"), {"legal_name": "A\x00B"})
    assert response.status_code == 200
    assert response.context["form"].errors["legal_name"]
    assert CompanySettings.objects.get(organisation=organisation).legal_name == before
