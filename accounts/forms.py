from django import forms

from commbilling.forms import localized_formfield

from .models import CompanySettings


class CompanySettingsForm(forms.ModelForm):
    class Meta:
        model = CompanySettings
        formfield_callback = localized_formfield
        fields = [
            "legal_name",
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
        widgets = {
            "smtp_password": forms.PasswordInput(render_value=True),
            "provider_api_key": forms.PasswordInput(render_value=True),
        }

    def clean_siren(self) -> str:
        return self.cleaned_data["siren"].replace(" ", "")

    def clean_siret(self) -> str:
        return self.cleaned_data["siret"].replace(" ", "")

    def clean_vat_number(self) -> str:
        return self.cleaned_data["vat_number"].replace(" ", "").upper()

    def clean_iban(self) -> str:
        return self.cleaned_data["iban"].replace(" ", "").upper()
