"""Demo e-invoicing (called by `manage.py seed_demo`): Atelier Dupont transmits to the
local platform that `make run` starts (Procfile.dev), which knows SIREN 632012100 as
ceased: one invoice ends *Déposée*, another *Rejetée* with the SIREN to fix."""

import os
import random

from accounts.models import Organisation
from invoices.models import Invoice

from . import services
from .models import PlatformSettings

DEMO_ORGANISATION = "atelier-dupont"
PLATFORM_URL = os.environ.get("EINVOICING_DEMO_PLATFORM_URL", "http://127.0.0.1:8765")
API_KEY = "pa-demo-key"
WEBHOOK_SECRET = "demo-webhook-secret"  # noqa: S105 -- the local platform's, see Procfile.dev
REJECTED_SIREN = "632012100"


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
