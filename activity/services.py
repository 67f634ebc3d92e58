"""Services of the automation core: history, alerts, queueing, retry, sweeping."""

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User

from . import processes, texts
from .models import ActivityLog, Alert, Cause, Event, Level, TrackedRecord, Trigger
from .signals import automation_failed
from .texts import Message

logger = logging.getLogger(__name__)


def log_event(
    *,
    record: TrackedRecord,
    process: str,
    event: str,
    actor: User | None = None,
    level: str = Level.INFO,
    cause: str = "",
    message: str | Message = "",
    details: dict[str, Any] | None = None,
    attempt: int = 0,
    trigger: str = Trigger.SYSTEM,
    task_id: str = "",
    worker: str = "",
    duration_ms: int | None = None,
    save: bool = True,
) -> ActivityLog:
    """Append an Activity Log entry about ``record`` (with ``save=False``, build it only:
    ``queue_records`` saves many in one INSERT).

    A ``Message`` (activity.texts) is stored as its code and parameters, shown in each
    reader's language; a plain string (a failure's technical text, which readers see
    explained by its cause) is kept as it is."""
    if isinstance(message, Message):
        code, params, text = message.code, message.params, message.english()
    else:
        code, params, text = "", {}, message
    entry = ActivityLog(
        organisation_id=record.organisation_id,
        process=process,
        event=event,
        level=level,
        actor=actor,
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        record_label=str(record)[:120],
        cause=cause,
        message_code=code,
        message_params=params,
        message=text,
        details=details or {},
        attempt=attempt,
        trigger=trigger,
        task_id=task_id or "",
        worker=worker,
        duration_ms=duration_ms,
    )
    if save:
        entry.save()
    return entry


@transaction.atomic
def record_failure(
    *,
    record: TrackedRecord,
    process: str,
    cause: str,
    message: str,
    details: dict[str, Any],
    attempt: int,
    task_id: str = "",
    worker: str = "",
    duration_ms: int | None = None,
    trigger: str = Trigger.SYSTEM,
    status: str = "",
    from_statuses: tuple[str, ...] | None = None,
    when: models.Q | None = None,
    **fields: object,
) -> Alert | None:
    """Mark the record Failed (or ``status``: its unknown-outcome status, or a final
    failure status of its own such as bounced), log it and raise (or refresh) the alert.

    Only from ``from_statuses`` (default: running): returns None, and changes nothing,
    when the record has left them (it succeeded, or another worker took it over)."""
    model = type(record)
    if not model.tracked().mark_failed(
        record,
        cause=cause,
        message=message,
        details=details,
        status=status,
        from_statuses=from_statuses,
        when=when,
        **fields,
    ):
        logger.warning(
            "%s #%s: failure not recorded, the record is no longer running (%s)",
            process,
            record.pk,
            message,
        )
        return None
    now = timezone.now()
    entry = log_event(
        record=record,
        process=process,
        event=Event.FAILED,
        level=Level.ERROR,
        cause=cause,
        message=message,
        details=details,
        attempt=attempt,
        trigger=trigger,
        task_id=task_id,
        worker=worker,
        duration_ms=duration_ms,
    )
    content_type = ContentType.objects.get_for_model(record)
    alert = (
        Alert.objects.select_for_update()
        .open()
        .filter(content_type=content_type, object_id=record.pk)
        .first()
    )
    fields = {
        "process": process,
        "cause": cause,
        "message": message,
        "activity": entry,
        "record_label": str(record)[:120],
        "record_url": record.get_absolute_url(),
        "acknowledged_at": None,
        "acknowledged_by": None,
        "created_at": now,
    }
    if alert is None:
        alert = Alert.objects.create(
            organisation_id=record.organisation_id,
            content_type=content_type,
            object_id=record.pk,
            **fields,
        )
    else:
        for name, value in fields.items():
            setattr(alert, name, value)
        alert.save()
    automation_failed.send(
        sender=model,
        record=record,
        process=process,
        cause=cause,
        details=details,
        entry=entry,
        alert=alert,
    )
    return alert


def resolve_alerts(*, record: TrackedRecord) -> int:
    return (
        Alert.objects.open()
        .filter(content_type=ContentType.objects.get_for_model(record), object_id=record.pk)
        .update(resolved_at=timezone.now())
    )


