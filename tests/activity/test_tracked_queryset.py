"""TrackedQuerySet: the only place where a tracked record changes status. Each change
happens only from the statuses it names and says whether it happened."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activity.errors import Unreachable
from activity.signals import status_changed
from invoices.models import Invoice
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

S = Invoice.Status


@pytest.fixture
def changes():
    seen: list[tuple[str, str]] = []

    def receiver(sender, old_status, new_status, **kwargs):
        seen.append((old_status, new_status))

    status_changed.connect(receiver, sender=Invoice)
    yield seen
    status_changed.disconnect(receiver, sender=Invoice)


def _invoice(status: str, **fields) -> Invoice:
    return InvoiceFactory.create(status=status, **fields)


@pytest.mark.parametrize(
    ("status", "task_id", "started_minutes_ago", "claimed"),
    [
        (S.QUEUED, "other", 0, True),
        (S.GENERATING, "mine", 0, True),  # redelivered: its previous holder died
        (S.GENERATING, "other", 0, False),  # another worker holds it
        (S.GENERATING, "other", 60, True),  # held for too long: taken over
        (S.GENERATED, "mine", 0, False),
        (S.FAILED, "mine", 0, False),
    ],
)
def test_claim(status, task_id, started_minutes_ago, claimed):
    now = timezone.now()
    invoice = _invoice(
        status, task_id=task_id, started_at=now - timezone.timedelta(minutes=started_minutes_ago)
    )

    result = Invoice.objects.claim(
        invoice, task_id="mine", stale_before=now - timezone.timedelta(minutes=30)
    )

    invoice.refresh_from_db()
    assert result is claimed
    assert (invoice.status, invoice.attempts) == ((S.GENERATING, 1) if claimed else (status, 0))


@pytest.mark.parametrize(
    ("status", "failed"), [(S.GENERATING, True), (S.GENERATED, False), (S.SENT, False)]
)
def test_mark_failed_never_flips_a_success(status, failed):
    invoice = _invoice(status)

    result = Invoice.objects.mark_failed(
        invoice, cause="internal", message="late bookkeeping error", details={}
    )

    invoice.refresh_from_db()
    assert result is failed
    assert (invoice.status == S.FAILED) is failed
    assert (invoice.last_error == "late bookkeeping error") is failed


def test_mark_succeeded_clears_the_last_error():
    invoice = _invoice(
        S.GENERATING,
        last_cause="connectivity",
        last_error="storage unreachable",
        last_error_details={"service": "storage"},
        failed_at=timezone.now(),
        next_retry_at=timezone.now(),
    )

    assert Invoice.objects.mark_succeeded(invoice, status=S.GENERATED)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.last_cause, invoice.last_error) == (S.GENERATED, "", "")
    assert invoice.last_error_details == {}
    assert invoice.failed_at is None
    assert invoice.next_retry_at is None


def test_requeue_records_why_and_when_it_is_retried_only_for_its_task():
    invoice = _invoice(S.GENERATING, task_id="t1", attempts=1)
    at = timezone.now() + timezone.timedelta(seconds=5)
    error = Unreachable("storage", "disk full")

    assert not Invoice.objects.requeue(
        invoice, from_statuses=[S.GENERATING], when=Q(task_id="t2"), task_id="t2", error=error
    )
    assert Invoice.objects.requeue(
        invoice,
        from_statuses=[S.GENERATING],
        when=Q(task_id="t1"),
        task_id="t1",
        retry_at=at,
        error=error,
    )

    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempts, invoice.next_retry_at) == (S.QUEUED, 1, at)
    assert invoice.last_error_details == {"service": "storage", "error": "disk full"}


def test_a_restart_counts_attempts_from_zero():
    invoice = _invoice(S.FAILED, attempts=3, started_at=timezone.now())

    assert Invoice.objects.requeue(invoice, from_statuses=[S.FAILED], task_id="t", restart=True)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempts, invoice.started_at) == (S.QUEUED, 0, None)


def test_each_change_is_announced_with_the_status_it_left(changes):
    invoice = _invoice(S.DRAFT)

    Invoice.objects.requeue(invoice, from_statuses=[S.FAILED, S.DRAFT], task_id="t")
    Invoice.objects.claim(invoice, task_id="t", stale_before=timezone.now())
    Invoice.objects.mark_succeeded(invoice, status=S.GENERATED)
    Invoice.objects.mark_failed(invoice, cause="internal", message="no", details={})  # refused

    assert changes == [(S.DRAFT, S.QUEUED), (S.QUEUED, S.GENERATING), (S.GENERATING, S.GENERATED)]


def test_a_change_leaves_the_record_in_memory_as_written_without_reading_it():
    invoice = _invoice(S.GENERATING, task_id="t1", attempts=2, last_cause="")
    error = Unreachable("storage", "disk full")

    with CaptureQueriesContext(connection) as queries:
        assert Invoice.objects.requeue(
            invoice,
            from_statuses=[S.GENERATING],
            task_id="t1",
            error=error,
            give_back_attempt=True,
        )

    # The UPDATE (no savepoint) and the dashboard's counters: no SELECT, yet the record
    # shows the expression's result (attempts - 1) and every value written.
    statements = [q["sql"] for q in queries.captured_queries]
    assert [sql.split()[0] for sql in statements] == ["UPDATE", "INSERT"]
    assert "dashboard_counter" in statements[1]
    assert (invoice.status, invoice.attempts, invoice.last_cause) == (S.QUEUED, 1, "connectivity")
    assert invoice.last_error_details == {"service": "storage", "error": "disk full"}
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.attempts, stored.queued_at) == (S.QUEUED, 1, invoice.queued_at)


def test_a_claim_by_id_reads_the_whole_record_back_in_its_update():
    invoice = _invoice(S.QUEUED, attempts=1, number="", notes="Livraison <urgente>")
    claimed = Invoice(pk=invoice.pk)

    with CaptureQueriesContext(connection) as queries:
        assert Invoice.objects.claim(claimed, task_id="t", stale_before=timezone.now())

    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert "SELECT" not in statements
    assert statements.count("UPDATE") == 1
    assert (claimed.status, claimed.attempts, claimed.task_id) == (S.GENERATING, 2, "t")
    assert claimed.organisation_id == invoice.organisation_id
    assert claimed.notes == "Livraison <urgente>"
    assert claimed.total_incl_vat == invoice.total_incl_vat
    assert not claimed._state.adding


def test_an_unclaimable_id_stays_an_empty_record():
    invoice = _invoice(S.GENERATED)
    claimed = Invoice(pk=invoice.pk)

    assert not Invoice.objects.claim(claimed, task_id="t", stale_before=timezone.now())
    assert claimed.organisation_id is None


def test_receivers_get_the_record_as_written():
    invoice = _invoice(S.QUEUED)
    seen = []

    def receiver(sender, record, **kwargs):
        seen.append((record, record.status, record.task_id))

    status_changed.connect(receiver, sender=Invoice)
    try:
        Invoice.objects.claim(invoice, task_id="t", stale_before=timezone.now())
    finally:
        status_changed.disconnect(receiver, sender=Invoice)

    assert seen == [(invoice, S.GENERATING, "t")]


def test_a_claim_drops_related_objects_cached_before():
    invoice = InvoiceFactory.create(status=S.QUEUED)
    loaded = Invoice.objects.select_related("customer").prefetch_related("lines").get(pk=invoice.pk)

    assert Invoice.objects.claim(loaded, task_id="t", stale_before=timezone.now())

    assert not Invoice._meta.get_field("customer").is_cached(loaded)
    assert "_prefetched_objects_cache" not in loaded.__dict__
    assert loaded.customer.pk == invoice.customer_id


def test_the_status_is_never_smuggled_in_among_the_fields():
    invoice = _invoice(S.QUEUED)

    with pytest.raises(TypeError):
        Invoice.objects.transition(
            invoice, to=S.GENERATING, from_statuses=[S.QUEUED], status=S.GENERATED
        )


def test_a_change_reads_back_what_its_receivers_asked_for_in_its_update():
    # The dashboard asks for the amount of an invoice entering Générée (read_back): its
    # UPDATE returns it, the receivers get it in ``values`` and nothing reads the invoice
    # again, even when the caller's instance holds an older amount.
    from dashboard.models import Counter

    invoice = _invoice(S.GENERATING)
    loaded = Invoice.objects.get(pk=invoice.pk)
    Invoice.objects.filter(pk=invoice.pk).update(total_incl_vat=Decimal("240.00"))
    seen = []

    def receiver(sender, values, **kwargs):
        seen.append(values)

    status_changed.connect(receiver, sender=Invoice)
    try:
        with CaptureQueriesContext(connection) as queries:
            assert Invoice.objects.mark_succeeded(loaded, status=S.GENERATED)
    finally:
        status_changed.disconnect(receiver, sender=Invoice)

    statements = [q["sql"] for q in queries.captured_queries]
    assert not [sql for sql in statements if sql.startswith('SELECT "invoices_invoice"')]
    assert [sql.split()[0] for sql in statements if "invoices_invoice" in sql] == ["UPDATE"]
    assert seen[0]["status"] == S.GENERATED
    assert seen[0]["total_incl_vat"] == Decimal("240.00")
    assert loaded.total_incl_vat == Decimal("240.00")
    day = Counter.objects.get(
        organisation_id=invoice.organisation_id, status=S.GENERATED, day__isnull=False
    )
    assert (day.n, day.amount) == (1, Decimal("240.00"))
