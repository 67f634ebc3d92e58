"""The invoice list at scale: status filter + newest first + a page, keyset vs OFFSET.

    .venv/bin/python bench/invoice_list.py [INVOICES]      (default 100,000)

"Paginator" is what a Django Paginator does (COUNT(*) then OFFSET); "keyset" continues
after the last (created_at, id) of the previous page, with a redundant
``created_at <= cursor`` so that the index range starts at the cursor.
"""

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from _common import bench_database, row, timed
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q

from invoices.models import Customer, Invoice
from tests.factories import OrganisationFactory

PAGE = 50
STATUSES = [  # (status, share)
    (Invoice.Status.PAID, 0.70),
    (Invoice.Status.SENT, 0.15),
    (Invoice.Status.GENERATED, 0.06),
    (Invoice.Status.DRAFT, 0.06),
    (Invoice.Status.FAILED, 0.02),
    (Invoice.Status.QUEUED, 0.01),
]


def load(count: int, organisation, first: int = 0) -> None:
    rng = random.Random(7 + first)
    customers = Customer.objects.bulk_create(
        Customer(organisation=organisation, legal_name=f"Client {n} SAS", city="Lyon")
        for n in range(500)
    )
    start = datetime(2020, 1, 1, tzinfo=UTC)
    created_at = Invoice._meta.get_field("created_at")
    created_at.auto_now_add = False  # the bench sets dates spread over years (with ties)
    batch = []
    for n in range(first, first + count):
        status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
        numbered = status != Invoice.Status.DRAFT
        batch.append(
            Invoice(
                organisation=organisation,
                customer=rng.choice(customers),
                status=status,
                number=f"F-{2020 + n // 25000}-{n:06d}" if numbered else None,
                total_excl_vat=Decimal("100.00"),
                total_vat=Decimal("20.00"),
                total_incl_vat=Decimal("120.00"),
                created_at=start + timedelta(minutes=(n // 2) * 30),
            )
        )
        if len(batch) == 5000:
            Invoice.objects.bulk_create(batch)
            batch = []
    Invoice.objects.bulk_create(batch)
    created_at.auto_now_add = True
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main(count: int) -> None:
    with bench_database():
        organisation = OrganisationFactory.create()
        OrganisationFactory.create()  # a neighbour, so that scoping matters
        started = time.perf_counter()
        load(count, organisation)
        print(f"# loaded {count:,} invoices in {time.perf_counter() - started:.1f}s")

        def invoices(status: str):
            qs = Invoice.objects.for_organisation(organisation).select_related("customer")
            return (qs.filter(status=status) if status else qs).order_by("-created_at", "-id")

        def keyset(status: str, after: tuple[datetime, int] | None):
            def page():
                qs = invoices(status)
                if after:
                    when, pk = after
                    qs = qs.filter(created_at__lte=when).filter(
                        Q(created_at__lt=when) | Q(id__lt=pk)
                    )
                return list(qs[: PAGE + 1])

            return page

        def offset(status: str, number: int):
            return lambda: list(invoices(status)[(number - 1) * PAGE : number * PAGE + 1])

        def paginator(status: str, number: int):
            return lambda: list(Paginator(invoices(status), PAGE).page(number).object_list)

        row("status / page", "keyset ms", "OFFSET ms", "Paginator ms", "Paginator/keyset")
        for status in (Invoice.Status.PAID, Invoice.Status.FAILED, ""):
            total = invoices(status).count()
            last = max((total - 1) // PAGE + 1, 1)
            for number in sorted({1, min(20, last), last // 2 or 1, last}):
                after = None
                if number > 1:
                    previous = invoices(status).values_list("created_at", "id")[
                        (number - 1) * PAGE - 1
                    ]
                    after = previous
                keyset_ms = timed(keyset(status, after))
                offset_ms = timed(offset(status, number))
                paginator_ms = timed(paginator(status, number))
                assert [i.pk for i in keyset(status, after)()][:PAGE] == [
                    i.pk for i in offset(status, number)()
                ][:PAGE]
                row(
                    f"{status or 'all'} ({total:,}) page {number:,}",
                    f"{keyset_ms:.2f}",
                    f"{offset_ms:.2f}",
                    f"{paginator_ms:.2f}",
                    f"{paginator_ms / keyset_ms:.1f}x",
                )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
