from tests.factories import InvoiceFactory
from tests.matrix import Row

RECORD = {"anonymous": "login", "accountant": "ok", "support": 403, "admin": "ok"}


def _failed_invoice(ctx):
    invoice = InvoiceFactory(organisation=ctx.organisation, status="failed")
    return {"process": "invoice_generation", "pk": invoice.pk}


def _alert(ctx):
    from activity import services

    invoice = InvoiceFactory(organisation=ctx.organisation)
    alert = services.record_failure(
        record=invoice,
        from_statuses=(invoice.status,), process="invoice_generation", cause="connectivity",
        message="test", details={}, attempt=1,
    )  # fmt: skip
    return {"pk": alert.pk}


MATRIX = [
    Row("activity:record_status", RECORD, make=_failed_invoice),
    Row("activity:retry", RECORD, method="post", make=_failed_invoice),
    Row("activity:acknowledge", RECORD, method="post", make=_alert),
]
