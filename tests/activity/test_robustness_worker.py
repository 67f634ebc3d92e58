"""What the automation core guarantees when the infrastructure misbehaves: the broker is
down (frozen: tests/faults/test_frozen_broker.py), a message is lost, a worker dies
mid-generation, two users click Retry at once."""

import os
import signal
import socket
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import close_old_connections, connection
from django.urls import reverse
from kombu import Queue

from activity import services as activity
from activity.models import ActivityLog, Alert, Cause, Event, Trigger
from commbilling.celery import app
from invoices import services
from invoices.models import Invoice, NumberSequence
from tests.conftest import TEST_QUEUE, wait_for
from tests.factories import InvoiceFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _settled(invoice: Invoice):
    """Failed, or generated with the runner's success logged (the service commits the
    invoice; the runner logs the success just after)."""
    invoice.refresh_from_db()
    if invoice.status == Invoice.Status.GENERATED:
        return _count(invoice, Event.SUCCEEDED) and invoice
    return invoice.status == Invoice.Status.FAILED and invoice


def _waiting_messages(queue: str) -> int:
    """Messages waiting in the broker on ``queue``."""
    with app.connection_for_read() as conn:
        return Queue(queue, channel=conn.default_channel).queue_declare().message_count


def _count(invoice: Invoice, event: str) -> int:
    return ActivityLog.objects.for_record(invoice).filter(event=event).count()


def _pdf_files(invoice: Invoice) -> list[str]:
    folder = Path(django_settings.MEDIA_ROOT) / "invoices" / str(invoice.organisation_id)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _reset_broker_connections() -> None:
    # The web process keeps its pools of broker connections and producers (kombu's, one
    # per URL); forget them so that the next publish uses the URL configured now.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_down():
    """The web process publishes to a closed port: every publish fails for real.

    ``broker_write_url`` is the URL Celery publishes to (the CELERY_BROKER_URL
    environment variable would override ``broker_url`` itself)."""
    app.conf.broker_write_url = f"redis://127.0.0.1:{_closed_port()}/0"
    _reset_broker_connections()
    try:
        yield
    finally:
        app.conf.broker_write_url = None
        _reset_broker_connections()


def _slow_invoice(organisation, lines: int = 250) -> Invoice:
    """Hundreds of lines: rendering takes long enough to kill the worker in the middle."""
    return InvoiceFactory.create(
        organisation=organisation,
        lines=[(f"Prestation {n}", "1", "12.50", "20") for n in range(lines)],
    )


# --- The broker is down, a message is lost ----------------------------------------


def test_issuing_with_the_broker_down_answers_at_once_and_the_sweeper_sends_it_later(
    celery_worker, accountant, accountant_client
):
    invoice = InvoiceFactory.create(organisation=accountant.organisation)

    with broker_down():
        started = time.monotonic()
        response = accountant_client.post(reverse("invoices:issue", args=[invoice.pk]))
        elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert response.url == invoice.get_absolute_url()
    assert elapsed < 3, f"issuing took {elapsed:.1f}s with the broker down"
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.QUEUED
    assert _count(invoice, Event.QUEUED) == 1
    # No message reached the broker: none waits there, and the worker has nothing to do.
    assert _waiting_messages(django_settings.CELERY_TASK_DEFAULT_QUEUE) == 0
    wait_for(celery_worker.idle)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.QUEUED

    assert activity.sweep_stuck_records(older_than=timedelta(0)) == 1
    invoice = wait_for(lambda: _settled(invoice))

    assert invoice.status == Invoice.Status.GENERATED, invoice.last_error
    assert _count(invoice, Event.STARTED) == 1
    swept = ActivityLog.objects.for_record(invoice).filter(event=Event.QUEUED).first()
    assert swept.trigger == Trigger.SCHEDULE


def test_the_sweeper_leaves_alone_a_record_queued_a_moment_ago(celery_worker, accountant):
    invoice = InvoiceFactory.create(organisation=accountant.organisation)
    with broker_down():
        services.issue_invoice(invoice=invoice, actor=accountant)

    assert activity.sweep_stuck_records() == 0  # not stuck yet: STUCK_AFTER_SECONDS
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.QUEUED


