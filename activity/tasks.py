from celery import shared_task

from . import services


@shared_task(  # type: ignore[untyped-decorator]  # Celery ships no type hints
    name="activity.sweep_stuck_records", time_limit=120, soft_time_limit=100
)
def sweep_stuck_records() -> int:
    return services.sweep_stuck_records()
