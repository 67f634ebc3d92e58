"""Batch runs: start (idempotent), fill in chunks, cancel, and read the progress."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Organisation, User
from activity import processes
from activity.models import TrackedRecord

from .actions import ACTIONS
from .models import Batch, BatchItem

logger = logging.getLogger(__name__)

# Records handed to the automation per transaction: a cancel waits at most one chunk.
CHUNK = 100
MAX_RECORDS = 100_000


def _model(process: str) -> type[TrackedRecord]:
    return processes.get(process).model


def start_batch(
    *, organisation: Organisation, action: str, params: dict, actor: User | None, token: str
) -> Batch:
    """List the action's records and start handing them over. The same ``token`` (a
    double submit, a second tab) returns the batch already started."""
    existing = Batch.objects.filter(organisation=organisation, token=token).first()
    if existing is not None:
        return existing
    chosen = ACTIONS[action]
    try:
        with transaction.atomic():
            ids = list(
                chosen.candidates(organisation, params)
                .order_by("pk")
                .values_list("pk", flat=True)[:MAX_RECORDS]
            )
            batch = Batch.objects.create(
                organisation=organisation,
                action=action,
                process=chosen.process(params),
                title=str(chosen.title),
                params=params,
                token=token,
                total=len(ids),
                created_by=actor,
            )
            BatchItem.objects.bulk_create(
                [BatchItem(batch=batch, source_id=pk) for pk in ids], batch_size=5000
            )
            transaction.on_commit(lambda: send_fill(batch.pk))
    except IntegrityError:
        return Batch.objects.get(organisation=organisation, token=token)
    return batch


def send_fill(batch_id: int) -> None:
    """Ask a worker to fill the batch; a broker that is down only delays it (the
    scheduler resumes batches with waiting records every minute)."""
    from .tasks import fill

    try:
        fill.delay(batch_id)
    except Exception as exc:  # kombu/redis raise many types; all mean "not sent now"
        logger.warning("Broker unavailable, batch %s waits for the scheduler: %s", batch_id, exc)


def fill_batch(batch_id: int, *, max_chunks: int | None = None) -> int:
    """Hand the batch's waiting records to their automation, a chunk per transaction.
    Safe to run twice at once (each chunk is locked and skipped by the other run)."""
    handed = 0
    chunks = 0
    while max_chunks is None or chunks < max_chunks:
        chunks += 1
        with transaction.atomic():
            batch = Batch.objects.select_related("created_by").get(pk=batch_id)
            if batch.is_cancelled:
                return handed
            items = list(
                BatchItem.objects.select_for_update(skip_locked=True)
                .filter(batch=batch, state=BatchItem.State.PENDING)
                .order_by("id")[:CHUNK]
            )
            if not items:
                return handed
            action = ACTIONS[batch.action]
            sources = action.candidates(batch.organisation, batch.params).in_bulk(
                [item.source_id for item in items]
            )
            # Read before the hand-over, which refreshes the records it queues.
            previous_statuses = {pk: getattr(s, "status", "") for pk, s in sources.items()}
            handed_over = _hand_over(batch, action, sources)
            for item in items:
                previous = previous_statuses.get(item.source_id, "")
                record = handed_over.get(item.source_id)
                if record is None:
                    item.state = BatchItem.State.SKIPPED
                    continue
                item.state = BatchItem.State.QUEUED
                item.record_id = record.pk
                # Only a record that was already there can be given back on cancel.
                item.previous_status = previous if record.pk == item.source_id else ""
                item.task_id = record.task_id
                handed += 1
            BatchItem.objects.bulk_update(
                items, ["state", "record_id", "previous_status", "task_id"]
            )
    return handed


def _hand_over(batch: Batch, action, sources: dict) -> dict[int, TrackedRecord]:
    """The tracked record queued for each source that was handed over. An unexpected
    error must not stop the batch: the sources concerned are skipped (their own page and
    the log say why when they ran)."""
    actor = batch.created_by
    if action.run_many is not None:
        try:
            with transaction.atomic():
                return action.run_many(batch.organisation, list(sources.values()), actor)
        except Exception:
            logger.exception("batch %s: a chunk was not handed over", batch.pk)
            return {}
    handed: dict[int, TrackedRecord] = {}
    for pk, source in sources.items():
        try:
            with transaction.atomic():
                record = action.run(source, actor)
        except Exception:
            logger.exception("batch %s: record %s not handed over", batch.pk, pk)
            continue
        if record is not None:
            handed[pk] = record
    return handed


def cancel_batch(*, batch: Batch) -> int:
    """Stop the batch: records not handed over yet are dropped, records queued but not
    started go back to the status they had. Returns how many records were given back."""
    if not Batch.objects.filter(
        pk=batch.pk, cancelled_at__isnull=True, finished_at__isnull=True
    ).update(cancelled_at=timezone.now()):
        return 0
    model = _model(batch.process)
    given_back = 0
    with transaction.atomic():
        # Waits for a chunk being handed over, then sees its records as queued.
        BatchItem.objects.filter(batch=batch, state=BatchItem.State.PENDING).update(
            state=BatchItem.State.CANCELLED
        )
        items = list(
            BatchItem.objects.select_for_update()
            .filter(batch=batch, state=BatchItem.State.QUEUED)
            .exclude(previous_status="")
        )
        records = (
            model.tracked()
            .filter(pk__in=[item.record_id for item in items], status=model.STATUS_QUEUED)
            .in_bulk()
        )
        cancelled = []
        for item in items:
            record = records.get(item.record_id)
            if record is None or record.task_id != item.task_id:
                continue
            if model.tracked().transition(
                record,
                to=item.previous_status,
                from_statuses=[model.STATUS_QUEUED],
                when=Q(task_id=item.task_id),
            ):
                item.state = BatchItem.State.CANCELLED
                cancelled.append(item)
        BatchItem.objects.bulk_update(cancelled, ["state"])
        given_back = len(cancelled)
    return given_back


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    failed: int
    running: int  # handed over, not finished
    waiting: int  # not handed over yet
    skipped: int
    cancelled: int
    rate: float | None  # records finished per second
    seconds_left: float | None
    finished: bool

    @property
    def minutes_left(self) -> int | None:
        return None if self.seconds_left is None else int(self.seconds_left // 60)

    @property
    def rest_seconds_left(self) -> int | None:
        return None if self.seconds_left is None else int(self.seconds_left % 60)

    @property
    def remaining(self) -> int:
        return self.running + self.waiting

    @property
    def percent(self) -> int:
        if not self.total:
            return 100
        return int(100 * (self.total - self.remaining) / self.total)


def _record_ids(batch: Batch):
    return BatchItem.objects.filter(batch=batch, state=BatchItem.State.QUEUED).values("record_id")


def progress(batch: Batch) -> Progress:
    model = _model(batch.process)
    states = dict(
        BatchItem.objects.filter(batch=batch)
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    statuses = dict(
        model.tracked()
        .filter(pk__in=_record_ids(batch))
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    failed = sum(statuses.get(s, 0) for s in model.failed_statuses())
    running = statuses.get(model.STATUS_QUEUED, 0) + statuses.get(model.STATUS_RUNNING, 0)
    done = sum(statuses.values()) - failed - running
    waiting = states.get(BatchItem.State.PENDING, 0)
    finished = not running and not waiting
    now = timezone.now()
    if finished and batch.finished_at is None:
        Batch.objects.filter(pk=batch.pk, finished_at__isnull=True).update(finished_at=now)
        batch.finished_at = now
    elapsed = ((batch.finished_at or now) - batch.created_at).total_seconds()
    rate = (done + failed) / elapsed if elapsed > 0 and done + failed else None
    return Progress(
        total=batch.total,
        done=done,
        failed=failed,
        running=running,
        waiting=waiting,
        skipped=states.get(BatchItem.State.SKIPPED, 0),
        cancelled=states.get(BatchItem.State.CANCELLED, 0),
        rate=rate,
        seconds_left=(running + waiting) / rate if rate and not finished else None,
        finished=finished,
    )


def failures(batch: Batch, *, limit: int = 200) -> tuple[list, list[tuple[str, int]]]:
    """The batch's failed records (first ``limit``) and their number per cause."""
    model = _model(batch.process)
    failed = model.tracked().filter(pk__in=_record_ids(batch), status__in=model.failed_statuses())
    by_cause = list(
        failed.values_list("last_cause").annotate(n=Count("pk")).order_by("-n", "last_cause")
    )
    return list(failed.order_by("pk")[:limit]), by_cause


def resume_batches(*, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Send again the fill of batches still holding waiting records (broker down when
    they started, worker killed while filling)."""
    ids = list(
        Batch.objects.filter(
            cancelled_at__isnull=True,
            finished_at__isnull=True,
            created_at__lte=timezone.now() - older_than,
            items__state=BatchItem.State.PENDING,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    for batch_id in ids:
        send_fill(batch_id)
    return len(ids)