def test_a_lost_message_is_sent_again_by_the_sweeper_and_processed_once(
    celery_worker, start_worker, accountant, settings
):
    # start_worker (after celery_worker) points the app at a queue of its own, no worker yet:
    # the message sent now is as good as lost.
    lost_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    invoice = InvoiceFactory.create(organisation=accountant.organisation)
    services.issue_invoice(invoice=invoice, actor=accountant)
    invoice.refresh_from_db()
    lost_task_id = invoice.task_id

    settings.CELERY_TASK_DEFAULT_QUEUE = TEST_QUEUE  # the session worker's queue
    assert activity.sweep_stuck_records(older_than=timedelta(0)) == 1
    invoice = wait_for(lambda: _settled(invoice))
    assert invoice.status == Invoice.Status.GENERATED
    assert invoice.task_id != lost_task_id

    # The lost message turns up after all: it must not generate the invoice again.
    late = start_worker(name="late")
    assert late.queue == lost_queue
    wait_for(lambda: f"{lost_task_id}] succeeded" in late.log())

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.GENERATED
    assert _count(invoice, Event.STARTED) == 1
    assert _count(invoice, Event.SUCCEEDED) == 1
    assert _count(invoice, Event.QUEUED) == 2  # the user, then the sweeper
    assert _pdf_files(invoice) == [f"{invoice.number}.pdf"]


# --- A worker dies in the middle of a generation ------------------------------------


def _wait_until_rendering(invoice: Invoice) -> int:
    """Wait for the attempt to be numbered and rendering; return the pool child's pid."""

    def rendering():
        entry = ActivityLog.objects.for_record(invoice).filter(event=Event.STARTED).first()
        invoice.refresh_from_db()
        return entry and invoice.number and entry

    entry = wait_for(rendering, timeout=30, interval=0.02)
    assert invoice.status == Invoice.Status.GENERATING
    return int(entry.worker.rsplit(":", 1)[1])


# Each run costs a few seconds; COMMBILLING_KILL_REPEATS=5 repeats it to hunt races.
@pytest.mark.parametrize("run", range(1, 1 + int(os.environ.get("COMMBILLING_KILL_REPEATS", "1"))))
def test_a_pool_process_killed_mid_generation_is_redelivered_and_keeps_the_number(
    start_worker, accountant, run
):
    worker = start_worker(
        name=f"child-kill-{run}", concurrency=1, extra_env={"CELERY_WORKER_LOST_WAIT": "0.5"}
    )
    invoice = _slow_invoice(accountant.organisation)
    services.issue_invoice(invoice=invoice, actor=accountant)

    pid = _wait_until_rendering(invoice)
    number = invoice.number
    assert pid != worker.process.pid
    os.kill(pid, signal.SIGKILL)
    invoice = wait_for(lambda: _settled(invoice), timeout=60)
    # The runner logs the success just after the service commits.
    wait_for(lambda: _count(invoice, Event.SUCCEEDED) or invoice.status == Invoice.Status.FAILED)

    assert invoice.status == Invoice.Status.GENERATED, invoice.last_error
    assert invoice.number == number
    assert invoice.attempts == 2
    assert "WorkerLostError" in worker.log() or "exited with 'signal 9" in worker.log()
    assert _pdf_files(invoice) == [f"{number}.pdf"]
    assert NumberSequence.objects.get(organisation=accountant.organisation).last_value == 1
    assert [_count(invoice, e) for e in (Event.STARTED, Event.SUCCEEDED, Event.FAILED)] == [
        2,
        1,
        0,
    ]


