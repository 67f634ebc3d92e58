"""Every admin change to customers, company settings, users and groups is recorded (who,
when, which fields, old and new values) and shown in the admin (django-simple-history)."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.models import CompanySettings, User
from invoices.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(admin_user) -> Client:
    admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    return client


def _changes(record) -> dict[str, tuple]:
    previous = record.prev_record
    delta = record.diff_against(previous)
    return {change.field: (change.old, change.new) for change in delta.changes}


def test_a_customer_edited_in_the_admin_is_recorded_and_shown(
    organisation, admin_user, superuser_client
):
    customer = CustomerFactory(organisation=organisation, city="Lyon")
    url = reverse("admin:invoices_customer_change", args=[customer.pk])
    form = {
        "organisation": organisation.pk, "customer_type": "business",
        "legal_name": customer.legal_name, "contact_name": customer.contact_name,
        "email": customer.email, "street": customer.street,
        "postal_code": customer.postal_code, "city": "Marseille", "country": "FR",
        "siren": customer.siren, "language": "fr",
    }  # fmt: skip
    assert superuser_client.post(url, form).status_code == 302
    record = Customer.history.filter(id=customer.pk).first()
    assert record.history_user == admin_user
    assert record.history_date is not None
    assert _changes(record)["city"] == ("Lyon", "Marseille")
    page = superuser_client.get(reverse("admin:invoices_customer_history", args=[customer.pk]))
    assert page.status_code == 200
    assert b"Marseille" in page.content


def test_company_settings_history_never_keeps_secrets(organisation, superuser_client):
    company = CompanySettings.objects.get(organisation=organisation)
    company.smtp_password = "s3cret-value"
    company.late_penalty_rate = 15
    company.save()
    record = company.history.first()
    assert not hasattr(record, "smtp_password")
    assert not hasattr(record, "provider_api_key")
    assert "late_penalty_rate" in _changes(record)
    url = reverse("admin:accounts_companysettings_history", args=[company.pk])
    page = superuser_client.get(url)
    assert page.status_code == 200
    assert b"s3cret-value" not in page.content


def test_a_role_change_of_a_user_and_a_group_change_are_recorded(admin_user, accountant):
    support = Group.objects.get(name="Support")
    accountant.groups.add(support)
    groups = [{g.group_id for g in record.groups.all()} for record in accountant.history.all()[:1]]
    assert support.pk in groups[0]
    assert not hasattr(accountant.history.first(), "password")
    support.name = "Support N1"
    support.save()
    assert Group.history.filter(id=support.pk).first().name == "Support N1"
    assert User.history.filter(id=accountant.pk).exists()
