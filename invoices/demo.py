"""Demo customers and invoices in every state (called by `manage.py seed_demo`)."""

import random
from decimal import Decimal

from accounts.models import Organisation

from . import services
from .models import Customer, Invoice, InvoiceLine

CITIES = [("75002", "Paris"), ("69003", "Lyon"), ("33000", "Bordeaux"), ("59000", "Lille")]
SIRENS = ["542051180", "552032534", "775670417", "552100554", "632012100", "383474814"]
PRODUCTS = [
    ("Conseil — journée", Decimal("650.00"), Decimal("20")),
    ("Maintenance mensuelle", Decimal("149.90"), Decimal("20")),
    ("Formation (1/2 journée)", Decimal("420.00"), Decimal("20")),
    ("Livres techniques", Decimal("39.99"), Decimal("5.5")),
    ("Repas d'équipe", Decimal("18.50"), Decimal("10")),
]


def seed(*, organisation: Organisation, rng: random.Random) -> None:
    customers = []
    for i in range(20):
        postal_code, city = rng.choice(CITIES)
        incomplete = i % 7 == 3  # some customers deliberately miss their address
        customers.append(
            Customer.objects.create(
                organisation=organisation,
                legal_name=f"Client {organisation.slug[:3].upper()}-{i + 1:02d}",
                contact_name=f"Contact {i + 1}",
                email="" if i % 9 == 5 else f"client{i + 1}@{organisation.slug}.example",
                street="" if incomplete else f"{rng.randint(1, 90)} avenue de la République",
                postal_code="" if incomplete else postal_code,
                city="" if incomplete else city,
                siren=SIRENS[i % len(SIRENS)],
                customer_type=Customer.Type.BUSINESS,
                language="en" if i % 6 == 0 else "fr",
            )
        )
    for i, customer in enumerate(customers):
        invoice = Invoice.objects.create(organisation=organisation, customer=customer)
        for position in range(rng.randint(1, 4)):
            description, price, rate = rng.choice(PRODUCTS)
            InvoiceLine.objects.create(
                invoice=invoice,
                position=position,
                description=description,
                quantity=Decimal(rng.randint(1, 5)),
                unit_price=price,
                vat_rate=rate,
            )
        invoice.recompute_totals()
        invoice.save()
        if i % 5 == 4:
            continue  # stays a draft
        _generate_now(invoice)


def _generate_now(invoice: Invoice) -> None:
    """Run the real generation path synchronously, failures included."""
    from .processes import GENERATION

    services.issue_invoice(invoice=invoice, actor=None)
    GENERATION.task.apply(args=[invoice.pk], task_id=Invoice.objects.get(pk=invoice.pk).task_id)
