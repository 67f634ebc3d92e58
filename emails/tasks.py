from celery import shared_task

from activity import runner
from activity.models import Process

from . import services


@shared_task(name="emails.send_email", **runner.TRACKED_TASK_OPTIONS)
def send_email(self, message_id: int) -> None:
    runner.run(self, Process.EMAIL_DELIVERY, message_id)


@shared_task(name="emails.queue_overdue_reminders")
def queue_overdue_reminders() -> int:
    return services.queue_overdue_reminders()
