"""Circuit breakers: while a service does not answer, its tasks wait instead of burning
their retries; a periodic health probe closes the circuit and each waiting task is sent
again exactly once.

The apps that talk to a service register its probe (``register_probe("smtp", ...)``);
each process declares the services it depends on (``declare(..., depends_on=...)``).
This module is the automation core's holder (``activity.holds``), registered when
Django starts: the runner asks it whether to hold a record instead of trying.
"""

import logging
import smtplib
import socket
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation
from activity.errors import AutomationError
from activity.models import Cause, TrackedRecord

from . import services
from .models import Circuit, CircuitWait

logger = logging.getLogger(__name__)

Probe = Callable[[Organisation], None]

_probes: dict[str, Probe] = {}


class AutomationWaiting(AutomationError):
    """Why a held record waits: the service it needs did not answer."""

    cause = Cause.CONNECTIVITY
    transient = True


def register_probe(service: str, probe: Probe) -> None:
    """``probe(organisation)`` returns when the service answers as that organisation
    uses it, and raises otherwise. It must be quick and bounded by a timeout."""
    _probes[service] = probe


def has_probe(service: str) -> bool:
    return service in _probes


# Failures that mean "nobody answered" (refused, reset, timed out, name not resolved):
# unlike an answer asking to try later (an SMTP 4xx, an HTTP 429), which is retried.
_OUTAGES = (ConnectionError, TimeoutError, socket.timeout, socket.gaierror)


def is_outage(error: BaseException) -> bool:
    """Whether the failure (or the exception it was raised from) says the service did not
    answer at all."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, smtplib.SMTPResponseException):
            return False
        if isinstance(current, (*_OUTAGES, smtplib.SMTPServerDisconnected)):
            return True
        if getattr(current, "service_down", False):
            return True
        current = current.__cause__ or current.__context__
    return False


def max_wait() -> timedelta:
    # Past this, the sweeper sends a waiting task again even if no probe succeeded (a
    # safety net: a probe that keeps failing while the service works).
    return timedelta(seconds=settings.CIRCUITS["MAX_WAIT_SECONDS"])


def open_circuit_for(*, organisation_id: int, process: str) -> Circuit | None:
    """The open circuit of a service the process depends on, if any."""
    from activity import processes

    try:
        needed = processes.get(process).depends_on
    except KeyError:
        return None
    if not needed:
        return None
    return Circuit.objects.filter(
        organisation_id=organisation_id, service__in=needed, state=Circuit.State.OPEN
    ).first()


def down_service_for(*, organisation_id: int, process: str) -> tuple[str, str] | None:
    """(service, last error) of the open circuit of a service the process needs."""
    circuit = open_circuit_for(organisation_id=organisation_id, process=process)
    return (circuit.service, circuit.last_error) if circuit is not None else None


def hold(
    *,
    record: TrackedRecord,
    process: str,
    service: str,
    error: str,
    details: dict,
    task_id: str,
    tried: bool = True,
) -> bool:
    """Make the record's task wait for ``service``'s circuit to close instead of retrying.

    Returns False when the service has no probe (nothing would close the circuit: the
    caller retries as usual). The attempt the task just claimed is given back, so
    waiting never counts against the record's retries.
    """
    if service not in _probes:
        return False
    model = type(record)
    organisation_id = record.organisation_id
    now = timezone.now()
    with transaction.atomic():
        circuit, _ = Circuit.objects.get_or_create(organisation_id=organisation_id, service=service)
        # Locked: a probe closing the circuit at this moment waits for this wait to be
        # committed, then resumes it with the others.
        circuit = Circuit.objects.select_for_update().get(pk=circuit.pk)
        if circuit.state != Circuit.State.OPEN:
            circuit.state = Circuit.State.OPEN
            circuit.opened_at = now
        if tried:
            circuit.last_error = error[:1000]
        circuit.save()
        parked = model.tracked().requeue(
            record,
            from_statuses=[model.STATUS_RUNNING],
            when=Q(task_id=task_id),
            task_id=task_id,
            retry_at=now + max_wait(),
            error=AutomationWaiting(error, details=details),
            give_back_attempt=True,
        )
        if not parked:
            return True
        CircuitWait.objects.update_or_create(
            content_type=ContentType.objects.get_for_model(record),
            object_id=record.pk,
            defaults={"circuit": circuit, "process": process, "task_id": task_id, "since": now},
        )
        services.note_failure(record=record, process=process, cause="connectivity", details=details)
    return True


def probe_open_circuits() -> dict[str, int]:
    """The health probe (beat): close every circuit whose service answers again."""
    closed = failed = 0
    for circuit in Circuit.objects.filter(state=Circuit.State.OPEN).select_related("organisation"):
        probe = _probes.get(circuit.service)
        if probe is None:
            continue
        try:
            probe(circuit.organisation)
        except Exception as exc:
            Circuit.objects.filter(pk=circuit.pk).update(
                last_probe_at=timezone.now(), last_probe_error=f"{type(exc).__name__}: {exc}"[:1000]
            )
            failed += 1
            continue
        close(circuit)
        closed += 1
    return {"closed": closed, "still_open": failed}


def close(circuit: Circuit) -> int:
    """The service answers: close the circuit, resolve its incidents, resume its tasks."""
    now = timezone.now()
    with transaction.atomic():
        locked = Circuit.objects.select_for_update().get(pk=circuit.pk)
        if locked.state != Circuit.State.OPEN:
            return 0
        locked.state = Circuit.State.CLOSED
        locked.closed_at = now
        locked.last_probe_at = now
        locked.last_probe_error = ""
        locked.save()
        services.resolve_service_incidents(
            organisation_id=circuit.organisation_id, service=circuit.service
        )
    resumed = 0
    for wait in CircuitWait.objects.filter(circuit_id=circuit.pk).select_related("content_type"):
        resumed += resume(wait)
    return resumed


def resume(wait: CircuitWait) -> int:
    """Send the waiting task again, once: whoever deletes the wait sends it."""
    from activity.services import send_task

    model = wait.content_type.model_class()
    assert model is not None
    assert issubclass(model, TrackedRecord)
    task_id = str(uuid.uuid4())
    with transaction.atomic():
        if not CircuitWait.objects.filter(pk=wait.pk).delete()[0]:
            return 0
        record = model.tracked().filter(pk=wait.object_id).first()
        if record is None or not model.tracked().requeue(
            record, from_statuses=[model.STATUS_QUEUED], task_id=task_id
        ):
            return 0
        transaction.on_commit(
            lambda: send_task(process=wait.process, record_id=wait.object_id, task_id=task_id)
        )
    return 1
