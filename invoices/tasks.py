from celery import shared_task

from activity import runner
from activity.models import Process


@shared_task(name="invoices.generate_invoice", **runner.TRACKED_TASK_OPTIONS)
def generate_invoice(self, invoice_id: int) -> None:
    runner.run(self, Process.INVOICE_GENERATION, invoice_id)
