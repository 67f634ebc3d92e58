"""The one place that turns an automated attempt into history.

A Celery task of any process calls ``run(task, process, record_id)``. The runner claims
the record with a conditional UPDATE (so two messages, two workers or a double click run
the service once), logs started/succeeded/failed with timing, retries transient causes
with exponential backoff and jitter, and routes final failures through
``services.record_failure``.
"""

import logging
import os
import random
import socket
import time
import traceback
from datetime import timedelta

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from django.db.models import F, Q
from django.utils import timezone, translation

from incidents import circuits
from incidents import services as incidents

from . import automation as registry
from . import reasons, services
from .errors import AutomationError, Unreachable
from .models import Cause, Event, Level, Trigger

logger = logging.getLogger(__name__)

# Options shared by every tracked task: retries are ours (see run), time limits explicit.
TRACKED_TASK_OPTIONS = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": None,
    "time_limit": 300,
    "soft_time_limit": 240,
}


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter, bounded."""
    config = settings.AUTOMATION
    ceiling = min(
        config["BACKOFF_MAX_SECONDS"], config["BACKOFF_BASE_SECONDS"] * 2 ** (attempt - 1)
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _worker_name(task: Task) -> str:
    return f"{task.request.hostname or socket.gethostname()}:{os.getpid()}"


def classify(exc: BaseException) -> AutomationError:
    """Map an exception a service did not classify to a cause."""
    if isinstance(exc, AutomationError):
        return exc
    if isinstance(exc, (OperationalError, InterfaceError)):
        return Unreachable("database", str(exc).strip()[:300])
    if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror)):
        return Unreachable("network", str(exc)[:300], reason=reasons.reason_of(exc))
    error = AutomationError(
        f"Internal error: {type(exc).__name__}: {exc}",
        details={
            "error": type(exc).__name__,
            "exception": str(exc)[:1000],
            "traceback": traceback.format_exc()[-5000:],
        },
    )
    return error


def run(task: Task, process: str, record_id: int) -> None:
    # History is written in the source language (field labels, messages) and translated
    # when it is read, so each reader sees it in their own language.
    with translation.override(None):
        _run(task, process, record_id)


def _run(task: Task, process: str, record_id: int) -> None:
    automation = registry.get(process)
    model = automation.model
    task_id = task.request.id or ""
    worker = _worker_name(task)
    now = timezone.now()
    stale = now - services.stuck_after()
    # A message redelivered with the same task id means the previous holder died
    # (acks_late + reject_on_worker_lost): the record may be taken over at once.
    claimed = (
        model.objects.filter(pk=record_id)
        .filter(
            Q(status=model.STATUS_QUEUED)
            | Q(status=model.STATUS_RUNNING, task_id=task_id)
            | Q(status=model.STATUS_RUNNING, started_at__lte=stale)
        )
        .update(
            status=model.STATUS_RUNNING,
            started_at=now,
            next_retry_at=None,
            attempts=F("attempts") + 1,
            task_id=task_id,
        )
    )
    if not claimed:
        logger.info("%s #%s not claimable by %s: already handled", process, record_id, task_id)
        return
    record = model.objects.get(pk=record_id)
    trigger = Trigger.RETRY if record.attempts > 1 else Trigger.SYSTEM
    max_attempts = settings.AUTOMATION["MAX_ATTEMPTS"]
    if record.attempts > max_attempts:
        # Finished attempts never get past MAX_ATTEMPTS (they succeed, fail, or retry
        # within it): each of these died with its worker (killed, out of memory, a
        # crash). Redelivering such a record would loop for ever; a person decides.
        services.record_failure(
            record=record,
            process=process,
            cause=Cause.INTERNAL,
            message=f"The worker stopped during each of the last attempts (killed or "
            f"crashed); not retried automatically after {max_attempts} attempts",
            details={"error": "WorkerLost", "attempts": record.attempts - 1},
            attempt=record.attempts,
            task_id=task_id,
            worker=worker,
            trigger=trigger,
        )
        return
    if _wait_for_open_circuit(record, process, task_id, worker, trigger):
        return
    had_failed = bool(record.last_cause)
    services.log_event(
        record=record,
        process=process,
        event=Event.STARTED,
        attempt=record.attempts,
        trigger=trigger,
        task_id=task_id,
        worker=worker,
    )
    started = time.monotonic()
    try:
        automation.execute(record=record)
    except SoftTimeLimitExceeded:
        error: AutomationError = Unreachable("worker", "time limit exceeded")
    except Exception as exc:
        error = classify(exc)
        if error.cause == Cause.INTERNAL:
            logger.exception("%s #%s: internal error", process, record_id)
    else:
        duration_ms = int((time.monotonic() - started) * 1000)
        record.refresh_from_db()
        services.log_event(
            record=record,
            process=process,
            event=Event.SUCCEEDED,
            attempt=record.attempts,
            trigger=trigger,
            task_id=task_id,
            worker=worker,
            duration_ms=duration_ms,
        )
        services.resolve_alerts(record=record)
        if had_failed:
            incidents.note_success(record=record)
        return

    duration_ms = int((time.monotonic() - started) * 1000)
    if isinstance(error, Unreachable) and error.service == "database":
        # The connection is broken: drop it so the bookkeeping below gets a fresh one.
        close_old_connections()
    _fail_or_retry(task, automation.process, record, error, task_id, worker, duration_ms, trigger)


def _fail_or_retry(
    task: Task,
    process: str,
    record,
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
            model.objects.filter(pk=record.pk, status=model.STATUS_RUNNING, task_id=task_id).update(
                status=model.STATUS_QUEUED,
                queued_at=timezone.now(),
                next_retry_at=timezone.now() + timedelta(seconds=countdown),
                last_cause=error.cause,
                last_error=error.message,
                last_error_details=error.details,
            )
            services.log_event(
                record=record,
                process=process,
                event=Event.RETRIED,
                level=Level.WARNING,
                cause=error.cause,
                message=f"{error.message} — retry {record.attempts + 1}/{max_attempts} "
                f"in {countdown:.1f}s",
                details=error.details,
                attempt=record.attempts,
                trigger=Trigger.RETRY,
                task_id=task_id,
                worker=worker,
                duration_ms=duration_ms,
            )
            incidents.note_failure(
                record=record, process=process, cause=error.cause, details=error.details
            )
        except DatabaseError:
            # Even bookkeeping fails: leave the record running; the sweeper recovers it.
            logger.exception("%s #%s: could not record the retry", process, record.pk)
            return
        raise task.retry(countdown=countdown)
    services.record_failure(
        record=record,
        process=process,
        status=getattr(model, "STATUS_UNKNOWN", "")
        if getattr(error, "outcome_unknown", False)
        else error.final_status,
        cause=error.cause,
        message=error.message,
        details=error.details,
        attempt=record.attempts,
        task_id=task_id,
        worker=worker,
        duration_ms=duration_ms,
        trigger=trigger,
    )


def _wait_for_open_circuit(record, process: str, task_id: str, worker: str, trigger: str) -> bool:
    """A service the process needs is down: wait for it without trying (and without
    spending an attempt)."""
    circuit = circuits.open_circuit_for(organisation_id=record.organisation_id, process=process)
    if circuit is None:
        return False
    details = {"service": circuit.service, "error": circuit.last_error}
    message = f"{circuit.service} unreachable — {circuit.last_error}"
    if not circuits.park(
        record=record,
        process=process,
        service=circuit.service,
        error=message,
        details=details,
        task_id=task_id,
        tried=False,
    ):
        return False
    services.log_event(
        record=record,
        process=process,
        event=Event.RETRIED,
        level=Level.WARNING,
        cause=Cause.CONNECTIVITY,
        message=f"{message} — waiting for {circuit.service} to answer again",
        details=details,
        attempt=record.attempts - 1,
        trigger=trigger,
        task_id=task_id,
        worker=worker,
    )
    return True


def _wait_for_service(
    record, process: str, error: AutomationError, task_id: str, worker: str, duration_ms: int
) -> bool:
    """A service that has a health probe did not answer: the task waits for the probe to
    see it back instead of burning its retries."""
    if not isinstance(error, Unreachable) or getattr(error, "outcome_unknown", False):
        return False
    if not circuits.is_outage(error):
        return False
    if not circuits.park(
        record=record,
        process=process,
        service=error.service,
        error=error.message,
        details=error.details,
        task_id=task_id,
    ):
        return False
    services.log_event(
        record=record,
        process=process,
        event=Event.RETRIED,
        level=Level.WARNING,
        cause=error.cause,
        message=f"{error.message} — waiting for {error.service} to answer again",
        details=error.details,
        attempt=record.attempts,
        trigger=Trigger.RETRY,
        task_id=task_id,
        worker=worker,
        duration_ms=duration_ms,
    )
    return True
