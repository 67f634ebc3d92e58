from celery import shared_task

from . import counters


@shared_task(name="dashboard.compact_counters")
def compact_counters() -> int:
    return counters.compact()
