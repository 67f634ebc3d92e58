"""Signs of life of the workers and the scheduler, and the incidents when one stops.

Each worker and the scheduler run a small thread (started by Celery's ``worker_ready``
and ``beat_init`` signals, see ``tasks``) that stamps its heartbeat every
``HEARTBEATS["SECONDS"]`` and looks at the others': a worker sees a stalled scheduler,
the scheduler sees stalled workers, workers see each other.
"""

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from . import versions
from .models import Heartbeat, Incident, Severity

logger = logging.getLogger(__name__)


def interval() -> float:
    return float(settings.HEARTBEATS["SECONDS"])


def stale_after() -> timedelta:
    return timedelta(seconds=settings.HEARTBEATS["STALE_SECONDS"])


def stamp(*, kind: str, name: str) -> None:
    now = timezone.now()
    updated = Heartbeat.objects.filter(kind=kind, name=name).update(
        last_seen_at=now, stopped_at=None
    )
    if not updated:
        Heartbeat.objects.get_or_create(
            kind=kind, name=name, defaults={"started_at": now, "last_seen_at": now}
        )


def stopped(*, kind: str, name: str) -> None:
    """A clean shutdown is not a stall."""
    Heartbeat.objects.filter(kind=kind, name=name).update(stopped_at=timezone.now())


def _key(heartbeat: Heartbeat) -> str:
    return f"stalled:{heartbeat.kind}:{heartbeat.name}"[:255]


def check_stalls() -> int:
    """Open a platform incident for each worker or scheduler silent for too long (one per
    silence: resolved by hand, it is not opened again until the next one), resolve it
    when its heartbeat comes back. Returns how many are stalled."""
    now = timezone.now()
    stalled = 0
    for heartbeat_id in Heartbeat.objects.filter(stopped_at__isnull=True).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            # Locked: the scheduler and the workers check concurrently.
            heartbeat = Heartbeat.objects.select_for_update().filter(pk=heartbeat_id).first()
            if heartbeat is None or heartbeat.stopped_at is not None:
                continue
            key = _key(heartbeat)
            silence = heartbeat.last_seen_at.isoformat()
            incidents = Incident.objects.filter(organisation__isnull=True, process="", key=key)
            if heartbeat.last_seen_at < now - stale_after():
                stalled += 1
                if not incidents.filter(details__last_seen=silence).exists():
                    Incident.objects.create(
                        organisation=None,
                        process="",
                        cause="stalled",
                        key=key,
                        severity=Severity.CRITICAL,
                        details={
                            "kind": heartbeat.kind,
                            "name": heartbeat.name,
                            "last_seen": silence,
                        },
                        opened_at=now,
                        last_seen_at=now,
                        failures=1,
                    )
                    versions.bump(None)
            elif incidents.open().update(resolved_at=now):
                versions.bump(None)
    return stalled


class HeartbeatThread(threading.Thread):
    def __init__(self, *, kind: str, name: str) -> None:
        super().__init__(name=f"heartbeat-{kind}", daemon=True)
        self.kind = kind
        self.heartbeat_name = name
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                close_old_connections()
                stamp(kind=self.kind, name=self.heartbeat_name)
                check_stalls()
            except Exception:  # the database may be down: try again at the next beat
                logger.exception("heartbeat of %s %s failed", self.kind, self.heartbeat_name)
            finally:
                # No connection left open in this process between beats: a pool process
                # forked meanwhile must not inherit one.
                connection.close()
            self.stopping.wait(interval())

    def stop(self) -> None:
        self.stopping.set()


_threads: dict[str, HeartbeatThread] = {}


def start(*, kind: str, name: str) -> None:
    if interval() <= 0 or kind in _threads:
        return
    thread = HeartbeatThread(kind=kind, name=name)
    _threads[kind] = thread
    thread.start()


def stop(*, kind: str) -> None:
    thread = _threads.pop(kind, None)
    if thread is None:
        return
    thread.stop()
    thread.join(timeout=5)
    try:
        stopped(kind=kind, name=thread.heartbeat_name)
    finally:
        connection.close()
