"""Services of the automation core: history, alerts, queueing, retry, sweeping."""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User

from . import automation as registry
from .models import ActivityLog, Alert, Cause, Event, Level, Trigger

logger = logging.getLogger(__name__)


def log_event(
    *,
    record: models.Model,
    process: str,
    event: str,
    actor: User | None = None,
    level: str = Level.INFO,
    cause: str = "",
    message: str = "",
    details: dict | None = None,
    attempt: int = 0,
    trigger: str = Trigger.SYSTEM,
    task_id: str = "",
    worker: str = "",
    duration_ms: int | None = None,
) -> ActivityLog:
    return ActivityLog.objects.create(
        organisation_id=record.organisation_id,  # type: ignore[attr-defined]
        process=process,
        event=event,
        level=level,
        actor=actor,
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        record_label=str(record)[:120],
        cause=cause,
        message=message,
        details=details or {},
        attempt=attempt,
        trigger=trigger,
        task_id=task_id or "",
        worker=worker,
        duration_ms=duration_ms,
    )


@transaction.atomic
def record_failure(
    *,
    record: models.Model,
    process: str,
    cause: str,
    message: str,
    details: dict,
    attempt: int,
    task_id: str = "",
    worker: str = "",
    duration_ms: int | None = None,
    trigger: str = Trigger.SYSTEM,
    status: str = "",
) -> Alert:
    """Mark the record Failed (or ``status``: its unknown-outcome status, or a final
    failure status of its own such as bounced), log it and raise (or refresh) the alert."""
    model = type(record)
    now = timezone.now()
    model.objects.filter(pk=record.pk).update(
        status=status or record.STATUS_FAILED,  # type: ignore[attr-defined]
        failed_at=now,
        next_retry_at=None,
        last_cause=cause,
        last_error=message,
        last_error_details=details,
    )
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
        "record_url": record.get_absolute_url() if hasattr(record, "get_absolute_url") else "",
        "acknowledged_at": None,
        "acknowledged_by": None,
        "created_at": now,
    }
    if alert is None:
        return Alert.objects.create(
            organisation_id=record.organisation_id,  # type: ignore[attr-defined]
            content_type=content_type,
            object_id=record.pk,
            **fields,
        )
    for name, value in fields.items():
        setattr(alert, name, value)
    alert.save()
    return alert


def resolve_alerts(*, record: models.Model) -> int:
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
                message=f"Alert acknowledged by {user.get_username()}",
            )
    return bool(updated)


def send_task(*, process: str, record_id: int, task_id: str) -> bool:
    """Hand the record to a worker. A broker that is down is not an error for the caller:
    the record stays queued and the sweeper sends it again when the broker is back."""
    from commbilling.celery import app, queue_for

    automation = registry.get(process)
    try:
        app.send_task(
            automation.task_name,
            args=[record_id],
            task_id=task_id,
            queue=queue_for(automation.task_name),
        )
    except Exception as exc:  # kombu/redis raise many types; all mean "not sent now"
        logger.warning(
            "Broker unavailable, %s #%s stays queued for the sweeper: %s", process, record_id, exc
        )
        return False
    return True


@transaction.atomic
def queue_record(
    *,
    record: models.Model,
    from_statuses: tuple[str, ...],
    actor: User | None = None,
    trigger: str = Trigger.USER,
    event: str = Event.QUEUED,
    message: str = "",
) -> bool:
    """Move the record to queued if it is in one of ``from_statuses``; send its task after
    commit. Returns False when the record was not in such a status (a double click, or a
    second user being faster): nothing is queued twice."""
    model = type(record)
    automation = registry.for_model(model)
    task_id = str(uuid.uuid4())
    updated = model.objects.filter(pk=record.pk, status__in=from_statuses).update(
        status=record.STATUS_QUEUED,  # type: ignore[attr-defined]
        queued_at=timezone.now(),
        next_retry_at=None,
        started_at=None,
        attempts=0,
        task_id=task_id,
    )
    if not updated:
        return False
    record.refresh_from_db()
    log_event(
        record=record,
        process=automation.process,
        event=event,
        actor=actor,
        trigger=trigger,
        message=message,
        task_id=task_id,
    )
    transaction.on_commit(
        lambda: send_task(process=automation.process, record_id=record.pk, task_id=task_id)
    )
    return True


def retry_record(*, record: models.Model, actor: User | None, trigger: str = Trigger.USER) -> bool:
    """Régénérer / Renvoyer / Relancer: re-enqueue a failed record exactly once."""
    return queue_record(
        record=record,
        from_statuses=record.RETRYABLE_STATUSES,  # type: ignore[attr-defined]
        actor=actor,
        trigger=trigger,
        event=Event.RETRIED,
        message=f"Retry requested by {actor.get_username()}" if actor else "Retry requested",
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
    for automation in registry.all_automations():
        model = automation.model
        queued = model.objects.filter(
            Q(status=model.STATUS_QUEUED, queued_at__lte=cutoff)
            & (Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=cutoff))
        )
        running = model.objects.filter(status=model.STATUS_RUNNING, started_at__lte=cutoff)
        for record in list(queued.order_by("queued_at")[:limit]) + list(
            running.order_by("started_at")[:limit]
        ):
            task_id = str(uuid.uuid4())
            with transaction.atomic():
                updated = model.objects.filter(
                    pk=record.pk, status=record.status, task_id=record.task_id
                ).update(
                    status=model.STATUS_QUEUED,
                    queued_at=timezone.now(),
                    next_retry_at=None,
                    task_id=task_id,
                )
                if not updated:
                    continue
                log_event(
                    record=record,
                    process=automation.process,
                    event=Event.QUEUED,
                    level=Level.WARNING,
                    trigger=Trigger.SCHEDULE,
                    task_id=task_id,
                    message=f"Sent again by the sweeper: it was {record.status} since "
                    f"{(record.started_at or record.queued_at):%Y-%m-%d %H:%M:%S}",
                )
            if send_task(process=automation.process, record_id=record.pk, task_id=task_id):
                sent += 1
    return sent


def failures_unblocked_by(*, model_field_owner: models.Model) -> list[models.Model]:
    """Failed records whose missing-data problems named fields of ``model_field_owner``
    (e.g. a customer that was just completed): the page offers to re-run them."""
    owner_model = model_field_owner._meta.model_name
    found: list[models.Model] = []
    for automation in registry.all_automations():
        model = automation.model
        candidates = model.objects.filter(
            organisation_id=model_field_owner.organisation_id,  # type: ignore[attr-defined]
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
