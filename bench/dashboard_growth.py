"""The dashboard and the alert bar's poll as the data grows.

    .venv/bin/python bench/dashboard_growth.py [LOG_ROWS] [INVOICES] [EMAILS]
        (defaults 100,000 / 10,000 / 50,000; the issue's size is 1,000,000 / 100,000 / 500,000)

Each page is requested through Django's test client as a logged-in accountant (session,
middleware, template: the whole view), 15 times after a warm-up; the median is kept. The
dashboard is measured with 10,000 log rows (and a tenth of the invoices and e-mails),
then again at the full size: ``dashboard_growth_ratio`` is the second over the first.
The poll's CPU is this process's (the web server's side; PostgreSQL's is not counted).
"""

import random
import statistics
import sys
import time

from _common import ROOT, bench_database, metric, row
from activity_log import load as load_log
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse
from invoice_list import load as load_invoices

from accounts.models import ROLE_GROUPS, Role, User
from emails.models import EmailMessage
from invoices.models import Invoice
from tests.factories import OrganisationFactory

REPEAT = 15
SMALL_LOG = 10_000


def load_emails(count: int, organisation, start: int) -> None:
    rng = random.Random(start)
    statuses = ["sent"] * 80 + ["delivered"] * 15 + ["failed"] * 3 + ["bounced"] * 2
    invoices = list(
        Invoice.objects.filter(organisation=organisation).values_list("pk", flat=True)[:2000]
    )
    batch = []
    for n in range(start, start + count):
        address = f"client{rng.randrange(50000)}@example.com"
        batch.append(
            EmailMessage(
                organisation=organisation,
                status=rng.choice(statuses),
                kind="invoice",
                recipients=[address],
                recipient=address,
                subject=f"Facture F-2026-{n:06d}",
                body_text="Bonjour,\n\nVeuillez trouver ci-joint votre facture.\n",
                template="invoice",
                invoice_id=rng.choice(invoices) if invoices else None,
                message_id=f"<bench-{n}@example.com>",
            )
        )
        if len(batch) == 10_000:
            EmailMessage.objects.bulk_create(batch)
            batch = []
    EmailMessage.objects.bulk_create(batch)


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(client: Client, url: str, **headers) -> tuple[float, float]:
    """Median wall and CPU milliseconds of GET url."""
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    walls, cpus = [], []
    for _ in range(REPEAT):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers)
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
        assert response.status_code in (200, 204, 304), (url, response.status_code)
    return statistics.median(walls), statistics.median(cpus)


def main(log_rows: int, invoices: int, emails: int) -> None:
    with bench_database():
        organisation = OrganisationFactory.create()
        others = [OrganisationFactory.create().pk for _ in range(4)]
        user = User.objects.create_user("bench", password="x", organisation=organisation)
        user.groups.add(Group.objects.get(name=ROLE_GROUPS[Role.ACCOUNTANT]))
        client = Client()
        client.force_login(user)
        content_type = ContentType.objects.get_for_model(Invoice).pk
        dashboard = reverse("dashboard")
        try:
            poll = "" if (ROOT / "bench/poll.py").exists() else reverse("activity:alerts")
        except NoReverseMatch:
            poll = ""

        started = time.perf_counter()
        load_invoices(invoices // 10, organisation)
        load_emails(emails // 10, organisation, 0)
        load_log(SMALL_LOG, [organisation.pk, *others], content_type)
        analyze()
        small_ms, _ = measure(client, dashboard)
        print(f"# loaded the small size in {time.perf_counter() - started:.0f}s")

        started = time.perf_counter()
        load_invoices(invoices - invoices // 10, organisation, invoices // 10)
        load_emails(emails - emails // 10, organisation, emails // 10)
        load_log(log_rows - SMALL_LOG, [organisation.pk, *others], content_type)
        analyze()
        print(f"# loaded the full size in {time.perf_counter() - started:.0f}s")
        big_ms, _ = measure(client, dashboard)
        # The former alert slot; bench/poll.py measures the alert bar that replaces it.
        poll_ms, poll_cpu_ms = measure(client, poll, HX_Request="true") if poll else (0.0, 0.0)

        print(f"# median of {REPEAT} requests as an accountant, ms")
        row("", "log rows", "invoices", "e-mails", "ms")
        row(
            "dashboard, small",
            f"{SMALL_LOG:,}",
            f"{invoices // 10:,}",
            f"{emails // 10:,}",
            f"{small_ms:.1f}",
        )
        row("dashboard, full", f"{log_rows:,}", f"{invoices:,}", f"{emails:,}", f"{big_ms:.1f}")
        metric("dashboard_median_ms", big_ms, 1)
        metric("dashboard_growth_ratio", big_ms / small_ms)
        if poll:
            row(
                "alert poll (CPU in this process)", "", "", "", f"{poll_ms:.1f} ({poll_cpu_ms:.1f})"
            )
            metric("poll_median_ms", poll_ms)
            metric("poll_cpu_ms", poll_cpu_ms)


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:4]]
    defaults = [100_000, 10_000, 50_000]
    main(*(sizes + defaults[len(sizes) :]))
