"""The Django admin shows amounts, rates and quantities like every other page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from invoices.models import Invoice
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db
NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("language", "shown"),
    [("fr", f"1{NNBSP}658,40{NBSP}€"), ("en", "€1,658.40")],
)
def test_invoice_totals_in_the_admin_list_are_formatted_for_the_reader(
    admin_client_org, organisation, language, shown
):
    invoice = InvoiceFactory(organisation=organisation)
    Invoice.objects.filter(pk=invoice.pk).update(total_incl_vat=Decimal("1658.40"))

    response = admin_client_org.get(
        reverse("admin:invoices_invoice_changelist"), headers={"accept-language": language}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert shown in html
    assert "1658.40" not in html
    assert "1658,40" not in html


def test_the_amount_column_still_sorts_by_the_amount(admin_client_org, organisation):
    small, large = (
        InvoiceFactory(organisation=organisation),
        InvoiceFactory(organisation=organisation),
    )
    Invoice.objects.filter(pk=small.pk).update(total_incl_vat=Decimal("9.99"))
    Invoice.objects.filter(pk=large.pk).update(total_incl_vat=Decimal("1000.00"))
    changelist = reverse("admin:invoices_invoice_changelist")
    columns = admin_client_org.get(changelist).context["cl"].list_display
    column = [getattr(c, "__name__", c) for c in columns].index("total_incl_vat")

    response = admin_client_org.get(changelist, {"o": str(column)})

    assert [i.pk for i in response.context["cl"].result_list][:2] == [small.pk, large.pk]


def test_bank_statement_lines_show_their_amounts_in_french(admin_client_org, organisation):
    from datetime import date

    from payments.models import BankStatement, BankStatementLine

    statement = BankStatement.objects.create(
        organisation=organisation, filename="releve.xml", source_format="camt053"
    )
    BankStatementLine.objects.create(
        organisation=organisation,
        statement=statement,
        booking_date=date(2026, 11, 2),
        amount=Decimal("12345.60"),
    )

    response = admin_client_org.get(
        reverse("admin:payments_bankstatement_change", args=[statement.pk]),
        headers={"accept-language": "fr"},
    )

    assert response.status_code == 200
    assert f"12{NNBSP}345,60{NBSP}€" in response.content.decode()
