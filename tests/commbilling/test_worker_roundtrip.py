"""A task sent by the web process is executed by a real worker on the configured broker."""

import pytest
from django.urls import reverse

from invoices.models import Invoice
from tests.conftest import wait_for
from tests.factories import InvoiceFactory


@pytest.mark.django_db(transaction=True)
def test_issuing_an_invoice_in_the_browser_gets_it_generated_by_the_worker(
    celery_worker, accountant_client, organisation
):
    invoice = InvoiceFactory(organisation=organisation)

    response = accountant_client.post(reverse("invoices:issue", args=[invoice.pk]))

    assert response.status_code == 302
    wait_for(lambda: Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.GENERATED)
    task_id = Invoice.objects.get(pk=invoice.pk).task_id
    assert f"Task invoices.invoice_generation[{task_id}] succeeded" in celery_worker.log()
