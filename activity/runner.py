"""The one place that turns an automated attempt into history.

The task of every declared process (``activity.processes.declare``) calls
``run(task, process, record_id)``. The runner claims the record with a conditional
UPDATE (so two messages, two workers or a double click run the service once), logs
started/succeeded/failed with timing, retries transient causes with exponential backoff
and jitter, and routes final failures through ``services.record_failure``.
"""

import logging
import os
import random
import socket
import time
from datetime import timedelta
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.db.models import Q
from django.utils import timezone, translation

from . import holds, processes, reasons, services, texts
from .errors import AutomationError, Unreachable, classify
from .models import ActivityLog, Cause, Event, Level, TrackedRecord, Trigger, attempt_succeeded
from .signals import automation_retried, automation_succeeded

logger = logging.getLogger(__name__)

# Options shared by every tracked task: retries are ours (see run). The time limits are
# the worker's, from CELERY_TASK_TIME_LIMIT and CELERY_TASK_SOFT_TIME_LIMIT.
TRACKED_TASK_OPTIONS = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": None,
}


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with "equal jitter", bounded: a delay drawn uniformly between
    half and all of min(BACKOFF_MAX, BACKOFF_BASE * 2^(attempt-1)), so retries of many
    records spread out yet never come back sooner than half the nominal delay."""
    config = settings.AUTOMATION
    ceiling: float = min(
        config["BACKOFF_MAX_SECONDS"], config["BACKOFF_BASE_SECONDS"] * 2 ** (attempt - 1)
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _worker_name(task: Task) -> str:
    return f"{task.request.hostname or socket.gethostname()}:{os.getpid()}"


def run(task: Task, process: str, record_id: int) -> None:
    # History is written in the source language (field labels, messages) and translated
    # when it is read, so each reader sees it in their own language.
    with translation.override(None):
        _run(task, process, record_id)


class LeftRunning(Exception):
    """A service returned without moving its record out of its running status."""


def _run(task: Task, process: str, record_id: int) -> None:
    declared = processes.get(process)
    model = declared.model
    task_id = task.request.id or ""
    worker = _worker_name(task)
    # Claimed and read in one statement (UPDATE … RETURNING). A message redelivered with
    # the same task id means the previous holder died (acks_late + reject_on_worker_lost):
    # the record may be taken over at once.
    record = model()
    record.pk = record_id
    if not model.tracked().claim(
        record, task_id=task_id, stale_before=timezone.now() - services.stuck_after()
    ):
        logger.info("%s #%s not claimable by %s: already handled", process, record_id, task_id)
        return
    trigger = Trigger.RETRY if record.attempts > 1 else Trigger.SYSTEM
    max_attempts = settings.AUTOMATION["MAX_ATTEMPTS"]
    if record.attempts > max_attempts:
        # Finished attempts never get past MAX_ATTEMPTS (they succeed, fail, or retry
        # within it): each of these died with its worker (killed, out of memory, a
        # crash). Redelivering such a record would loop for ever; a person decides.
        lost = AutomationError(
            f"The worker stopped during each of the last attempts (killed or crashed); "
            f"not retried automatically after {max_attempts} attempts",
            details={
                "error": "WorkerLost",
                "reason": reasons.WORKER_LOST,
                "attempts": record.attempts - 1,
            },
        )
        services.record_failure(
            record=record,
            process=process,
            status=record.failure_status(lost),
            cause=lost.cause,
            message=lost.message,
            details=lost.details,
            attempt=record.attempts,
            task_id=task_id,
            worker=worker,
            trigger=trigger,
            when=Q(task_id=task_id),
        )
        return
    if _wait_for_open_circuit(record, process, task_id, worker, trigger):
        return
    had_failed = bool(record.last_cause)

    def log(event: str, done: TrackedRecord, **more: Any) -> ActivityLog:
        return services.log_event(
            record=done,
            process=process,
            event=event,
            attempt=done.attempts,
            trigger=trigger,
            task_id=task_id,
            worker=worker,
            **more,
        )

    log(Event.STARTED, record)
    started = time.monotonic()
    # The success entry and the alerts' resolution are written by the service's own
    # mark_succeeded, in its transaction: a worker killed right after the commit leaves no
    # success without its entry, and a success rolled back leaves no entry.
    logged: ActivityLog | None = None

    def log_success(done: TrackedRecord) -> ActivityLog:
        duration_ms = int((time.monotonic() - started) * 1000)
        entry = log(Event.SUCCEEDED, done, duration_ms=duration_ms)
        services.resolve_alerts(record=done)
        return entry

    def succeeded(done: TrackedRecord) -> None:
        nonlocal logged
        if logged is None and type(done) is model and done.pk == record_id:
            logged = log_success(done)

    token = attempt_succeeded.set(succeeded)
    try:
        finished = declared.execute(record)
        if isinstance(finished, model) and finished.pk == record.pk:
            # The service's own instance, as its last status change (UPDATE … RETURNING)
            # left it: nothing to read again.
            record = finished
        else:
            # Read again with what its label needs (for the log entry below), in one query.
            record.refresh_from_db(from_queryset=model.tracked().for_labels())
        if record.status == model.STATUS_RUNNING:
            raise LeftRunning(
                f"{declared.execute!r} returned but left {model._meta.label} #{record.pk} "
                f"{record.status}: a service ends with mark_succeeded or raises"
            )
    except SoftTimeLimitExceeded:
        error: AutomationError = Unreachable(
            "worker", "time limit exceeded", reason=reasons.TIME_LIMIT
        )
    except Exception as exc:
        error = classify(exc)
        if error.cause == Cause.INTERNAL:
            logger.exception("%s #%s: internal error", process, record_id)
    else:
        # Unless moved out of running by other means than mark_succeeded (a transition).
        entry = logged or log_success(record)
        automation_succeeded.send(
            sender=model, record=record, process=process, entry=entry, recovered=had_failed
        )
        return
    finally:
        attempt_succeeded.reset(token)

    duration_ms = int((time.monotonic() - started) * 1000)
    if isinstance(error, Unreachable) and error.service == "database":
        # The connection is broken: drop it so the bookkeeping below gets a fresh one.
        close_old_connections()
    try:
        # What the service committed before failing (a sending time, a provider answer)
        # decides the final status.
        record.refresh_from_db(from_queryset=model.tracked().for_labels())
    except DatabaseError:
        logger.exception("%s #%s: could not record the failure", process, record_id)
        return  # left running: the sweeper hands it over again
    _fail_or_retry(task, process, record, error, task_id, worker, duration_ms, trigger)


def _fail_or_retry(
    task: Task,
    process: str,
    record: TrackedRecord,
    error: AutomationError,
    task_id: str,
    worker: str,
    duration_ms: int,
    trigger: str,
) -> None:
    model = type(record)
    max_attempts = settings.AUTOMATION["MAX_ATTEMPTS"]
    if _wait_for_service(record, process, error, task_id, worker, duration_ms):
        return
    if error.transient and record.attempts < max_attempts:
        countdown = backoff_seconds(record.attempts)
        try:
            requeued = model.tracked().requeue(
                record,
                from_statuses=[model.STATUS_RUNNING],
                when=Q(task_id=task_id),
                task_id=task_id,
                retry_at=timezone.now() + timedelta(seconds=countdown),
                error=error,
            )
            if not requeued:
                logger.info("%s #%s: taken over by another task, no retry", process, record.pk)
                return
            entry = services.log_event(
                record=record,
                process=process,
                event=Event.RETRIED,
                level=Level.WARNING,
                cause=error.cause,
                # Read as the failure's explanation followed by this (ActivityLog.display_message).
                message=texts.RETRY_SCHEDULED(
                    attempt=record.attempts + 1, max=max_attempts, seconds=f"{countdown:.1f}"
                ),
                details=error.details,
                attempt=record.attempts,
                trigger=Trigger.RETRY,
                task_id=task_id,
                worker=worker,
                duration_ms=duration_ms,
            )
            automation_retried.send(
                sender=model,
                record=record,
                process=process,
                cause=error.cause,
                details=error.details,
                entry=entry,
            )
        except DatabaseError:
            # Even bookkeeping fails: leave the record running; the sweeper recovers it.
            logger.exception("%s #%s: could not record the retry", process, record.pk)
            return
        raise task.retry(countdown=countdown)
    services.record_failure(
        record=record,
        process=process,
        status=record.failure_status(error),
        when=Q(task_id=task_id),
        cause=error.cause,
        message=error.message,
        details=error.details,
        attempt=record.attempts,
        task_id=task_id,
        worker=worker,
        duration_ms=duration_ms,
        trigger=trigger,
    )


def _wait_for_open_circuit(
    record: TrackedRecord, process: str, task_id: str, worker: str, trigger: str
) -> bool:
    """A service the process needs is down: wait for it without trying (and without
    spending an attempt)."""
    holder = holds.current()
    if holder is None:
        return False
    down = holder.down_service_for(organisation_id=record.organisation_id, process=process)
    if not down:
        return False
    service, last_error = down
    message = f"{service} unreachable — {last_error}"
    return _hold(
        holder,
        record,
        process,
        service=service,
        message=message,
        details={"service": service, "error": last_error},
        task_id=task_id,
        worker=worker,
        trigger=trigger,
        attempt=record.attempts - 1,  # given back: the service was not tried
        tried=False,
    )


def _wait_for_service(
    record: TrackedRecord,
    process: str,
    error: AutomationError,
    task_id: str,
    worker: str,
    duration_ms: int,
) -> bool:
    """A service that has a health probe did not answer: the task waits for the probe to
    see it back instead of burning its retries."""
    holder = holds.current()
    if holder is None:
        return False
    if not isinstance(error, Unreachable) or getattr(error, "outcome_unknown", False):
        return False
    if not holder.is_outage(error):
        return False
    return _hold(
        holder,
        record,
        process,
        service=error.service,
        message=error.message,
        details=error.details,
        task_id=task_id,
        worker=worker,
        trigger=Trigger.RETRY,
        attempt=record.attempts,
        duration_ms=duration_ms,
    )


def _hold(
    holder: holds.Holder,
    record: TrackedRecord,
    process: str,
    *,
    service: str,
    message: str,
    details: dict[str, object],
    task_id: str,
    worker: str,
    trigger: str,
    attempt: int,
    tried: bool = True,
    duration_ms: int | None = None,
) -> bool:
    """Hand the record to the holder until ``service`` answers, and log that it waits;
    False when the holder cannot tell when it answers (the runner retries as usual)."""
    if not holder.hold(
        record=record,
        process=process,
        service=service,
        error=message,
        details=details,
        task_id=task_id,
        tried=tried,
    ):
        return False
    services.log_event(
        record=record,
        process=process,
        event=Event.RETRIED,
        level=Level.WARNING,
        cause=Cause.CONNECTIVITY,
        message=texts.WAITING_FOR_SERVICE(),
        details=details,
        attempt=attempt,
        trigger=trigger,
        task_id=task_id,
        worker=worker,
        duration_ms=duration_ms,
    )
    return True
