from invoices.processes import GENERATION
from tests.factories import InvoiceFactory
from tests.matrix import ACCOUNTANT_PAGE, Row


def _batch(ctx):
    from batches import services

    InvoiceFactory(organisation=ctx.organisation)
    batch = services.start_batch(
        organisation=ctx.organisation, action="generate_month", params={}, actor=None, token="t"
    )
    return {"pk": batch.pk}


MATRIX = [
    Row("batches:detail", ACCOUNTANT_PAGE, make=_batch),
    Row("batches:cancel", ACCOUNTANT_PAGE, method="post", make=_batch),
    Row("batches:generate_month", ACCOUNTANT_PAGE),
    Row("batches:generate_month", ACCOUNTANT_PAGE, method="post", data={"token": "m"}),
    Row("batches:retry", ACCOUNTANT_PAGE),
    Row(
        "batches:retry",
        ACCOUNTANT_PAGE,
        method="post",
        data={"process": GENERATION.name, "cause": "missing_data", "token": "r"},
    ),
    Row("batches:send_invoices", ACCOUNTANT_PAGE, method="post", data={"ids": ["1"]}),
]
