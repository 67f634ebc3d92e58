from refunds.models import Refund
from refunds.processes import REFUND


def run_now(refund: Refund) -> Refund:
    """Run the refund's task in this process, through the real runner (retries included)."""
    refund.refresh_from_db()
    REFUND.task.apply(args=[refund.pk], task_id=refund.task_id)
    refund.refresh_from_db()
    return refund
