from tests.factories import CustomerFactory, InvoiceFactory
from tests.matrix import ACCOUNTANT_PAGE, Row

RECORD = {"anonymous": "login", "accountant": "ok", "support": 403, "admin": "ok"}


def _invoice(ctx):
    return {"pk": InvoiceFactory(organisation=ctx.organisation).pk}


def _customer(ctx):
    return {"pk": CustomerFactory(organisation=ctx.organisation).pk}


def _generated_invoice(ctx):
    from django.core.files.base import ContentFile

    invoice = InvoiceFactory(organisation=ctx.organisation, number="F-2026-000009")
    invoice.pdf.save("F-2026-000009.pdf", ContentFile(b"%PDF-1.7 test"))
    return {"pk": invoice.pk}


def _failed_invoice(ctx):
    from activity import services as activity
    from invoices.services import customer_problems

    invoice = InvoiceFactory(organisation=ctx.organisation, customer__street="")
    problems = [p.as_dict() for p in customer_problems(invoice.customer)]
    activity.record_failure(
        record=invoice,
        from_statuses=(invoice.status,), process=invoice.process.name, cause="missing_data",
        message="test", details={"fields": problems}, attempt=1,
    )  # fmt: skip
    return {"pk": invoice.pk}


MATRIX = [
    Row("invoices:list", ACCOUNTANT_PAGE),
    Row("invoices:detail", RECORD, make=_invoice),
    Row("invoices:issue", RECORD, method="post", make=_invoice),
    Row("invoices:pdf", RECORD, make=_generated_invoice),
    Row("invoices:customer_edit", RECORD, make=_customer),
    Row("invoices:create", ACCOUNTANT_PAGE),
    Row("invoices:edit", RECORD, make=_invoice),
    Row("invoices:fix_customer", RECORD, make=_failed_invoice),
    Row("invoices:customer_list", ACCOUNTANT_PAGE),
    Row("invoices:customer_create", ACCOUNTANT_PAGE),
    Row("invoices:customer_rerun", RECORD, method="post", make=_customer),
]
