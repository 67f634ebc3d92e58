from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from commbilling.forms import MoneyField, QuantityField

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


class CreditNoteForm(forms.Form):
    """The reason, and for a partial credit note the quantity and price credited per line
    (empty or 0: the line is not credited)."""

    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, lines=(), partial: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(lines) if partial else []
        for line in self.lines:
            self.fields[f"quantity_{line.pk}"] = QuantityField(
                label=_("Quantity credited: %(line)s") % {"line": line.description},
                required=False,
                min_value=Decimal("0"),
            )
            self.fields[f"price_{line.pk}"] = MoneyField(
                label=_("Unit price excl. VAT credited: %(line)s") % {"line": line.description},
                required=False,
                min_value=Decimal("0"),
                initial=line.unit_price,
            )

    def credited_lines(self):
        from .credit_notes import CreditedLine

        chosen = []
        for line in self.lines:
            quantity = self.cleaned_data.get(f"quantity_{line.pk}") or Decimal("0")
            price = self.cleaned_data.get(f"price_{line.pk}")
            if quantity > 0:
                chosen.append(
                    CreditedLine(
                        invoice_line=line,
                        quantity=quantity,
                        unit_price=line.unit_price if price is None else price,
                    )
                )
        return chosen
