import gc
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from fnmatch import fnmatch
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commbilling.settings")

app = Celery("commbilling")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

IO_QUEUE_SUFFIX = ".io"


def queue_for(task_name: str) -> str:
    """The queue of a task: ``CELERY_QUEUE``, or ``CELERY_QUEUE.io`` for the tasks that
    wait on a remote server (``CELERY_IO_TASKS``), which workers of their own consume."""
    from django.conf import settings

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    if any(fnmatch(task_name, pattern) for pattern in settings.CELERY_IO_TASKS):
        return queue + IO_QUEUE_SUFFIX
    return queue


@contextmanager
def publishing() -> Iterator[Callable[..., None]]:
    """A function sending tasks to the broker, all of them within
    ``BROKER_TIMEOUTS["PUBLISH"]`` seconds of failures, kombu's retries included; it raises
    when the broker does not take a message in time.

    Each broker operation waits at most ``SOCKET`` (or ``CONNECT``) seconds, but kombu
    retries a failed publish: it reconnects (connect, then PING), and a new connection
    retries its own connect; against a frozen broker each step used its whole timeout
    (9 s in all before this bound). kombu calls ``give_up_past_deadline`` before each
    retry, which re-raises unless one more operation still fits before the deadline. With
    the default ``SOCKET`` = ``PUBLISH`` / 2, a failure that came at once (a connection
    the server closed) is retried on a new connection, and a timeout is not: a broker
    that did not answer in time will not answer a new connection either. The messages
    share one producer (one connection from the pool)."""
    from django.conf import settings

    timeouts = settings.BROKER_TIMEOUTS
    deadline = time.monotonic() + timeouts["PUBLISH"]
    step = max(timeouts["SOCKET"], timeouts["CONNECT"])

    def give_up_past_deadline(exc: BaseException, interval: float) -> None:
        if time.monotonic() + interval + step > deadline:
            raise exc

    policy = {**app.conf.task_publish_retry_policy, "errback": give_up_past_deadline}
    with app.producer_or_acquire() as producer:
        # A connection not yet established (the pool's first, or one dropped after an
        # error) is opened here under the same deadline, not by kombu's default
        # reconnection (which retries for CELERY_BROKER_CONNECTION_TIMEOUT with pauses).
        producer.connection.ensure_connection(
            errback=give_up_past_deadline,
            max_retries=policy["max_retries"],
            interval_start=policy["interval_start"],
            interval_step=policy["interval_step"],
            interval_max=policy["interval_max"],
        )

        def send(task_name: str, *, args: Sequence[Any], task_id: str | None = None) -> None:
            app.send_task(
                task_name,
                args=list(args),
                task_id=task_id,
                queue=queue_for(task_name),
                producer=producer,
                retry_policy=policy,
            )

        yield send


def publish(task_name: str, *, args: Sequence[Any], task_id: str | None = None) -> None:
    """Send one task within the bound of ``publishing()``, or raise."""
    with publishing() as send:
        send(task_name, args=args, task_id=task_id)


@task_prerun.connect
@task_postrun.connect
def _check_database_connections(task=None, **kwargs) -> None:
    # What Django does around every request (request_started/finished): drop a
    # connection past CONN_MAX_AGE or left broken by an error, and arm the health check,
    # so the task's first query finds a connection that PostgreSQL closed (a restart,
    # pg_terminate_backend, an idle timeout) and replaces it instead of failing.
    # Celery's fixup no longer closes them after every task (CELERY_DB_REUSE_MAX).
    from django.db import close_old_connections

    if task is not None and getattr(task.request, "is_eager", False):
        return  # run in the caller's process, maybe inside its transaction
    close_old_connections()


@worker_init.connect
@worker_process_init.connect
def freeze_long_lived_objects(**kwargs) -> None:
    """Set what a started worker holds (Django, the apps, WeasyPrint, the templates) aside
    from the garbage collector: its full collections then scan only what tasks create.
    Rendering creates many objects that survive the young generations, so a full
    collection came every dozen invoices and scanned ~200,000 objects each time: about
    10 ms per invoice, 0.6 ms once frozen (bench/pipeline.py runs its in-process part the
    same way). Sent in the main process before the pool forks (the children inherit the
    frozen objects without copying them) and in each child after its own start."""
    gc.collect()
    gc.freeze()
