from django import forms

from .models import Customer


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
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
            "language",
        ]

    def clean_siren(self) -> str:
        return self.cleaned_data["siren"].replace(" ", "")

    def clean_siret(self) -> str:
        return self.cleaned_data["siret"].replace(" ", "")

    def clean_vat_number(self) -> str:
        return self.cleaned_data["vat_number"].replace(" ", "").upper()

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()
