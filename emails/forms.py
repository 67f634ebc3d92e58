from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EmailMessage


class EmailFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("status"), required=False, choices=[("", _("All")), *EmailMessage.Status.choices]
    )
    q = forms.CharField(
        label=_("recipient or invoice number"),
        required=False,
        max_length=254,
        help_text=_("Exact e-mail address or invoice number"),
    )

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        if self.cleaned_data["status"]:
            queryset = queryset.filter(status=self.cleaned_data["status"])
        q = self.cleaned_data["q"].strip()
        if q:
            # Exact matches only: both use an index, so the search stays fast at any size.
            if "@" in q:
                queryset = queryset.filter(recipient=q.lower())
            else:
                queryset = queryset.filter(invoice__number=q.upper())
        return queryset
