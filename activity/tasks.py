from celery import shared_task

from . import services


# Celery ships no type hints: its decorators are untyped.
@shared_task(name="activity.sweep_stuck_records", time_limit=120, soft_time_limit=100)  # type: ignore[untyped-decorator]
def sweep_stuck_records() -> int:
    return services.sweep_stuck_records()
