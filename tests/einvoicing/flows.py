"""E-invoices in real states, reached through the real generation and transmission paths
(the runner in this process, no worker): drafts built by the factories, then issued."""

from einvoicing.models import EInvoice
from einvoicing.processes import TRANSMISSION
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now


def transmit_now(einvoice: EInvoice) -> EInvoice:
    einvoice.refresh_from_db()
    TRANSMISSION.task.apply(args=[einvoice.pk], task_id=einvoice.task_id)
    einvoice.refresh_from_db()
    return einvoice


def generated_einvoice(organisation, **kwargs) -> EInvoice:
    """A draft issued and generated: its transmission is queued with the generation."""
    invoice = generate_now(InvoiceFactory.create(organisation=organisation, **kwargs))
    return invoice.einvoice


def lost_einvoice(organisation, platform_server) -> EInvoice:
    """A transmission whose every answer was lost (503 after sending) and whose lookups
    failed: À vérifier, while the platform holds no flow."""
    platform_server.fail_next = [503] * 10
    platform_server.fail_reads = 10
    einvoice = transmit_now(generated_einvoice(organisation))
    assert einvoice.status == EInvoice.Status.UNKNOWN
    assert platform_server.accepted_flows() == []
    platform_server.fail_next, platform_server.fail_reads = [], 0
    return einvoice
