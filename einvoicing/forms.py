from django import forms

from commbilling.forms import WriteOnlySecretsMixin

from .models import PlatformSettings


class PlatformSettingsForm(WriteOnlySecretsMixin, forms.ModelForm):
    """The platform's API key and webhook secret are written, never shown back."""

    secret_fields = ("api_key", "webhook_secret")
    secret_endings = ("api_key",)
    # The webhook secret checks what the platform sends us: it goes nowhere.
    secret_destinations = {"api_key": ("base_url",)}

    class Meta:
        model = PlatformSettings
        fields = ["enabled", "base_url", "api_key", "webhook_secret", "seller_electronic_address"]
