"""Totals, VAT and rounding of invoices, in Decimal, on awkward amounts."""

from decimal import Decimal

import pytest

from invoices.models import InvoiceLine, round_money
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db
D = Decimal


def _totals(invoice):
    return invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat


def test_round_money_is_half_up_not_bankers():
    assert round_money(D("0.005")) == D("0.01")
    assert round_money(D("0.015")) == D("0.02")
    assert round_money(D("0.025")) == D("0.03")  # banker's rounding would give 0.02
    assert round_money(D("0.0049")) == D("0.00")
    assert round_money(D("-0.005")) == D("-0.01")


def test_each_line_is_rounded_half_up_on_its_own():
    line = InvoiceLine(quantity=D("1"), unit_price=D("0.05"), vat_rate=D("10"))

    assert line.total_excl_vat == D("0.05")
    assert line.vat_amount == D("0.01")  # 0.005 → 0.01
    assert line.total_incl_vat == D("0.06")


def test_three_times_33_333_is_rounded_per_line():
    # 33.333 units at 3.00: 99.999 → 100.00, then 20 % VAT on the rounded base.
    invoice = InvoiceFactory(lines=[("Heures", "33.333", "3.00", "20")])

    assert _totals(invoice) == (D("100.00"), D("20.00"), D("120.00"))


def test_vat_is_rounded_per_line_not_on_the_total():
    invoice = InvoiceFactory(lines=[("Tiers", "1", "33.33", "20")] * 3)

    # Each line: 6.666 → 6.67, so 20.01 (rounding the total would give 20.00).
    assert _totals(invoice) == (D("99.99"), D("20.01"), D("120.00"))


def test_a_fractional_quantity_rounds_the_line_once():
    invoice = InvoiceFactory(lines=[("Heures", "1.333", "45.00", "20")])

    # 59.985 → 59.99; VAT 11.998 → 12.00
    assert _totals(invoice) == (D("59.99"), D("12.00"), D("71.99"))


def test_mixed_rates_are_summed_per_rate_in_the_breakdown():
    invoice = InvoiceFactory(
        lines=[
            ("Livre", "1", "19.99", "5.5"),
            ("Livre 2", "1", "9.99", "5.5"),
            ("Repas", "3", "18.35", "10"),
            ("Conseil", "1", "650.00", "20"),
            ("Presse", "2", "1.45", "2.1"),
            ("Formation", "1", "420.00", "0"),
        ]
    )

    breakdown = [(b["rate"], b["base"], b["vat"]) for b in invoice.vat_breakdown()]

    assert breakdown == [
        (D("0.00"), D("420.00"), D("0.00")),
        (D("2.10"), D("2.90"), D("0.06")),  # 0.0609
        (D("5.50"), D("29.98"), D("1.65")),  # 1.09945 → 1.10, 0.54945 → 0.55
        (D("10.00"), D("55.05"), D("5.51")),  # 5.505 → 5.51
        (D("20.00"), D("650.00"), D("130.00")),
    ]
    assert _totals(invoice) == (D("1157.93"), D("137.22"), D("1295.15"))


def test_two_point_one_percent_vat_on_a_small_amount():
    invoice = InvoiceFactory(lines=[("Journal", "1", "2.50", "2.1")])

    assert _totals(invoice) == (D("2.50"), D("0.05"), D("2.55"))  # 0.0525 → 0.05


def test_zero_vat_gives_a_zero_vat_total():
    invoice = InvoiceFactory(lines=[("Export", "4", "12.34", "0")])

    assert _totals(invoice) == (D("49.36"), D("0.00"), D("49.36"))


def test_an_invoice_without_lines_totals_zero():
    invoice = InvoiceFactory(lines=[])

    assert _totals(invoice) == (D("0.00"), D("0.00"), D("0.00"))
    assert invoice.vat_breakdown() == []


def test_totals_are_decimal_and_survive_a_save():
    invoice = InvoiceFactory(lines=[("A", "1", "0.10", "20"), ("B", "1", "0.20", "20")])
    invoice.refresh_from_db()

    assert all(isinstance(value, Decimal) for value in _totals(invoice))
    assert _totals(invoice) == (D("0.30"), D("0.06"), D("0.36"))
