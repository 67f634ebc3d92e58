from decimal import Decimal

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from commbilling.forms import MAX_INVOICE_TOTAL, WriteOnlySecretsMixin, localized_formfield
from commbilling.vat import FRENCH_VAT_RATES

from .models import CompanySettings


class CompanySettingsForm(WriteOnlySecretsMixin, forms.ModelForm):
    secret_fields = ("smtp_password", "provider_api_key")
    secret_endings = ("provider_api_key",)
    secret_destinations = {
        "smtp_password": ("smtp_host", "smtp_port", "smtp_username"),
        "provider_api_key": ("payment_provider", "provider_api_base"),
    }

    class Meta:
        model = CompanySettings
        formfield_callback = localized_formfield
        fields = [
            "legal_name",
            "legal_form",
            "share_capital",
            "registry",
            "registry_city",
            "street",
            "postal_code",
            "city",
            "country",
            "siren",
            "siret",
            "vat_number",
            "iban",
            "bic",
            "logo",
            "invoice_prefix",
            "credit_note_prefix",
            "payment_terms_days",
            "default_vat_rate",
            "late_penalty_rate",
            "early_payment_discount",
            "vat_regime",
            "vat_on_debits",
            "sender_email",
            "auto_send_invoices",
            "smtp_host",
            "smtp_port",
            "smtp_username",
            "smtp_password",
            "smtp_use_tls",
            "payment_provider",
            "provider_api_key",
            "provider_api_base",
            "refund_approval_threshold",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Bounds from the business (README, "Guarantees"), checked here with a message.
        bounds = {
            "smtp_port": (1, 65535),
            "late_penalty_rate": (Decimal(0), Decimal(100)),
            "refund_approval_threshold": (Decimal(0), MAX_INVOICE_TOTAL),
        }
        for name, (low, high) in bounds.items():
            self.fields[name].validators += [MinValueValidator(low), MaxValueValidator(high)]

    def clean_default_vat_rate(self) -> Decimal:
        rate = self.cleaned_data["default_vat_rate"]
        if rate not in FRENCH_VAT_RATES:
            rates = ", ".join(f"{r.normalize():f}" for r in sorted(FRENCH_VAT_RATES))
            raise forms.ValidationError(
                _("Choose a French VAT rate: %(rates)s %%.") % {"rates": rates}
            )
        return rate

    def clean_siren(self) -> str:
        return self.cleaned_data["siren"].replace(" ", "")

    def clean_siret(self) -> str:
        return self.cleaned_data["siret"].replace(" ", "")

    def clean_vat_number(self) -> str:
        return self.cleaned_data["vat_number"].replace(" ", "").upper()

    def clean_iban(self) -> str:
        return self.cleaned_data["iban"].replace(" ", "").upper()


class LoginForm(AuthenticationForm):
    """Django's log-in form, with the username's length checked before authenticating:
    Django only sets it on the widget, so an oversized username reached the log-in
    throttling (django-axes), whose record of the failure cannot hold it (a 500)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        if isinstance(username, forms.CharField) and username.max_length:
            username.validators.append(MaxLengthValidator(username.max_length))
