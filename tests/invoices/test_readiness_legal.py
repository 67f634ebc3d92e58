"""The readiness check on a draft lists what each legal case requires before issue."""

import pytest

from accounts.models import CompanySettings
from invoices import services
from invoices.models import Invoice, OperationCategory
from tests.factories import CustomerFactory, InvoiceFactory
from tests.invoices.helpers import generate_now

pytestmark = pytest.mark.django_db


def _fields(problems) -> set[tuple[str, str, str]]:
    return {(p.model, p.field, p.problem) for p in problems}


@pytest.mark.parametrize(
    ("customer", "line", "operation", "expected"),
    [
        # Reverse charge without the buyer's VAT number cannot be issued.
        (
            {"country": "BE", "siren": "", "vat_number": ""},
            ("Audit", "1", "100", "0", "AE"),
            OperationCategory.SERVICES,
            {("customer", "vat_number", "missing")},
        ),
        # An intra-EU supply of goods goes to another EU country, and is goods.
        (
            {"country": "FR"},
            ("Machine", "1", "100", "0", "K"),
            OperationCategory.SERVICES,
            {
                ("customer", "vat_number", "missing"),
                ("customer", "country", "invalid"),
                ("invoice", "operation_category", "invalid"),
            },
        ),
        # An export leaves the EU.
        (
            {"country": "DE", "vat_number": "DE136695976", "siren": ""},
            ("Machine", "1", "100", "0", "G"),
            OperationCategory.GOODS,
            {("customer", "country", "invalid")},
        ),
        # No French VAT means a 0 rate; an exemption names its article.
        (
            {},
            ("Formation", "1", "100", "20", "E"),
            OperationCategory.SERVICES,
            {
                ("invoiceline", "vat_rate", "invalid"),
                ("invoiceline", "vat_exemption_reason", "missing"),
            },
        ),
        # A standard line takes a French rate.
        (
            {},
            ("Conseil", "1", "100", "7", "S"),
            OperationCategory.SERVICES,
            {("invoiceline", "vat_rate", "invalid")},
        ),
    ],
)
def test_each_case_lists_what_it_requires(organisation, customer, line, operation, expected):
    invoice = InvoiceFactory(
        organisation=organisation,
        customer=CustomerFactory(organisation=organisation, **customer),
        lines=[line],
        operation_category=operation,
    )
    data, _settings = services.check_invoice_ready(invoice)
    assert _fields(data) == expected


def test_a_reverse_charge_invoice_without_the_buyer_vat_number_is_not_issued(organisation):
    invoice = InvoiceFactory(
        organisation=organisation,
        customer=CustomerFactory(organisation=organisation, country="BE", siren="",
                                 vat_number=""),
        lines=[("Audit", "1", "900", "0", "AE")],
    )  # fmt: skip
    invoice = generate_now(invoice)
    assert invoice.status == Invoice.Status.FAILED
    assert invoice.number is None
    assert {p["field"] for p in invoice.missing_fields} == {"vat_number"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"legal_form": ""}, {"legal_form"}),
        ({"share_capital": None}, {"share_capital"}),
        ({"share_capital": None, "legal_form": "EI"}, set()),  # no capital for an EI
        ({"registry_city": ""}, {"registry_city"}),
        ({"vat_number": ""}, {"vat_number"}),
        ({"vat_number": "", "vat_regime": CompanySettings.VatRegime.FRANCHISE}, set()),
    ],
)
def test_company_settings_must_carry_the_seller_mentions(organisation, changes, expected):
    CompanySettings.objects.filter(organisation=organisation).update(**changes)
    company = CompanySettings.objects.get(organisation=organisation)
    assert {p.field for p in services.settings_problems(company)} == expected


def test_under_the_franchise_a_standard_vat_line_is_refused(organisation):
    CompanySettings.objects.filter(organisation=organisation).update(
        vat_regime=CompanySettings.VatRegime.FRANCHISE
    )
    invoice = InvoiceFactory(organisation=organisation, lines=[("Cours", "1", "50", "20")])
    data, _ = services.check_invoice_ready(invoice)
    assert ("invoiceline", "vat_category", "invalid") in _fields(data)
