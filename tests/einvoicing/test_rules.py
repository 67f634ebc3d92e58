"""EN 16931 business rules → the field to fix and the cause."""

from dataclasses import replace
from decimal import Decimal

import pytest

from accounts.models import company_settings_for
from activity.errors import MissingData, WrongSettings
from activity.models import Cause
from einvoicing import rules, services, source
from einvoicing.document import INTRA_EU, REVERSE_CHARGE, STANDARD
from invoices.models import Invoice
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now

from .helpers import FRENCH_BUYER, GERMAN_BUYER, make_document


def _draft(*, customer=None, company=None, lines=None):
    """A draft built by the factories (never an edited issued invoice), the company
    settings changed before it is checked."""
    kwargs = {f"customer__{k}": v for k, v in (customer or {}).items()}
    if lines is not None:
        kwargs["lines"] = lines
    invoice = InvoiceFactory(customer__email="achats@client.example", **kwargs)
    settings = company_settings_for(invoice.organisation)
    for name, value in (company or {}).items():
        setattr(settings, name, value)
    settings.save()
    return Invoice.objects.get(pk=invoice.pk)  # read afresh, as a page or a worker does


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "rule", "model", "field", "cause"),
    [
        ({"customer": {"siren": ""}}, "BR-FR-11", "customer", "siren", Cause.MISSING_DATA),
        ({"customer": {"street": ""}}, "BR-10", "customer", "street", Cause.MISSING_DATA),
        ({"company": {"iban": ""}}, "BR-61", "companysettings", "iban", Cause.WRONG_SETTINGS),
        (
            {"company": {"vat_number": ""}},
            "BR-S-02",
            "companysettings",
            "vat_number",
            Cause.WRONG_SETTINGS,
        ),
        ({"company": {"siren": ""}}, "BR-FR-10", "companysettings", "siren", Cause.WRONG_SETTINGS),
        (
            {"lines": [(" ", "1", "100.00", "20")]},
            "BR-25",
            "invoiceline",
            "description",
            Cause.MISSING_DATA,
        ),
    ],
)
def test_a_broken_rule_names_the_field_to_fix_and_its_cause(change, rule, model, field, cause):
    draft = _draft(**change)

    violations = services.check_transmission(draft)

    broken = {(v.rule, v.problem.model, v.problem.field) for v in violations if v.problem}
    assert (rule, model, field) in broken
    assert rules.error_for(violations).cause == cause


@pytest.mark.django_db
def test_an_issued_invoice_to_a_french_business_breaks_no_rule():
    invoice = generate_now(_draft())

    assert invoice.status == Invoice.Status.GENERATED
    assert rules.check(source.invoice_document(invoice), transmitted=True) == []


@pytest.mark.django_db
def test_missing_data_also_reports_the_settings_to_fix_at_once():
    draft = _draft(customer={"siren": ""}, company={"iban": ""})

    error = rules.error_for(services.check_transmission(draft))

    assert isinstance(error, MissingData)
    assert [p["field"] for p in error.details["fields"]] == ["siren"]
    assert [p["field"] for p in error.details["settings"]] == ["iban"]
    assert {r["rule"] for r in error.details["rules"]} == {"BR-FR-11", "BR-61"}


@pytest.mark.parametrize(
    ("document", "rule", "field"),
    [
        (make_document([("Conseil", "100.00", STANDARD, "0")]), "BR-S-05", "vat_rate"),
        (
            make_document(
                [("Machine", "100.00", INTRA_EU, "0")],
                buyer=replace(GERMAN_BUYER, vat_number=""),
            ),
            "BR-IC-02",
            "vat_number",
        ),
        (
            make_document(
                [("Conseil", "100.00", REVERSE_CHARGE, "0")],
                buyer=replace(FRENCH_BUYER, vat_number="", siren=""),
            ),
            "BR-AE-02",
            "vat_number",
        ),
        (make_document([("Conseil", "100.00", STANDARD, "20")], iban=""), "BR-61", "iban"),
        (
            make_document([("Conseil", "100.00", STANDARD, "20")], buyer=FRENCH_BUYER),
            None,
            None,
        ),
    ],
)
def test_vat_category_rules(document, rule, field):
    found = {(v.rule, v.problem.field) for v in rules.check(document) if v.problem}

    assert found == ({(rule, field)} if rule else set())


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"line_total": Decimal("99.99")}, "BR-CO-10"),
        ({"tax_total": Decimal("21.00")}, "BR-CO-14"),
        ({"grand_total": Decimal("121.00")}, "BR-CO-15"),
        ({"due_payable": Decimal("1.00")}, "BR-CO-16"),
    ],
)
def test_totals_only_our_code_can_break_are_internal_errors(changes, rule):
    document = make_document([("Conseil", "100.00", STANDARD, "20")], **changes)

    violations = rules.check(document)

    assert rule in {v.rule for v in violations}
    error = rules.error_for(violations)
    assert error.cause == Cause.INTERNAL
    assert not isinstance(error, WrongSettings | MissingData)
