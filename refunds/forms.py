from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from commbilling.forms import MoneyField

from .models import Refund


class RefundRequestForm(forms.Form):
    amount = MoneyField(label=_("Amount to refund (incl. VAT)"), min_value=Decimal("0.01"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class RefundFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *Refund.Status.choices],
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def filter(self, refunds):
        if not self.is_valid():
            return refunds
        if self.cleaned_data["status"]:
            refunds = refunds.filter(status=self.cleaned_data["status"])
        query = self.cleaned_data["q"].strip()
        if query:
            from django.db.models import Q

            refunds = refunds.filter(
                Q(invoice__number__icontains=query)
                | Q(invoice__customer__legal_name__icontains=query)
                | Q(credit_note__number__icontains=query)
                | Q(provider_refund_id__icontains=query)
            )
        return refunds