def test_a_record_whose_worker_dies_at_every_attempt_fails_instead_of_looping(
    start_worker, accountant
):
    """A record that kills its worker each time (out of memory, a crash in a C library)
    would be redelivered for ever: after MAX_ATTEMPTS it fails with an alert instead."""
    worker = start_worker(
        name="poison", concurrency=1, extra_env={"CELERY_WORKER_LOST_WAIT": "0.5"}
    )
    invoice = _slow_invoice(accountant.organisation, lines=150)
    services.issue_invoice(invoice=invoice, actor=accountant)
    killed: set[int] = set()

    for attempt in (1, 2, 3):

        def rendering(attempt=attempt):
            entries = ActivityLog.objects.for_record(invoice).filter(event=Event.STARTED)
            invoice.refresh_from_db()
            return (
                entries.count() == attempt
                and invoice.status == Invoice.Status.GENERATING
                and invoice.number
                and entries.first()
            )

        entry = wait_for(rendering, timeout=30, interval=0.02)
        pid = int(entry.worker.rsplit(":", 1)[1])
        assert pid not in killed
        os.kill(pid, signal.SIGKILL)
        killed.add(pid)

    invoice = wait_for(lambda: _settled(invoice), timeout=30)
    assert invoice.status == Invoice.Status.FAILED
    assert invoice.last_cause == Cause.INTERNAL
    assert invoice.last_error_details["error"] == "WorkerLost"
    assert invoice.number  # kept for the manual Retry
    assert _count(invoice, Event.STARTED) == 3
    assert Alert.objects.open().get(object_id=invoice.pk).cause == Cause.INTERNAL
    # The last delivery ended (acknowledged) and no other waits: nothing redelivers it.
    wait_for(lambda: f"[{invoice.task_id}] succeeded" in worker.log())
    assert _waiting_messages(django_settings.CELERY_TASK_DEFAULT_QUEUE) == 0
    assert _count(invoice, Event.STARTED) == 3


def test_a_whole_worker_killed_mid_generation_is_recovered_by_the_sweeper(start_worker, accountant):
    first = start_worker(name="whole-kill", concurrency=1)
    invoice = _slow_invoice(accountant.organisation)
    services.issue_invoice(invoice=invoice, actor=accountant)

    _wait_until_rendering(invoice)
    number = invoice.number
    first.kill()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.GENERATING  # nobody is left to finish it

    second = start_worker(name="after-kill", concurrency=1)
    assert activity.sweep_stuck_records(older_than=timedelta(0)) == 1
    invoice = wait_for(lambda: _settled(invoice), timeout=60)
    # The runner logs the success after the service's own commit: count once it is done.
    wait_for(second.idle)

    assert invoice.status == Invoice.Status.GENERATED, invoice.last_error
    assert invoice.number == number
    assert _pdf_files(invoice) == [f"{number}.pdf"]
    assert NumberSequence.objects.get(organisation=accountant.organisation).last_value == 1
    assert _count(invoice, Event.SUCCEEDED) == 1


# --- Double click, two users ---------------------------------------------------------


def test_two_simultaneous_retries_queue_and_generate_the_invoice_once(
    celery_worker, accountant, admin_user
):
    invoice = InvoiceFactory.create(
        organisation=accountant.organisation, customer__street="", customer__city=""
    )
    services.issue_invoice(invoice=invoice, actor=accountant)
    invoice = wait_for(lambda: _settled(invoice))
    assert invoice.status == Invoice.Status.FAILED
    customer = invoice.customer
    customer.street, customer.city = "1 rue du Bac", "Paris"
    customer.save()

    start = threading.Barrier(2)
    results: list[bool] = []

    def click(user) -> None:
        try:
            record = Invoice.objects.get(pk=invoice.pk)
            start.wait(timeout=10)
            results.append(activity.retry_record(record=record, actor=user))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=click, args=(u,)) for u in (accountant, admin_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [False, True]
    invoice = wait_for(lambda: _settled(invoice))
    assert invoice.status == Invoice.Status.GENERATED, invoice.last_error
    wait_for(celery_worker.idle)  # a second generation, had one been queued, has run
    assert _count(invoice, Event.RETRIED) == 1
    assert _count(invoice, Event.STARTED) == 2  # the failed attempt, then one generation
    assert _count(invoice, Event.SUCCEEDED) == 1
