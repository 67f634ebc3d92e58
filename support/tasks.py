from celery import shared_task

from . import services


@shared_task(name="support.mark_breached_tickets")
def mark_breached_tickets() -> int:
    return services.mark_breached_tickets()
