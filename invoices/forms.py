from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from commbilling.forms import (
    MAX_INVOICE_LINES,
    MAX_INVOICE_TOTAL,
    MAX_LINE_TOTAL,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    MoneyField,
    QuantityField,
)
from commbilling.l10n import format_amount, format_percent
from commbilling.vat import FRENCH_VAT_RATES

from .models import Customer, Invoice, InvoiceLine, OperationCategory, VatCategory

CUSTOMER_FIELDS = [
    "customer_type",
    "legal_name",
    "contact_name",
    "email",
    "street",
    "postal_code",
    "city",
    "country",
    "siren",
    "siret",
    "vat_number",
    "payment_reference",
    "iban",
    "delivery_street",
    "delivery_postal_code",
    "delivery_city",
    "delivery_country",
    "language",
]


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS

    def clean_siren(self) -> str:
        return self.cleaned_data["siren"].replace(" ", "")

    def clean_siret(self) -> str:
        return self.cleaned_data["siret"].replace(" ", "")

    def clean_vat_number(self) -> str:
        return self.cleaned_data["vat_number"].replace(" ", "").upper()

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    def clean_delivery_country(self) -> str:
        return self.cleaned_data["delivery_country"].upper()

    def clean_iban(self) -> str:
        return self.cleaned_data["iban"].replace(" ", "").upper()


class _RequiredFieldsMixin:
    """Every field of the form is required: the form exists to complete them."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]  # mixed into forms
            field.required = True


class CustomerFixBase(_RequiredFieldsMixin, CustomerForm):
    pass


def customer_fix_form_class(field_names: list[str]) -> type[forms.ModelForm]:
    """A customer form limited to the fields a failed generation named."""
    fields = [f for f in CUSTOMER_FIELDS if f in set(field_names)]
    return forms.modelform_factory(Customer, form=CustomerFixBase, fields=fields)


def customer_fields_to_fix(invoice: Invoice) -> list[str]:
    """Fields of the invoice's customer that its last failure named (missing or invalid)."""
    if invoice.status != Invoice.Status.FAILED:
        return []
    names = [
        p.get("field", "")
        for p in invoice.missing_fields
        if p.get("model") == "customer" and p.get("object_id") == invoice.customer_id
    ]
    return [f for f in CUSTOMER_FIELDS if f in names]


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


# Labels written when the form is shown, in the reader's language ("5,5 %" / "5.5%").
VAT_CHOICES = [(str(rate), lazy(format_percent, str)(rate)) for rate in sorted(FRENCH_VAT_RATES)]


def _vat_choice(value: Decimal | str | None) -> str:
    """The choice key of a rate however it is written (20, 20.00, "20.0")."""
    if value in (None, ""):
        return ""
    rate = Decimal(str(value)).normalize()
    for key, _label in VAT_CHOICES:
        if Decimal(key) == rate:
            return key
    return str(value)


class InvoiceForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = [
            "customer",
            "operation_category",
            "delivery_date",
            "period_start",
            "period_end",
            "notes",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "delivery_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "period_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "period_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if bool(start) != bool(end):
            self.add_error("period_end", _("Give both ends of the service period, or neither."))
        elif start and end and start > end:
            self.add_error("period_end", _("The period ends before it starts."))
        return cleaned

    def __init__(self, *args, organisation: Organisation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        customers: QuerySet[Customer] = Customer.objects.for_organisation(organisation)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]  # a ForeignKey's
        self.fields["notes"].label = _("Issue notes")
        # Older clients and API-like posts may omit it: services, the common case.
        self.fields["operation_category"].required = False

    def clean_operation_category(self) -> str:
        return self.cleaned_data["operation_category"] or OperationCategory.SERVICES


class InvoiceLineForm(forms.ModelForm):
    vat_rate = forms.TypedChoiceField(
        label=_("VAT rate (%)"), choices=VAT_CHOICES, coerce=Decimal, empty_value=None
    )

    class Meta:
        model = InvoiceLine
        fields = [
            "description",
            "quantity",
            "unit_price",
            "vat_rate",
            "vat_category",
            "vat_exemption_reason",
        ]
        field_classes = {"quantity": QuantityField, "unit_price": MoneyField}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"].validators += [
            MinValueValidator(Decimal("0.001")),
            MaxValueValidator(MAX_QUANTITY),
        ]
        # A price is never negative: a reduction is a credit note, not a negative line.
        self.fields["unit_price"].validators += [
            MinValueValidator(Decimal("0")),
            MaxValueValidator(MAX_UNIT_PRICE),
        ]
        self.fields["vat_category"].required = False
        self.fields["vat_exemption_reason"].widget.attrs["placeholder"] = _(
            "art. 261-4-4° of the CGI"
        )
        current = self.initial.get("vat_rate")
        if current is not None:
            self.initial["vat_rate"] = _vat_choice(current)

    @property
    def changed_data(self) -> list[str]:
        # An omitted category means the default: it does not make an extra line "changed".
        return [
            name
            for name in super().changed_data
            if not (name == "vat_category" and not self.data.get(self.add_prefix(name)))
        ]

    def clean_vat_category(self) -> str:
        return self.cleaned_data["vat_category"] or VatCategory.STANDARD

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        quantity, price = data.get("quantity"), data.get("unit_price")
        if quantity is not None and price is not None and quantity * price > MAX_LINE_TOTAL:
            self.add_error(
                "unit_price",
                _("A line cannot exceed %(max)s excl. VAT: split it or check the quantity.")
                % {"max": format_amount(MAX_LINE_TOTAL)},
            )
        return data


class BaseLineFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        # Untouched extra forms have no cleaned data; deleted lines do not count.
        kept = [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        if not kept:
            raise forms.ValidationError(_("Add at least one line."))
        total = sum(
            (d["quantity"] * d["unit_price"] * (1 + d["vat_rate"] / 100) for d in kept),
            Decimal(0),
        )
        if total > MAX_INVOICE_TOTAL:
            raise forms.ValidationError(
                _("An invoice cannot exceed %(max)s incl. VAT: split it into several invoices.")
                % {"max": format_amount(MAX_INVOICE_TOTAL)}
            )


def line_formset_class(*, extra: int) -> type[forms.BaseInlineFormSet]:
    return forms.inlineformset_factory(
        Invoice,
        InvoiceLine,
        form=InvoiceLineForm,
        formset=BaseLineFormSet,
        fields=[
            "description",
            "quantity",
            "unit_price",
            "vat_rate",
            "vat_category",
            "vat_exemption_reason",
        ],
        extra=extra,
        can_delete=True,
        max_num=MAX_INVOICE_LINES,
        absolute_max=MAX_INVOICE_LINES,
        validate_max=True,
    )
