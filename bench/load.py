"""Load scenario: accountants browsing and polling while a batch of invoices is generated
and e-mailed, against gunicorn on loopback.

    .venv/bin/python bench/load.py [USERS] [BATCH] [MAX_SECONDS]      (defaults 50 1000 300)

In a throwaway database: USERS accountants of one organisation, BATCH draft invoices and a
local SMTP server (aiosmtpd). gunicorn listens on a loopback socket bound to port 0; the
render and I/O workers of Procfile.dev run the batch. Locust (bench/locustfile.py) ramps
the users up, the batch is issued, and the load stops when every e-mail of the batch is
sent, or after MAX_SECONDS. Prints the request count, errors and p95 of every request.
"""

import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _common import ROOT, Workers, bench_database, database_url, metric, smtp_sink
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import ROLE_GROUPS, CompanySettings, Role, User
from commbilling.celery import IO_QUEUE_SUFFIX, app
from emails.models import EmailMessage
from invoices import services
from invoices.models import Invoice
from tests.factories import CustomerFactory, InvoiceFactory, OrganisationFactory

LINES = [
    ("Conseil en organisation (jours)", "3", "650.00", "20"),
    ("Ouvrage technique", "2", "45.00", "5.5"),
]


def gunicorn(queue: str, listener: socket.socket) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_QUEUE": queue,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    fd = listener.fileno()
    command = [sys.executable, "-m", "gunicorn", "commbilling.wsgi:application"]
    command += ["--bind", f"fd://{fd}", "--workers", "2", "--threads", "8"]
    command += ["--worker-class", "gthread", "--timeout", "60", "--log-level", "warning"]
    # Idle connections kept longer than a user's pause (1 to 3 s): with gunicorn's default
    # of 2 s, a request sent on a connection as the server closed it was reset (3 of 2,300
    # requests), where a browser would have retried it on a new connection.
    command += ["--keep-alive", "75"]
    return subprocess.Popen(command, cwd=ROOT, env=env, pass_fds=[fd], start_new_session=True)


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main(users: int, count: int, max_seconds: int) -> int:
    queue = f"load-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    sink, controller, port = smtp_sink()
    output = Path(tempfile.mkdtemp(prefix="commbilling-load-"))
    try:
        with bench_database():
            organisation = OrganisationFactory.create()
            company = CompanySettings.objects.get(organisation=organisation)
            company.smtp_host, company.smtp_port = "127.0.0.1", port
            company.auto_send_invoices = True
            company.save()
            group = Group.objects.get(name=ROLE_GROUPS[Role.ACCOUNTANT])
            sessions = []
            for n in range(1, users + 1):
                user = User.objects.create_user(f"load{n}", organisation=organisation)
                user.groups.add(group)
                client = Client()
                client.force_login(user)
                sessions.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
            customers = [CustomerFactory.create(organisation=organisation) for _ in range(20)]
            invoices = [
                InvoiceFactory.create(
                    organisation=organisation, customer=customers[n % 20], lines=LINES
                )
                for n in range(count)
            ]
            ids = [invoice.pk for invoice in invoices]

            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(128)
            host = f"http://127.0.0.1:{listener.getsockname()[1]}"
            web = gunicorn(queue, listener)
            workers = Workers(queue)
            load = None
            try:
                env = {
                    **os.environ,
                    "LOAD_SESSIONS": ",".join(sessions),
                    "LOAD_INVOICE_IDS": ",".join(map(str, ids[:200])),
                }
                command = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench/locustfile.py")]
                command += ["--headless", "-u", str(users), "-r", str(max(users // 5, 1))]
                command += ["-t", f"{max_seconds}s", "-H", host, "--only-summary"]
                command += ["--csv", str(output / "load"), "--loglevel", "WARNING"]
                load = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
                time.sleep(users / max(users // 5, 1) + 1)  # the ramp-up
                started = time.monotonic()
                for invoice in invoices:
                    services.issue_invoice(invoice=invoice, actor=None)
                sent = EmailMessage.objects.filter(
                    invoice_id__in=ids, status=EmailMessage.Status.SENT
                )
                while load.poll() is None and sent.count() < count:
                    time.sleep(1)
                batch_seconds = time.monotonic() - started
                _stop(load)  # writes its summary and CSV files
            finally:
                if load is not None:
                    _stop(load)
                _stop(web)
                workers.stop()
                listener.close()
            generated = Invoice.objects.filter(pk__in=ids).exclude(status="draft").count()
            delivered = len(set(sink.message_ids))
            emailed = sent.count()
            finished = emailed == count
    finally:
        controller.stop()
        with app.connection_for_write() as conn:
            for name in (queue, queue + IO_QUEUE_SUFFIX):
                conn.default_channel.queue_purge(name)

    with (output / "load_stats.csv").open() as handle:
        total = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    requests, errors = int(total["Request Count"]), int(total["Failure Count"])
    p95 = float(total["95%"])
    print(
        f"# {users} accountants, batch of {count}: "
        f"{'finished' if finished else 'NOT finished'} in {batch_seconds:.0f}s "
        f"({generated} issued, {emailed} e-mailed, {delivered} received by the SMTP server)"
    )
    metric("load_requests", requests, 0)
    metric("load_errors", errors, 0)
    metric("load_p95_ms", p95, 0)
    metric("load_batch_rate_per_s", count / batch_seconds if finished else 0.0, 1)
    return 0 if errors == 0 and finished and delivered == count else 1


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:4]]
    defaults = [50, 1000, 300]
    sys.exit(main(*(arguments + defaults[len(arguments) :])))
