import itertools
from datetime import date
from decimal import Decimal

from tests.factories import InvoiceFactory
from tests.matrix import ACCOUNTANT_PAGE, Row

RECORD = {"anonymous": "login", "accountant": "ok", "support": 403, "admin": "ok"}
# Page crawls build every row's record in one organisation: each issued invoice its own number.
_NUMBERS = itertools.count(31)


def _issued(ctx):
    return InvoiceFactory(
        organisation=ctx.organisation, number=f"F-2026-{next(_NUMBERS):06d}", status="generated",
        issue_date=date(2026, 11, 1), due_date=date(2026, 12, 1),
    )  # fmt: skip


def _invoice(ctx):
    return {"invoice_pk": _issued(ctx).pk}


def _payment(ctx):
    from payments.services import record_payment

    payment = record_payment(
        invoice=_issued(ctx), amount=Decimal("10.00"), paid_on=date(2026, 11, 2),
        actor=ctx.accountant,
    )  # fmt: skip
    return {"pk": payment.pk}


def _statement(ctx):
    from payments.statements import import_statement

    invoice = _issued(ctx)
    statement = import_statement(
        organisation=ctx.organisation, filename="r.csv", actor=ctx.accountant,
        content=f"date;libelle;montant\n02/11/2026;{invoice.number};10,00\n".encode(),
    )  # fmt: skip
    return statement


def _statement_pk(ctx):
    return {"pk": _statement(ctx).pk}


def _line_pk(ctx):
    return {"pk": _statement(ctx).lines.get().pk}


MATRIX = [
    Row("payments:record", RECORD, make=_invoice),
    Row("payments:cancel", RECORD, method="post", make=_payment, data={"reason": "x"}),
    Row("payments:statements", ACCOUNTANT_PAGE),
    Row("payments:statement", RECORD, make=_statement_pk),
    Row("payments:statement_confirm", RECORD, method="post", make=_statement_pk),
    Row("payments:line_confirm", RECORD, method="post", make=_line_pk),
]
