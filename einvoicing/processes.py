from django.utils.translation import gettext_lazy as _

from activity.processes import declare

from . import services
from .models import EInvoice
from .platform import SERVICE

TRANSMISSION = declare(
    "einvoice_transmission",
    label=_("Transmission to the platform"),
    model=EInvoice,
    execute=lambda einvoice: services.transmit_einvoice(einvoice=einvoice),
    # Transmissions are shown in the Factures tab, filtered by e-invoicing status.
    list_url_name="einvoicing:list",
    list_title=_("E-invoices"),
    support_category="billing",
    retry_label=_("Retransmit"),
    # While the organisation's platform does not answer, transmissions wait for it (the
    # probe in probes.py closes the circuit) instead of failing one by one.
    depends_on=(SERVICE,),
)
