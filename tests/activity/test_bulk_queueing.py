"""Queueing many records at once: a constant number of statements whatever their
number, each record queued once with its own task, logged, and published after commit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activity import services
from activity.models import ActivityLog, Event, Trigger
from activity.signals import status_changed
from invoices.models import Invoice
from invoices.processes import GENERATION
from tests.activity.test_robustness_worker import broker_down
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

S = Invoice.Status


@pytest.fixture
def changes():
    seen: list[tuple[int, str, str]] = []

    def receiver(sender, record_id, old_status, new_status, **kwargs):
        seen.append((record_id, old_status, new_status))

    status_changed.connect(receiver, sender=Invoice)
    yield seen
    status_changed.disconnect(receiver, sender=Invoice)


def test_only_records_in_the_named_statuses_are_queued_each_with_its_own_task(changes):
    failed = [InvoiceFactory(status=S.FAILED, attempts=3) for _ in range(3)]
    generated = InvoiceFactory(status=S.GENERATED)
    draft = InvoiceFactory(status=S.DRAFT)

    records = Invoice.objects.requeue_many(
        [i.pk for i in [*failed, generated, draft]], from_statuses=(S.FAILED, S.DRAFT), batch="b1"
    )

    assert sorted(r.pk for r in records) == sorted(i.pk for i in [*failed, draft])
    assert len({r.task_id for r in records}) == 4
    for record in Invoice.objects.filter(pk__in=[r.pk for r in records]):
        assert (record.status, record.attempts, record.started_at) == (S.QUEUED, 0, None)
    generated.refresh_from_db()
    assert generated.status == S.GENERATED
    assert sorted(changes) == sorted(
        [(i.pk, S.FAILED, S.QUEUED) for i in failed] + [(draft.pk, S.DRAFT, S.QUEUED)]
    )


def test_a_second_batch_finds_nothing_left_to_queue():
    invoices = [InvoiceFactory(status=S.FAILED) for _ in range(2)]
    ids = [i.pk for i in invoices]

    first = services.queue_records(model=Invoice, ids=ids, from_statuses=(S.FAILED,))
    second = services.queue_records(model=Invoice, ids=ids, from_statuses=(S.FAILED,))

    assert (len(first), len(second)) == (2, 0)
    assert ActivityLog.objects.filter(event=Event.QUEUED).count() == 2


def test_each_queued_record_is_logged_with_its_task_and_the_trigger(accountant):
    invoices = [InvoiceFactory(status=S.FAILED) for _ in range(3)]

    records = services.queue_records(
        model=Invoice,
        ids=[i.pk for i in invoices],
        from_statuses=(S.FAILED,),
        actor=accountant,
        event=Event.RETRIED,
        message="Bulk retry",
    )

    entries = ActivityLog.objects.filter(event=Event.RETRIED)
    assert sorted(entries.values_list("object_id", "task_id")) == sorted(
        (r.pk, r.task_id) for r in records
    )
    assert set(entries.values_list("trigger", "actor", "message")) == {
        (Trigger.BATCH, accountant.pk, "Bulk retry")
    }


def _statements_to_queue(count: int) -> int:
    invoices = [InvoiceFactory.create(status=S.FAILED) for _ in range(count)]
    with CaptureQueriesContext(connection) as queries:
        services.queue_records(
            model=Invoice, ids=[i.pk for i in invoices], from_statuses=(S.FAILED,)
        )
    return len(queries)


def test_queueing_costs_the_same_statements_for_3_or_30_records():
    few, many = _statements_to_queue(3), _statements_to_queue(30)

    assert few == many
    # Two SAVEPOINT/RELEASE pairs, the UPDATE, the SELECT of the records, the INSERT of the
    # log, the INSERT of the dashboard's counters (one for all the changes).
    assert many <= 8


def test_the_tasks_are_published_only_after_the_commit(django_capture_on_commit_callbacks):
    invoices = [InvoiceFactory(status=S.FAILED) for _ in range(3)]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.queue_records(
            model=Invoice, ids=[i.pk for i in invoices], from_statuses=(S.FAILED,)
        )

    assert len(callbacks) == 1  # one publish for the whole batch


def test_the_tasks_of_a_batch_are_published_together():
    invoices = [InvoiceFactory(status=S.QUEUED, task_id=f"t-{n}") for n in range(5)]

    sent = services.send_tasks(process=GENERATION.name, tasks=[(i.pk, i.task_id) for i in invoices])

    assert sent == 5


def test_with_the_broker_down_nothing_is_sent_and_the_records_stay_queued():
    invoices = [InvoiceFactory(status=S.QUEUED, task_id=f"t-{n}") for n in range(3)]

    with broker_down():
        sent = services.send_tasks(
            process=GENERATION.name, tasks=[(i.pk, i.task_id) for i in invoices]
        )

    assert sent == 0
    assert set(Invoice.objects.values_list("status", flat=True)) == {S.QUEUED}