@transaction.atomic
def acknowledge_alert(*, alert: Alert, user: User) -> bool:
    updated = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=user
    )
    if updated:
        record = alert.record
        if record is not None:
            log_event(
                record=record,
                process=alert.process,
                event=Event.ACKNOWLEDGED,
                actor=user,
                trigger=Trigger.USER,
                message=texts.ALERT_ACKNOWLEDGED(actor=user.get_username()),
            )
    return bool(updated)


def send_task(*, process: str, record_id: int, task_id: str) -> bool:
    """Hand the record to a worker. A broker that is down is not an error for the caller:
    the record stays queued and the sweeper sends it again when the broker is back."""
    from commbilling.celery import publish

    try:
        publish(processes.get(process).task_name, args=[record_id], task_id=task_id)
    except Exception as exc:  # kombu/redis raise many types; all mean "not sent now"
        logger.warning(
            "Broker unavailable, %s #%s stays queued for the sweeper: %s", process, record_id, exc
        )
        return False
    return True


@transaction.atomic(savepoint=False)
def queue_record(
    *,
    record: TrackedRecord,
    from_statuses: tuple[str, ...],
    actor: User | None = None,
    trigger: str = Trigger.USER,
    event: str = Event.QUEUED,
    message: str | Message = "",
) -> bool:
    """Move the record to queued if it is in one of ``from_statuses``; send its task after
    commit. Returns False when the record was not in such a status (a double click, or a
    second user being faster): nothing is queued twice."""
    model = type(record)
    process = processes.for_model(model)
    task_id = str(uuid.uuid4())
    if not model.tracked().requeue(
        record, from_statuses=from_statuses, task_id=task_id, restart=True
    ):
        return False
    _log_and_send(record, process.name, task_id, event, actor, trigger, message)
    return True


def queue_created(
    *,
    record: TrackedRecord,
    actor: User | None = None,
    trigger: str = Trigger.USER,
    event: str = Event.QUEUED,
    message: str | Message = "",
) -> None:
    """``queue_record`` for a record not saved yet, built in its queued status: it is
    saved with its task id (one INSERT, no UPDATE after it), logged, and its task is sent
    after commit. A unique key the INSERT breaks raises IntegrityError as ``save`` does:
    the caller's savepoint then drops the entry and the task with the record."""
    model = type(record)
    if not record._state.adding or record.status != model.STATUS_QUEUED:
        raise ValueError(f"{model._meta.label}: queue_created takes a new, queued record")
    process = processes.for_model(model)
    task_id = str(uuid.uuid4())
    record.task_id, record.queued_at = task_id, timezone.now()
    record.save()
    _log_and_send(record, process.name, task_id, event, actor, trigger, message)


def _log_and_send(
    record: TrackedRecord,
    process: str,
    task_id: str,
    event: str,
    actor: User | None,
    trigger: str,
    message: str | Message,
) -> None:
    """The queued record's log entry, and its task sent once the transaction commits."""
    log_event(
        record=record,
        process=process,
        event=event,
        actor=actor,
        trigger=trigger,
        message=message,
        task_id=task_id,
    )
    transaction.on_commit(lambda: send_task(process=process, record_id=record.pk, task_id=task_id))


def send_tasks(*, process: str, tasks: list[tuple[int, str]]) -> int:
    """Hand many records to the workers over one broker connection and producer (the
    publish of a bulk queueing), instead of one acquisition per message. At the first
    broker error the rest stay queued for the sweeper. Returns how many were sent."""
    from commbilling.celery import publishing

    task_name = processes.get(process).task_name
    sent = 0
    try:
        with publishing() as send:
            for record_id, task_id in tasks:
                send(task_name, args=[record_id], task_id=task_id)
                sent += 1
    except Exception as exc:  # kombu/redis raise many types; all mean "not sent now"
        logger.warning(
            "Broker unavailable, %d %s record(s) stay queued for the sweeper: %s",
            len(tasks) - sent,
            process,
            exc,
        )
    return sent


