from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commbilling.forms import MoneyField

from .models import Payment

# A bank statement is a few hundred lines at most; a larger upload is not a statement.
MAX_STATEMENT_BYTES = 5 * 1024 * 1024


class PaymentForm(forms.Form):
    amount = MoneyField(label=_("Amount received"), min_value=Decimal("0.01"))
    paid_on = forms.DateField(
        label=_("Payment date"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=140,
        help_text=_("Cheque number, transfer reference…"),
    )


class CancelPaymentForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=300)


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Bank statement"),
        help_text=_("CAMT.053 (XML) exported by your bank, or a CSV with date, label, amount."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB: is it a statement?"))
        return upload
