from refunds.models import Refund
from refunds.tasks import execute_refund


def run_now(refund: Refund) -> Refund:
    """Run the refund's task in this process, through the real runner (retries included)."""
    refund.refresh_from_db()
    execute_refund.apply(args=[refund.pk], task_id=refund.task_id)
    refund.refresh_from_db()
    return refund
