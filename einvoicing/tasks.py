from celery import shared_task

from . import services


@shared_task(name="einvoicing.check_einvoices", time_limit=300, soft_time_limit=240)
def check_einvoices() -> dict[str, int]:
    """The periodic job: statuses by polling, unknown outcomes, 212 for paid invoices."""
    return {
        "polled": services.poll_einvoices(),
        "reconciled": services.reconcile_unknown_einvoices(),
        "collected": services.report_collected(),
    }
