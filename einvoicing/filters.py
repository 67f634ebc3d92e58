"""The Factures tab's filter by e-invoicing status (registered with invoices.extensions)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from invoices.extensions import ListFilter

from .models import EInvoice

_S = EInvoice.Status
CHOICES: dict[str, tuple[object, Q]] = {
    "deposited": (
        pgettext_lazy("e-invoice", "Deposited"),
        Q(einvoice__status=_S.DEPOSITED) & ~Q(einvoice__lifecycle="212"),
    ),
    "collected": (pgettext_lazy("e-invoice", "Collected"), Q(einvoice__lifecycle="212")),
    "rejected": (pgettext_lazy("e-invoice", "Rejected"), Q(einvoice__lifecycle="213")),
    "routing_error": (pgettext_lazy("e-invoice", "Routing error"), Q(einvoice__lifecycle="221")),
    "refused": (pgettext_lazy("e-invoice", "Refused"), Q(einvoice__status=_S.REFUSED)),
    "failed": (pgettext_lazy("e-invoice", "Failed"), Q(einvoice__status=_S.FAILED)),
    "unknown": (pgettext_lazy("e-invoice", "To be checked"), Q(einvoice__status=_S.UNKNOWN)),
    "transmitted": (_("Transmitted"), Q(einvoice__isnull=False)),
    "pending": (
        pgettext_lazy("e-invoice", "Queued"),
        Q(einvoice__status__in=[_S.QUEUED, _S.TRANSMITTING]),
    ),
    "not_transmitted": (
        _("Not transmitted"),
        Q(einvoice__isnull=True) & Q(number__isnull=False),
    ),
}


def choices() -> list[tuple[str, object]]:
    return [(key, label) for key, (label, _q) in CHOICES.items()]


def condition(key: str) -> Q | None:
    found = CHOICES.get(key)
    return found[1] if found else None


LIST_FILTER = ListFilter(
    param="einvoice", label=_("E-invoicing"), choices=choices, condition=condition
)
