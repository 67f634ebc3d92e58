from celery import shared_task

from . import services


@shared_task(name="emails.queue_overdue_reminders")
def queue_overdue_reminders() -> int:
    return services.queue_overdue_reminders()