@transaction.atomic
def queue_records(
    *,
    model: type[TrackedRecord],
    ids: list[int],
    from_statuses: tuple[str, ...],
    actor: User | None = None,
    trigger: str = Trigger.BATCH,
    event: str = Event.QUEUED,
    message: str | Message = "",
) -> list[TrackedRecord]:
    """``queue_record`` for many records, in a constant number of statements: one UPDATE
    queues every record still in ``from_statuses``, one INSERT logs them, and their tasks
    are published together after the commit. Returns the records queued."""
    process = processes.for_model(model)
    records = model.tracked().requeue_many(ids, from_statuses=from_statuses, batch=uuid.uuid4().hex)
    ActivityLog.objects.bulk_create(
        log_event(
            save=False,
            record=record,
            process=process.name,
            event=event,
            actor=actor,
            trigger=trigger,
            message=message,
            task_id=record.task_id,
        )
        for record in records
    )
    tasks = [(record.pk, record.task_id) for record in records]
    transaction.on_commit(lambda: send_tasks(process=process.name, tasks=tasks))
    return records


def retry_record(*, record: TrackedRecord, actor: User | None, trigger: str = Trigger.USER) -> bool:
    """Régénérer / Renvoyer / Relancer: re-enqueue a failed record exactly once."""
    return queue_record(
        record=record,
        from_statuses=record.RETRYABLE_STATUSES,
        actor=actor,
        trigger=trigger,
        event=Event.RETRIED,
        message=(
            texts.RETRY_REQUESTED_BY(actor=actor.get_username())
            if actor
            else texts.RETRY_REQUESTED()
        ),
    )


def stuck_after() -> timedelta:
    return timedelta(seconds=settings.AUTOMATION["STUCK_AFTER_SECONDS"])


def sweep_stuck_records(*, older_than: timedelta | None = None, limit: int = 500) -> int:
    """Send again the tasks of records left queued or running for too long.

    Covers a broker that was down at enqueue time, a message lost with a dead worker,
    and a retry that could not be scheduled. Claiming is conditional, so a record that
    gets two messages is still processed once.
    """
    cutoff = timezone.now() - (older_than if older_than is not None else stuck_after())
    sent = 0
    for process in processes.all_processes():
        model = process.model
        queued = model.tracked().filter(
            Q(status=model.STATUS_QUEUED, queued_at__lte=cutoff)
            & (Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=cutoff))
        )
        running = model.tracked().filter(status=model.STATUS_RUNNING, started_at__lte=cutoff)
        for record in list(queued.order_by("queued_at")[:limit]) + list(
            running.order_by("started_at")[:limit]
        ):
            task_id = str(uuid.uuid4())
            # As found: the requeue below writes its new values onto the record.
            left, since = record.status, record.started_at or record.queued_at
            with transaction.atomic():
                if not model.tracked().requeue(
                    record,
                    from_statuses=[left],
                    when=Q(task_id=record.task_id),
                    task_id=task_id,
                ):
                    continue
                log_event(
                    record=record,
                    process=process.name,
                    event=Event.QUEUED,
                    level=Level.WARNING,
                    trigger=Trigger.SCHEDULE,
                    task_id=task_id,
                    message=texts.SWEPT(model=model, status=left, since=since),
                )
            if send_task(process=process.name, record_id=record.pk, task_id=task_id):
                sent += 1
    return sent


def failures_unblocked_by(*, model_field_owner: models.Model) -> list[TrackedRecord]:
    """Failed records whose missing-data problems named fields of ``model_field_owner``
    (e.g. a customer that was just completed): the page offers to re-run them."""
    owner_model = model_field_owner._meta.model_name
    found: list[TrackedRecord] = []
    for process in processes.all_processes():
        model = process.model
        candidates = model.tracked().filter(
            # A customer, the company settings…: rows of an organisation, none of which
            # the core may name.
            organisation_id=model_field_owner.organisation_id,  # type: ignore[attr-defined]  # see above
            status=model.STATUS_FAILED,
            last_cause__in=[Cause.MISSING_DATA, Cause.WRONG_SETTINGS],
        )
        for record in candidates:
            problems = record.last_error_details.get("fields", []) + record.last_error_details.get(
                "settings", []
            )
            if any(
                p.get("model") == owner_model and p.get("object_id") == model_field_owner.pk
                for p in problems
            ):
                found.append(record)
    return found
