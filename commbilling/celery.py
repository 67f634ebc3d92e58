import os
from fnmatch import fnmatch

from celery import Celery
from celery.signals import task_postrun, task_prerun

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


if os.environ.get("COMMBILLING_TEST_WORKER") == "1":

    @task_prerun.connect
    def _forget_content_types(**kwargs) -> None:
        # The test suite flushes the database between tests, which renumbers content
        # types; a worker living across tests must not keep the old ids.
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
