from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from threading import Thread

import pytest

from accounts.models import CompanySettings
from tests.emails.conftest import smtp_server, smtp_server_factory  # noqa: F401
from tests.factories import InvoiceFactory

from .stripe_server import GOOD_KEY, FakeStripe


@pytest.fixture
def stripe_server() -> Iterator[FakeStripe]:
    server = FakeStripe()
    thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    if server.stall_after_create is not None:
        server.stall_after_create.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def stripe_org(organisation, stripe_server):
    """The organisation refunds through the local Stripe server."""
    CompanySettings.objects.filter(organisation=organisation).update(
        payment_provider=CompanySettings.PaymentProvider.STRIPE,
        provider_api_key=GOOD_KEY,
        provider_api_base=stripe_server.url,
    )
    return organisation


def paid_invoice(organisation, *, server: FakeStripe | None = None, paid: str = "240.00", **kw):
    """An issued invoice of 240 € incl. VAT (2 x 100 € + 20 % VAT), paid by card."""
    invoice = InvoiceFactory.create(organisation=organisation, **kw)
    invoice.number = invoice.number or f"F-2026-{invoice.pk:06d}"
    invoice.status = "paid"
    invoice.amount_paid = Decimal(paid)
    invoice.payment_reference = invoice.payment_reference or f"pi_{invoice.pk:08d}"
    invoice.issue_date = invoice.issue_date or date(2026, 3, 2)
    invoice.save()
    if server is not None:
        server.charges[invoice.payment_reference] = int(Decimal(paid) * 100)
    return invoice
