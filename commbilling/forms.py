"""Form fields for money, quantities and rates that read what people type in French or English.

"500,00", "1 200,5" (normal, no-break or narrow no-break space), "1200.50", "1,200.50" and
"500,00 €" are all read (commbilling.l10n.parse_decimal). The input is a text box with
``inputmode="decimal"``, not ``type=number``: browsers refuse or silently rewrite a comma in
a number box depending on their own locale (Chromium drops "1 200,5"). The value is shown
back in the page's language ("1200,50" in French).

In a ModelForm:

    class Meta:
        model = InvoiceLine
        fields = ["quantity", "unit_price"]
        field_classes = {"quantity": QuantityField, "unit_price": MoneyField}

or ``formfield_callback = localized_formfield`` in Meta for every DecimalField of the model.
The admin uses DecimalField for every model DecimalField (commbilling.apps).
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from commbilling import l10n


class DecimalInput(forms.TextInput):
    """A text box for a decimal number, with the phone's decimal keypad."""

    def __init__(self, attrs: dict[str, Any] | None = None, *, places: int | None = None) -> None:
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})
        self.places = places

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, (Decimal, int, float)):
            # Fixed places for money ("500,00"), only the significant ones for quantities.
            return l10n.format_number(value, self.places, grouping=False)
        return super().format_value(value)


class DecimalField(forms.DecimalField):
    """A DecimalField that reads French and English writing (see the module docstring)."""

    widget = DecimalInput
    display_places: int | None = None  # decimals shown back: None = significant only
    default_error_messages = {"invalid": _("Enter a number, e.g. 1 200,50.")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(self.widget, DecimalInput):
            self.widget.places = self.display_places

    # django-stubs type forms.DecimalField.to_python as IntegerField's, returning an int.
    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # see above
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return l10n.parse_decimal(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # forms.DecimalField adds min/max/step for a NumberInput only; keep the text box bare.
        return forms.Field.widget_attrs(self, widget)

    def run_validators(self, value: Any) -> None:
        """A bound written as the reader writes numbers: "inférieure ou égale à
        9 999 999,99", not Django's "9999999.99" (its validators format no number)."""
        try:
            super().run_validators(value)
        except ValidationError as error:
            for each in error.error_list:
                limit = (each.params or {}).get("limit_value")
                if isinstance(limit, Decimal | int) and not isinstance(limit, bool):
                    each.params = {**(each.params or {}), "limit_value": l10n.format_number(limit)}
            raise


class MoneyField(DecimalField):
    """An amount in euros: two decimals, shown back as "1200,50"."""

    display_places = 2

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)


# Business bounds of what a person types (README, "Guarantees"). They keep every amount the
# application computes from them well inside the database's numeric(14,2) columns.
MAX_UNIT_PRICE = Decimal("9999999.99")  # a unit price below ten million euros
MAX_QUANTITY = Decimal("999999")  # under a million units on one line
MAX_LINE_TOTAL = Decimal("99999999.99")  # a line excl. VAT below a hundred million euros
MAX_INVOICE_TOTAL = Decimal("999999999.99")  # an invoice below a billion euros incl. VAT
MAX_INVOICE_LINES = 200  # lines on one invoice (the form never builds more, whatever is posted)


class QuantityField(DecimalField):
    """A quantity: up to three decimals, shown back without trailing zeros ("1,5")."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 3)
        super().__init__(**kwargs)


class RateField(DecimalField):
    """A percentage between 0 and 100 ("5,5" for 5.5 %)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("max_value", Decimal(100))
        super().__init__(**kwargs)


def localized_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """``Meta.formfield_callback`` making every model DecimalField a localized one."""
    if isinstance(db_field, models.DecimalField):
        kwargs.setdefault("form_class", DecimalField)
    return db_field.formfield(**kwargs)


class WriteOnlySecretsMixin(forms.ModelForm):
    """Secrets (passwords, API keys) are written, never shown back.

    The page never carries the stored value, not even in a hidden or read-only field: the
    field is empty, its help says whether a value is set (and, for the API keys listed in
    ``secret_endings``, its last four characters, so that an administrator can tell which
    key it is; never for a password), and leaving it empty keeps the stored value. List the
    model's secret fields in ``secret_fields``.

    ``secret_destinations`` names, for a secret sent to a server, the fields that say which
    server and which account: when one of them changes and no new secret is typed, the
    stored one is cleared, not kept: it would otherwise go to a server it was never meant
    for (someone changing the SMTP host would receive the stored password at their own).
    """

    secret_fields: tuple[str, ...] = ()
    secret_endings: tuple[str, ...] = ()
    secret_destinations: dict[str, tuple[str, ...]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.secret_fields:
            field = self.fields.get(name)
            if field is None:
                continue
            field.widget = forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "new-password"}
            )
            field.required = False
            field.help_text = secret_status(
                getattr(self.instance, name, ""),
                show_end=name in self.secret_endings,
                destinations=[
                    str(self.fields[other].label)
                    for other in self.secret_destinations.get(name, ())
                    if other in self.fields
                ],
            )
            self.initial[name] = ""

    def _post_clean(self) -> None:
        for name in self.secret_fields:
            if name in self.fields and not self.cleaned_data.get(name):
                moved = set(self.secret_destinations.get(name, ())) & set(self.changed_data)
                # Empty means "keep": the stored value never made the round trip; unless
                # where it goes changed.
                self.cleaned_data[name] = "" if moved else getattr(self.instance, name, "")
        # Private in Django (runs after clean(), builds the instance): django-stubs omit it.
        super()._post_clean()  # type: ignore[misc]  # see above


def secret_status(value: str, *, show_end: bool = False, destinations: Sequence[str] = ()) -> str:
    """What a page may say about a stored secret."""
    if not value:
        return str(_("Not set. Type a value to set it."))
    if destinations:
        cleared = " " + str(
            _("Changing %(fields)s clears it unless you type it again.")
            % {"fields": ", ".join(destinations)}
        )
    else:
        cleared = ""
    if show_end and len(value) >= 16:
        return (
            str(
                _(
                    "••• set, ends with …%(end)s. "
                    "Type a new value to replace it; leave empty to keep it."
                )
                % {"end": value[-4:]}
            )
            + cleared
        )
    return str(_("••• set. Type a new value to replace it; leave empty to keep it.")) + cleared
