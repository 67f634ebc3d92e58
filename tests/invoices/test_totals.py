"""Totals come from the lines through one function, and stored totals always equal it."""

from decimal import Decimal

import pytest

from invoices.models import Invoice, VatCategory, compute_totals
from tests.factories import CustomerFactory, InvoiceFactory
from tests.invoices.helpers import generate_now

pytestmark = pytest.mark.django_db


class Line:
    def __init__(self, quantity, price, rate, category=VatCategory.STANDARD):
        from invoices.models import InvoiceLine

        self._line = InvoiceLine(
            quantity=Decimal(quantity), unit_price=Decimal(price), vat_rate=Decimal(rate)
        )
        self.vat_category = category
        self.vat_rate = self._line.vat_rate
        self.total_excl_vat = self._line.total_excl_vat
        self.vat_amount = self._line.vat_amount


@pytest.mark.parametrize(
    ("lines", "excl", "vat", "incl"),
    [
        ([Line("1", "0.05", "20")], "0.05", "0.01", "0.06"),  # half-up per line
        ([Line("3", "33.33", "5.5"), Line("1", "10", "20")], "109.99", "7.50", "117.49"),
        ([Line("2", "100", "0", "AE"), Line("1", "100", "20")], "300.00", "20.00", "320.00"),
        ([Line("0.333", "10", "10")], "3.33", "0.33", "3.66"),
    ],
)
def test_compute_totals_rounds_each_line_then_sums_per_rate(lines, excl, vat, incl):
    totals = compute_totals(lines)
    assert (totals.excl_vat, totals.vat, totals.incl_vat) == tuple(
        Decimal(v) for v in (excl, vat, incl)
    )


def test_the_breakdown_keeps_categories_apart_at_the_same_rate():
    totals = compute_totals([Line("1", "100", "0", "AE"), Line("1", "50", "0", "G")])
    assert [(b["category"], b["base"]) for b in totals.breakdown] == [
        ("AE", Decimal("100.00")),
        ("G", Decimal("50.00")),
    ]


def test_stored_totals_equal_recomputed_totals_for_every_issued_invoice(organisation):
    specs = [
        [("Conseil", "3", "333.33", "20")],
        [("Repas", "7", "12.99", "10"), ("Livre", "3", "7.45", "5.5"), ("Cd", "1", "9.9", "2.1")],
        [("Audit", "1", "1234.56", "0", "AE")],
        [("Remise", "0.5", "19.99", "20"), ("Pièce", "12", "0.07", "20")],
    ]
    for lines in specs:
        customer = CustomerFactory(organisation=organisation, vat_number="FR44732829320")
        generate_now(InvoiceFactory(organisation=organisation, lines=lines, customer=customer))
    issued = Invoice.objects.issued()
    assert issued.count() == len(specs)
    for invoice in issued:
        totals = invoice.totals()
        assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
            totals.excl_vat,
            totals.vat,
            totals.incl_vat,
        ), invoice.number
