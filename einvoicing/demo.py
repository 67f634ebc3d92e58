"""Demo e-invoicing (called by `manage.py seed_demo`): Atelier Dupont transmits to the
local platform that `make run` starts (Procfile.dev), which knows SIREN 632012100 as
ceased: one invoice ends *Déposée*, another *Rejetée* with the SIREN to fix. The demo
business customer, Maison Leroy SAS, has a draft ready to issue: a newcomer issues it and
sees it *Déposée* on its timeline."""

import os
import random
from decimal import Decimal

from accounts.models import Organisation
from invoices.models import Customer, Invoice, InvoiceLine

from . import services
from .models import PlatformSettings

DEMO_ORGANISATION = "atelier-dupont"
PLATFORM_URL = os.environ.get("EINVOICING_DEMO_PLATFORM_URL", "http://127.0.0.1:8765")
API_KEY = "pa-demo-key"
WEBHOOK_SECRET = "demo-webhook-secret"  # noqa: S105 -- the local platform's, see Procfile.dev
REJECTED_SIREN = "632012100"
# A French business with every detail the platform needs (SIREN, address, e-mail).
BUSINESS_CUSTOMER = {
    "legal_name": "Maison Leroy SAS",
    "contact_name": "Hélène Leroy",
    "email": "compta@maison-leroy.example",
    "street": "8 rue du Faubourg Saint-Denis",
    "postal_code": "75010",
    "city": "Paris",
    "country": "FR",
    "siren": "775670417",
    "vat_number": "FR81775670417",
    "customer_type": Customer.Type.BUSINESS,
}


def seed(*, organisation: Organisation, rng: random.Random) -> None:
    if organisation.slug != DEMO_ORGANISATION:
        return
    PlatformSettings.objects.update_or_create(
        organisation=organisation,
        defaults={
            "enabled": True,
            "base_url": PLATFORM_URL,
            "api_key": API_KEY,
            "webhook_secret": WEBHOOK_SECRET,
        },
    )
    generated = Invoice.objects.for_organisation(organisation).filter(
        status__in=[Invoice.Status.GENERATED, Invoice.Status.SENT, Invoice.Status.PAID]
    )
    deposited = generated.exclude(customer__siren=REJECTED_SIREN).order_by("id").first()
    rejected = generated.filter(customer__siren=REJECTED_SIREN).order_by("id").first()
    for invoice in (deposited, rejected):
        if invoice is not None:
            # Sent to the worker once `make run` has started it and the platform.
            services.queue_transmission(invoice=invoice)
    _business_draft(organisation)


def _business_draft(organisation: Organisation) -> Invoice:
    """The demo business customer and a draft to it, ready to issue and transmit."""
    customer = Customer.objects.create(organisation=organisation, **BUSINESS_CUSTOMER)
    invoice = Invoice.objects.create(organisation=organisation, customer=customer)
    InvoiceLine.objects.create(
        invoice=invoice,
        position=0,
        description="Conseil — journée",
        quantity=Decimal(2),
        unit_price=Decimal("650.00"),
        vat_rate=Decimal("20"),
    )
    invoice.recompute_totals()
    invoice.save()
    return invoice
