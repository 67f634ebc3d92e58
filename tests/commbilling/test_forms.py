"""Money, quantity and rate fields read what people type, in French or English."""

from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory
from django.utils import translation

from accounts.forms import CompanySettingsForm
from accounts.models import CompanySettings
from commbilling.forms import DecimalField, MoneyField, QuantityField, RateField
from invoices.forms import InvoiceLineForm
from refunds.forms import RefundRequestForm


class _Form(forms.Form):
    amount = MoneyField(label="amount")
    quantity = QuantityField(label="quantity", required=False)
    rate = RateField(label="rate", required=False)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("500,00", Decimal("500.00")),
        ("1 200,5", Decimal("1200.5")),
        ("1\u00a0200,50", Decimal("1200.50")),
        ("1\u202f200,50", Decimal("1200.50")),
        ("1200.50", Decimal("1200.50")),
        ("1,200.50", Decimal("1200.50")),
    ],
)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_money_field_reads_french_and_english(typed, expected, lang):
    with translation.override(lang):
        form = _Form({"amount": typed})

        assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == expected


def test_a_money_field_refuses_three_decimals_and_text():
    with translation.override("fr"):
        too_precise = _Form({"amount": "10,555"})
        text = _Form({"amount": "dix euros"})

        assert not too_precise.is_valid()
        assert not text.is_valid()
        assert text.errors["amount"] == ["Saisissez un nombre, par exemple 1 200,50."]


def test_a_rate_field_stays_between_0_and_100():
    assert _Form({"amount": "1", "rate": "5,5"}).is_valid()
    assert not _Form({"amount": "1", "rate": "120"}).is_valid()
    assert not _Form({"amount": "1", "rate": "-1"}).is_valid()


def test_the_input_is_a_text_box_with_the_decimal_keypad_not_a_number_box():
    html = str(_Form()["amount"])

    assert 'type="text"' in html
    assert 'inputmode="decimal"' in html
    assert 'type="number"' not in html
    assert "step=" not in html


@pytest.mark.parametrize(
    ("lang", "amount", "quantity"),
    [("fr", 'value="1200,50"', 'value="1,5"'), ("en", 'value="1200.50"', 'value="1.5"')],
)
def test_a_value_is_shown_back_in_the_page_language(lang, amount, quantity):
    with translation.override(lang):
        form = _Form(initial={"amount": Decimal("1200.5"), "quantity": Decimal("1.500")})
        html = str(form["amount"]) + str(form["quantity"])

    assert amount in html
    assert quantity in html


def test_what_was_typed_is_shown_back_as_typed_when_the_form_has_errors():
    form = _Form({"amount": "12 abc"})

    assert not form.is_valid()
    assert 'value="12 abc"' in str(form["amount"])


def test_an_unchanged_initial_value_is_not_a_change():
    with translation.override("fr"):
        form = _Form({"amount": "1200,50"}, initial={"amount": Decimal("1200.5")})

        assert not form.has_changed()


def test_the_invoice_line_form_reads_french_quantities_and_prices():
    with translation.override("fr"):
        form = InvoiceLineForm(
            {
                "description": "Conseil",
                "quantity": "1,5",
                "unit_price": "1 200,50",
                "vat_rate": "5.5",
            }
        )

        assert form.is_valid(), form.errors
        assert "5,5\u00a0%" in str(form["vat_rate"])
    assert form.cleaned_data["quantity"] == Decimal("1.5")
    assert form.cleaned_data["unit_price"] == Decimal("1200.50")


@pytest.mark.parametrize(
    ("lang", "typed", "said"),
    [
        ("fr", {"quantity": "0", "unit_price": "1"}, "supérieure ou égale à 0,001."),
        (
            "fr",
            {"quantity": "1", "unit_price": "10 000 000"},
            "inférieure ou égale à 9\u202f999\u202f999,99.",
        ),
        ("en", {"quantity": "0", "unit_price": "1"}, "greater than or equal to 0.001."),
        ("en", {"quantity": "1", "unit_price": "10000000"}, "less than or equal to 9,999,999.99."),
    ],
)
def test_a_bound_is_written_as_the_reader_writes_numbers(lang, typed, said):
    """Django's own validators print their bound as Python does ("9999999.99")."""
    with translation.override(lang):
        form = InvoiceLineForm({"description": "Conseil", "vat_rate": "20", **typed})

        assert not form.is_valid()
        errors = " ".join(str(e) for errors in form.errors.values() for e in errors)
    assert said in errors


def test_the_refund_form_reads_a_french_amount():
    form = RefundRequestForm({"amount": "1 200,00", "reason": "geste commercial"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == Decimal("1200.00")


@pytest.mark.django_db
def test_the_company_settings_form_reads_french_rates(organisation):
    form = CompanySettingsForm(instance=organisation.company_settings)

    for name in ("default_vat_rate", "late_penalty_rate", "refund_approval_threshold"):
        assert isinstance(form.fields[name], DecimalField), name
        assert 'inputmode="decimal"' in str(form[name])


def test_every_decimal_field_of_the_admin_reads_french():
    model_admin = admin.site._registry[CompanySettings]
    request = RequestFactory().get("/admin/")
    field = model_admin.formfield_for_dbfield(
        CompanySettings._meta.get_field("late_penalty_rate"), request
    )

    assert isinstance(field, DecimalField)
    assert field.clean("10,5") == Decimal("10.5")
