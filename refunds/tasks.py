from celery import shared_task

# Imported here so that WeasyPrint (~2 s to import) is loaded by the worker's main process
# before it forks: a pool process replacing a dead one then renders a credit note at once.
from . import pdf as _preloaded  # noqa: F401
from . import services


@shared_task(name="refunds.reconcile_unknown_refunds", time_limit=300, soft_time_limit=240)
def reconcile_unknown_refunds() -> int:
    return services.reconcile_unknown_refunds()
