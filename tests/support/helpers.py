from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from activity import services as activity_services
from support import services
from support.models import Ticket
from tests.factories import InvoiceFactory

PARIS = ZoneInfo("Europe/Paris")


def paris(y, m, d, h=0, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=PARIS)


def make_ticket(*, requester, now=None, **fields) -> Ticket:
    values: dict[str, Any] = {
        "subject": "Invoice will not generate",
        "category": Ticket.Category.BILLING,
        "description": "Help please",
    }
    values.update(fields)
    return services.open_ticket(
        organisation=requester.organisation, requester=requester, now=now, **values
    )


def failed_invoice(organisation, message="Customer address is missing."):
    invoice = InvoiceFactory(organisation=organisation)
    alert = activity_services.record_failure(
        record=invoice,
        from_statuses=(invoice.status,),
        process="invoice_generation",
        cause="missing_data",
        message=message,
        details={},
        attempt=1,
    )
    invoice.refresh_from_db()
    return invoice, alert
