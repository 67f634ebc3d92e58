"""Log-in, log-out, throttling, language and security headers."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_login_page_is_french_by_default(client, settings):
    from commbilling import settings as project_settings

    assert project_settings.LANGUAGE_CODE == "fr"
    settings.LANGUAGE_CODE = project_settings.LANGUAGE_CODE
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.content.decode()


def test_the_language_switcher_turns_the_interface_to_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    response = client.get(reverse("accounts:login"))
    assert response.headers["Content-Language"] == "en"
    assert "Log in" in response.content.decode()


def _log_in(client, user) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302


def test_a_stored_language_never_overrides_what_the_browser_asks_for(client, accountant):
    """Every user has a stored language (French by default): it is for their e-mails, not a
    choice made on this browser."""
    accountant.language = "fr"  # the tests' interface is English by default
    accountant.save()

    _log_in(client, accountant)

    assert client.get(reverse("dashboard")).headers["Content-Language"] == "en"
    assert not client.cookies.get("django_language")


def test_a_language_chosen_becomes_the_users_own(client, accountant):
    """Chosen before logging in (on the login page) or after: remembered as theirs, so
    their e-mails (support replies, incident notices) are written in it too."""
    accountant.language = "fr"
    accountant.save()
    client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})

    _log_in(client, accountant)
    accountant.refresh_from_db()
    assert accountant.language == "en"

    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    accountant.refresh_from_db()
    assert accountant.language == "fr"
    assert client.get(reverse("dashboard")).headers["Content-Language"] == "fr"


def test_an_accountant_logs_in_and_lands_on_the_dashboard(client, accountant):
    response = client.post(
        reverse("accounts:login"), {"username": accountant.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_every_page_asks_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_repeated_wrong_passwords_lock_the_account_for_a_while(client, accountant, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": accountant.username, "password": "no"})
    response = client.post(
        reverse("accounts:login"), {"username": accountant.username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode() or (
        "tentatives" in response.content.decode()
    )


def test_pages_carry_a_content_security_policy_without_inline_scripts(accountant_client):
    response = accountant_client.get(reverse("dashboard"))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    html = response.content.decode()
    assert "<script>" not in html  # every script is an external file
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_media_files_are_never_served_by_url(accountant_client):
    assert accountant_client.get("/private-media-not-served/invoices/x.pdf").status_code == 404
    assert accountant_client.get("/media/invoices/x.pdf").status_code == 404


def test_an_htmx_post_without_the_csrf_token_is_refused(accountant, organisation):
    from django.test import Client

    from tests.factories import InvoiceFactory

    client = Client(enforce_csrf_checks=True)
    client.force_login(accountant)
    invoice = InvoiceFactory(organisation=organisation, status="failed")
    response = client.post(
        reverse("activity:retry", args=["invoice_generation", invoice.pk]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 403
