"""Where a worker spends its time generating invoices: py-spy on the pool process.

    .venv/bin/python bench/profile_worker.py [INVOICES]      (default 60)

Starts a render worker with one pool process, issues INVOICES invoices, samples the pool
process with py-spy while it generates them, and prints the share of samples spent in
each part of the generation (inclusive), plus the raw profile's path for a flame graph
(``py-spy`` writes it in the "raw" collapsed-stack format).
"""

import collections
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _common import ROOT, Workers, bench_database
from django.conf import settings

from invoices import services
from invoices.models import Invoice
from tests.factories import CustomerFactory, InvoiceFactory, OrganisationFactory

PARTS = {
    "write_pdf (WeasyPrint)": "write_pdf",
    "HTML parsing (WeasyPrint)": "_find_base_url",
    "template rendering": "render_to_string",
    "logging": "logging/__init__.py",
    "database (psycopg)": "psycopg/",
    "celery / kombu": "kombu/",
    "storage": "store_pdf",
}


def pool_pids(worker: subprocess.Popen) -> list[int]:
    output = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(worker.pid)], capture_output=True, text=True
    ).stdout
    return [int(pid) for pid in output.split()]


def main(count: int) -> None:
    py_spy = Path(sys.executable).with_name("py-spy")
    queue = f"profile-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    with bench_database():
        organisation = OrganisationFactory.create()
        customer = CustomerFactory.create(organisation=organisation)
        invoices = [
            InvoiceFactory.create(organisation=organisation, customer=customer)
            for _ in range(count)
        ]
        workers = Workers(queue, concurrency=1)
        try:
            render = workers.processes[0]
            child = pool_pids(render)[0]
            raw = Path(tempfile.mkstemp(prefix="worker-profile-", suffix=".txt")[1])
            spy = subprocess.Popen(
                [str(py_spy), "record", "--pid", str(child), "--format", "raw", "-o", str(raw)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
            for invoice in invoices:
                services.issue_invoice(invoice=invoice, actor=None)
            done = Invoice.objects.filter(pk__in=[i.pk for i in invoices], status="generated")
            deadline = time.monotonic() + 60 + 3 * count
            while done.count() < count and time.monotonic() < deadline:
                time.sleep(0.5)
            spy.send_signal(2)  # SIGINT: py-spy writes the profile
            spy.wait(timeout=30)
        finally:
            workers.stop()
    shares: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not samples.isdigit():
            continue
        total += int(samples)
        if "run_tracked" not in stack and "runner.py" not in stack:
            shares["idle or between tasks"] += int(samples)
            continue
        for label, needle in PARTS.items():
            if needle in stack:
                shares[label] += int(samples)
    print(f"# {count} invoices, {total} samples of the pool process; profile: {raw}")
    for label, share in shares.most_common():
        print(f"{label:<40}{100 * share / max(total, 1):>6.1f} %")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
