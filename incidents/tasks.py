import socket

from celery import shared_task
from celery.signals import beat_init, worker_ready, worker_shutdown

from . import circuits, heartbeats
from .models import Heartbeat


@shared_task(name="incidents.probe_circuits", ignore_result=True)
def probe_circuits() -> dict[str, int]:
    return circuits.probe_open_circuits()


@shared_task(name="incidents.notify_admins", ignore_result=True)
def notify_admins(incident_id: int) -> None:
    from .notify import notify_admins as notify

    notify(incident_id=incident_id)


@worker_ready.connect
def _worker_started(sender=None, **kwargs) -> None:
    name = getattr(sender, "hostname", None) or socket.gethostname()
    heartbeats.start(kind=Heartbeat.Kind.WORKER, name=name)


@worker_shutdown.connect
def _worker_stopping(sender=None, **kwargs) -> None:
    heartbeats.stop(kind=Heartbeat.Kind.WORKER)


@beat_init.connect
def _scheduler_started(sender=None, **kwargs) -> None:
    heartbeats.start(kind=Heartbeat.Kind.SCHEDULER, name=socket.gethostname())
