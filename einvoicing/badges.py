"""Each row of the Factures tab shows its e-invoicing status as a compact badge
(registered with invoices.extensions): two reads for the page, never one per row."""

from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from invoices.extensions import RowBadge
from invoices.models import Invoice

from . import services
from .models import REJECTIONS, EInvoice, PlatformSettings
from .source import parties_of

_S = EInvoice.Status
NOT_TRANSMITTED = {
    services.EXCLUDED_B2C: _("Not transmitted (B2C)"),
    services.EXCLUDED_FOREIGN: _("Not transmitted (international)"),
}
# Invoices whose generation is over: one with no transmission was not transmitted.
_GENERATED = {
    Invoice.Status.GENERATED,
    Invoice.Status.SENT,
    Invoice.Status.PARTIALLY_PAID,
    Invoice.Status.PAID,
    Invoice.Status.CANCELLED,
}


def _tone(einvoice: EInvoice) -> str:
    if einvoice.status in (_S.FAILED, _S.REFUSED) or einvoice.lifecycle in REJECTIONS:
        return "einvoice-error"
    if einvoice.status == _S.UNKNOWN or einvoice.lifecycle in ("207", "208"):
        return "einvoice-warn"
    if einvoice.status in EInvoice.LIVE_STATUSES:
        return "einvoice-pending"
    return "einvoice-ok"


def badge_of(einvoice: EInvoice) -> RowBadge:
    """What the platform last said (Déposée, Rejetée, Refusée, Encaissée…), or where the
    transmission stands while no status applies (queued, to be checked, failed)."""
    if einvoice.status in (*EInvoice.LIVE_STATUSES, _S.UNKNOWN) or not einvoice.lifecycle:
        label = einvoice.get_status_display()
    else:
        label = einvoice.get_lifecycle_display()
    title = _("E-invoicing: %(status)s") % {"status": label}
    return RowBadge(label=label, css=f"einvoice {_tone(einvoice)}", title=title)


def row_badges(organisation: Organisation, invoices: list[Invoice]) -> dict[int, RowBadge]:
    # Read, never created: a list does not write (PlatformSettings.for_organisation does).
    if not PlatformSettings.objects.filter(organisation=organisation, enabled=True).exists():
        return {}  # e-invoicing off: no badge, and one query for the page
    issued = [i for i in invoices if i.number]
    einvoices = {
        e.invoice_id: e
        for e in EInvoice.objects.filter(invoice_id__in=[i.pk for i in issued]).only(
            "id", "invoice_id", "status", "lifecycle"
        )
    }
    badges = {}
    for invoice in issued:
        einvoice = einvoices.get(invoice.pk)
        if einvoice is not None:
            badges[invoice.pk] = badge_of(einvoice)
            continue
        if invoice.status not in _GENERATED:
            continue  # the transmission is still to come
        key = services.exclusion_of(enabled=True, buyer=parties_of(invoice)[1])
        if key is None:
            # Issued before e-invoicing was turned on.
            badges[invoice.pk] = RowBadge(label=_("Not transmitted"), css="einvoice einvoice-none")
        else:
            badges[invoice.pk] = RowBadge(
                label=NOT_TRANSMITTED[key],
                css="einvoice einvoice-none",
                title=services.EXCLUSION_TEXTS[key],
            )
    return badges
