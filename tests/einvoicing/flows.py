"""E-invoices in real states, reached through the real generation and transmission paths
(the runner in this process, no worker)."""

from einvoicing.models import EInvoice
from einvoicing.tasks import transmit_einvoice
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now


def transmit_now(einvoice: EInvoice) -> EInvoice:
    einvoice.refresh_from_db()
    transmit_einvoice.apply(args=[einvoice.pk], task_id=einvoice.task_id)
    einvoice.refresh_from_db()
    return einvoice


def generated_einvoice(organisation, **kwargs) -> EInvoice:
    invoice = generate_now(InvoiceFactory(organisation=organisation, **kwargs))
    return invoice.einvoice
