import pytest
from django.urls import reverse

from activity import services
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

URL = reverse("dashboard")


def test_the_dashboard_counts_each_process_records_by_status(accountant_client, organisation):
    InvoiceFactory.create_batch(2, organisation=organisation, status="failed")
    InvoiceFactory(organisation=organisation)

    response = accountant_client.get(URL, headers={"Accept-Language": "en"})

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("invoices:list")}?status=failed"><span class="n">2</span>' in html
    assert f'href="{reverse("emails:list")}?status=failed"><span class="n">0</span>' in html
    assert f'href="{reverse("refunds:list")}?status=failed"><span class="n">0</span>' in html


def test_the_dashboard_lists_open_alerts_of_its_organisation_only(
    accountant_client, organisation, other_organisation
):
    mine = InvoiceFactory(organisation=organisation, number="F-2026-000007")
    theirs = InvoiceFactory(organisation=other_organisation, number="F-2026-000008")
    for invoice in (mine, theirs):
        services.record_failure(
            record=invoice,
            from_statuses=(invoice.status,),
            process="invoice_generation",
            cause="missing_data",
            message="m",
            details={},
            attempt=1,
        )

    html = accountant_client.get(URL).content.decode()

    assert "F-2026-000007" in html
    assert "F-2026-000008" not in html


def test_other_organisations_records_are_not_counted(accountant_client, other_organisation):
    InvoiceFactory.create_batch(3, organisation=other_organisation, status="failed")

    html = accountant_client.get(URL).content.decode()

    assert f'href="{reverse("invoices:list")}?status=failed"><span class="n">0</span>' in html


def test_the_dashboard_refuses_post(accountant_client):
    assert accountant_client.post(URL).status_code == 405
