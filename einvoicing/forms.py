from django import forms
from django.utils.translation import gettext_lazy as _

from .models import PlatformSettings

SECRET_FIELDS = ("api_key", "webhook_secret")


class PlatformSettingsForm(forms.ModelForm):
    """Secrets are write-only: never rendered back; left empty, they stay as they are."""

    class Meta:
        model = PlatformSettings
        fields = ["enabled", "base_url", "api_key", "webhook_secret", "seller_electronic_address"]
        widgets = {name: forms.PasswordInput(render_value=False) for name in SECRET_FIELDS}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            field = self.fields[name]
            field.required = False
            if getattr(self.instance, name):
                field.help_text = _("A value is set. Leave empty to keep it.")

    def clean(self):
        cleaned = super().clean()
        for name in SECRET_FIELDS:
            if not cleaned.get(name):
                cleaned[name] = getattr(self.instance, name)
        return cleaned
