"""The alert bar's poll: what an idle tab costs the server every 5 seconds.

    .venv/bin/python bench/poll.py [POLLS]      (default 2,000)

Drives the whole Django stack in-process (middleware, session, view) with the test
client, for an accountant of an organisation with 7 open incidents: the unchanged poll
(204 from the session and the cache), the poll after a change (the whole bar), and the
former alert slot (user, permissions, role and alerts on every request) for reference.
Wall time is the median per request; CPU is the process time per request.
"""

import statistics
import sys
import time

from _common import bench_database, metric, row
from django.conf import settings
from django.db import connection, reset_queries
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from activity.models import Cause
from incidents import versions
from tests.factories import OrganisationFactory, UserFactory
from tests.incidents.helpers import fail_invoice

HTMX = {"HX-Request": "true"}


def measure(call, polls: int) -> tuple[float, float]:
    for _ in range(20):  # warm-up
        call()
    samples = []
    cpu_started = time.process_time()
    for _ in range(polls):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / polls
    return statistics.median(samples), cpu_ms


def queries(call) -> int:
    settings.DEBUG = True
    reset_queries()
    call()
    count = len(connection.queries)
    settings.DEBUG = False
    return count


def main(polls: int) -> None:
    with bench_database():
        organisation = OrganisationFactory.create()
        user = UserFactory.create(role=Role.ACCOUNTANT, organisation=organisation)
        for field in ("siren", "street", "city", "email", "vat_number"):
            fail_invoice(organisation, details={"fields": [{"model": "customer", "field": field}]})
        fail_invoice(organisation, cause=Cause.CONNECTIVITY, details={"service": "smtp"})
        fail_invoice(organisation, cause=Cause.INTERNAL, details={"error": "KeyError"})
        client = Client()
        client.force_login(user)
        client.get(reverse("dashboard"))  # the page that marks the session
        version = versions.current(organisation.pk)
        bar = reverse("incidents:bar")

        def unchanged():
            response = client.get(f"{bar}?v={version}", headers=HTMX)
            assert response.status_code == 204, response.status_code

        def changed():
            response = client.get(f"{bar}?v=stale", headers=HTMX)
            assert response.status_code == 200, response.status_code

        def former_slot():
            response = client.get(reverse("activity:alerts"), headers=HTMX)
            assert response.status_code == 200, response.status_code

        print(
            f"# {polls:,} polls per case, 7 open incidents, session engine "
            f"{settings.SESSION_ENGINE.rsplit('.', 1)[-1]}, cache "
            f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}"
        )
        row("case", "median ms", "CPU ms/poll", "queries")
        results = {}
        for label, call in [
            ("unchanged poll (204)", unchanged),
            ("changed poll (whole bar)", changed),
            ("former alert slot (every poll)", former_slot),
        ]:
            median_ms, cpu_ms = measure(call, polls)
            results[label] = (median_ms, cpu_ms)
            row(label, f"{median_ms:.2f}", f"{cpu_ms:.2f}", str(queries(call)))
        median_ms, cpu_ms = results["unchanged poll (204)"]
        former_cpu = results["former alert slot (every poll)"][1]
        metric("poll_median_ms", median_ms)
        metric("poll_cpu_ms", cpu_ms)
        print(f"# unchanged poll: {former_cpu / cpu_ms:.1f}x less CPU than the former slot")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000)
