"""Time the invoices list at 100,000 invoices (one organisation), full view render.

    DATABASE_URL=postgres://... .venv/bin/python bench/invoice_list.py

Seeds once into the database named by DATABASE_URL (not the test database), then prints
the median time of each list variant and its ratio to the first page with no filter.
"""

import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commbilling.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Organisation, Role, User  # noqa: E402
from invoices.models import Customer, Invoice  # noqa: E402

N = int(os.environ.get("BENCH_INVOICES", "100000"))
STATUSES = ["generated"] * 6 + ["sent", "paid", "draft", "failed"]


def seed() -> tuple[Organisation, User]:
    organisation, _ = Organisation.objects.get_or_create(
        slug="bench-list", defaults={"name": "Bench list"}
    )
    user = User.objects.filter(username="bench-list").first()
    if user is None:
        from django.contrib.auth.models import Group

        from accounts.models import ROLE_GROUPS

        user = User.objects.create_user("bench-list", password="x", organisation=organisation)
        user.groups.add(Group.objects.get(name=ROLE_GROUPS[Role.ACCOUNTANT]))
    have = Invoice.objects.filter(organisation=organisation).count()
    if have < N:
        customers = Customer.objects.bulk_create(
            [
                Customer(organisation=organisation, legal_name=f"Client {i:04d} SAS")
                for i in range(1000)
            ]
        )
        batch = []
        for i in range(have, N):
            status = STATUSES[i % len(STATUSES)]
            batch.append(
                Invoice(
                    organisation=organisation,
                    customer=customers[i % len(customers)],
                    status=status,
                    number=None if status == "draft" else f"F-2026-{i:06d}",
                    total_incl_vat=Decimal(i % 5000) + Decimal("0.99"),
                )
            )
            if len(batch) == 5000:
                Invoice.objects.bulk_create(batch)
                batch = []
        Invoice.objects.bulk_create(batch)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return organisation, user


def measure(client: Client, params: dict[str, str], runs: int = 7) -> tuple[float, int]:
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get("/invoices/", params, HTTP_HOST="localhost")
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return statistics.median(times) * 1000, len(queries)


def main() -> None:
    _organisation, user = seed()
    client = Client()
    client.force_login(user)
    variants = [
        ("newest first, page 1", {}),
        ("newest first, page 200 (last offered)", {"page": "200"}),
        ("status=failed", {"status": "failed"}),
        ("status=failed, page 150", {"status": "failed", "page": "150"}),
        ("sort=-total", {"sort": "-total"}),
        ("sort=number, page 100", {"sort": "number", "page": "100"}),
        ("q=number prefix", {"q": "F-2026-0999"}),
        ("q=customer name", {"q": "Client 0042"}),
    ]
    base = None
    print(f"{Invoice.objects.count()} invoices, {connection.vendor}")
    for label, params in variants:
        ms, queries = measure(client, params)
        base = base or ms
        print(f"{label:40s} {ms:8.1f} ms  {queries:2d} queries  x{ms / base:.2f}")


if __name__ == "__main__":
    main()
